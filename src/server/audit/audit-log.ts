import { appendFile, chmod, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import { systemClock, type Clock } from '../../core/clock.js';
import type { SecretKeys } from '../../core/secret.js';
import type { AuditEventRecord, Json, NewAuditEvent, Store } from '../../stores/contract.js';
import type { Metrics } from '../observability/metrics.js';
import { auditHash } from './chain.js';
import { redactDetails } from './redact.js';

/** What a caller says about an event; the audit log adds the time, the request and the chain. */
export interface AuditEventInput {
  /** Dotted name of what happened, e.g. `login`, `token.issued`, `client.secret_rotated`. */
  type: string;
  outcome: 'success' | 'failure';
  clientId?: string | null;
  /** The user (`sub`) the event is about, when there is one. */
  subject?: string | null;
  /** Event-specific fields (a reason, a scope, a grant type). Redacted before anything is written. */
  details?: Record<string, Json | undefined>;
}

/** Who asked (the request of a server event; none for the CLI). */
export interface AuditContext {
  requestId?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  /** The request's OpenTelemetry trace id, when it is traced: recorded as the detail `trace_id`. */
  traceId?: string | null;
}

export interface AuditLogOptions {
  /** Where events are kept, chained: the system of record. */
  store: Pick<Store, 'audit'>;
  /** Keys the chain hash (see `auditHash`). */
  secretKeys: Pick<SecretKeys, 'hash'>;
  /** Gets one JSON line per event, with `audit: true`, at level `info` (ready for ELK, Splunk, Loki). */
  logger: Logger;
  /** Also appends each event as a JSON line to this file, created owner-only (mode 0600). */
  file?: string;
  /** The time of each event; defaults to the system clock. */
  clock?: Clock;
  /**
   * Most events {@link AuditLog.recordLater} holds that are not yet stored, the batch being written
   * included (default 10,000). It bounds both the memory a slow or unreachable database can make
   * the queue take and what a crash can lose. An event over it is left out of the chain (see
   * `recordLater`).
   */
  maxQueuedEvents?: number;
  /** Counts the events `recordLater` could not queue (`gatehouse_audit_events_dropped_total`). */
  metrics?: Pick<Metrics, 'auditEventsDropped'>;
}

/**
 * Default of {@link AuditLogOptions.maxQueuedEvents}: a few megabytes of events, and at the rate
 * one process issues tokens, about a second of them. A store that keeps up holds the queue at
 * about one batch.
 */
const DEFAULT_MAX_QUEUED_EVENTS = 10_000;

/**
 * Most events written by one `appendMany`. A longer queue is written in several batches, one
 * after the other, so no single statement grows with the backlog.
 */
const MAX_BATCH = 500;

export interface AuditLog {
  /**
   * Redacts the event, appends it to the chained log in the database, then writes it to the
   * logger and the file. Throws when the database refuses it (the caller decides whether the
   * action may go ahead unaudited); a failing file is logged, not thrown.
   *
   * @param context who asked; for a log from {@link forRequest}, that request's.
   * @returns the event as stored.
   */
  record(event: AuditEventInput, context?: AuditContext): Promise<AuditEventRecord>;
  /** The same log, recording `context` (a request's id, address, user agent) with every event. */
  forRequest(context: AuditContext): AuditLog;
  /**
   * Records a high-volume event (a token issued) without holding up the response. Events are
   * queued in the order they are recorded and written in batches: whatever is handed over while a
   * write is in flight (or in the same synchronous run) goes to the store in one `appendMany`, then
   * to the logger and the file, in that order. The chain holds them in the order recorded.
   *
   * **What a crash can lose.** The response goes out before its event is stored. A process killed
   * outright (`kill -9`, out of memory) loses the events still queued: those of the last moments
   * before it (while the store keeps up, the batch being written and what came in meanwhile), never
   * more than `maxQueuedEvents`. Those events are not on stdout or in the file either: each sink
   * gets an event once it is stored. (A power loss can also take what the database committed but
   * had not yet written to disk.) The chain itself never forks or breaks: a batch is stored whole
   * or not at all, so what a crash leaves is an unbroken prefix of the log, and
   * `gatehouse audit verify` passes. A stop signal loses nothing: the server {@link flush}es before
   * it exits.
   *
   * **When the store falls behind.** At most `maxQueuedEvents` events wait, the batch being written
   * included. Beyond that an event is left out of the chain, not queued: it goes to the logger
   * (level `error`, `"stored": false`, `"reason": "queue_full"`) and the file at once, and is
   * counted in `gatehouse_audit_events_dropped_total`. Requests are never made to wait for the
   * audit log: the token was already issued, and a store that is down would then hold every
   * request (and its memory) instead of a bounded queue.
   *
   * **When a write fails.** Its events are logged as unstored, as {@link record} does (level
   * `error`, `"stored": false`, also in the file), with one `audit write failed` line for the
   * batch; they are not retried.
   */
  recordLater(event: AuditEventInput, context?: AuditContext): void;
  /** Resolves once every event handed to {@link recordLater} so far is stored or logged as unstored (before shutting down). */
  flush(): Promise<void>;
}

/** Thrown at once for an event a caller built wrongly: it is a bug, not a runtime condition. */
export class InvalidAuditEventError extends TypeError {
  readonly code = 'ERR_INVALID_AUDIT_EVENT';
  constructor(message: string) {
    super(message);
    this.name = 'InvalidAuditEventError';
  }
}

/** Event types: a short dotted or snake_case name, so they can be filtered on (`audit tail --type`). */
export const EVENT_TYPE = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$/;
/** User agents are caller-supplied; a longer one is cut here so no client can bloat the log. */
const MAX_USER_AGENT_LENGTH = 512;

/**
 * The audit log: a structured event for every security-relevant action, with time, type, request
 * id, client, subject, IP, user agent and outcome; never a secret, password, code or token.
 *
 * Sinks: the database (tamper-evident: each event's keyed hash covers the previous event's hash,
 * see `verifyChain`), the pino logger (stdout JSON lines) and, optionally, a JSON-lines file.
 *
 * @example
 * const audit = createAuditLog({ store, secretKeys, logger, file: './data/audit.jsonl' });
 * await audit.record({ type: 'login', outcome: 'failure', subject: 'alice', details: { reason: 'bad_password' } });
 */
export function createAuditLog(options: AuditLogOptions): AuditLog {
  const { store, secretKeys, logger, file, metrics } = options;
  const clock = options.clock ?? systemClock;
  const maxQueued = options.maxQueuedEvents ?? DEFAULT_MAX_QUEUED_EVENTS;
  if (!Number.isSafeInteger(maxQueued) || maxQueued < 1) {
    throw new TypeError(`maxQueuedEvents must be a positive whole number, got ${String(maxQueued)}`);
  }
  const fileSink = file === undefined ? undefined : createFileSink(file, logger);
  /** Each event of a batch hashed with the seq and previous hash the store hands it. */
  const chainOf =
    (events: readonly NewAuditEvent[]) =>
    (prevHash: string, seq: number, index: number): string =>
      auditHash(secretKeys, { ...events[index]!, seq, prevHash });

  /** Writes stored events to the logger and the file, in order. */
  const announce = (stored: readonly AuditEventRecord[]): Promise<void> | undefined => {
    // Logging off (or above info) and no file: no line to build for anyone.
    if (fileSink === undefined && !logger.isLevelEnabled('info')) return undefined;
    const lines = stored.map(auditEventToJson);
    for (const line of lines) logger.info({ audit: true, ...withoutTime(line) }, `audit ${line.type} ${line.outcome}`);
    return fileSink?.(lines);
  };
  /** Not in the chain, but not lost: the other sinks still get the events, marked unstored. */
  const announceUnstored = (events: readonly NewAuditEvent[], fields: { err: unknown } | { reason: 'queue_full' }, note: string): Promise<void> | undefined => {
    const lines = events.map((event) => auditEventToJson({ ...event, seq: null, prevHash: null, hash: null }));
    for (const line of lines) logger.error({ ...fields, audit: true, stored: false, ...withoutTime(line) }, `audit ${line.type} ${line.outcome} (${note})`);
    return fileSink?.(lines);
  };

  // recordLater's queue: `waiting` holds what is not yet taken by a batch; `outstanding` counts it
  // and the batch in flight (the bound applies to both); `accepted` and `settled` count events
  // queued and done, for flush().
  let waiting: NewAuditEvent[] = [];
  let outstanding = 0;
  let accepted = 0;
  let settled = 0;
  let draining = false;
  const flushes: { upTo: number; resolve: () => void }[] = [];

  const writeBatch = async (batch: NewAuditEvent[]): Promise<void> => {
    let stored: AuditEventRecord[];
    try {
      stored = await store.audit.appendMany(batch, chainOf(batch));
    } catch (error) {
      logger.error({ err: error, events: batch.length }, 'audit write failed');
      await announceUnstored(batch, { err: error }, 'not stored');
      return;
    }
    await announce(stored);
  };
  const drain = async (): Promise<void> => {
    // One turn of the microtask queue first: the rest of the synchronous run joins the first batch.
    await Promise.resolve();
    try {
      while (waiting.length > 0) {
        let batch: NewAuditEvent[];
        if (waiting.length <= MAX_BATCH) {
          batch = waiting;
          waiting = [];
        } else {
          batch = waiting.slice(0, MAX_BATCH);
          waiting = waiting.slice(MAX_BATCH);
        }
        try {
          await writeBatch(batch);
        } catch (error) {
          // Only a throwing logger gets here; the queue must go on all the same.
          logger.error({ err: error }, 'audit write failed');
        }
        outstanding -= batch.length;
        settled += batch.length;
        while (flushes.length > 0 && flushes[0]!.upTo <= settled) flushes.shift()!.resolve();
      }
    } finally {
      draining = false;
    }
  };

  const log: AuditLog = {
    recordLater(input, context = {}) {
      let event: NewAuditEvent;
      try {
        event = prepare(input, context, clock.now());
      } catch (error) {
        // A bug in the caller, but the response is already on its way: logged, not thrown.
        logger.error({ err: error }, 'audit write failed');
        return;
      }
      if (outstanding >= maxQueued) {
        metrics?.auditEventsDropped.inc();
        void announceUnstored([event], { reason: 'queue_full' }, 'not stored: audit queue full');
        return;
      }
      waiting.push(event);
      outstanding += 1;
      accepted += 1;
      if (!draining) {
        draining = true;
        void drain();
      }
    },
    async flush() {
      const upTo = accepted;
      if (settled < upTo) await new Promise<void>((resolve) => flushes.push({ upTo, resolve }));
      // Lines of dropped events may still be on their way to the file.
      await fileSink?.([]);
    },
    forRequest(context) {
      return {
        record: (input, given) => log.record(input, given ?? context),
        recordLater: (input, given) => log.recordLater(input, given ?? context),
        flush: () => log.flush(),
        forRequest: (nested) => log.forRequest(nested),
      };
    },
    async record(input, context = {}) {
      const event = prepare(input, context, clock.now());
      let stored: AuditEventRecord;
      try {
        stored = await store.audit.append(event, (prevHash, seq) => auditHash(secretKeys, { ...event, seq, prevHash }));
      } catch (error) {
        await announceUnstored([event], { err: error }, 'not stored');
        throw error;
      }
      await announce([stored]);
      return stored;
    },
  };
  return log;
}

/** An audit event as written to the logs, the file and `audit tail --json`: snake_case, ISO time. */
export interface AuditEventJson {
  seq: number | null;
  time: string;
  type: string;
  outcome: 'success' | 'failure';
  request_id: string | null;
  client_id: string | null;
  subject: string | null;
  ip: string | null;
  user_agent: string | null;
  details: Record<string, Json>;
  prev_hash: string | null;
  hash: string | null;
}

/**
 * The wire form of an event (names stay snake_case at the boundary).
 *
 * @example
 * auditEventToJson(record) // { seq: 3, time: '2025-01-01T00:00:00.000Z', type: 'login', ... }
 */
export function auditEventToJson(event: NewAuditEvent & { seq: number | null; prevHash: string | null; hash: string | null }): AuditEventJson {
  return {
    seq: event.seq,
    time: new Date(event.time).toISOString(),
    type: event.type,
    outcome: event.outcome,
    request_id: event.requestId,
    client_id: event.clientId,
    subject: event.subject,
    ip: event.ip,
    user_agent: event.userAgent,
    details: event.details,
    prev_hash: event.prevHash,
    hash: event.hash,
  };
}

const OUTCOMES: ReadonlySet<unknown> = new Set(['success', 'failure']);

/** The event as it will be stored: checked, redacted, and made of plain JSON. */
function prepare(input: AuditEventInput, context: AuditContext | undefined, time: number): NewAuditEvent {
  if (typeof input.type !== 'string' || !EVENT_TYPE.test(input.type)) {
    throw new InvalidAuditEventError(`audit event type must be a short name like "token.issued", got ${JSON.stringify(input.type)}`);
  }
  // Typed, but integrators' JavaScript reaches here too.
  if (!OUTCOMES.has(input.outcome)) {
    throw new InvalidAuditEventError(`audit event outcome must be "success" or "failure", got ${JSON.stringify(input.outcome)}`);
  }
  const userAgent = text(context?.userAgent);
  return {
    time,
    type: input.type,
    outcome: input.outcome,
    requestId: text(context?.requestId),
    clientId: text(input.clientId),
    subject: text(input.subject),
    ip: text(context?.ip),
    userAgent: userAgent === null ? null : userAgent.slice(0, MAX_USER_AGENT_LENGTH),
    // Through JSON, so what is hashed now is exactly what the database hands back later.
    details: JSON.parse(JSON.stringify(withTraceId(redactDetails(input.details ?? {}), context?.traceId))) as Record<string, Json>,
  };
}

/** The details with the request's trace id (`trace_id`), when it is traced: a detail, so the chain's format is unchanged. */
function withTraceId<T extends object>(details: T, traceId: string | null | undefined): T | (T & { trace_id: string }) {
  return typeof traceId === 'string' && traceId !== '' ? { ...details, trace_id: traceId } : details;
}

/**
 * A text column's value. Lone surrogates and NUL become U+FFFD first: a database would store
 * them differently (or refuse them), and the event would no longer match its hash.
 */
function text(value: string | null | undefined): string | null {
  if (value === undefined || value === null) return null;
  return value.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]|\0/g, '\uFFFD');
}

