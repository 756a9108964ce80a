/**
 * The one way the server fetches a URL that someone else chose (a client's metadata document,
 * later a client's `jwks_uri`), or sends to one (a client's `backchannel_logout_uri`, {@link postForm}):
 * defended against server-side request forgery.
 *
 * - `https` only (`http` only where a test or development setting allows it); no userinfo.
 * - The host is resolved here, and the fetch is refused when ANY of its addresses is special-use
 *   (RFC 6890 and its successors: private, loopback, link-local, unique-local, CGNAT, multicast,
 *   unspecified, documentation, reserved; IPv4-mapped IPv6 judged as the IPv4 address it carries),
 *   unless the address is on an explicit allow-list (tests and development only).
 * - DNS-rebinding safe: the connection goes to the address that was checked (the socket's `lookup`
 *   answers with it), while TLS SNI, certificate checks and `Host` keep the hostname.
 * - No redirect is followed (a 3xx is an error), only `200` is an answer, one deadline covers the
 *   whole exchange, the body is capped while it streams, and the media type must be JSON.
 *
 * Failures are {@link SafeFetchError}s with a stable `code` and a message that never holds the URL
 * or anything the other side sent, so callers can log them and map them to protocol errors.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { request as httpRequest, type ClientRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { endClientSpan, startClientSpan } from '../../core/tracing.js';
import { normaliseIp, type IpRanges } from '../protection/ip-ranges.js';

/** Why a fetch was refused or failed. Stable: callers map these to their own errors. */
export type SafeFetchErrorCode =
  /** Not an absolute `https` URL (or `http` where allowed), or it carries a username or password. */
  | 'url_refused'
  /** The host is, or resolves to, a special-use address that is not allowed. */
  | 'address_refused'
  /** The host name did not resolve. */
  | 'dns_failed'
  /** Connecting, TLS or the exchange failed. */
  | 'network_error'
  /** The deadline passed before the whole answer arrived. */
  | 'timeout'
  /** The answer was a redirect, which is never followed. */
  | 'redirect'
  /** The answer's status was not 200. */
  | 'bad_status'
  /** The answer was not `application/json` (or `application/*+json`), or was encoded (compressed). */
  | 'bad_content_type'
  /** The answer was larger than allowed. */
  | 'too_large'
  /** The body was not JSON. */
  | 'invalid_json';

/** A refused or failed fetch. `message` says which rule, never the URL or what was received. */
export class SafeFetchError extends Error {
  readonly code: SafeFetchErrorCode;

  constructor(code: SafeFetchErrorCode, message: string) {
    super(message);
    this.name = 'SafeFetchError';
    this.code = code;
  }
}

/** An address as `dns.lookup` answers it. */
export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves a host name to all its addresses (`dns.lookup` with `all: true` unless replaced, in tests). */
export type HostResolver = (hostname: string) => Promise<ResolvedAddress[]>;

/** How {@link fetchJson} fetches. */
export interface SafeFetchOptions {
  /** Deadline of the whole exchange (resolution, connection, answer and body), in milliseconds. */
  timeoutMs: number;
  /** Largest body accepted, in bytes; a larger one is abandoned as it streams. */
  maxBytes: number;
  /** Accept plain `http` URLs. Tests and development only. */
  allowHttp?: boolean;
  /** Special-use addresses that may still be fetched (loopback for tests). Tests and development only. */
  allowedAddresses?: IpRanges;
  /** Resolves host names; defaults to the system resolver. Replaced in tests. */
  resolve?: HostResolver;
  /** Certificate authorities trusted instead of Node's (a test's self-signed certificate). */
  ca?: string | Buffer;
}

/** A fetched JSON answer: the parsed body and the response headers (for caching). */
export interface SafeFetchResult {
  json: unknown;
  headers: IncomingHttpHeaders;
}

/**
 * Special-use ranges (IANA IPv4 and IPv6 Special-Purpose Address Registries, RFC 6890 and later):
 * none of them is a public web server's address. IPv4-mapped addresses are judged as IPv4 first;
 * NAT64 (64:ff9b::/96, 64:ff9b:1::/48), 6to4 (2002::/16), Teredo and IPv4-compatible addresses embed
 * IPv4 addresses that could be private, so they are refused whole.
 */
