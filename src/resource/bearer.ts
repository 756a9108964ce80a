import { DPOP_AUTHORIZATION } from '../core/dpop.js';
import { BearerTokenError } from './errors.js';

/** RFC 6750 §2.1 `b64token`. */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/**
 * The access token of a request and its scheme, from the `Authorization` header only: `Bearer`
 * (RFC 6750 §2.1; the query form is not accepted, §2.3 and RFC 9700 §4.3.2) or `DPoP` (RFC 9449
 * §7.1). `undefined` when there is none.
 */
export function presentedTokenOf(request: Request): { token: string; scheme: 'Bearer' | 'DPoP' } | undefined {
  const header = request.headers.get('authorization');
  if (header === null) return undefined;
  const dpop = DPOP_AUTHORIZATION.exec(header);
  if (dpop) return { token: dpop[1]!, scheme: 'DPoP' };
  const match = BEARER.exec(header);
  if (!match) {
    if (/^(bearer|dpop)\b/i.test(header)) throw new BearerTokenError('invalid_request', 'the Authorization header is not a valid Bearer or DPoP token');
    throw new BearerTokenError('invalid_request', 'the Authorization header must use the Bearer or DPoP scheme');
  }
  return { token: match[1]!, scheme: 'Bearer' };
}
