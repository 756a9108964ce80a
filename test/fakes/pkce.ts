import { createHash, randomBytes } from 'node:crypto';

/** RFC 7636 §4.6: does `verifier` match the S256 (or plain) `challenge`? */
export function pkceMatches(challenge: string, method: string, verifier: string | null | undefined): boolean {
  if (!verifier || !/^[A-Za-z0-9\-._~]{43,128}$/.test(verifier)) return false;
  if (method === 'plain') return verifier === challenge;
  return createHash('sha256').update(verifier).digest('base64url') === challenge;
}

/** An opaque random token with a provider-style prefix (`gho_`, `ya29.`...). */
export function opaqueToken(prefix: string, bytes = 24): string {
  return `${prefix}${randomBytes(bytes).toString('base64url')}`;
}