/** pino writes its own `time`; a second one would make the line's JSON ambiguous. */
function withoutTime(line: AuditEventJson): Omit<AuditEventJson, 'time'> & { event_time: string } {
  const { time, ...rest } = line;
  return { ...rest, event_time: time };
}

/**
 * Appends JSON lines to `file`, in the order events reach it, owner-only: the lines of one call in
 * one write. The file is opened per call, so a rotated file is recreated (0600) by the next event.
 * The promise settles once these lines and all before them are written (or their failure logged);
 * with no lines, it only waits for those before.
 */
function createFileSink(file: string, logger: Logger): (lines: readonly AuditEventJson[]) => Promise<void> {
  let queue: Promise<void> = Promise.resolve();
  let secured = false;
  const write = async (lines: readonly AuditEventJson[]) => {
    if (lines.length === 0) return;
    try {
      if (!secured) await mkdir(dirname(file), { recursive: true, mode: 0o700 });
      await appendFile(file, lines.map((line) => `${JSON.stringify(line)}\n`).join(''), { mode: 0o600 });
      if (!secured) {
        // `mode` only applies when the file is created: also tighten one that was already there.
        await chmod(file, 0o600);
        secured = true;
      }
    } catch (error) {
      logger.error({ err: error, file }, 'audit file sink failed');
    }
  };
  return (lines) => (queue = queue.then(() => write(lines)));
}
