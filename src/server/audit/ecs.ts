import type { Json } from '../../stores/contract.js';
import type { AuditEventJson } from './audit-log.js';

/** ECS `event.category` values Gatehouse uses (ECS 8, "allowed values"). */
export type EcsCategory = 'authentication' | 'configuration' | 'iam' | 'intrusion_detection' | 'network' | 'session';

/** ECS `event.type` values Gatehouse uses (ECS 8, "allowed values"). */
export type EcsType = 'admin' | 'change' | 'creation' | 'deletion' | 'denied' | 'end' | 'info' | 'start' | 'user';

/**
 * The ECS `event.category` and `event.type` of each Gatehouse event type: an exact type, or a
 * prefix ending in `.`; the first row that matches wins, so exact types come before their prefix.
 * Every type pairs only with categories that ECS allows it for (`iam` has no `denied`, so a refused
 * sign-up is a `creation` with `event.outcome: failure`).
 */
export const ECS_EVENT_KINDS: readonly (readonly [pattern: string, category: readonly EcsCategory[], type: readonly EcsType[]])[] = [
  ['login.email_code_sent', ['authentication'], ['info']],
  ['login.', ['authentication'], ['start']],
  ['logout', ['authentication', 'session'], ['end']],
  // OpenID Connect Back-Channel Logout: a client told (or, after the last attempt, not) that a session ended.
  ['logout.backchannel_delivered', ['session'], ['end']],
  ['logout.backchannel_failed', ['session'], ['end']],
  ['mfa.enrolled', ['iam'], ['user', 'change']],
  ['mfa.factor_removed', ['iam'], ['user', 'change']],
  ['mfa.reset', ['iam'], ['user', 'change']],
  ['mfa.recovery_codes_regenerated', ['iam'], ['user', 'change']],
  ['mfa.', ['authentication'], ['info']],
  ['upstream.signed_in', ['authentication'], ['start']],
  // The device flow (RFC 8628): a device asks, and the user's decision on it.
  ['device.authorization_requested', ['authentication'], ['start']],
  ['device.authorization_approved', ['authentication'], ['info']],
  ['device.authorization_denied', ['authentication'], ['info']],
  // A pushed authorization request (RFC 9126): a client asked for a sign-in to start.
  ['authorization.pushed', ['authentication'], ['start']],
  ['upstream.validation_failed', ['authentication'], ['start']],
  ['upstream.user_created', ['iam'], ['user', 'creation']],
  ['upstream.', ['iam'], ['user', 'change']],
  ['signup.', ['iam'], ['user', 'creation']],
  ['user.signed_up', ['iam'], ['user', 'creation']],
  ['user.created', ['iam'], ['user', 'creation']],
  ['user.invited', ['iam'], ['user', 'creation']],
  ['invitation.accepted', ['iam'], ['user', 'creation']],
  ['user.deleted', ['iam'], ['user', 'deletion']],
  ['user.removed', ['iam'], ['user', 'deletion']],
  ['user.delete_failed', ['iam'], ['user', 'deletion']],
  ['user.sessions_revoked', ['session'], ['end']],
  ['account.exported', ['iam'], ['user', 'info']],
  ['email.verification_sent', ['iam'], ['user', 'info']],
  ['password.reset_requested', ['iam'], ['user', 'info']],
  ['user.', ['iam'], ['user', 'change']],
  ['password.', ['iam'], ['user', 'change']],
  ['email.', ['iam'], ['user', 'change']],
  ['profile.', ['iam'], ['user', 'change']],
  ['invitation.', ['iam'], ['user', 'change']],
  ['client.authentication_failed', ['authentication'], ['start']],
  ['client.address_refused', ['network'], ['denied']],
  ['client.created', ['configuration'], ['creation']],
  ['client.registered', ['configuration'], ['creation']],
  ['client.removed', ['configuration'], ['deletion']],
  ['client.registration_deleted', ['configuration'], ['deletion']],
  ['registration.token_issued', ['configuration'], ['creation']],
  ['registration.token_revoked', ['configuration'], ['deletion']],
  ['client.', ['configuration'], ['change']],
  ['keys.', ['configuration'], ['change']],
  ['token.issued', ['session'], ['start']],
  // Token exchange (RFC 8693): a token issued, or refused (outcome failure).
  ['token.exchanged', ['session'], ['start']],
  ['token.exchange_refused', ['session'], ['start']],
  // RFC 9449: a DPoP proof refused (bounded per address, as client authentication failures).
  ['token.dpop_proof_refused', ['authentication'], ['start']],
  ['token.', ['session'], ['end']],
  ['session.', ['session'], ['end']],
  ['consent.', ['iam'], ['change']],
  // The admin API (issue 18): the acting client is the event's client_id; what it acted on is in details.
  ['admin.client_created', ['configuration'], ['creation']],
  ['admin.client_removed', ['configuration'], ['deletion']],
  ['admin.client_shown', ['configuration'], ['info']],
  ['admin.client_', ['configuration'], ['change']],
  ['admin.user_created', ['iam'], ['user', 'creation']],
  ['admin.user_removed', ['iam'], ['user', 'deletion']],
  ['admin.user_shown', ['iam'], ['user', 'info']],
  ['admin.user_sessions_revoked', ['session'], ['end']],
  ['admin.user_', ['iam'], ['user', 'change']],
  ['admin.request_refused', ['iam'], ['admin']],
  ['admin.registration_token_issued', ['configuration'], ['creation']],
  ['admin.registration_token_revoked', ['configuration'], ['deletion']],
  ['admin.', ['configuration'], ['info']],
  ['code.replay_detected', ['intrusion_detection'], ['denied']],
  ['refresh.reuse_detected', ['intrusion_detection'], ['denied']],
  ['rate_limit.', ['intrusion_detection'], ['denied']],
];

