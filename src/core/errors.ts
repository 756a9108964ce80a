/**
 * The three error families (see STYLE.md "Errors"):
 * - {@link ConfigError}: integrator misuse, a `TypeError` thrown at construction, naming the bad option.
 * - {@link OAuthError}: a protocol error with an RFC error code, an HTTP status and a delivery mode.
 * - anything else: unexpected; logged with a request id and answered as `server_error`.
 */

/**
 * Protocol error codes, grouped by the section that defines them.
 */
export type OAuthErrorCode =
  // RFC 6749 §5.2 (token endpoint) and §4.1.2.1 (authorization endpoint)
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'access_denied'
  | 'unsupported_response_type'
  | 'server_error'
  | 'temporarily_unavailable'
  // RFC 7009 §2.2.1
  | 'unsupported_token_type'
  // RFC 6750 §3.1
  | 'invalid_token'
  | 'insufficient_scope'
  // RFC 8707 §2
  | 'invalid_target'
  // OpenID Connect Core §3.1.2.6
  | 'interaction_required'
  | 'login_required'
  | 'account_selection_required'
  | 'consent_required'
  | 'invalid_request_uri'
  | 'invalid_request_object'
  | 'request_not_supported'
  | 'request_uri_not_supported'
  | 'registration_not_supported'
  // RFC 7591 §3.2.2 (dynamic client registration)
  | 'invalid_redirect_uri'
  | 'invalid_client_metadata'
  | 'invalid_software_statement'
  | 'unapproved_software_statement'

  // RFC 8628 §3.5 (device authorization grant, at the token endpoint)
  | 'authorization_pending'
  | 'slow_down'
  | 'expired_token'
  // RFC 9449 §12.2 (DPoP)
  | 'invalid_dpop_proof'
  | 'use_dpop_nonce';

/** Headers for any response that carries tokens, token metadata or errors about them (RFC 6749 §5.1, RFC 7662 §2.2). */
export const NO_STORE: Readonly<Record<string, string>> = { 'Cache-Control': 'no-store', Pragma: 'no-cache' };

/** Default HTTP status per error code (RFC 6749 §5.2: 400 unless stated). */
const DEFAULT_STATUS: Partial<Record<OAuthErrorCode, number>> = {
  invalid_client: 401,
  invalid_token: 401,
  insufficient_scope: 403,
  server_error: 500,
  temporarily_unavailable: 503,
};

export interface OAuthErrorOptions {
  /** HTTP status; defaults by code. */
  status?: number;
  /** Extra response headers, e.g. `WWW-Authenticate` or `Allow`. */
  headers?: Record<string, string>;
}

/**
 * RFC 6749 §5.2 (and §4.1.2.1): `error_description` is `1*( %x20-21 / %x23-5B / %x5D-7E )`:
 * printable ASCII without `"` and `\`, so it is safe in a JSON string, a query string and a quoted
 * `WWW-Authenticate` parameter alike.
 */
const ERROR_DESCRIPTION = /^[\x20-\x21\x23-\x5B\x5D-\x7E]+$/;

/**
 * Refuses, with a `TypeError` (`ERR_INVALID_ERROR_DESCRIPTION`), a description outside RFC 6749
 * §5.2's characters: every error type that sends one checks it at construction.
 */
export function assertErrorDescription(description: string): void {
  if (!ERROR_DESCRIPTION.test(description)) {
    throw Object.assign(new TypeError('an OAuth error_description must use only the characters RFC 6749 section 5.2 allows'), {
      code: 'ERR_INVALID_ERROR_DESCRIPTION',
    });
  }
}

/**
 * A protocol error answered to the caller as `{ error, error_description }`. The description is
 * fixed text chosen by the server: never the client's input (which could carry a secret, or forge
 * text on an error page). One outside RFC 6749's character set is refused at construction with a
 * `TypeError` (`ERR_INVALID_ERROR_DESCRIPTION`): a bug in the server, caught by the tests, never
 * sent to a client.
 *
 * @example
 * throw new OAuthError('invalid_scope', 'a requested scope is not allowed for this client');
 */
export class OAuthError extends Error {
  readonly error: OAuthErrorCode;
  readonly status: number;
  readonly headers: Record<string, string>;

  constructor(error: OAuthErrorCode, description: string, options: OAuthErrorOptions = {}) {
    assertErrorDescription(description);
    super(description);
    this.name = 'OAuthError';
    this.error = error;
    this.status = options.status ?? DEFAULT_STATUS[error] ?? 400;
    this.headers = options.headers ?? {};
  }

  /** The wire body, RFC 6749 §5.2. */
  toJSON(): { error: OAuthErrorCode; error_description: string } {
    return { error: this.error, error_description: this.message };
  }

  /**
   * The one place a protocol error becomes a Response (server, resource guard and client library
   * alike): `{ error, error_description }` as JSON, never cached, with the error's status and headers.
   */
  toResponse(): Response {
    return new Response(JSON.stringify(this.toJSON()), {
      status: this.status,
      headers: { 'Content-Type': 'application/json; charset=utf-8', ...NO_STORE, ...this.headers },
    });
  }

  /**
   * Library text (a JOSE validation message, say) made fit for an `error_description`: double
   * quotes become single, backslashes slashes, other characters outside RFC 6749 §5.2's set are
   * dropped, at most 200 characters; `fallback` when nothing is left.
   */
  static describe(text: string, fallback: string): string {
    const safe = text
      .replaceAll('"', "'")
      .replaceAll('\\', '/')
      .replace(/[^\x20-\x21\x23-\x5B\x5D-\x7E]/g, '')
      .slice(0, 200)
      .trim();
    return safe || fallback;
  }
}

/** Stable codes for integrator misuse, so callers can branch without parsing messages. */
export type ConfigErrorCode = 'ERR_INVALID_OPTION' | 'ERR_MISSING_SECRET' | 'ERR_INVALID_CONFIG_FILE';

/**
 * Misuse by the integrator, thrown at construction. The message names the offending option path.
 */
export class ConfigError extends TypeError {
  readonly code: ConfigErrorCode;
  /** Dotted path of the offending option, e.g. `tokens.accessTokenTtl`. */
  readonly option: string | undefined;

  constructor(message: string, code: ConfigErrorCode = 'ERR_INVALID_OPTION', option?: string) {
    super(message);
    this.name = 'ConfigError';
    this.code = code;
    this.option = option;
  }
}
