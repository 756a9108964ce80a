import { serve, type ServerType } from '@hono/node-server';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer } from 'node:net';
import { createSecureContext } from 'node:tls';
import { createLogger } from '../../core/logger.js';
import { createAuthorizationServer, type AuthorizationServer, type FetchEnv } from '../../server/authorization-server.js';
import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { ConfigError } from '../../core/errors.js';
import { OAuthError } from '../../core/errors.js';
import { oauthErrorResponse } from '../../server/http/responses.js';
import { configFrom, parseCommand } from '../args.js';
import type { CliConfig } from '../config.js';
import { serverSettingsFrom } from '../settings.js';
import type { CliIo } from '../io.js';
import { OUTBOX_FILE, openRuntime, resolveSecret, type Runtime } from '../runtime.js';
import cluster from 'node:cluster';
import { runPrimary, type WorkerReady } from './start-workers.js';
import { join } from 'node:path';
import { createSenders, type Senders } from '../../server/mfa/senders/index.js';

/** The senders that are configured, as the server's `mfa.senders` option. */
function pickSenders(senders: Senders): { email?: Senders['email'] & object; sms?: Senders['sms'] & object } {
  return { ...(senders.email ? { email: senders.email } : {}), ...(senders.sms ? { sms: senders.sms } : {}) };
}

const START_USAGE = `Usage:
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
  const { values } = parseCommand(args, {
    port: { type: 'string' },
    host: { type: 'string' },
    issuer: { type: 'string' },
    'tls-cert': { type: 'string' },
    'tls-key': { type: 'string' },
    workers: { type: 'string' },
  });
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
  if ((config.tlsCert === undefined) !== (config.tlsKey === undefined)) {
    throw new ConfigError(
      '--tls-cert and --tls-key go together (or GATEHOUSE_TLS_CERT and GATEHOUSE_TLS_KEY)',
      'ERR_INVALID_OPTION',
      config.tlsCert ? 'tlsKey' : 'tlsCert',
    );
  }
  const tls = config.tlsCert && config.tlsKey ? { cert: config.tlsCert, key: config.tlsKey } : undefined;
  // Before anything starts: a missing secret in production (which writes nothing), and a missing or
  // unusable TLS file, named by its flag.
  if (config.mode === 'production') resolveSecret(config, warn);
  if (tls) readTls(tls);
  if (config.workers > 1 && cluster.isPrimary) {
    // The primary never listens itself: see now whether the workers could, rather than through their failures.
    if (config.port !== 0) await closeHttp(await listenOn(createNetServer(), config.host, config.port));
    return runPrimary(args, config, io, warn, values.json);
  }
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
  try {
    return await serveUntilStopped(config, tls, io, warn, values.json, stopped, () => stopSignal);
  } finally {
    process.off('SIGINT', onStop!);
    process.off('SIGTERM', onStop!);
  }
}

/**
 * Serves until `stopped` resolves. The port first (a busy one fails before any data is touched),
 * then the stores; whatever was opened is closed again when a later step fails.
 */
async function serveUntilStopped(
  config: CliConfig,
  tls: TlsFiles | undefined,
  io: CliIo,
  warn: (message: string) => void,
  json: boolean,
  stopped: Promise<NodeJS.Signals>,
  stopSignal: () => NodeJS.Signals | undefined,
): Promise<number> {
  const logger = createLogger(config.logLevel);
  // The issuer may depend on the port actually bound (--port 0), so listen first and answer 503 until ready.
  let authorizationServer: AuthorizationServer | undefined;
  const notReady = () => oauthErrorResponse(new OAuthError('temporarily_unavailable', 'the server is starting'));
  const http = await listen((request, env) => authorizationServer?.fetch(request, env) ?? Promise.resolve(notReady()), config.host, config.port, tls);
  let runtime: Runtime;
  try {
    runtime = await openRuntime(config, warn, { create: true });
  } catch (error) {
    await closeHttp(http);
    throw error;
  }
  if (config.mode === 'development') {
    warn('running in development mode (--dev or GATEHOUSE_ENV=development): not for real deployments');
  }
  const port = (http.address() as AddressInfo).port;
  const scheme = tls ? 'https' : 'http';
  const issuer = config.issuer ?? `${scheme}://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  // SIGHUP: a renewed certificate is picked up without dropping connections.
  const reloadTls = () => {
    try {
      (http as HttpsServer).setSecureContext(readTls(tls!));
      logger.info({ event: 'tls.reloaded' }, 'TLS certificate reloaded');
    } catch (error) {
      logger.error({ err: error }, 'TLS certificate reload failed; keeping the previous one');
    }
  };
  if (tls) process.on('SIGHUP', reloadTls);
  try {
    try {
      // Every plain setting goes where the schema puts it; the objects are added here.
      const settings = serverSettingsFrom(config);
      authorizationServer = createAuthorizationServer({
        ...settings,
        issuer,
        store: runtime.store,
        secret: runtime.secret,
        upstreams: config.upstreams,
        ...(runtime.bus ? { invalidation: runtime.bus } : {}),
        protection: {
          ...settings.protection,
          ...(runtime.redis ? { redis: runtime.redis } : {}),
          ...(config.rateLimits ? { rateLimits: config.rateLimits } : {}),
        },
        mfa: {
          ...settings.mfa,
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
        logger,
      });
      await authorizationServer.ready();
    } catch (error) {
      await closeHttp(http);
      await authorizationServer?.close().catch(() => undefined);
      await runtime.close();
      throw error;
    }

    if (stopSignal() === undefined) {
      const ready = { issuer, port, host: config.host, data_dir: config.dataDir, mode: config.mode };
      if (cluster.isWorker) process.send?.({ type: 'gatehouse:ready', issuer, port } satisfies WorkerReady);
      else io.stdout.write(json ? `${JSON.stringify(ready)}\n` : `Gatehouse is ready at ${issuer}\n`);
      logger.info(ready, 'gatehouse started');
    }
    const signal = await stopped;
    logger.info({ signal }, 'stopping: draining in-flight requests');
    await closeHttp(http);
    await authorizationServer.close();
    await runtime.close();
  } finally {
    process.off('SIGHUP', reloadTls);
  }
  logger.info('gatehouse stopped');
  // A cluster worker's channel to its primary would keep it alive: drained and closed, it leaves.
  if (cluster.isWorker) process.disconnect();
  return 0;
}

