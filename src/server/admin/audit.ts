/**
 * The audit log as operators read it: the search (`gatehouse audit tail`, `GET /audit/events`, the
 * console's audit page), the dashboard's series (the console), and the chain's verification as
 * `gatehouse audit verify --json` and `POST /audit/verify` show it. One place, so the command, the
 * API and the console cannot disagree.
 */
import type { AuditEventRecord, Store } from '../../stores/contract.js';
import type { ChainVerification } from '../audit/chain.js';

/** The dashboard's time ranges. */
export type ActivityRange = 'hour' | 'day' | 'week';

/** The dashboard's series. */
export type ActivityKey = 'signIns' | 'failures' | 'mfaChallenges' | 'tokensIssued' | 'rateLimitHits';

/** One series of the dashboard: one count per bucket, oldest first, zeros filled. */
export interface ActivitySeries {
  key: ActivityKey;
  /** Its name for people ("Sign-ins"). */
  label: string;
  counts: number[];
}

/** The dashboard's series over one range: buckets `[from + k * bucketMs, from + (k + 1) * bucketMs)`, the last ending at `to`. */
export interface Activity {
  range: ActivityRange;
  from: number;
  to: number;
  bucketMs: number;
  series: ActivitySeries[];
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** How each range is cut: hour = 12 × 5 minutes, day = 24 × 1 hour, week = 7 × 1 day. */
const RANGES: Record<ActivityRange, { buckets: number; bucketMs: number }> = {
  hour: { buckets: 12, bucketMs: 5 * MINUTE },
  day: { buckets: 24, bucketMs: HOUR },
  week: { buckets: 7, bucketMs: DAY },
};

/** The audit event types each series counts, in the dashboard's order (the table at {@link activity}). */
const SERIES: readonly { key: ActivityKey; label: string; types: readonly string[] }[] = [
  { key: 'signIns', label: 'Sign-ins', types: ['login.succeeded', 'upstream.signed_in'] },
  { key: 'failures', label: 'Failed sign-ins', types: ['login.failed', 'mfa.failed', 'upstream.validation_failed'] },
  { key: 'mfaChallenges', label: 'MFA challenges', types: ['mfa.challenge'] },
  { key: 'tokensIssued', label: 'Tokens issued', types: ['token.issued'] },
  { key: 'rateLimitHits', label: 'Rate-limit hits', types: ['rate_limit.hit'] },
];

/**
 * Dashboard series from the audit log (shared across instances, survives restarts): for each
 * series, how many of its events fell in each bucket of the range ending at `now` (hour: 12 × 5
 * minutes, day: 24 × 1 hour, week: 7 × 1 day). Counted by the store in one query
 * (`AuditRepository.counts`); the memory store counts only the events it kept. The events of each
 * series:
 *
 * | series | events |
 * |---|---|
 * | `signIns` | `login.succeeded` (a password, email-code or passkey sign-in, after its second factor when one is asked), `upstream.signed_in` (through an upstream provider) |
 * | `failures` | `login.failed` (a wrong password or email code, an unknown or disabled account), `mfa.failed` (a wrong second factor), `upstream.validation_failed` (an upstream's answer refused) |
 * | `mfaChallenges` | `mfa.challenge` (a second factor asked for) |
 * | `tokensIssued` | `token.issued` (every grant at the token endpoint) |
 * | `rateLimitHits` | `rate_limit.hit` (a request refused by a limiter; at most 10 events a minute per limiter and address in each process, so a flood counts as less than it was) |
 *
 * @example
 * const { series } = await activity(store, Date.now(), 'day'); // 24 hourly counts per series
 * series.find((s) => s.key === 'failures')?.counts.at(-1); // failed sign-ins in the last hour
 */
export async function activity(store: Pick<Store, 'audit'>, now: number, range: ActivityRange): Promise<Activity> {
  const { buckets, bucketMs } = RANGES[range];
  const to = Math.floor(now);
  const from = to - buckets * bucketMs;
  const counted = await store.audit.counts({ from, to, bucketMs, types: SERIES.flatMap((series) => series.types) });
  const series = SERIES.map(({ key, label, types }) => {
    const counts = new Array<number>(buckets).fill(0);
    for (const { type, bucket, count } of counted) {
      const index = (bucket - from) / bucketMs;
      if (types.includes(type)) counts[index] = (counts[index] ?? 0) + count;
    }
    return { key, label, counts };
  });
  return { range, from, to, bucketMs, series };
}

/** A search of the audit log: every filter given must match; `before` is the cursor of the next page. */
export interface AuditSearch {
  /** Ms since the epoch, inclusive. */
  from?: number;
  /** Ms since the epoch, exclusive. */
  to?: number;
  /** Any of these event types. */
  types?: string[];
  /** A user's `sub` (see {@link auditSubjectOf} to find it from a username or email). */
  subject?: string;
  clientId?: string;
  /** A client address, as recorded. */
  ip?: string;
  outcome?: 'success' | 'failure';
  /** Only events with a `seq` below it: the `nextBefore` of the previous page. */
  before?: number;
  /** At most this many events (the caller bounds it: the API to 500). */
  limit: number;
}

/**
 * The audit events matching `search`, newest first, and the cursor of the next page (`undefined`
 * on the last one): pass it as `before` to read on. One more event than asked is read, so a page
 * that happens to end the log says so.
 *
 * @example
 * let page = await searchAuditEvents(store, { types: ['login.failed'], limit: 100 });
 * while (page.nextBefore !== undefined) page = await searchAuditEvents(store, { types: ['login.failed'], before: page.nextBefore, limit: 100 });
 */
export async function searchAuditEvents(
  store: Pick<Store, 'audit'>,
  search: AuditSearch,
): Promise<{ events: AuditEventRecord[]; nextBefore: number | undefined }> {
  const { before, limit, ...filters } = search;
  const found = await store.audit.query({ ...filters, ...(before === undefined ? {} : { beforeSeq: before }), limit: limit + 1 });
  const events = found.slice(0, limit);
  return { events, nextBefore: found.length > limit && events.length > 0 ? events.at(-1)!.seq : undefined };
}

/**
 * The `sub` a search by user means: the user found by sub, username or email, else the value
 * itself taken as a sub (a removed user's events keep their sub). A name that is no one's matches
 * nothing, exactly as a user without events does: the answer never tells the two apart.
 */
export async function auditSubjectOf(store: Pick<Store, 'users'>, user: string): Promise<string> {
  const found = (await store.users.get(user)) ?? (await store.users.findByLogin(user));
  return found?.id ?? user;
}

/** The chain's verification as `gatehouse audit verify --json` and `POST /audit/verify` show it. */
export type AuditVerificationJson =
  { ok: true; count: number; last_seq: number; last_hash: string } | { ok: false; count: number; seq: number; problem: string; message: string };

/** {@link ChainVerification} in the snake_case shape the command and the API answer. */
export function auditVerificationJson(result: ChainVerification): AuditVerificationJson {
  return result.ok
    ? { ok: true, count: result.count, last_seq: result.lastSeq, last_hash: result.lastHash }
    : { ok: false, count: result.count, seq: result.seq, problem: result.problem, message: result.message };
}
