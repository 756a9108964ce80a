import { OAuthError } from '../../core/errors.js';

/** Headers for any response that carries tokens or token metadata (RFC 6749 §5.1, RFC 7662 §2.2). */
export const NO_STORE: Readonly<Record<string, string>> = { 'Cache-Control': 'no-store', Pragma: 'no-cache' };

/** A JSON response. */
export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json; charset=utf-8', ...headers },
  });
}

/** The one place a protocol error becomes a Response: `{ error, error_description }` (RFC 6749 §5.2). */
export function oauthErrorResponse(error: OAuthError): Response {
  return json(error.toJSON(), error.status, { ...NO_STORE, ...error.headers });
}

/** An unexpected failure, answered without internals. The request id lets operators find the log line. */
export function serverErrorResponse(requestId: string): Response {
  return oauthErrorResponse(new OAuthError('server_error', `an unexpected error occurred (request id ${requestId})`));
}