const SPECIAL_USE_V4 = [
  '0.0.0.0/8', // "this network", unspecified
  '10.0.0.0/8', // private (RFC 1918)
  '100.64.0.0/10', // shared address space, CGNAT (RFC 6598)
  '127.0.0.0/8', // loopback
  '169.254.0.0/16', // link-local (cloud metadata services live here)
  '172.16.0.0/12', // private
  '192.0.0.0/24', // IETF protocol assignments
  '192.0.2.0/24', // documentation (TEST-NET-1)
  '192.31.196.0/24', // AS112-v4
  '192.52.193.0/24', // AMT
  '192.88.99.0/24', // deprecated 6to4 relay anycast
  '192.168.0.0/16', // private
  '192.175.48.0/24', // direct delegation AS112
  '198.18.0.0/15', // benchmarking
  '198.51.100.0/24', // documentation (TEST-NET-2)
  '203.0.113.0/24', // documentation (TEST-NET-3)
  '224.0.0.0/4', // multicast
  '240.0.0.0/4', // reserved, and the limited broadcast address
];
const SPECIAL_USE_V6 = [
  '::/96', // unspecified, loopback and the deprecated IPv4-compatible addresses
  '64:ff9b::/96', // NAT64 well-known prefix
  '64:ff9b:1::/48', // local-use NAT64
  '100::/64', // discard-only
  '2001::/23', // IETF protocol assignments (Teredo, ORCHID, benchmarking...)
  '2001:db8::/32', // documentation
  '2002::/16', // 6to4
  '3fff::/20', // documentation (RFC 9637)
  '5f00::/16', // segment routing SIDs (RFC 9602)
  'fc00::/7', // unique-local
  'fe80::/10', // link-local
  'fec0::/10', // deprecated site-local
  'ff00::/8', // multicast
];

const specialUse = new BlockList();
for (const range of SPECIAL_USE_V4) specialUse.addSubnet(range.split('/')[0]!, Number(range.split('/')[1]), 'ipv4');
for (const range of SPECIAL_USE_V6) specialUse.addSubnet(range.split('/')[0]!, Number(range.split('/')[1]), 'ipv6');
// Kept apart: BlockList also matches an IPv4 address against IPv4-mapped IPv6 ranges.
const ipv4Mapped = new BlockList();
ipv4Mapped.addSubnet('::ffff:0:0', 96, 'ipv6');

/**
 * Whether `address` is special-use (see {@link SPECIAL_USE_V4}): never fetched unless allowed.
 * Anything that is not an IP address counts as special-use (fail closed).
 */
export function isSpecialUseAddress(address: string): boolean {
  const ip = normaliseIp(address);
  const family = isIP(ip);
  if (family === 0) return true;
  // An IPv4-mapped address normaliseIp could not read as IPv4 (an unusual spelling): refused.
  if (family === 6 && ipv4Mapped.check(ip, 'ipv6')) return true;
  return specialUse.check(ip, family === 6 ? 'ipv6' : 'ipv4');
}

const systemResolver: HostResolver = async (hostname) =>
  (await dnsLookup(hostname, { all: true, verbatim: true })).map(({ address, family }) => ({ address, family: family === 6 ? 6 : 4 }));

