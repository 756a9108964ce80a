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
   * Reconnection still happens in the background. Default false (a command queued while
   * disconnected still fails at its {@link commandTimeoutMs}).
   */
  failFast?: boolean;
  /**
   * Longest wait for a command's answer, in milliseconds; then it fails with "Command timed out"
   * (a server answers 503). Commands issued while the previous batch to the same server is still
   * unanswered are sent after it (auto-pipelining), so a caller waits at most twice this long. A
   * connection that answers nothing for three times this long is closed and opened again (a frozen
   * Redis, a network that drops packets, a failover that left it on the old master); a TCP
   * connection gets this long, at least 2 s. Reconnection attempts follow each other at most 1 s
   * apart, for ever. Default {@link DEFAULT_REDIS_COMMAND_TIMEOUT_MS}.
   */
  commandTimeoutMs?: number;
}

/**
 * Default of {@link ConnectRedisOptions.commandTimeoutMs}: a Redis on the same network answers in
 * well under a millisecond, so a second is an outage, not a slow answer.
 */
export const DEFAULT_REDIS_COMMAND_TIMEOUT_MS = 1000;
/** The longest wait between two reconnection attempts: service is back within it once Redis is. */
const MAX_RECONNECT_DELAY_MS = 1000;

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
 * @throws {ConfigError} a `TypeError` (option `url`) for a URL of another form, (option
 * `commandTimeoutMs`) for a timeout that is not a positive whole number.
 */
export function connectRedis(url: string, options: ConnectRedisOptions = {}): Redis | Cluster {
  const lazyConnect = options.lazyConnect ?? false;
  const commandTimeout = options.commandTimeoutMs ?? DEFAULT_REDIS_COMMAND_TIMEOUT_MS;
  if (!Number.isSafeInteger(commandTimeout) || commandTimeout < 1) {
    throw new ConfigError('option "commandTimeoutMs" must be a positive whole number of milliseconds', 'ERR_INVALID_OPTION', 'commandTimeoutMs');
  }
  // The deadlines of every connection, to a standalone server, a Sentinel's master or a cluster node.
  const deadlines = {
    commandTimeout,
    // ioredis arms it when a command is written and clears it when anything is read: a
    // connection silent that long is destroyed, which rejects what is pending and reconnects.
    socketTimeout: 3 * commandTimeout,
    connectTimeout: Math.max(commandTimeout, 2000),
    // A command whose connection closed under it was answered with a failure already (or will be
    // at its timeout): sending it again on the next connection would run it a second time, after
    // its caller gave up (a refresh token rotated that nobody receives). At most once, never late.
    autoResendUnfulfilledCommands: false,
  } satisfies RedisOptions;
  const behaviour: RedisOptions = {
    lazyConnect,
    // Commands issued in the same tick (a request's rate limits, artifacts) share one write and
    // one round trip: less CPU per command on both sides under load.
    enableAutoPipelining: true,
    ...deadlines,
    retryStrategy: reconnectDelay,
    reconnectOnError: demoted,
    ...(options.failFast ? { enableOfflineQueue: false, maxRetriesPerRequest: 1 } : {}),
  };
  if (typeof url !== 'string') invalid('must be a string');
  if (/^rediss?:\/\//i.test(url)) {
    if (!URL.canParse(url)) invalid('is not a valid redis:// URL');
    return clearStaleSocketTimers(new ioredis.Redis(url, behaviour));
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
      // Asking a Sentinel for the master has the same deadline as any command.
      sentinelCommandTimeout: commandTimeout,
      sentinelRetryStrategy: reconnectDelay,
    };
    return clearStaleSocketTimers(new ioredis.Redis(sentinelOptions));
  }

  if (params.size > 0) invalid('takes no query parameters for a cluster');
  if (path !== '' && path !== '/') invalid('has a path, but a cluster has only database 0');
  const nodes: ClusterNode[] = parseHosts(hosts!, DEFAULT_PORT);
  return clearStaleSocketTimers(
    new ioredis.Cluster(nodes, {
      lazyConnect,
      enableAutoPipelining: true,
      clusterRetryStrategy: reconnectDelay,
      // Refreshing the slot map (after a failover, a MOVED) is a command like any other.
      slotsRefreshTimeout: commandTimeout,
      ...(options.failFast ? { enableOfflineQueue: false } : {}),
      // Each node's connection carries the deadlines; the cluster reconnects nodes itself.
      redisOptions: { ...credentials, ...(tls ? { tls: {} } : {}), ...deadlines, ...(options.failFast ? { maxRetriesPerRequest: 1 } : {}) },
    }),
  );
}

/**
 * ioredis 5.11 keeps the `socketTimeout` timer on the client, not on the connection, and does not
 * clear it when a connection closes for another reason (a ready check that timed out while Redis
 * was frozen): still running, it destroys the next connection, healthy or not, and service that
 * came back drops again for a reconnection. Cleared at every close, of the client or (Cluster) of
 * each node's. Internal: used by the invalidation bus's connection too.
 */
export function clearStaleSocketTimers<T extends Redis | Cluster>(client: T): T {
  const watch = (connection: Redis) =>
    connection.on('close', () => {
      const state = connection as unknown as { socketTimeoutTimer?: NodeJS.Timeout };
      clearTimeout(state.socketTimeoutTimer);
      state.socketTimeoutTimer = undefined;
    });
  if ('isCluster' in client && client.isCluster) (client as Cluster).on('+node', watch);
  else watch(client as Redis);
  return client;
}

/**
 * Whether a reply says the connection is to a primary that has since been demoted to a replica
 * (`READONLY You can't write against a read only replica`): the connection answers, so no
 * deadline ends it. Reconnecting (the command itself still fails, answered 503) finds the primary
 * again: through the Sentinels, which name the new one (ioredis refuses a node whose role is not
 * master); on a standalone URL, by resolving its host name again (a managed Redis that moved it).
 */
function demoted(error: Error): boolean {
  return error.message.startsWith('READONLY');
}

/** Reconnection back-off: 200 ms, 400 ms, … at most {@link MAX_RECONNECT_DELAY_MS}, for ever. */
function reconnectDelay(attempt: number): number {
  return Math.min(attempt * 200, MAX_RECONNECT_DELAY_MS);
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
