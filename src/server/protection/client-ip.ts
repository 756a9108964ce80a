import { isIP } from 'node:net';
import type { Logger } from 'pino';
import { LOOPBACK_RANGES, normaliseIp, parseIpRanges, type IpRanges } from './ip-ranges.js';

/**
 * The one header family that carries the forwarded-for chain: `X-Forwarded-For` (the de facto
 * standard, what nginx and most load balancers write) or `Forwarded` (RFC 7239). The other family is
 * ignored entirely: a client can send either, and a proxy that maintains one usually passes the
 * other through untouched.
 */
export type ForwardedHeader = 'x-forwarded-for' | 'forwarded';

/** The header families, for validation. */
export const FORWARDED_HEADERS = ['x-forwarded-for', 'forwarded'] as const satisfies readonly ForwardedHeader[];

/**
 * The client's address: the connection's peer, unless that peer is a trusted proxy. Then the
 * forwarded-for chain of `header` is walked from the right, believing only what trusted proxies
 * wrote (RFC 7239 §8.1): the right-most entry was written by the peer, and each trusted hop vouches
 * for the entry to its left. The first hop that is not a trusted proxy is the client. When every hop
 * is trusted, the right-most one is (the left-most could have been written by a client inside a
 * trusted range). An entry that is not an IP literal (`unknown`, an obfuscated `_id`, garbage) ends
 * the walk: the trusted hop that reported it is the client.
 *
 * @example
 * clientIp('10.0.0.1', new Headers({ 'x-forwarded-for': '6.6.6.6, 203.0.113.7' }), parseIpRanges(['10.0.0.0/8'], 'p'))
 * // '203.0.113.7': 6.6.6.6 is what the client claimed, 203.0.113.7 what the proxy saw
 */
export function clientIp(
  remoteAddress: string | undefined,
  headers: Headers,
  trustedProxies: IpRanges,
  header: ForwardedHeader = 'x-forwarded-for',
): string | null {
  const peer = remoteAddress ? normaliseIp(remoteAddress) : null;
  if (!peer || !trustedProxies.has(peer)) return peer;
  const value = headers.get(header);
  const chain = value === null ? [] : header === 'forwarded' ? forwardedFor(value) : xForwardedFor(value);
  let reporter = peer;
  for (let i = chain.length - 1; i >= 0; i -= 1) {
    const hop = chain[i] as string | null;
    if (hop === null) return reporter;
    if (!trustedProxies.has(hop)) return hop;
    reporter = hop;
  }
  return chain.at(-1) ?? peer;
}

/**
 * Whether the request carries `X-Forwarded-For` or `Forwarded` that no trusted proxy vouches for
 * (its peer is not one): it probably came through a proxy that is not configured in
 * `trustedProxies`, so its peer address says nothing about who is asking.
 */
export function hasUnvouchedForwarding(remoteAddress: string | undefined, headers: Headers, trustedProxies: IpRanges): boolean {
  return (headers.has('x-forwarded-for') || headers.has('forwarded')) && !trustedProxies.has(remoteAddress);
}

/**
 * A check to run on every request: the first time a loopback peer sends `X-Forwarded-For` or
 * `Forwarded` while no trusted proxy is configured, it logs one warning — a proxy on the same host
 * seems to be in front, and without `trustedProxies` every client shares its address (rate limits,
 * lockouts, allow-lists, audit). Once per server, which is once per `gatehouse start` process.
 */
export function unconfiguredProxyWarning(
  trustedProxies: IpRanges,
  logger: Pick<Logger, 'warn'>,
): (remoteAddress: string | undefined, headers: Headers) => void {
  let warned = trustedProxies.size > 0;
  return (remoteAddress, headers) => {
    if (warned || !hasUnvouchedForwarding(remoteAddress, headers, trustedProxies) || !LOOPBACK.has(remoteAddress)) return;
    warned = true;
    logger.warn(
      { event: 'proxy.unconfigured', peer: normaliseIp(remoteAddress!) },
      'a request from a loopback address carries X-Forwarded-For or Forwarded, but GATEHOUSE_TRUSTED_PROXIES (protection.trustedProxies) is not set: ' +
        'a reverse proxy seems to be in front, so every client gets its address (rate limits, lockouts, IP allow-lists, audit) and /metrics refuses such requests. ' +
        "Set it to the proxy's address. Logged once.",
    );
  };
}

const LOOPBACK = parseIpRanges(LOOPBACK_RANGES, 'loopback');

/**
 * `X-Forwarded-For` entries, left (client) to right (nearest proxy); `null` for one that is not an
 * IP literal. Several header lines arrive joined with ", "; empty list elements are ignored
 * (RFC 9110 §5.6.1).
 */
function xForwardedFor(value: string): (string | null)[] {
  return value
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map(nodeAddress);
}

/**
 * The `for=` of each `Forwarded` element (RFC 7239 §4), left to right; `null` for an element without
 * exactly one `for`, or whose node is not an IP literal (`unknown`, `_hidden`, §6).
 */
function forwardedFor(value: string): (string | null)[] {
  return splitUnquoted(value, ',')
    .filter((element) => element.trim() !== '')
    .map((element) => {
      const fors = splitUnquoted(element, ';')
        .map((pair) => /^\s*for\s*=\s*(.*?)\s*$/is.exec(pair)?.[1])
        .filter((node) => node !== undefined);
      return fors.length === 1 ? nodeAddress(unquote(fors[0]!)) : null;
    });
}

// A node's optional port: digits, or an obfuscated `_name` (RFC 7239 §6.3).
const BRACKETED_NODE = /^\[([^\]]+)\](?::(?:\d{1,5}|_[\w.-]+))?$/;
const IPV4_NODE = /^(\d{1,3}(?:\.\d{1,3}){3})(?::(?:\d{1,5}|_[\w.-]+))?$/;

/** The address of a node (RFC 7239 §6): `192.0.2.1`, `192.0.2.1:8080`, `[2001:db8::1]:8080`, `2001:db8::1`. */
function nodeAddress(node: string): string | null {
  const address = BRACKETED_NODE.exec(node)?.[1] ?? IPV4_NODE.exec(node)?.[1] ?? node;
  const ip = normaliseIp(address);
  return isIP(ip) === 0 ? null : ip;
}

/** A quoted-string's content (RFC 9110 §5.6.4), or the token as it is. */
function unquote(value: string): string {
  if (!value.startsWith('"')) return value;
  return value.length >= 2 && value.endsWith('"') ? value.slice(1, -1).replace(/\\(.)/g, '$1') : '';
}

/** Splits at `separator` outside quoted strings. */
function splitUnquoted(text: string, separator: ',' | ';'): string[] {
  const parts: string[] = [];
  let quoted = false;
  let start = 0;
  for (let i = 0; i < text.length; i += 1) {
    const char = text[i];
    if (quoted && char === '\\') i += 1;
    else if (char === '"') quoted = !quoted;
    else if (char === separator && !quoted) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}
