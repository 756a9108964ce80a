import { randomBytes } from 'node:crypto';

/** Base64url without padding (RFC 4648 §5), as used across JOSE and OAuth. */
function base64url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64url');
}

/**
 * An unguessable token with `bytes` of entropy (default 32 bytes = 256 bits),
 * base64url-encoded. Used for client secrets, ids of single-use artifacts and jti values.
 */
export function randomToken(bytes = 32): string {
  return base64url(randomBytes(bytes));
}
