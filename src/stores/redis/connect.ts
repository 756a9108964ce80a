import type { Cluster, ClusterNode, Redis, RedisOptions } from 'ioredis';
import { ConfigError } from '../../core/errors.js';
import { importOptional } from '../../core/optional-dependency.js';

const ioredis = await importOptional('ioredis', () => import('ioredis'), 'gatehouse/stores/redis');

/** Options of {@link connectRedis}. */
export interface ConnectRedisOptions {
  /** Connect at the first command (or `connect()`) rather than at once. Default false. */
  lazyConnect?: boolean;
  /**
   * Fail commands at once while disconnected (no offline queue, one retry) instead of queueing
   * them until Redis is back: a server answers 503 during an outage instead of hanging.
   * Reconnection still happens in the background. Default false.
   */
  failFast?: boolean;
}

const DEFAULT_PORT = 6379;
const DEFAULT_SENTINEL_PORT = 26379;

/** `scheme://[userinfo@]hosts[/path][?query]` for the multi-host forms, which `URL` cannot parse. */
const MULTI_HOST_URL = /^(?<scheme>rediss?\+(?:sentinel|cluster)):\/\/(?:(?<userinfo>[^@/?#]*)@)?(?<hosts>[^/?#]*)(?<path>\/[^?#]*)?(?:\?(?<query>[^#]*))?$/i;
const HOST_PORT = /^(?:\[(?<v6>[0-9a-f:.]+)\]|(?<name>[^:[\]]+))(?::(?<port>\d{1,5}))?$/i;

/** Query parameters of a Sentinel URL: credentials of the Sentinels themselves. */
const SENTINEL_QUERY = new Set(['sentinelUsername', 'sentinelPassword']);

/**
 * Opens an ioredis client from a URL, for {@link createHybridStore} and anything else that needs
 * Redis. Three topologies:
 *
 * - Standalone: `redis://[[username]:password@]host[:6379][/db]`, or `rediss://` for TLS. Parsed by
 *   ioredis, query options included.
 * - Sentinel: `redis+sentinel://[[username]:password@]host1[:26379],host2[:26379]/mastername[/db]`,
 *   optionally `?sentinelUsername=...&sentinelPassword=...` when the Sentinels require their own
 *   credentials. The userinfo authenticates to the master and replicas Sentinel points at.
 *   `rediss+sentinel://` uses TLS to the Sentinels and the data nodes.
 * - Cluster: `redis+cluster://[[username]:password@]host1[:6379],host2[:6379]` (seed nodes; the rest
 *   are discovered), `rediss+cluster://` for TLS. No database number: a cluster has only database 0.
 *   Give the store a prefix with a hash tag (the default `{gatehouse}:` has one).
 *
 * Percent-encode reserved characters in usernames, passwords and master names. IPv6 hosts go in
 * brackets: `[::1]:26379`. Error messages never repeat the URL, which may hold a password.
 *
 * @example
 * const redis = connectRedis('redis+sentinel://:s3cret@sentinel-a:26379,sentinel-b:26379/mymaster');
 * const store = createHybridStore({ durable, redis });
 *
 * @throws {ConfigError} a `TypeError` (option `url`) for a URL of another form.
 */
export function connectRedis(url: string, options: ConnectRedisOptions = {}): Redis | Cluster {
  const lazyConnect = options.lazyConnect ?? false;
  const behaviour: RedisOptions = {
    lazyConnect,
    // Commands issued in the same tick (a request's rate limits, artifacts) share one write and
    // one round trip: less CPU per command on both sides under load.
    enableAutoPipelining: true,
    ...(options.failFast
      ? { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2000, retryStrategy: (times: number) => Math.min(times * 200, 2000) }
      : {}),
  };
  if (typeof url !== 'string') invalid('must be a string');
  if (/^rediss?:\/\//i.test(url)) {
    if (!URL.canParse(url)) invalid('is not a valid redis:// URL');
    return new ioredis.Redis(url, behaviour);
  }
  const match = MULTI_HOST_URL.exec(url);
  if (match === null) invalid('must be a redis://, rediss://, redis+sentinel:// or redis+cluster:// URL');
  const { scheme, userinfo, hosts, path = '', query = '' } = match.groups!;
  const tls = scheme!.toLowerCase().startsWith('rediss');
  const credentials = parseUserinfo(userinfo);
  const params = new URLSearchParams(query);

  if (scheme!.toLowerCase().endsWith('+sentinel')) {
    for (const key of params.keys()) if (!SENTINEL_QUERY.has(key)) invalid(`has an unknown query parameter "${key}"`);
    const [name, db, ...rest] = path.split('/').slice(1).map(decode);
    if (name === undefined || name === '') invalid('must name the Sentinel master group: redis+sentinel://host:26379/mymaster');
    if (rest.length > 0 || (db !== undefined && db !== '' && !/^\d+$/.test(db))) invalid('path must be /mastername or /mastername/db');
    const sentinelOptions: RedisOptions = {
      sentinels: parseHosts(hosts!, DEFAULT_SENTINEL_PORT),
      name,
      ...credentials,
      ...(db ? { db: Number(db) } : {}),
      ...(params.has('sentinelUsername') ? { sentinelUsername: params.get('sentinelUsername')! } : {}),
      ...(params.has('sentinelPassword') ? { sentinelPassword: params.get('sentinelPassword')! } : {}),
      ...(tls ? { tls: {}, enableTLSForSentinelMode: true, sentinelTLS: {} } : {}),
      ...behaviour,
    };
    return new ioredis.Redis(sentinelOptions);
  }

  if (params.size > 0) invalid('takes no query parameters for a cluster');
  if (path !== '' && path !== '/') invalid('has a path, but a cluster has only database 0');
  const nodes: ClusterNode[] = parseHosts(hosts!, DEFAULT_PORT);
  return new ioredis.Cluster(nodes, {
    lazyConnect,
    enableAutoPipelining: true,
    ...(options.failFast ? { enableOfflineQueue: false } : {}),
    redisOptions: { ...credentials, ...(tls ? { tls: {} } : {}), ...(options.failFast ? { maxRetriesPerRequest: 1, connectTimeout: 2000 } : {}) },
  });
}

function invalid(message: string): never {
  throw new ConfigError(`option "url" ${message}`, 'ERR_INVALID_OPTION', 'url');
}

function decode(component: string): string {
  try {
    return decodeURIComponent(component);
  } catch {
    return invalid('has a malformed percent-encoding');
  }
}

/** `username:password`, either part optional, as in `redis://` URLs. */
function parseUserinfo(userinfo: string | undefined): { username?: string; password?: string } {
  if (userinfo === undefined || userinfo === '') return {};
  const colon = userinfo.indexOf(':');
  const username = decode(colon === -1 ? userinfo : userinfo.slice(0, colon));
  const password = colon === -1 ? undefined : decode(userinfo.slice(colon + 1));
  return { ...(username !== '' ? { username } : {}), ...(password !== undefined && password !== '' ? { password } : {}) };
}

/** `host1[:port],host2[:port]`, IPv6 in brackets. */
function parseHosts(hosts: string, defaultPort: number): { host: string; port: number }[] {
  return hosts.split(',').map((part) => {
    const found = HOST_PORT.exec(part.trim());
    if (found === null) invalid('has a malformed host list: use host1:port,host2:port');
    const port = found.groups!.port === undefined ? defaultPort : Number(found.groups!.port);
    if (port < 1 || port > 65535) invalid('has a port outside 1-65535');
    return { host: found.groups!.v6 ?? found.groups!.name!, port };
  });
}
