/** The tamper-evident audit log: recording events, and verifying the stored chain. */
export {
  auditEventToJson,
  createAuditLog,
  InvalidAuditEventError,
  type AuditContext,
  type AuditEventInput,
  type AuditEventJson,
  type AuditLog,
  type AuditLogOptions,
} from './audit-log.js';
export {
  AUDIT_CHAIN_PURPOSE,
  auditHash,
  auditHasher,
  canonicalAuditEncoding,
  readAuditLog,
  verifyAuditLog,
  verifyChain,
  type AuditHashFn,
  type ChainProblem,
  type ChainVerification,
  type UnhashedAuditEvent,
} from './chain.js';
export { isSecretKey, looksLikeToken, REDACTED, redactDetails } from './redact.js';
