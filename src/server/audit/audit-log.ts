import { appendFile, chmod, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import { systemClock, type Clock } from '../../core/clock.js';
import type { SecretKeys } from '../../core/secret.js';
import type { AuditEventRecord, Json, Store } from '../../stores/contract.js';
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
}

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
   * Records a high-volume event (a token issued) without holding up the response: appended in
   * order by a queue, so the chain is the same; a failure is logged. {@link flush} waits for it.
   */
  recordLater(event: AuditEventInput, context?: AuditContext): void;
  /** Resolves once every event handed to {@link recordLater} is written (before shutting down). */
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
const EVENT_TYPE = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$/;
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
  const { store, secretKeys, logger, file } = options;
  const clock = options.clock ?? systemClock;
  const fileSink = file === undefined ? undefined : createFileSink(file, logger);

  let queue: Promise<unknown> = Promise.resolve();
  const log: AuditLog = {
    recordLater(input, context = {}) {
      queue = queue.then(() => log.record(input, context)).catch((error: unknown) => logger.error({ err: error }, 'audit write failed'));
    },
    flush: () => queue.then(() => undefined),
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
        // Not in the chain, but not lost: the other sinks still get it, marked unstored.
        const line = auditEventToJson({ ...event, seq: null, prevHash: null, hash: null });
        logger.error({ err: error, audit: true, stored: false, ...withoutTime(line) }, `audit ${event.type} ${event.outcome} (not stored)`);
        await fileSink?.(line);
        throw error;
      }
      const line = auditEventToJson(stored);
      logger.info({ audit: true, ...withoutTime(line) }, `audit ${stored.type} ${stored.outcome}`);
      await fileSink?.(line);
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
export function auditEventToJson(
  event: Omit<AuditEventRecord, 'seq' | 'prevHash' | 'hash'> & { seq: number | null; prevHash: string | null; hash: string | null },
): AuditEventJson {
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
function prepare(input: AuditEventInput, context: AuditContext | undefined, time: number): Omit<AuditEventRecord, 'seq' | 'prevHash' | 'hash'> {
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
    details: JSON.parse(JSON.stringify(redactDetails(input.details ?? {}))) as Record<string, Json>,
  };
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
 * Appends JSON lines to `file`, in the order events reach it, owner-only. The file is opened per
 * event, so a rotated file is recreated (0600) by the next event.
 */
function createFileSink(file: string, logger: Logger): (line: AuditEventJson) => Promise<void> {
  let queue: Promise<void> = Promise.resolve();
  let secured = false;
  const write = async (line: AuditEventJson) => {
    try {
      if (!secured) await mkdir(dirname(file), { recursive: true, mode: 0o700 });
      await appendFile(file, `${JSON.stringify(line)}\n`, { mode: 0o600 });
      if (!secured) {
        // `mode` only applies when the file is created: also tighten one that was already there.
        await chmod(file, 0o600);
        secured = true;
      }
    } catch (error) {
      logger.error({ err: error, file }, 'audit file sink failed');
    }
  };
  return (line) => (queue = queue.then(() => write(line)));
}
