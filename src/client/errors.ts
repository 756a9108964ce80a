import * as oauth from 'oauth4webapi';

/**
 * The provider answered with an OAuth error (RFC 6749 §4.1.2.1, §5.2; RFC 6750 §3): the user denied
 * access, the code was bad, the client is misconfigured. `error` is the provider's code, as sent;
 * only when the provider sent none does the client name it from the HTTP answer (see
 * `translateError`).
 */
export class OAuthProviderError extends Error {
  readonly code = 'ERR_OAUTH_PROVIDER';
  readonly error: string;
  readonly errorDescription: string | undefined;
  /** HTTP status of the provider's response; `undefined` for an error redirect (authorization response). */
  readonly status: number | undefined;
  /** `Set-Cookie` values to send with the error response (a failed callback clears its sign-in cookie). */
  setCookies: string[] = [];
  constructor(error: string, errorDescription?: string, status?: number, options?: { cause?: unknown }) {
    super(`the provider answered ${error}${status === undefined ? '' : ` (HTTP ${status})`}${errorDescription ? `: ${errorDescription}` : ''}`, options);
    this.name = 'OAuthProviderError';
    this.error = error;
    this.errorDescription = errorDescription;
    this.status = status;
  }
}

/** Why a response failed validation. */
export type ValidationFailure =
  | 'missing_transaction'
  | 'state_mismatch'
  | 'iss_mismatch'
  | 'nonce_mismatch'
  | 'id_token_invalid'
  | 'invalid_response'
  | 'logout_token_invalid'
  /** DPoP was required (the `dpop` option) and the provider issued a token without `token_type: DPoP` (RFC 9449 §5). */
  | 'dpop_not_bound';

/**
 * A response failed validation: it may be forged, replayed or mixed up (RFC 9700 §4.4, §4.7), or
 * the provider broke the protocol. Never retry blindly; start a new sign-in.
 */
export class OAuthValidationError extends Error {
  readonly code = 'ERR_OAUTH_VALIDATION';
  readonly reason: ValidationFailure;
  /** `Set-Cookie` values to send with the error response (a failed callback clears its sign-in cookie). */
  setCookies: string[] = [];
  constructor(reason: ValidationFailure, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'OAuthValidationError';
    this.reason = reason;
  }
}

/** What the caller knows about the step that failed. */
export interface TranslateContext {
  /**
   * The provider's issuer, when the step validated an authorization response: tells an `iss`
   * failure (RFC 9207) from a `state` one, which oauth4webapi reports with the same code.
   */
  issuer?: string;
}

/**
 * Turns oauth4webapi's errors into the two families above, and returns anything else (a network
 * failure, a bug) as it is, for the caller to throw. Classification uses oauth4webapi's error
 * classes, `code`s and `cause`s only, never message text (not part of its API):
 *
 * - `AuthorizationResponseError`: the error redirect (`error`, `error_description`), no status.
 * - `ResponseBodyError`: a 4xx JSON error body; its `error`, `error_description` and status.
 * - `WWWAuthenticateChallengeError`: a challenge with `error` (RFC 6750 §3) is taken as is; a
 *   challenge without one (Gatehouse's and others' `Basic realm=...` on `401 invalid_client`) gives
 *   way to the JSON body, which oauth4webapi did not read; with neither, the challenge's scheme
 *   says which credential failed: `invalid_token` for Bearer/DPoP, else `invalid_client`.
 * - `RESPONSE_IS_NOT_CONFORM` / `RESPONSE_IS_NOT_JSON` with an HTTP error response: a JSON error
 *   body (a `503 temporarily_unavailable`, which oauth4webapi reads only for 4xx) is the provider's
 *   error; a 5xx without one (an HTML 500 page, a proxy's 502) is `server_error` (503:
 *   `temporarily_unavailable`), the codes RFC 6749 §4.1.2.1 defines for those statuses; a 4xx
 *   without one broke RFC 6749 §5.2: `invalid_response`.
 * - `OperationProcessingError` otherwise: a validation failure, its reason told by code and cause.
 * - `UnsupportedOperationError`: the provider used something the client refuses (an ID-token
 *   algorithm, a token type): a validation failure.
 */