/** The files of `--tls-cert` and `--tls-key`. */
interface TlsFiles {
  cert: string;
  key: string;
}

/**
 * Reads and checks the certificate and key (at start, and again on SIGHUP). A file that is missing,
 * unreadable or not PEM, and a key that does not belong to the certificate, are a
 * {@link ConfigError} naming the flag.
 */
function readTls(files: TlsFiles): { cert: Buffer; key: Buffer } {
  const cert = readTlsFile(files.cert, '--tls-cert', 'GATEHOUSE_TLS_CERT', 'tlsCert');
  const key = readTlsFile(files.key, '--tls-key', 'GATEHOUSE_TLS_KEY', 'tlsKey');
  usable(() => createSecureContext({ cert }), `--tls-cert ${files.cert} is not a PEM certificate`, 'tlsCert');
  usable(() => createSecureContext({ key }), `--tls-key ${files.key} is not a PEM private key`, 'tlsKey');
  usable(() => createSecureContext({ cert, key }), `--tls-key ${files.key} is not the key of --tls-cert ${files.cert}`, 'tlsKey');
  return { cert, key };
}

function readTlsFile(file: string, flag: string, variable: string, option: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    const { code } = error as NodeJS.ErrnoException;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EACCES'
          ? 'permission denied'
          : code === 'EISDIR'
            ? 'a directory, not a file'
            : (code ?? (error as Error).message);
    throw new ConfigError(`cannot read ${flag} ${file} (${variable}): ${why}`, 'ERR_INVALID_OPTION', option);
  }
}

/** Runs an OpenSSL check; its failure becomes `message` with OpenSSL's reason (never its `error:...` code). */
function usable(check: () => unknown, message: string, option: string): void {
  try {
    check();
  } catch (error) {
    const reason = (error as { reason?: unknown }).reason;
    throw new ConfigError(`${message}${typeof reason === 'string' && reason ? ` (${reason})` : ''}`, 'ERR_INVALID_OPTION', option);
  }
}

function listen(fetch: (request: Request, env: FetchEnv) => Promise<Response>, hostname: string, port: number, tls?: TlsFiles): Promise<ServerType> {
  const options = tls ? { createServer: createHttpsServer, serverOptions: readTls(tls) } : {};
  // Not listening yet: serve() starts to, and listenOn reports how that ended.
  const server = serve({ fetch, hostname, port, ...options });
  return listenOn(server, hostname, port, false);
}

/**
 * Resolves once `server` listens on host:port (`start`: call `listen` here; otherwise it was
 * called already), or rejects, the server closed, with one line naming the flag that changes what
 * failed: `--port` for a port in use or needing privileges, `--host` for an address that is not
 * this machine's.
 */
function listenOn<T extends NetServer>(server: T, host: string, port: number, start = true): Promise<T> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      server.close(() => undefined);
      reject(listenError(error, host, port));
    };
    const onListening = () => {
      server.off('error', onError);
      resolve(server);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    if (start) server.listen(port, host);
  });
}

function listenError(error: NodeJS.ErrnoException, host: string, port: number): ConfigError {
  const changePort = 'choose another with --port (or GATEHOUSE_PORT)';
  const changeHost = 'choose another with --host (or GATEHOUSE_HOST)';
  switch (error.code) {
    case 'EADDRINUSE':
      return new ConfigError(`port ${port} on ${host} is already in use: ${changePort}, or stop what is using it`, 'ERR_INVALID_OPTION', 'port');
    case 'EACCES':
      return new ConfigError(
        `port ${port} on ${host} needs privileges this process does not have: ${changePort} (1024 or above)`,
        'ERR_INVALID_OPTION',
        'port',
      );
    case 'EADDRNOTAVAIL':
      return new ConfigError(`cannot listen on host ${host}: it is not an address of this machine; ${changeHost}`, 'ERR_INVALID_OPTION', 'host');
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
      return new ConfigError(`cannot listen on host ${host}: no such host; ${changeHost}`, 'ERR_INVALID_OPTION', 'host');
    default:
      return new ConfigError(
        `cannot listen on ${host} port ${port}: ${error.code ?? error.message}; check --host and --port (or GATEHOUSE_HOST and GATEHOUSE_PORT)`,
        'ERR_INVALID_OPTION',
        'host',
      );
  }
}

/** Stops accepting connections and waits for in-flight requests, up to a limit. */
function closeHttp(server: ServerType | NetServer): Promise<void> {
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
