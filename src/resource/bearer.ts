import { BearerTokenError } from './errors.js';

/** RFC 6750 §2.1 `b64token`. */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/**
 * The bearer token of a request, from the `Authorization` header only (RFC 6750 §2.1; the query
 * form is not accepted, §2.3 and RFC 9700 §4.3.2). `undefined` when there is none.
 */
export function bearerTokenOf(request: Request): string | undefined {
  const header = request.headers.get('authorization');
  if (header === null) return undefined;
  const match = BEARER.exec(header);
  if (!match) {
    if (/^bearer\b/i.test(header)) throw new BearerTokenError('invalid_request', 'the Authorization header is not a valid Bearer token');
    throw new BearerTokenError('invalid_request', 'the Authorization header must use the Bearer scheme');
  }
  return match[1]!;
}
