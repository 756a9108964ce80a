import * as oauth from 'oauth4webapi';

/**
 * The provider answered with an OAuth error (RFC 6749 §4.1.2.1, §5.2): the user denied access, the
 * code was bad, the client is misconfigured. `error` is the provider's code, as sent.
 */
export class OAuthProviderError extends Error {
  readonly code = 'ERR_OAUTH_PROVIDER';
  readonly error: string;
  readonly errorDescription: string | undefined;
  /** HTTP status of the provider's response, when it was an HTTP error. */
  readonly status: number | undefined;
  /** `Set-Cookie` values to send with the error response (a failed callback clears its sign-in cookie). */
  setCookies: string[] = [];
  constructor(error: string, errorDescription?: string, status?: number, options?: { cause?: unknown }) {
    super(`the provider answered ${error}${errorDescription ? `: ${errorDescription}` : ''}`, options);
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
  | 'logout_token_invalid';

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

/** Turns oauth4webapi's errors into the two families above; anything else is rethrown as is. */
export function translateError(error: unknown): never {
  if (error instanceof oauth.AuthorizationResponseError) {
    throw new OAuthProviderError(error.error, error.error_description, undefined, { cause: error });
  }
  if (error instanceof oauth.ResponseBodyError) {
    throw new OAuthProviderError(error.error, error.error_description, error.status, { cause: error });
  }
  if (error instanceof oauth.WWWAuthenticateChallengeError) {
    const challenge = error.cause[0];
    const code = challenge?.parameters.error ?? 'invalid_request';
    throw new OAuthProviderError(code, challenge?.parameters.error_description, error.status, { cause: error });
  }
  if (error instanceof oauth.OperationProcessingError) {
    throw new OAuthValidationError(failureOf(error), error.message, { cause: error });
  }
  throw error;
}

function failureOf(error: oauth.OperationProcessingError): ValidationFailure {
  const message = error.message;
  if (message.includes('"state"')) return 'state_mismatch';
  if (message.includes('"iss"')) return 'iss_mismatch';
  if (message.includes('"nonce"')) return 'nonce_mismatch';
  if (error.code === oauth.JWT_CLAIM_COMPARISON || error.code === oauth.JWT_TIMESTAMP_CHECK || error.code === oauth.KEY_SELECTION || /JWT|ID Token|id_token|alg/.test(message)) {
    return 'id_token_invalid';
  }
  return 'invalid_response';
}
