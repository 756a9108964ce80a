/**
 * The Elastic Common Schema fields Gatehouse writes with GATEHOUSE_LOG_FORMAT=ecs, with their ECS
 * types (ECS 8 field reference, https://www.elastic.co/guide/en/ecs/current/ecs-field-reference.html),
 * and a check of one log line against them. The docs' recipes are checked against the same table.
 */
import { isIP } from 'node:net';
import type { AuditLine } from '../../src/server/audit/ecs.js';

/** ECS field types, as far as a JSON value can show them. */
export type EcsFieldType = 'date' | 'keyword' | 'long' | 'ip' | 'match_only_text' | 'wildcard';

/** Every ECS field Gatehouse emits; its own fields are under `gatehouse.` (see ecs-log.ts). */
const ECS_FIELDS: Readonly<Record<string, EcsFieldType>> = {
  '@timestamp': 'date',
  message: 'match_only_text',
  'log.level': 'keyword',
  'ecs.version': 'keyword',
  'service.name': 'keyword',
  'process.pid': 'long',
  'host.hostname': 'keyword',
  'event.dataset': 'keyword',
  'event.kind': 'keyword',
  'event.category': 'keyword',
  'event.type': 'keyword',
  'event.action': 'keyword',
  'event.outcome': 'keyword',
  'event.sequence': 'long',
  'event.hash': 'keyword',
  'event.reason': 'keyword',
  'user.id': 'keyword',
  'client.ip': 'ip',
  'source.ip': 'ip',
  'user_agent.original': 'keyword',
  'http.request.id': 'keyword',
  'url.path': 'wildcard',
  'trace.id': 'keyword',
  'span.id': 'keyword',
  'error.type': 'keyword',
  'error.message': 'match_only_text',
  'error.stack_trace': 'wildcard',
};

/** ECS allowed values of the categorisation fields. */
const ECS_ALLOWED_VALUES: Readonly<Record<string, readonly string[]>> = {
  'event.kind': ['alert', 'asset', 'enrichment', 'event', 'metric', 'state', 'pipeline_error', 'signal'],
  'event.category': [
    'api',
    'authentication',
    'configuration',
    'database',
    'driver',
    'email',
    'file',
    'host',
    'iam',
    'intrusion_detection',
    'library',
    'malware',
    'network',
    'package',
    'process',
    'registry',
    'session',
    'threat',
    'vulnerability',
    'web',
  ],
  'event.type': [
    'access',
    'admin',
    'allowed',
    'change',
    'connection',
    'creation',
    'deletion',
    'denied',
    'end',
    'error',
    'group',
    'indicator',
    'info',
    'installation',
    'protocol',
    'start',
    'user',
  ],
  'event.outcome': ['failure', 'success', 'unknown'],
};

/** Whether Gatehouse writes `field` in ECS mode: a field of {@link ECS_FIELDS}, or one of its own. */
export function isEmittedEcsField(field: string): boolean {
  return field in ECS_FIELDS || field.startsWith('gatehouse.');
}

/** A line's fields by dotted name, nested objects and dotted keys alike (`gatehouse` kept whole). */
function flattenEcs(value: Record<string, unknown>, prefix = ''): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    const name = `${prefix}${key}`;
    if (name !== 'gatehouse' && inner !== null && typeof inner === 'object' && !Array.isArray(inner))
      Object.assign(out, flattenEcs(inner as Record<string, unknown>, `${name}.`));
    else out[name] = inner;
  }
  return out;
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function shapeProblem(type: EcsFieldType, value: unknown): string | undefined {
  const one = (item: unknown): boolean => {
    switch (type) {
      case 'date':
        return typeof item === 'string' && ISO_DATE.test(item) && !Number.isNaN(Date.parse(item));
      case 'long':
        return typeof item === 'number' && Number.isSafeInteger(item);
      case 'ip':
        return typeof item === 'string' && isIP(item) !== 0;
      default:
        return typeof item === 'string';
    }
  };
  // ECS fields may hold an array of values of their type (event.category, event.type do).
  const ok = Array.isArray(value) ? value.length > 0 && value.every(one) : one(value);
  return ok ? undefined : `not a ${type}: ${JSON.stringify(value)}`;
}

/**
 * What is wrong with one ECS log line: a field outside ECS and not under `gatehouse.`, a value not
 * of its field's type, a categorisation value ECS does not allow, or a required field missing.
 */
export function ecsProblems(line: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const fields = flattenEcs(line);
  for (const required of ['@timestamp', 'ecs.version', 'log.level', 'message']) if (!(required in fields)) problems.push(`${required}: missing`);
  for (const [field, value] of Object.entries(fields)) {
    if (field === 'gatehouse') {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) problems.push('gatehouse: not an object');
      continue;
    }
    if (field.startsWith('gatehouse.')) continue;
    const type = ECS_FIELDS[field];
    if (type === undefined) {
      problems.push(`${field}: not an ECS field Gatehouse declares, nor under gatehouse.`);
      continue;
    }
    const problem = shapeProblem(type, value);
    if (problem) problems.push(`${field}: ${problem}`);
    const allowed = ECS_ALLOWED_VALUES[field];
    const values: unknown[] = Array.isArray(value) ? value : [value];
    if (allowed) for (const item of values) if (!allowed.includes(String(item))) problems.push(`${field}: ${JSON.stringify(item)} is not an ECS allowed value`);
  }
  return problems;
}

/** An audit event as the audit log writes it to stdout, before the ECS mapping: `type` and `outcome`, the rest empty unless given. */
export function auditLine(type: string, outcome: 'success' | 'failure' = 'success', extra: Partial<AuditLine> = {}): AuditLine {
  return {
    seq: 12,
    type,
    outcome,
    request_id: null,
    client_id: null,
    subject: null,
    ip: null,
    user_agent: null,
    details: {},
    prev_hash: null,
    hash: null,
    ...extra,
  };
}
