/**
 * The audit log as operators read it: the search (`gatehouse audit tail`, `GET /audit/events`, the
 * console's audit page), the dashboard's series (the console), and the chain's verification as
 * `gatehouse audit verify --json` and `POST /audit/verify` show it. One place, so the command, the
 * API and the console cannot disagree.
 */
import { isIP } from 'node:net';
import type { AuditEventRecord, Store } from '../../stores/contract.js';
import { EVENT_TYPE } from '../audit/audit-log.js';
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
  /** The page just newer than the one whose first `seq` it is: the `newerAfter` of that page (not with `before`). */
  after?: number;
  /** At most this many events (the caller bounds it: the API to 500). */
  limit: number;
}

/** A page of {@link searchAuditEvents}. */
export interface AuditSearchPage {
  /** Newest first. */
  events: AuditEventRecord[];
  /** Pass as `before` for the next, older page; `undefined` on the oldest. */
  nextBefore: number | undefined;
  /** Pass as `after` for the previous, newer page; `undefined` on the newest. */
  newerAfter: number | undefined;
}

/**
 * The audit events matching `search`, newest first, and the cursors of the pages either side
 * (keyset paging on `seq`, so a page stays the same as events are added): `nextBefore` of the
 * older page, `newerAfter` of the newer one. One more event than asked is read, so a page that
 * happens to end the log says so. Paging back up (`after`) to the newest events gives the first
 * page itself, as full as any other.
 *
 * @example
 * let page = await searchAuditEvents(store, { types: ['login.failed'], limit: 100 });
 * while (page.nextBefore !== undefined) page = await searchAuditEvents(store, { types: ['login.failed'], before: page.nextBefore, limit: 100 });
 * const newer = await searchAuditEvents(store, { types: ['login.failed'], after: page.newerAfter, limit: 100 });
 */
export async function searchAuditEvents(store: Pick<Store, 'audit'>, search: AuditSearch): Promise<AuditSearchPage> {
  const { before, after, limit, ...filters } = search;
  if (after !== undefined && before === undefined) {
    const found = await store.audit.query({ ...filters, afterSeq: after, limit: limit + 1 });
    // As many as asked or fewer above: this is the newest page.
    if (found.length <= limit) return searchAuditEvents(store, { ...filters, limit });
    const events = found.slice(1);
    return { events, nextBefore: events.at(-1)!.seq, newerAfter: events[0]!.seq };
  }
  const found = await store.audit.query({ ...filters, ...(before === undefined ? {} : { beforeSeq: before }), limit: limit + 1 });
  const events = found.slice(0, limit);
  return {
    events,
    nextBefore: found.length > limit && events.length > 0 ? events.at(-1)!.seq : undefined,
    // A page read below a cursor has newer events: at least the ones the cursor came from.
    newerAfter: before === undefined ? undefined : (events[0]?.seq ?? before - 1),
  };
}

/** A search as typed: the query parameters of `GET /audit/events`, the flags of `gatehouse audit tail`. */
export interface AuditSearchParams {
  /** RFC 3339 date-time, inclusive. */
  from?: string | undefined;
  /** RFC 3339 date-time, exclusive. */
  to?: string | undefined;
  types?: readonly string[] | undefined;
  /** A sub, username or email. */
  user?: string | undefined;
  client?: string | undefined;
  /** An IP address. */
  address?: string | undefined;
  outcome?: string | undefined;
  /** A `seq`: the cursor of the next page. */
  before?: string | undefined;
  limit?: string | undefined;
}

/** One parameter at fault and what is wrong with it, in words that never repeat its value. */
export interface AuditSearchProblem {
  field: keyof AuditSearchParams;
  message: string;
}

/** Most types one search may name. */
const MAX_TYPES = 50;
/** RFC 3339 §5.6 `date-time`, with a time zone (`Z` or an offset). */
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * Reads a search as typed into an {@link AuditSearch}: every parameter checked, and every one at
 * fault named (`problems`), so the command and the API refuse the same values with the same words.
 * `user` is returned as typed; {@link auditSubjectOf} turns it into the `subject` to search for.
 *
 * @param limits the caller's page sizes (`limit` absent: `defaultLimit`; at most `maxLimit`).
 * @example
 * const read = readAuditSearch({ from: '2026-01-01T00:00:00Z', types: ['login.failed'] }, { defaultLimit: 100, maxLimit: 500 });
 * if (read.ok) await searchAuditEvents(store, read.search);
 */
export function readAuditSearch(
  params: AuditSearchParams,
  limits: { defaultLimit: number; maxLimit: number },
): { ok: true; search: AuditSearch; user: string | undefined } | { ok: false; problems: AuditSearchProblem[] } {
  const problems: AuditSearchProblem[] = [];
  /** Notes a problem; `null`: the value read is unusable. */
  const problem = (field: keyof AuditSearchParams, message: string): null => {
    problems.push({ field, message });
    return null;
  };
  const time = (field: 'from' | 'to'): number | null | undefined => {
    const value = params[field];
    if (value === undefined) return undefined;
    const ms = RFC3339.test(value) ? Date.parse(value) : Number.NaN;
    return Number.isNaN(ms) ? problem(field, 'must be an RFC 3339 date-time, such as 2026-01-31T09:00:00Z') : ms;
  };
  const count = (field: 'before' | 'limit', min: number, max: number): number | null | undefined => {
    const value = params[field];
    if (value === undefined) return undefined;
    const number = /^[0-9]{1,16}$/.test(value) ? Number(value) : Number.NaN;
    return number >= min && number <= max ? number : problem(field, `must be a whole number from ${min} to ${max}`);
  };
  const text = (field: 'user' | 'client', max: number): string | null | undefined => {
    const value = params[field];
    if (value === undefined || (value.length >= 1 && value.length <= max)) return value;
    return problem(field, `must be 1 to ${max} characters`);
  };

  const from = time('from') ?? undefined;
  const to = time('to') ?? undefined;
  if (from !== undefined && to !== undefined && to <= from) problem('to', 'must be after from');
  const types = params.types === undefined ? undefined : [...new Set(params.types)];
  if (types && (types.length > MAX_TYPES || !types.every((type) => EVENT_TYPE.test(type)))) {
    problem('types', `must be at most ${MAX_TYPES} event types, each like login.failed`);
  }
  const user = text('user', 254) ?? undefined;
  const clientId = text('client', 200) ?? undefined;
  const ip = params.address;
  if (ip !== undefined && isIP(ip) === 0) problem('address', 'must be an IPv4 or IPv6 address');
  const outcome = params.outcome;
  if (outcome !== undefined && outcome !== 'success' && outcome !== 'failure') problem('outcome', 'must be one of success, failure');
  const before = count('before', 1, Number.MAX_SAFE_INTEGER) ?? undefined;
  const limit = count('limit', 1, limits.maxLimit) ?? limits.defaultLimit;
  if (problems.length > 0) return { ok: false, problems };
  const search: AuditSearch = { limit };
  if (from !== undefined) search.from = from;
  if (to !== undefined) search.to = to;
  if (types !== undefined) search.types = types;
  if (clientId !== undefined) search.clientId = clientId;
  if (ip !== undefined) search.ip = ip;
  if (outcome === 'success' || outcome === 'failure') search.outcome = outcome;
  if (before !== undefined) search.before = before;
  return { ok: true, search, user };
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
