import type { ClientRecord } from '../../stores/contract.js';

/** `http://` and a loopback IP literal, with any port (or none): the part RFC 8252 §7.3 lets vary is the port. */
const LOOPBACK_AUTHORITY = /^http:\/\/(127\.0\.0\.1|\[::1\])(?::\d{1,5})?(?=[/?#]|$)/;

/**
 * Whether `requested` is one of the client's registered redirect URIs: exact string match
 * (RFC 9700 §4.1.3, OAuth 2.1 §2.3.1). The one exception is RFC 8252 §7.3: for native (public)
 * clients a loopback IP redirect URI matches with any port.
 */
export function matchRedirectUri(client: ClientRecord, requested: string): boolean {
  if (client.redirectUris.includes(requested)) return true;
  // A URI at all (a port of 65536 or more is not one), then `http://` and a loopback IP literal.
  if (client.tokenEndpointAuthMethod !== 'none' || !URL.canParse(requested)) return false;
  const requestedRest = withoutLoopbackAuthority(requested);
  if (requestedRest === undefined) return false;
  // Same URI once the port is ignored (an explicit `:80` included): no other difference is allowed.
  return client.redirectUris.some((registered) => {
    const rest = withoutLoopbackAuthority(registered);
    return rest?.host === requestedRest.host && rest.rest === requestedRest.rest;
  });
}

/** The loopback host and what follows the port, as written; `undefined` when not a loopback http URI. */
function withoutLoopbackAuthority(uri: string): { host: string; rest: string } | undefined {
  const match = LOOPBACK_AUTHORITY.exec(uri);
  return match ? { host: match[1]!, rest: uri.slice(match[0].length) } : undefined;
}
