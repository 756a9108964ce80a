import { OAuthError } from '../core/errors.js';
import { createLogger, silentLogger } from '../core/logger.js';
import { SecretKeys } from '../core/secret.js';
import { KeyRing, keyRetentionMs } from './keys/signing-keys.js';
import { endpointUrls, type Capabilities } from './context.js';
import { oauthErrorResponse } from './http/responses.js';
import { resolveOptions, type AuthorizationServerOptions } from './options.js';
import { createRouter } from './router.js';
import { createMetrics, instrumentStore } from './observability/index.js';
import { createAuditLog } from './audit/audit-log.js';
import { purgeDeletedAccounts } from './accounts/account-deletion.js';
import { RateLimits } from './protection/rate-limits.js';
import { createClientKeys } from './clients/client-keys.js';
import { createClientDocuments } from './clients/client-documents.js';
import { parseIpRanges } from './protection/ip-ranges.js';
import { identityContext } from './upstream/link-user.js';
import { createUpstreams } from './upstream/upstreams.js';
import { startLogoutDeliveries, type LogoutDeliveries } from './logout/delivery.js';
import type { TokenSet } from '../client/token-set.js';

/** How often expired artifacts are purged from the store. */
const PURGE_INTERVAL_MS = 10 * 60_000;

/** What the host tells the handler about the connection. */
export type FetchEnv = { incoming?: { socket?: { remoteAddress?: string } } } | { remoteAddress?: string };

/** A running authorization server: a Web-standard fetch handler plus lifecycle. */
export interface AuthorizationServer {
  /** The issuer identifier. */
  readonly issuer: string;
  /**
   * Handles one HTTP request. Mount it in any framework that speaks `Request`/`Response`. The
   * client's address comes from `env`: @hono/node-server's `{ incoming }` (passed automatically
   * by `serve`), or `{ remoteAddress }` from other hosts. Without one, per-address limits and
   * allow-lists see no address. It does not use `this`: pass it as it is (`serve({ fetch: server.fetch })`).
   */
  readonly fetch: (request: Request, env?: FetchEnv) => Promise<Response>;
  /** Resolves once migrations ran and signing keys are loaded; rejects if that failed. */
  ready(): Promise<void>;
  /**
   * Stops background timers and waits for the back-channel logout deliveries under way (what is
   * still queued stays in the store, for the next instance). The store is the caller's to close.
   */
  close(): Promise<void>;
  /**
   * The tokens an upstream provider issued at the user's last sign-in through it, for calling
   * its API — kept only for upstreams configured with `keepTokens: true`.
   */
  upstreamTokens(userId: string, upstreamId: string): Promise<TokenSet | undefined>;
}

/**
 * Creates an OAuth 2.1 authorization server.
 *
 * @example
 * const server = createAuthorizationServer({
 *   issuer: 'https://id.example.com',
 *   store: createSqliteStore({ filename: './data/gatehouse.db' }),
 *   secret: process.env.GATEHOUSE_SECRET!,
 * });
 * await server.ready();
 * serve({ fetch: server.fetch, port: 3000 }); // @hono/node-server, Bun, Deno, ...
 *
 * @throws {ConfigError} a `TypeError` naming the first invalid option.
 */