/** `application/json` or a more specific `application/<something>+json` (CIMD §4.1 allows both). */
function isJsonMediaType(contentType: string | undefined): boolean {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  return type === 'application/json' || /^application\/[a-z0-9!#$&^_.-]+\+json$/.test(type);
}

/**
 * Checks the URL before anything is resolved: scheme and userinfo.
 * @throws {SafeFetchError} `url_refused`.
 */
function checkUrl(target: string, allowHttp: boolean): URL {
  const url = URL.parse(target);
  if (url === null || !(url.protocol === 'https:' || (allowHttp && url.protocol === 'http:')))
    throw new SafeFetchError('url_refused', 'only https URLs are fetched');
  if (url.username !== '' || url.password !== '') throw new SafeFetchError('url_refused', 'a URL with credentials is not fetched');
  if (url.hostname === '') throw new SafeFetchError('url_refused', 'the URL has no host');
  return url;
}

/**
 * The address to connect to: the host's addresses, every one of them checked, the first used.
 * @throws {SafeFetchError} `dns_failed`, or `address_refused` when any address is special-use and
 *   not allowed (a host with one private address among public ones is refused: the attacker would
 *   choose which one a later connection uses).
 */
async function checkedAddress(hostname: string, options: SafeFetchOptions): Promise<ResolvedAddress> {
  const bare = hostname.replace(/^\[|\]$/g, '');
  let addresses: ResolvedAddress[];
  if (isIP(bare) !== 0) {
    addresses = [{ address: bare, family: isIP(bare) === 6 ? 6 : 4 }];
  } else {
    try {
      addresses = await (options.resolve ?? systemResolver)(bare);
    } catch {
      throw new SafeFetchError('dns_failed', 'the host name did not resolve');
    }
    if (addresses.length === 0) throw new SafeFetchError('dns_failed', 'the host name did not resolve');
  }
  for (const { address } of addresses) {
    if (isSpecialUseAddress(address) && !(options.allowedAddresses?.has(address) ?? false)) {
      throw new SafeFetchError('address_refused', 'the host resolves to a private or special-use address');
    }
  }
  return addresses[0]!;
}

/**
 * GETs `target` as JSON, with the defences above. The answer must be `200` with a JSON media type
 * and a body of at most `maxBytes`.
 *
 * @example
 * const { json, headers } = await fetchJson('https://client.example/oauth.json', { timeoutMs: 5000, maxBytes: 5120 });
 * @throws {SafeFetchError} whenever a rule refuses the URL or the answer, or the fetch fails.
 */
export async function fetchJson(target: string, options: SafeFetchOptions): Promise<SafeFetchResult> {
  const url = checkUrl(target, options.allowHttp === true);
  const deadline = AbortSignal.timeout(options.timeoutMs);
  const trace = startClientSpan('GET', url);
  try {
    const result = await Promise.race([exchange(url, options, deadline), timedOut(deadline)]);
    if (trace) endClientSpan(trace, 200);
    return result;
  } catch (error) {
    if (trace) endClientSpan(trace, undefined, error);
    throw error;
  }
}

/** Rejects with `timeout` when `signal` aborts (the exchange also stops on it). */
function timedOut(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    const fail = () => reject(new SafeFetchError('timeout', 'the fetch did not complete in time'));
    if (signal.aborted) fail();
    else signal.addEventListener('abort', fail, { once: true });
  });
}

/** A request to the checked address of `url` (see {@link checkedAddress}), not yet sent. */
async function pinnedRequest(
  url: URL,
  options: SafeFetchOptions,
  signal: AbortSignal,
  method: 'GET' | 'POST',
  headers: Record<string, string>,
): Promise<ClientRequest> {
  const checked = await checkedAddress(url.hostname, options);
  signal.throwIfAborted();
  // Every connection attempt goes to the checked address, whatever the resolver would say now
  // (net may ask for all addresses, with autoSelectFamily).
  const pinned: LookupFunction = (_hostname, lookupOptions, callback) => {
    if (lookupOptions.all === true) (callback as (error: null, addresses: ResolvedAddress[]) => void)(null, [checked]);
    else callback(null, checked.address, checked.family);
  };
  const hostIsName = isIP(url.hostname.replace(/^\[|\]$/g, '')) === 0;
  return (url.protocol === 'https:' ? httpsRequest : httpRequest)({
    protocol: url.protocol,
    hostname: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port === '' ? undefined : Number(url.port),
    path: `${url.pathname}${url.search}`,
    method,
    // SNI and the certificate check use the name, never the address.
    ...(url.protocol === 'https:' && hostIsName ? { servername: url.hostname } : {}),
    ...(options.ca === undefined ? {} : { ca: options.ca }),
    headers,
    lookup: pinned,
    agent: false,
    signal,
  });
}

