import { bearerChallenge } from '../core/bearer-challenge.js';
import { dpopChallenge } from '../core/dpop.js';
import { assertErrorDescription, OAuthError } from '../core/errors.js';

/**
 * Which schemes a guard's challenges offer (RFC 9449 §7.1): Bearer unless DPoP is required; DPoP
 * when the guard is configured for it (`dpop`), and in any case for an error about DPoP.
 */
export interface ChallengeSchemes {
  bearer: boolean;
  dpop: boolean;
  /** `algs` of the DPoP challenge. */
  dpopAlgorithms: readonly string[];
}

/**
 * An RFC 6750 §3 bearer-token error, or an RFC 9449 §7.1 DPoP one: status, `error` code and the
 * `WWW-Authenticate` challenge. `error` is `undefined` when the request carried no credentials at
 * all (§3.1: no error information then). `scheme` is the scheme the error belongs to (the one the
 * request used); `dpopNonce`, for `use_dpop_nonce`, the nonce to retry with (§9).
 */
export class BearerTokenError extends Error {
  readonly code = 'ERR_BEARER_TOKEN';
  readonly error: 'invalid_request' | 'invalid_token' | 'insufficient_scope' | 'invalid_dpop_proof' | 'use_dpop_nonce' | undefined;
  readonly status: 400 | 401 | 403;
  /** For `insufficient_scope`: the scopes the request needs. */
  readonly scope: string[] | undefined;
  readonly scheme: 'Bearer' | 'DPoP';
  readonly dpopNonce: string | undefined;
  /** Offer the DPoP scheme in the challenge whatever the guard's settings (a bound token sent as Bearer). */
  readonly offerDpop: boolean;

  constructor(
    error: BearerTokenError['error'],
    description: string,
    scope?: string[],
    options: { scheme?: 'Bearer' | 'DPoP'; dpopNonce?: string | undefined; offerDpop?: boolean } = {},
  ) {
    // Refused at construction, as OAuthError does: the text goes into a header and a JSON body.
    assertErrorDescription(description);
    super(description);
    this.name = 'BearerTokenError';
    this.error = error;
    this.status = error === 'invalid_request' ? 400 : error === 'insufficient_scope' ? 403 : 401;
    this.scope = scope;
    this.scheme = options.scheme ?? 'Bearer';
    this.dpopNonce = options.dpopNonce;
    this.offerDpop = options.offerDpop ?? false;
  }

  /**
   * The `WWW-Authenticate` value (RFC 6750 §3, RFC 9449 §7.1: one challenge per scheme the guard
   * accepts, the error in the scheme it belongs to), with `resource_metadata` (RFC 9728 §5.1) when
   * the URL of the resource's metadata document is given.
   */
  challenge(realm: string, resourceMetadata?: string, schemes?: ChallengeSchemes): string {
    const bearerError = this.scheme === 'Bearer';
    const error = this.error === 'invalid_dpop_proof' || this.error === 'use_dpop_nonce' ? undefined : this.error;
    const bearer = bearerChallenge({
      realm,
      ...(bearerError ? { error, description: this.message, scope: this.scope } : {}),
      resourceMetadata,
    });
    if (!bearerError || this.offerDpop || schemes?.dpop === true) {
      // DPoP required: Bearer is offered only to say what was wrong with a request that used it.
      const dpopOnly = schemes?.bearer === false && !(bearerError && this.error !== undefined);
      const dpop = dpopChallenge({
        realm,
        ...(bearerError || this.error === undefined ? {} : { error: this.error, description: this.message, scope: this.scope }),
        ...(dpopOnly ? { resourceMetadata } : {}),
        ...(schemes ? { algs: schemes.dpopAlgorithms } : {}),
      });
      return dpopOnly ? dpop : `${bearer}, ${dpop}`;
    }
    return bearer;
  }

  /** The error as a Response: the challenge header (and `DPoP-Nonce`) and, except for a bare 401, a JSON body. */
  toResponse(realm: string, resourceMetadata?: string, schemes?: ChallengeSchemes): Response {
    const headers: Record<string, string> = {
      'WWW-Authenticate': this.challenge(realm, resourceMetadata, schemes),
      'Cache-Control': 'no-store',
      ...(this.dpopNonce !== undefined ? { 'DPoP-Nonce': this.dpopNonce } : {}),
    };
    if (!this.error) return new Response(null, { status: 401, headers });
    return new OAuthError(this.error, this.message, { status: this.status, headers }).toResponse();
  }
}
