import { serve, type ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { createLogger } from '../../core/logger.js';
import { createAuthorizationServer, type AuthorizationServer, type FetchEnv } from '../../server/authorization-server.js';
import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { ConfigError } from '../../core/errors.js';
import { OAuthError } from '../../core/errors.js';
import { oauthErrorResponse } from '../../server/http/responses.js';
import { configFrom, parseCommand } from '../args.js';
import type { CliIo } from '../io.js';
import { OUTBOX_FILE, openRuntime } from '../runtime.js';
import cluster from 'node:cluster';
import { runPrimary, type WorkerReady } from './start-workers.js';
import { join } from 'node:path';
import { createSenders, type Senders } from '../../server/mfa/senders/index.js';

/** The senders that are configured, as the server's `mfa.senders` option. */
function pickSenders(senders: Senders): { email?: Senders['email'] & object; sms?: Senders['sms'] & object } {
  return { ...(senders.email ? { email: senders.email } : {}), ...(senders.sms ? { sms: senders.sms } : {}) };
}

export const START_USAGE = `Usage:
  gatehouse start [--port 3000] [--host 127.0.0.1] [--issuer URL] [--data DIR]
                  [--tls-cert FILE --tls-key FILE] [--workers N] [--dev] [--json]
Runs in production mode: GATEHOUSE_SECRET is required and the issuer must be https (plain http on
loopback only). --dev (or GATEHOUSE_ENV=development) is for local use: a secret generated into the
data directory, any http issuer, and email/SMS codes written to DIR/outbox.jsonl instead of sent.
Serves the authorization server (embedded SQLite in the data directory, or GATEHOUSE_DATABASE_URL
and GATEHOUSE_REDIS_URL). --workers N runs N processes sharing the port. With --tls-cert and
--tls-key it serves HTTPS; SIGHUP reloads the certificate and key. Stops cleanly on SIGINT/SIGTERM.`;

/** How long in-flight requests may take to finish after a stop signal. */
const DRAIN_TIMEOUT_MS = 10_000;

/** `gatehouse start`: runs the server until SIGINT or SIGTERM. */
export async function startCommand(args: string[], io: CliIo, warn: (message: string) => void): Promise<number> {
  const { values } = parseCommand(args, { port: { type: 'string' }, host: { type: 'string' }, issuer: { type: 'string' }, 'tls-cert': { type: 'string' }, 'tls-key': { type: 'string' }, workers: { type: 'string' } });
  if (values.help) {
    io.stdout.write(`${START_USAGE}\n`);
    return 0;
  }
  const config = configFrom(values, io, {
    issuer: values.issuer,
    host: values.host,
    tlsCert: values['tls-cert'],
    tlsKey: values['tls-key'],
    ...(values.workers !== undefined ? { workers: values.workers as unknown as number } : {}),
    ...(values.port !== undefined ? { port: values.port as unknown as number } : {}),
  });
  if (config.workers > 1 && cluster.isPrimary) return runPrimary(args, config, io, warn, values.json);
  const logger = createLogger(config.logLevel);
  // Listen for stop signals from the start, so a signal during start-up also ends cleanly.
  let stopSignal: NodeJS.Signals | undefined;
  let onStop: ((signal: NodeJS.Signals) => void) | undefined;
  const stopped = new Promise<NodeJS.Signals>((resolve) => {
    onStop = (signal) => {
      stopSignal ??= signal;
      resolve(signal);
    };
  });
  process.once('SIGINT', onStop!);
  process.once('SIGTERM', onStop!);
  const runtime = await openRuntime(config, warn);
  if (config.mode === 'development') {
    warn('running in development mode (--dev or GATEHOUSE_ENV=development): not for real deployments');
  }

  // The issuer may depend on the port actually bound (--port 0), so listen first and answer 503 until ready.
  let authorizationServer: AuthorizationServer | undefined;
  const notReady = () => oauthErrorResponse(new OAuthError('temporarily_unavailable', 'the server is starting'));
  if ((config.tlsCert === undefined) !== (config.tlsKey === undefined)) {
    throw new ConfigError('--tls-cert and --tls-key go together', 'ERR_INVALID_OPTION', config.tlsCert ? 'tlsKey' : 'tlsCert');
  }
  const tls = config.tlsCert && config.tlsKey ? { cert: config.tlsCert, key: config.tlsKey } : undefined;
  const http = await listen((request, env) => authorizationServer?.fetch(request, env) ?? Promise.resolve(notReady()), config.host, config.port, tls);
  const port = (http.address() as AddressInfo).port;
  const scheme = tls ? 'https' : 'http';
  const issuer = config.issuer ?? `${scheme}://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  if (tls) {
    // SIGHUP: a renewed certificate is picked up without dropping connections.
    process.on('SIGHUP', () => {
      try {
        (http as HttpsServer).setSecureContext(readTls(tls));
        logger.info({ event: 'tls.reloaded' }, 'TLS certificate reloaded');
      } catch (error) {
        logger.error({ err: error }, 'TLS certificate reload failed; keeping the previous one');
      }
    });
  }
  try {
    authorizationServer = createAuthorizationServer({
      issuer,
      store: runtime.store,
      secret: runtime.secret,
      mode: config.mode,
      tokens: {
        accessTokenTtl: config.accessTokenTtl,
        accessTokenSigningAlg: config.accessTokenSigningAlg,
        ...(config.defaultAudience ? { defaultAudience: config.defaultAudience } : {}),
        idTokenTtl: config.idTokenTtl,
        refreshTokenTtl: config.refreshTokenTtl,
        refreshTokenReuseGrace: config.refreshTokenReuseGrace,
      },
      sessions: { ttl: config.sessionTtl },
      branding: {
        ...(config.productName ? { productName: config.productName } : {}),
        ...(config.logoUrl ? { logoUrl: config.logoUrl } : {}),
        ...(config.primaryColor ? { primaryColor: config.primaryColor } : {}),
      },
      scopes: config.scopes,
      upstreams: config.upstreams,
      ...(config.auditFile ? { audit: { file: config.auditFile } } : {}),
      ...(runtime.bus ? { invalidation: runtime.bus } : {}),
      protection: {
        ...(runtime.redis ? { redis: runtime.redis, ...(config.redisPrefix ? { redisPrefix: config.redisPrefix } : {}) } : {}),
        trustedProxies: config.trustedProxies,
        forwardedHeader: config.forwardedHeader,
        ...(config.operatorAllowList ? { operatorAllowList: config.operatorAllowList } : {}),
        ...(config.metricsToken ? { metricsToken: config.metricsToken } : {}),
        ...(config.rateLimits ? { rateLimits: config.rateLimits } : {}),
      },
      mfa: {
        policy: config.mfaPolicy,
        senders: pickSenders(
          createSenders({
            mode: config.mode,
            outboxFile: join(config.dataDir, OUTBOX_FILE),
            smtpUrl: config.smtpUrl,
            smtpFrom: config.smtpFrom,
            webhookUrl: config.smsWebhookUrl,
            webhookSecret: config.smsWebhookSecret,
          }),
        ),
      },
      keys: { refreshInterval: config.keyRefreshInterval },
      limits: { maxBodyBytes: config.maxBodyBytes },
      logger,
    });
    await authorizationServer.ready();
  } catch (error) {
    await closeHttp(http);
    await runtime.close();
    throw error;
  }

  if (stopSignal === undefined) {
    const ready = { issuer, port, host: config.host, data_dir: config.dataDir, mode: config.mode };
    if (cluster.isWorker) process.send?.({ type: 'gatehouse:ready', issuer, port } satisfies WorkerReady);
    else io.stdout.write(values.json ? `${JSON.stringify(ready)}\n` : `Gatehouse is ready at ${issuer}\n`);
    logger.info(ready, 'gatehouse started');
  }
  const signal = await stopped;
  process.off('SIGINT', onStop!);
  process.off('SIGTERM', onStop!);
  logger.info({ signal }, 'stopping: draining in-flight requests');
  await closeHttp(http);
  await authorizationServer.close();
  await runtime.close();
  logger.info('gatehouse stopped');
  // A cluster worker's channel to its primary would keep it alive: drained and closed, it leaves.
  if (cluster.isWorker) process.disconnect?.();
  return 0;
}

function readTls(files: { cert: string; key: string }): { cert: Buffer; key: Buffer } {
  return { cert: readFileSync(files.cert), key: readFileSync(files.key) };
}

function listen(fetch: (request: Request, env: FetchEnv) => Promise<Response>, hostname: string, port: number, tls?: { cert: string; key: string }): Promise<ServerType> {
  return new Promise((resolve, reject) => {
    const options = tls ? { createServer: createHttpsServer, serverOptions: readTls(tls) } : {};
    const server = serve({ fetch, hostname, port, ...options }, () => resolve(server));
    server.once('error', reject);
  });
}

/** Stops accepting connections and waits for in-flight requests, up to a limit. */
function closeHttp(server: ServerType): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      if ('closeAllConnections' in server) server.closeAllConnections();
      resolve();
    }, DRAIN_TIMEOUT_MS);
    timer.unref();
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
    if ('closeIdleConnections' in server) server.closeIdleConnections();
  });
}
