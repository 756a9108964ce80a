import type { SecretKeys } from '../../core/secret.js';
import type { AuditEventRecord, AuditRepository, Json } from '../../stores/contract.js';

/** The `purpose` the chain hash is keyed with (see {@link SecretKeys.hash}); no other hash shares it. */
const AUDIT_CHAIN_PURPOSE = 'audit-chain';

/** Names the encoding inside every hashed value, so a later encoding can never collide with this one. */
const ENCODING = 'gatehouse-audit/v1';

/**
 * How far from its stored place a moved event is looked for when its hash does not hold: an event
 * that verifies as another number within this distance is reported as `reordered`, otherwise the
 * event counts as `edited`. Only searched once the chain is already known to be broken.
 */
const REORDER_SEARCH_DISTANCE = 1024;

/** An event with everything the chain hash covers: every field but `hash` itself. */
export type UnhashedAuditEvent = Omit<AuditEventRecord, 'hash'>;

/** Computes an event's chain hash; {@link auditHasher} makes one from the installation's keys. */
export type AuditHashFn = (event: UnhashedAuditEvent) => string;

/**
 * The bytes the chain hash is computed over: JSON of `prevHash`, `seq` and every field of the
 * event, object keys sorted at every depth, so the same event always encodes the same way whatever
 * order a database hands its JSON back in.
 *
 * @example
 * canonicalAuditEncoding({ seq: 1, prevHash: '', time: 0, type: 'login', ... }) // '{"clientId":null,...}'
 */
export function canonicalAuditEncoding(event: UnhashedAuditEvent): string {
  // What canonicalJson of `{ v: ENCODING, prevHash, seq, ...fields }` gives, written out member by
  // member in its sorted key order: no object to build and no keys to sort for every event hashed.
  // The known-answer test in chain.test.ts holds it to the bytes of every chain already stored.
  let out = '';
  const member = (quotedKey: string, value: Json | undefined) => {
    if (value !== undefined) out += `${out === '' ? '' : ','}${quotedKey}:${canonicalJson(value)}`;
  };
  member('"clientId"', event.clientId);
  member('"details"', event.details);
  member('"ip"', event.ip);
  member('"outcome"', event.outcome);
  member('"prevHash"', event.prevHash);
  member('"requestId"', event.requestId);
  member('"seq"', event.seq);
  member('"subject"', event.subject);
  member('"time"', event.time);
  member('"type"', event.type);
  member('"userAgent"', event.userAgent);
  member('"v"', ENCODING);
  return `{${out}}`;
}

/**
 * The chain hash of an event: base64url HMAC-SHA256, keyed with a key derived from
 * `GATEHOUSE_SECRET`, over {@link canonicalAuditEncoding} (which includes `prevHash`). Whoever
 * can edit the database but does not know the secret cannot recompute it, so an edit shows.
 *
 * (The event carries its own `prevHash`, so it is not passed separately.)
 *
 * @example
 * const hash = auditHash(secretKeys, { ...event, seq: 4, prevHash: previous.hash });
 */
export function auditHash(keys: Pick<SecretKeys, 'hash'>, event: UnhashedAuditEvent): string {
  return keys.hash(canonicalAuditEncoding(event), AUDIT_CHAIN_PURPOSE);
}

/** {@link auditHash} bound to the installation's keys, for {@link verifyChain}. */
export function auditHasher(keys: Pick<SecretKeys, 'hash'>): AuditHashFn {
  return (event) => auditHash(keys, event);
}

/** What is wrong at the first broken place of the chain. */
export type ChainProblem = 'edited' | 'removed' | 'reordered';

/** The outcome of {@link verifyChain}. */
export type ChainVerification =
  | {
      ok: true;
      /** Events checked. */
      count: number;
      /**
       * `seq` of the first event checked: `1`, unless the store dropped its oldest events (the
       * memory store keeps only the newest): then the oldest one kept, whose link to the dropped
       * event before it cannot be checked.
       */
      firstSeq: number;
      /** `seq` of the last event, `0` for an empty log. */
      lastSeq: number;
      /**
       * Hash of the last event (`''` for an empty log). Removing events from the end of a chain
       * cannot be told from the chain itself: keep this somewhere else to detect that too.
       */
      lastHash: string;
    }
  | {
      ok: false;
      /** The event where the chain breaks; for `removed`, the first missing number. */
      seq: number;
      problem: ChainProblem;
      message: string;
      /** Events that verified before the break. */
      count: number;
    };

/**
 * Checks a whole audit log, oldest first, and stops at the first place where it is broken:
 * - `removed`: a number is missing (`seq` jumps), or an event is not chained to the one before it;
 * - `edited`: an event does not match its own hash (a field, its `seq` or its `prevHash` changed);
 * - `reordered`: an event sits out of order, or holds the event first recorded under another number.
 *
 * @param events the log in the order stored, e.g. {@link readAuditLog}; any (async) iterable.
 * @param hashFn recomputes an event's hash, e.g. `auditHasher(secretKeys)`.
 * @param from where the log is expected to start: `{ seq: 1 }` (the default) for a whole log. A
 *   store that dropped its oldest events says where what it kept starts (see
 *   `AuditRepository.droppedThrough`); the first event must then carry that number, and its
 *   `prevHash` is taken as given. Any other start is reported as `removed`.
 * @example
 * const result = await verifyChain(readAuditLog(store.audit), auditHasher(secretKeys));
 * if (!result.ok) console.error(`broken at #${result.seq} (${result.problem}): ${result.message}`);
 */
