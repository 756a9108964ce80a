import { bearerChallenge } from '../core/bearer-challenge.js';
import { assertErrorDescription, OAuthError } from '../core/errors.js';

/**
 * An RFC 6750 §3 bearer-token error: status, `error` code and the `WWW-Authenticate` challenge.
 * `error` is `undefined` when the request carried no credentials at all (§3.1: no error information then).
 */
export class BearerTokenError extends Error {
  readonly code = 'ERR_BEARER_TOKEN';
  readonly error: 'invalid_request' | 'invalid_token' | 'insufficient_scope' | undefined;
  readonly status: 400 | 401 | 403;
  /** For `insufficient_scope`: the scopes the request needs. */
  readonly scope: string[] | undefined;

  constructor(error: BearerTokenError['error'], description: string, scope?: string[]) {
    // Refused at construction, as OAuthError does: the text goes into a header and a JSON body.
    assertErrorDescription(description);
    super(description);
    this.name = 'BearerTokenError';
    this.error = error;
    this.status = error === 'invalid_request' ? 400 : error === 'insufficient_scope' ? 403 : 401;
    this.scope = scope;
  }

  /**
   * The `WWW-Authenticate` value (RFC 6750 §3), with `resource_metadata` (RFC 9728 §5.1) when the
   * URL of the resource's metadata document is given.
   */
  challenge(realm: string, resourceMetadata?: string): string {
    return bearerChallenge({ realm, error: this.error, description: this.message, scope: this.scope, resourceMetadata });
  }

  /** The error as a Response: the challenge header and, except for a bare 401, a JSON body. */
  toResponse(realm: string, resourceMetadata?: string): Response {
    const headers = { 'WWW-Authenticate': this.challenge(realm, resourceMetadata), 'Cache-Control': 'no-store' };
    if (!this.error) return new Response(null, { status: 401, headers });
    return new OAuthError(this.error, this.message, { status: this.status, headers }).toResponse();
  }
}
