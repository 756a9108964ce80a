import type { Json } from '../../stores/contract.js';
import type { AuditEventInput } from './audit-log.js';

/** Fields of an audit event as the endpoints name them: the client, the user, and the rest. */
export interface AuditFields {
  client_id?: string | null | undefined;
  sub?: string | null | undefined;
  [detail: string]: Json | undefined;
}

/** Event types that record something refused or detected. */
const FAILURE = /(failed|denied|hit|refused|detected|invalid)$/;

/** An audit event from a type and its fields; the outcome follows from the type's name. */
export function auditEvent(type: string, fields: AuditFields = {}): AuditEventInput {
  const { client_id: clientId, sub, ...details } = fields;
  return {
    type,
    outcome: FAILURE.test(type) ? 'failure' : 'success',
    ...(clientId ? { clientId } : {}),
    ...(sub ? { subject: sub } : {}),
    details,
  };
}