export async function verifyChain(
  events: Iterable<AuditEventRecord> | AsyncIterable<AuditEventRecord>,
  hashFn: AuditHashFn,
  from: { seq: number } = { seq: 1 },
): Promise<ChainVerification> {
  const firstSeq = from.seq;
  let count = 0;
  let lastSeq = firstSeq - 1;
  let lastHash = '';
  const broken = (seq: number, problem: ChainProblem, message: string): ChainVerification => ({
    ok: false,
    seq,
    problem,
    message,
    count,
  });

  for await (const event of events) {
    const expected = lastSeq + 1;
    if (event.seq > expected) {
      const missing = event.seq === expected + 1 ? `event #${expected} is` : `events #${expected} to #${event.seq - 1} are`;
      const where = count === 0 ? `the log starts at #${event.seq}` : `#${lastSeq} is followed by #${event.seq}`;
      return broken(expected, 'removed', `${missing} missing: ${where}`);
    }
    if (event.seq < expected) {
      return broken(event.seq, 'reordered', `event #${event.seq} comes after #${lastSeq}`);
    }
    const { hash, ...unhashed } = event;
    if (hashFn(unhashed) !== hash) {
      const recordedAs = originalSeq(unhashed, hash, hashFn);
      if (recordedAs !== undefined) {
        return broken(event.seq, 'reordered', `event #${event.seq} holds the event recorded as #${recordedAs}`);
      }
      return broken(event.seq, 'edited', `event #${event.seq} does not match its hash: it was changed after it was recorded`);
    }
    // The first event kept after dropped ones is linked to an event that is gone: nothing to compare.
    const linkKnown = count > 0 || firstSeq === 1;
    if (linkKnown && event.prevHash !== lastHash) {
      // The event itself is genuine, but it was chained to a different predecessor.
      const previous = count === 0 ? 'the start of the log' : `event #${lastSeq}`;
      return broken(event.seq, 'removed', `event #${event.seq} is not chained to ${previous}: the event it followed was removed or replaced`);
    }
    count += 1;
    lastSeq = event.seq;
    lastHash = hash;
  }
  return { ok: true, count, firstSeq, lastSeq, lastHash };
}

/**
 * The stored audit log, oldest first (after `afterSeq`), read a page at a time, so a log of any
 * length is verified in bounded memory.
 *
 * @example
 * for await (const event of readAuditLog(store.audit)) console.log(event.seq);
 */
export async function* readAuditLog(repository: Pick<AuditRepository, 'list'>, pageSize = 1000, afterSeq = 0): AsyncGenerator<AuditEventRecord> {
  for (;;) {
    const page = await repository.list({ afterSeq, limit: pageSize });
    yield* page;
    if (page.length < pageSize) return;
    afterSeq = page.at(-1)!.seq;
  }
}

/** How often {@link verifyAuditLog} starts again when a store dropped events it had not read yet. */
const MAX_VERIFY_RESTARTS = 5;

/**
 * {@link verifyChain} over a stored log with the installation's keys: what `gatehouse audit verify`
 * runs.
 *
 * A durable store keeps every event, and its log must start at #1. A store that keeps only the
 * newest events (the memory store, see `AuditRepository.droppedThrough`) is verified from the
 * oldest event it kept, and the result says so (`firstSeq`). Should it drop events this reading
 * had not reached yet, the gap is the store's own doing, not tampering: the check starts again
 * from the new oldest event (a few times, then it throws rather than report a false break).
 *
 * @example
 * const result = await verifyAuditLog(store.audit, secretKeys);
 * if (result.ok && result.firstSeq > 1) console.log(`events before #${result.firstSeq} were dropped by the store`);
 */
export async function verifyAuditLog(
  repository: Pick<AuditRepository, 'list' | 'droppedThrough'>,
  keys: Pick<SecretKeys, 'hash'>,
  pageSize?: number,
): Promise<ChainVerification> {
  const hashFn = auditHasher(keys);
  if (repository.droppedThrough === undefined) return verifyChain(readAuditLog(repository, pageSize), hashFn);
  for (let attempt = 1; ; attempt += 1) {
    const dropped = await repository.droppedThrough();
    const result = await verifyChain(readAuditLog(repository, pageSize, dropped), hashFn, { seq: dropped + 1 });
    if (result.ok || result.problem !== 'removed' || result.seq > (await repository.droppedThrough())) return result;
    if (attempt >= MAX_VERIFY_RESTARTS) {
      throw new Error(`audit log not verified: the store dropped its oldest events faster than they could be read (${attempt} attempts)`);
    }
  }
}

/** The number an event was recorded under, when its hash holds for a nearby number other than its own. */
function originalSeq(event: UnhashedAuditEvent, hash: string, hashFn: AuditHashFn): number | undefined {
  for (let distance = 1; distance <= REORDER_SEARCH_DISTANCE; distance += 1) {
    for (const seq of [event.seq + distance, event.seq - distance]) {
      if (seq >= 1 && hashFn({ ...event, seq }) === hash) return seq;
    }
  }
  return undefined;
}

/** JSON with object keys in code-unit order at every depth; `undefined` members are left out, as JSON.stringify does. */
function canonicalJson(value: Json | undefined): string {
  // As JSON.stringify would, but a string: it gives undefined for undefined.
  if (value === undefined) return 'null';
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item)).join(',')}]`;
  let members = '';
  for (const key of Object.keys(value).sort()) {
    const item = value[key];
    if (item !== undefined) members += `${members === '' ? '' : ','}${JSON.stringify(key)}:${canonicalJson(item)}`;
  }
  return `{${members}}`;
}
