import { pino, type Logger, type LoggerOptions } from 'pino';
import { createLogger, REDACTED_PATHS } from '../../core/logger.js';
import { importOptional } from '../../core/optional-dependency.js';
import { auditEventToEcs, type AuditLine } from '../audit/ecs.js';

/** `GATEHOUSE_LOG_FORMAT`: pino's own JSON lines, or Elastic Common Schema. */
export type LogFormat = 'json' | 'ecs';

/**
 * Fields Gatehouse's log lines carry that ECS has a field for. Any other field goes under
 * `gatehouse.` (ECS leaves that namespace to the application).
 */
const ECS_NAMES: Readonly<Record<string, readonly string[]>> = {
  request_id: ['http.request.id'],
  requestId: ['http.request.id'],
  path: ['url.path'],
  peer: ['client.ip', 'source.ip'],
  trace_id: ['trace.id'],
  span_id: ['span.id'],
  // `event: 'reload.failed'` names what happened; in ECS `event` is an object.
  event: ['event.action'],
};

/** Handled by `@elastic/ecs-pino-format` itself (`err` becomes `error.*`). */
const PASSED_THROUGH = new Set(['err', 'req', 'res']);

/**
 * The fields of one log line in ECS: an audit event through {@link auditEventToEcs}, known fields
 * renamed (see {@link ECS_NAMES}), the rest under `gatehouse`. Already dotted names (`error.*`,
 * `ecs.version`, from the ECS formatter) pass as they are.
 */
function logFieldsToEcs(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const gatehouse: Record<string, unknown> = {};
  let rest = fields;
  if (fields.audit === true && typeof fields.type === 'string') {
    const {
      audit: _audit,
      seq,
      type,
      outcome,
      request_id,
      client_id,
      subject,
      ip,
      user_agent,
      details,
      prev_hash,
      hash,
      event_time,
      trace_id,
      ...others
    } = fields;
    const line = { seq, type, outcome, request_id, client_id, subject, ip, user_agent, details, prev_hash, hash, time: event_time, trace_id } as AuditLine;
    const { gatehouse: auditFields, ...ecs } = auditEventToEcs(line);
    Object.assign(out, ecs);
    Object.assign(gatehouse, auditFields);
    rest = others;
  }
  for (const [key, value] of Object.entries(rest)) {
    if (value === undefined) continue;
    const names = ECS_NAMES[key];
    if (names && (typeof value === 'string' || typeof value === 'number')) for (const name of names) out[name] = value;
    else if (PASSED_THROUGH.has(key) || key.includes('.')) out[key] = value;
    else gatehouse[key] = value;
  }
  if (Object.keys(gatehouse).length > 0) out.gatehouse = gatehouse;
  return out;
}

/**
 * A child logger's bindings in ECS: known fields renamed, the rest as dotted `gatehouse.` names (a
 * `gatehouse` object here would be a second `gatehouse` key in the line). pino writes a child's
 * bindings as they are, past every formatter, so `child` itself is wrapped (see
 * {@link createCommandLogger}).
 */
function bindingsToEcs(bindings: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(bindings)) {
    const names = ECS_NAMES[key];
    if (names && (typeof value === 'string' || typeof value === 'number')) for (const name of names) out[name] = value;
    else if (value !== undefined) out[key.includes('.') ? key : `gatehouse.${key}`] = value;
  }
  return out;
}

/**
 * pino options in ECS: `@elastic/ecs-pino-format`'s (`@timestamp`, `log.level`, `message`,
 * `ecs.version`, `service.name`, `process.pid`, `host.hostname`, `error.*`), with every field of
 * Gatehouse's own put in ECS by {@link logFieldsToEcs}. Redaction applies to the fields as
 * written, so the redacted paths are also blanked under `gatehouse.`.
 */
function ecsLoggerOptions(ecsOptions: LoggerOptions): LoggerOptions {
  const ecsLog = ecsOptions.formatters?.log;
  return {
    ...ecsOptions,
    formatters: {
      ...ecsOptions.formatters,
      log: (fields) => {
        const mapped = logFieldsToEcs(fields);
        return ecsLog ? ecsLog(mapped) : mapped;
      },
    },
    redact: { paths: [...REDACTED_PATHS, ...REDACTED_PATHS.map((path) => `gatehouse.${path}`)], censor: '[redacted]' },
  };
}

/**
 * The logger of `gatehouse start` for `GATEHOUSE_LOG_FORMAT`: {@link createLogger} for `json`;
 * for `ecs`, Elastic Common Schema lines on stdout, `@elastic/ecs-pino-format` being loaded (an
 * optional dependency) only then.
 *
 * @example
 * const logger = await createCommandLogger('info', 'ecs');
 * logger.info({ request_id: 'r1' }, 'hello'); // {"log.level":"info","@timestamp":"…","http.request.id":"r1","message":"hello",…}
 */
export async function createCommandLogger(level: string, format: LogFormat, destination?: NodeJS.WritableStream): Promise<Logger> {
  if (format === 'json') return createLogger(level, destination);
  const { ecsFormat } = await importOptional('@elastic/ecs-pino-format', () => import('@elastic/ecs-pino-format'), 'GATEHOUSE_LOG_FORMAT=ecs');
  const options = ecsLoggerOptions(ecsFormat({ serviceName: 'gatehouse', convertErr: true, convertReqRes: false }));
  const logger = destination ? pino({ ...options, level }, destination) : pino({ ...options, level });
  // A child is made from its parent by Object.create, so every descendant inherits this `child`.
  const { child } = Object.getPrototypeOf(logger) as Pick<Logger, 'child'>;
  logger.child = function ecsChild(this: Logger, bindings, childOptions) {
    return child.call(this, bindingsToEcs(bindings), childOptions);
  } as Logger['child'];
  return logger;
}
