import type { ClientRecord } from '../../stores/contract.js';

const LOOPBACK_IP = new Set(['127.0.0.1', '[::1]']);

/**
 * Whether `requested` is one of the client's registered redirect URIs: exact string match
 * (RFC 9700 §4.1.3, OAuth 2.1 §2.3.1). The one exception is RFC 8252 §7.3: for native (public)
 * clients a loopback IP redirect URI matches with any port.
 */
export function matchRedirectUri(client: ClientRecord, requested: string): boolean {
  if (client.redirectUris.includes(requested)) return true;
  if (client.tokenEndpointAuthMethod !== 'none' || !URL.canParse(requested)) return false;
  const url = new URL(requested);
  if (url.protocol !== 'http:' || !LOOPBACK_IP.has(url.hostname)) return false;
  return client.redirectUris.some((registered) => {
    if (!URL.canParse(registered)) return false;
    const candidate = new URL(registered);
    return (
      candidate.protocol === 'http:' &&
      candidate.hostname === url.hostname &&
      candidate.pathname === url.pathname &&
      candidate.search === url.search &&
      // Same URI once the port is ignored: no other difference is allowed.
      registered.replace(`//${candidate.host}`, '') === requested.replace(`//${url.host}`, '')
    );
  });
}