export async function translateError(error: unknown, context: TranslateContext = {}): Promise<unknown> {
  if (error instanceof OAuthProviderError || error instanceof OAuthValidationError) return error;
  if (error instanceof oauth.AuthorizationResponseError) {
    return new OAuthProviderError(error.error, error.error_description, undefined, { cause: error });
  }
  if (error instanceof oauth.ResponseBodyError) {
    return new OAuthProviderError(error.error, error.error_description, error.status, { cause: error });
  }
  if (error instanceof oauth.WWWAuthenticateChallengeError) return fromChallenge(error);
  if (error instanceof oauth.OperationProcessingError) {
    if ((error.code === oauth.RESPONSE_IS_NOT_CONFORM || error.code === oauth.RESPONSE_IS_NOT_JSON) && isResponse(error.cause) && error.cause.status >= 400) {
      return fromHttpError(error, error.cause);
    }
    const [reason, message] = validationFailure(error, context);
    return new OAuthValidationError(reason, message, { cause: error });
  }
  if (error instanceof oauth.UnsupportedOperationError) {
    const idToken = isRecord(error.cause) && 'alg' in error.cause;
    return new OAuthValidationError(idToken ? 'id_token_invalid' : 'invalid_response', `the provider's response is not supported: ${error.message}`, {
      cause: error,
    });
  }
  return error;
}

/** The `error` and `error_description` of an RFC 6749 §5.2 body, when the response has one. */
async function oauthErrorBody(response: Response): Promise<{ error: string; description: string | undefined } | undefined> {
  if (response.bodyUsed) return undefined;
  try {
    // Any content type: some providers label their JSON error bodies text/plain.
    const body: unknown = JSON.parse(await response.text());
    if (!isRecord(body) || typeof body.error !== 'string' || body.error === '') return undefined;
    return { error: body.error, description: typeof body.error_description === 'string' ? body.error_description : undefined };
  } catch {
    return undefined;
  }
}

async function fromChallenge(error: oauth.WWWAuthenticateChallengeError): Promise<OAuthProviderError> {
  const withError = error.cause.find((challenge) => challenge.parameters.error);
  const body = await oauthErrorBody(error.response);
  if (withError) {
    const code = withError.parameters.error!;
    const description = withError.parameters.error_description ?? (body?.error === code ? body.description : undefined);
    return new OAuthProviderError(code, description, error.status, { cause: error });
  }
  if (body) return new OAuthProviderError(body.error, body.description, error.status, { cause: error });
  const bearer = error.cause.some((challenge) => challenge.scheme === 'bearer' || challenge.scheme === 'dpop');
  return new OAuthProviderError(bearer ? 'invalid_token' : 'invalid_client', undefined, error.status, { cause: error });
}

async function fromHttpError(error: oauth.OperationProcessingError, response: Response): Promise<OAuthProviderError | OAuthValidationError> {
  const body = await oauthErrorBody(response);
  if (body) return new OAuthProviderError(body.error, body.description, response.status, { cause: error });
  if (response.status >= 500) {
    return new OAuthProviderError(response.status === 503 ? 'temporarily_unavailable' : 'server_error', undefined, response.status, { cause: error });
  }
  return new OAuthValidationError('invalid_response', `the provider answered HTTP ${response.status} without an OAuth error (RFC 6749 §5.2)`, { cause: error });
}

const ID_TOKEN_CODES = new Set<string>([oauth.JWT_CLAIM_COMPARISON, oauth.JWT_TIMESTAMP_CHECK, oauth.KEY_SELECTION]);

function validationFailure(error: oauth.OperationProcessingError, context: TranslateContext): [ValidationFailure, string] {
  const cause = error.cause;
  if (error.code === oauth.JWT_CLAIM_COMPARISON && isRecord(cause)) {
    if (cause.claim === 'nonce') return ['nonce_mismatch', 'the ID token nonce is not the one this sign-in sent'];
    if (cause.claim === 'iss') return ['iss_mismatch', 'the ID token comes from another issuer'];
  }
  if (error.code !== undefined && ID_TOKEN_CODES.has(error.code)) return ['id_token_invalid', `the ID token is not valid: ${error.message}`];
  if (error.code === oauth.INVALID_RESPONSE) {
    // validateAuthResponse: its causes carry the callback's parameters and what was expected.
    if (isRecord(cause) && cause.parameters instanceof URLSearchParams && !cause.parameters.has('response')) {
      if (!('expected' in cause) || (context.issuer !== undefined && cause.expected === context.issuer)) {
        return ['iss_mismatch', 'the authorization response is not from this provider (RFC 9207 iss)'];
      }
      return ['state_mismatch', 'the authorization response state is not the one this sign-in sent'];
    }
    // A JWT check: the JWS itself (malformed), its header (alg), its claims, or the signature.
    if (typeof cause === 'string' || (isRecord(cause) && ('header' in cause || 'claims' in cause || 'signature' in cause))) {
      return ['id_token_invalid', `the ID token is not valid: ${error.message}`];
    }
  }
  return ['invalid_response', `the provider's response is not valid: ${error.message}`];
}

/**
 * A `Response`, from this realm or another: `@hono/node-server` replaces the global `Response`
 * with its own class, so `instanceof` fails for undici's (oauth4webapi checks the same way).
 */
function isResponse(value: unknown): value is Response {
  return value instanceof Response || Object.prototype.toString.call(value) === '[object Response]';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
