import { OAuthError } from '../core/errors.js';

/** A scope token: RFC 6749 §3.3 `scope-token = 1*( %x21 / %x23-5B / %x5D-7E )`. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/** Splits a space-delimited scope string into unique tokens, in order. */
export function parseScope(scope: string | undefined): string[] {
  if (scope === undefined) return [];
  const tokens = scope.split(' ').filter((token) => token !== '');
  for (const token of tokens) {
    if (!SCOPE_TOKEN.test(token)) throw new OAuthError('invalid_scope', 'scope holds a token that is not a valid scope token (RFC 6749 section 3.3)');
  }
  return [...new Set(tokens)];
}

/** True when every scope token is valid (RFC 6749 §3.3). */
export function isValidScopeToken(token: string): boolean {
  return SCOPE_TOKEN.test(token);
}

/**
 * The scopes to grant: those requested, all of which must be allowed; or, when the client named
 * none, the allowed set (RFC 6749 §3.3 permits a pre-defined default).
 */
export function grantableScope(requested: string[], allowed: string[]): string[] {
  if (requested.length === 0) return allowed;
  const refused = requested.filter((scope) => !allowed.includes(scope));
  if (refused.length > 0) {
    throw new OAuthError('invalid_scope', 'a requested scope is not allowed for this client');
  }
  return requested;
}