async function exchange(url: URL, options: SafeFetchOptions, signal: AbortSignal): Promise<SafeFetchResult> {
  const request = await pinnedRequest(url, options, signal, 'GET', { Accept: 'application/json', 'Accept-Encoding': 'identity', 'User-Agent': 'Gatehouse' });
  return new Promise<SafeFetchResult>((resolve, reject) => {
    const fail = (error: SafeFetchError) => {
      request.destroy();
      reject(error);
    };
    request.on('error', () =>
      fail(signal.aborted ? new SafeFetchError('timeout', 'the fetch did not complete in time') : new SafeFetchError('network_error', 'the fetch failed')),
    );
    request.on('response', (response: IncomingMessage) => {
      const refused = refusalOf(response, options.maxBytes);
      if (refused) {
        fail(refused);
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > options.maxBytes) fail(new SafeFetchError('too_large', `the answer is larger than ${options.maxBytes} bytes`));
        else chunks.push(chunk);
      });
      response.on('error', () => fail(new SafeFetchError(signal.aborted ? 'timeout' : 'network_error', 'the fetch failed')));
      response.on('end', () => {
        if (size > options.maxBytes) return;
        try {
          resolve({ json: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown, headers: response.headers });
        } catch {
          reject(new SafeFetchError('invalid_json', 'the answer is not valid JSON'));
        }
      });
    });
    request.end();
  });
}

/** Why the head of an answer is refused, if it is. */
function refusalOf(response: IncomingMessage, maxBytes: number): SafeFetchError | undefined {
  const status = response.statusCode ?? 0;
  // CIMD §4 (and RFC 9110 §15.4): a redirect is never followed; only 200 is an answer.
  if (status >= 300 && status < 400) return new SafeFetchError('redirect', 'the answer was a redirect, which is not followed');
  if (status !== 200) return new SafeFetchError('bad_status', `the answer's status was ${status}, not 200`);
  if (!isJsonMediaType(response.headers['content-type'])) return new SafeFetchError('bad_content_type', 'the answer is not application/json');
  const encoding = (response.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding !== 'identity') return new SafeFetchError('bad_content_type', 'the answer is encoded (compressed)');
  if (Number(response.headers['content-length'] ?? 0) > maxBytes) return new SafeFetchError('too_large', `the answer is larger than ${maxBytes} bytes`);
  return undefined;
}

/** Options of {@link postForm}: those of {@link fetchJson}, `maxBytes` bounding the answer read (and thrown away). */
export type PostFormOptions = SafeFetchOptions;

/**
 * POSTs `form` as `application/x-www-form-urlencoded` to `target`, with the defences of
 * {@link fetchJson} (https only, checked and pinned addresses, no redirect followed, one deadline),
 * and resolves with the answer's status once the answer, at most `maxBytes` of it, has been read
 * and discarded. Any status resolves: the caller judges it (a 3xx is never followed).
 *
 * @example
 * const status = await postForm(client.backchannelLogoutUri, { logout_token }, { timeoutMs: 5000, maxBytes: 16_384 });
 * @throws {SafeFetchError} `url_refused`, `address_refused`, `dns_failed`, `network_error` or `timeout`.
 */
export async function postForm(target: string, form: Record<string, string>, options: PostFormOptions): Promise<number> {
  const url = checkUrl(target, options.allowHttp === true);
  const deadline = AbortSignal.timeout(options.timeoutMs);
  const trace = startClientSpan('POST', url);
  try {
    const status = await Promise.race([send(url, new URLSearchParams(form).toString(), options, deadline), timedOut(deadline)]);
    if (trace) endClientSpan(trace, status);
    return status;
  } catch (error) {
    if (trace) endClientSpan(trace, undefined, error);
    throw error;
  }
}

async function send(url: URL, body: string, options: PostFormOptions, signal: AbortSignal): Promise<number> {
  const request = await pinnedRequest(url, options, signal, 'POST', {
    'Content-Type': 'application/x-www-form-urlencoded',
    'Content-Length': String(Buffer.byteLength(body)),
    'User-Agent': 'Gatehouse',
  });
  return new Promise<number>((resolve, reject) => {
    request.on('error', () => {
      request.destroy();
      reject(new SafeFetchError(signal.aborted ? 'timeout' : 'network_error', signal.aborted ? 'the fetch did not complete in time' : 'the fetch failed'));
    });
    request.on('response', (response: IncomingMessage) => {
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        // The body says nothing the status does not; past the bound, stop reading it.
        if (size > options.maxBytes) {
          request.destroy();
          resolve(response.statusCode ?? 0);
        }
      });
      response.on('error', () => reject(new SafeFetchError(signal.aborted ? 'timeout' : 'network_error', 'the fetch failed')));
      response.on('end', () => resolve(response.statusCode ?? 0));
    });
    request.end(body);
  });
}
