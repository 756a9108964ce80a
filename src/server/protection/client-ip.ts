import { isIP } from 'node:net';
import { normaliseIp, type IpRanges } from './ip-ranges.js';

/**
 * The client's address. The peer of the connection, unless that peer is a trusted proxy: then the
 * right-most address in `Forwarded` (RFC 7239) or `X-Forwarded-For` that is not itself a trusted
 * proxy. Those headers are never believed from anyone else — by default from no one — since any
 * client can send them.
 */
export function clientIp(remoteAddress: string | undefined, headers: Headers, trustedProxies: IpRanges): string | null {
  const peer = remoteAddress ? normaliseIp(remoteAddress) : null;
  if (!peer || !trustedProxies.has(peer)) return peer;
  const chain = forwardedChain(headers);
  for (let i = chain.length - 1; i >= 0; i -= 1) {
    const hop = chain[i]!;
    if (!trustedProxies.has(hop)) return hop;
  }
  return chain[0] ?? peer;
}

/** The forwarded-for chain, left (client) to right (nearest proxy), valid IP literals only. */
function forwardedChain(headers: Headers): string[] {
  const forwarded = headers.get('forwarded');
  const raw = forwarded
    ? [...forwarded.matchAll(/for=("?)\[?([^\]",;]+)\]?(?::\d+)?\1/gi)].map((match) => match[2]!)
    : (headers.get('x-forwarded-for') ?? '').split(',').map((part) => part.trim());
  return raw.map(normaliseIp).filter((address) => isIP(address) !== 0);
}
