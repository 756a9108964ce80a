import { OAuthError } from '../../core/errors.js';

export { NO_STORE } from '../../core/errors.js';

/** A JSON response. */
export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json; charset=utf-8', ...headers },
  });
}

/** A protocol error as a Response: `{ error, error_description }` (RFC 6749 §5.2), see {@link OAuthError.toResponse}. */
export function oauthErrorResponse(error: OAuthError): Response {
  return error.toResponse();
}

/** An unexpected failure, answered without internals. The request id lets operators find the log line. */
/** The description of every `404` for a path the server does not serve (clients may tell it from a missing record by it). */
export const NO_ENDPOINT = 'no endpoint at this path';

/** `404` `invalid_request` for a path the server does not serve (or hides from this caller, as `/metrics` does). */
export function notFoundResponse(): Response {
  return oauthErrorResponse(new OAuthError('invalid_request', NO_ENDPOINT, { status: 404 }));
}

export function serverErrorResponse(requestId: string): Response {
  return oauthErrorResponse(new OAuthError('server_error', `an unexpected error occurred (request id ${requestId})`));
}

export interface RedirectOptions {
  /** `Set-Cookie` values sent with the redirect. */
  cookies?: readonly string[];
  /** Further headers (e.g. `Referrer-Policy` on a redirect that carries a code). */
  headers?: Record<string, string>;
}

/**
 * A 303 See Other to `location`, never cached. 303, not 302: the browser follows with GET, so a
 * posted form is not posted again (RFC 9110 §15.4.4; RFC 9700 §4.11 for authorization responses).
 */
export function redirect(location: string, { cookies = [], headers = {} }: RedirectOptions = {}): Response {
  const result = new Headers({ Location: location, 'Cache-Control': 'no-store', ...headers });
  for (const cookie of cookies) result.append('Set-Cookie', cookie);
  return new Response(null, { status: 303, headers: result });
}