export function createAuthorizationServer(options: AuthorizationServerOptions): AuthorizationServer {
  const resolved = resolveOptions(options);
  const { store: givenStore, clock, logger: givenLogger, ...config } = resolved;
  const metrics = createMetrics();
  // Every store call timed and counted: the store the server works with is the instrumented one.
  const store = instrumentStore(givenStore, metrics);
  const secrets = new SecretKeys(config.secret);
  const logger = givenLogger === false ? silentLogger() : (givenLogger ?? createLogger());
  const retentionMs = keyRetentionMs(Math.max(config.tokens.accessTokenTtl, config.tokens.idTokenTtl));
  const keys = new KeyRing(store, secrets, retentionMs);
  metrics.watchSigningKeys(
    () => keys.activeKeysCreated(),
    () => clock.now(),
  );
  const ctx: Capabilities = {
    store,
    clock,
    config,
    secrets,
    keys,
    logger,
    urls: endpointUrls(config.issuer),
    upstreams: createUpstreams(config, clock),
    metrics,
    audit: createAuditLog({
      store,
      secretKeys: secrets,
      logger,
      clock,
      metrics,
      maxQueuedEvents: config.audit.maxQueuedEvents,
      ...(config.audit.file ? { file: config.audit.file } : {}),
    }),
    limits: new RateLimits(config.protection.rateLimits, config.protection.redis, config.protection.redisPrefix),
    network: {
      trustedProxies: parseIpRanges(config.protection.trustedProxies, 'protection.trustedProxies'),
      forwardedHeader: config.protection.forwardedHeader,
      operatorAllowList: parseIpRanges(config.protection.operatorAllowList, 'protection.operatorAllowList'),
      metricsToken: config.protection.metricsToken,
    },
    clientDocuments: createClientDocuments(config, clock, logger),
    clientKeys: createClientKeys(config, clock, logger),
  };
  const router = createRouter(ctx);
  const timers: NodeJS.Timeout[] = [];
  let closed = false;
  let logoutDeliveries: LogoutDeliveries | undefined;

  const initialise = async (): Promise<void> => {
    if (config.migrate) await store.migrate();
    await keys.load(clock.now());
    if (closed) return;
    // Keys rotated by another instance (or the CLI) are reloaded as soon as it says so.
    await config.invalidation?.subscribe((topic) => {
      if (topic === 'keys') keys.refresh(clock.now()).catch((error: unknown) => logger.warn({ err: error }, 'signing key refresh failed'));
    });
    timers.push(
      every(config.keys.refreshInterval * 1000, () => keys.refresh(clock.now()), logger, 'signing key refresh'),
      every(PURGE_INTERVAL_MS, () => store.artifacts.purgeExpired(clock.now()), logger, 'artifact purge'),
      every(PURGE_INTERVAL_MS, () => purgeDeletedAccounts(store, clock, ctx.audit), logger, 'deleted-account sweep'),
    );
    // Back-channel logout notifications queued by any instance (or the command), sent from here.
    logoutDeliveries = startLogoutDeliveries(ctx);
  };
  const ready = initialise();
  // Observed through ready() and fetch(); never an unhandled rejection.
  let started = false;
  ready.then(
    () => (started = true),
    () => undefined,
  );

  return {
    issuer: config.issuer,
    async fetch(request: Request, env?: FetchEnv): Promise<Response> {
      try {
        // Once started, no await: a resolved promise still costs every request a turn of the queue.
        if (!started) await ready;
      } catch (error) {
        logger.error({ err: error }, 'authorization server failed to start');
        return oauthErrorResponse(new OAuthError('temporarily_unavailable', 'the server is not ready'));
      }
      const remoteAddress =
        env === undefined ? undefined : 'incoming' in env ? env.incoming?.socket?.remoteAddress : 'remoteAddress' in env ? env.remoteAddress : undefined;
      return router.fetch(request, { remoteAddress });
    },
    ready: () => ready,
    async close(): Promise<void> {
      closed = true;
      for (const timer of timers) clearInterval(timer);
      await logoutDeliveries?.close();
      await ctx.audit.flush();
    },
    async upstreamTokens(userId, upstreamId) {
      const identity = (await store.users.listIdentities(userId)).find((link) => link.provider === upstreamId);
      if (!identity?.encryptedTokens) return undefined;
      return JSON.parse(secrets.decrypt(identity.encryptedTokens, identityContext(identity.provider, identity.subject))) as TokenSet;
    },
  };
}

function every(ms: number, task: () => Promise<unknown>, logger: Capabilities['logger'], name: string): NodeJS.Timeout {
  const timer = setInterval(() => {
    task().catch((error: unknown) => logger.warn({ err: error }, `${name} failed`));
  }, ms);
  timer.unref();
  return timer;
}