/** An audit event as the logger gets it: the wire form, with the trace id when one is known. */
export type AuditLine = Omit<AuditEventJson, 'time'> & { time?: string; trace_id?: string | null };

/** The ECS fields of one audit event: dotted ECS names, and what ECS has no field for under `gatehouse`. */
export interface EcsAuditFields {
  'event.kind': 'event';
  'event.category'?: EcsCategory[];
  'event.type': EcsType[];
  'event.action': string;
  'event.outcome': 'success' | 'failure';
  'event.sequence'?: number;
  'event.hash'?: string;
  'event.reason'?: string;
  'user.id'?: string;
  'client.ip'?: string;
  'source.ip'?: string;
  'user_agent.original'?: string;
  'http.request.id'?: string;
  'trace.id'?: string;
  gatehouse: { audit: true; client_id?: string; time?: string; prev_hash?: string; details: Record<string, Json> };
}

/**
 * An audit event in Elastic Common Schema: `event.*` from its type (see {@link ECS_EVENT_KINDS}),
 * outcome and place in the chain, the user, address, user agent and request in their ECS fields,
 * and the rest (the OAuth client, the details, the previous hash) under `gatehouse`. A field with no
 * value is left out.
 *
 * @example
 * auditEventToEcs({ seq: 7, type: 'login.failed', outcome: 'failure', ip: '203.0.113.7', ... })
 * // { 'event.kind': 'event', 'event.category': ['authentication'], 'event.type': ['start'],
 * //   'event.action': 'login.failed', 'event.outcome': 'failure', 'event.sequence': 7, 'client.ip': '203.0.113.7', ... }
 */
export function auditEventToEcs(line: AuditLine): EcsAuditFields {
  const row = ECS_EVENT_KINDS.find(([pattern]) => (pattern.endsWith('.') ? line.type.startsWith(pattern) : line.type === pattern));
  const reason = line.details.reason;
  const traceId = line.trace_id ?? (typeof line.details.trace_id === 'string' ? line.details.trace_id : undefined);
  const gatehouse: EcsAuditFields['gatehouse'] = {
    audit: true,
    ...(line.client_id ? { client_id: line.client_id } : {}),
    ...(line.time ? { time: line.time } : {}),
    ...(line.prev_hash ? { prev_hash: line.prev_hash } : {}),
    details: line.details,
  };
  return {
    'event.kind': 'event',
    ...(row ? { 'event.category': [...row[1]] } : {}),
    'event.type': row ? [...row[2]] : ['info'],
    'event.action': line.type,
    'event.outcome': line.outcome,
    ...(line.seq !== null ? { 'event.sequence': line.seq } : {}),
    ...(line.hash ? { 'event.hash': line.hash } : {}),
    ...(typeof reason === 'string' ? { 'event.reason': reason } : {}),
    ...(line.subject ? { 'user.id': line.subject } : {}),
    ...(line.ip ? { 'client.ip': line.ip, 'source.ip': line.ip } : {}),
    ...(line.user_agent ? { 'user_agent.original': line.user_agent } : {}),
    ...(line.request_id ? { 'http.request.id': line.request_id } : {}),
    // The request's trace id: a detail of the event (see audit-log.ts), or given with the line.
    ...(traceId ? { 'trace.id': traceId } : {}),
    gatehouse,
  };
}
