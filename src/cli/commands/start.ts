import cluster from 'node:cluster';
import { readFileSync } from 'node:fs';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer } from 'node:net';
import { createSecureContext } from 'node:tls';
import type { Server as HttpsServer } from 'node:https';
import type { Logger } from 'pino';
import { ConfigError, OAuthError } from '../../core/errors.js';
import { createAuthorizationServer, type AuthorizationServer, type FetchEnv } from '../../server/authorization-server.js';
import { createCommandLogger } from '../../server/observability/ecs-log.js';
import { oauthErrorResponse } from '../../server/http/responses.js';
import type { InvalidationBus } from '../../stores/redis/invalidation-bus.js';
import { configFrom, parseCommand } from '../args.js';
import type { CliConfig } from '../config.js';
import { createHttpServer, type GatehouseHttpServer, type HttpTimeouts } from '../http-server.js';
import type { CliIo } from '../io.js';
import { awaitDrainTurn, DRAIN_TIMEOUT_MS, restartOnlyChanges, tellPrimary, watchProcess, type ProcessControl } from '../process-control.js';
import { openRuntime, resolveSecret, type Runtime } from '../runtime.js';
import { commandServerOptions, derivedIssuer as issuerFor } from '../server-options.js';
import { runPrimary } from './start-workers.js';
import { startOtelSdk, type OtelSdk } from '../otel.js';

const START_USAGE = `Usage:
  gatehouse start [--port 3000] [--host 127.0.0.1] [--issuer URL] [--data DIR]
                  [--tls-cert FILE --tls-key FILE] [--workers N] [--dev] [--json]
Runs in production mode: GATEHOUSE_SECRET is required and the issuer must be https (plain http on
loopback only). --dev (or GATEHOUSE_ENV=development) is for local use: a secret generated into the
data directory, any http issuer, and email/SMS codes written to DIR/outbox.jsonl instead of sent.
Serves the authorization server (embedded SQLite in the data directory, or GATEHOUSE_DATABASE_URL
and GATEHOUSE_REDIS_URL). --workers N runs N processes sharing the port. With --tls-cert and
--tls-key it serves HTTPS.
SIGHUP reloads the configuration file and the TLS certificate without dropping a request (with
--workers: a new worker for each old one, one at a time). SIGTERM or SIGINT stops accepting,
finishes the requests in flight (up to 10 s), stores the queued audit events and exits 0; a
second one exits at once (130 or 143). A failed start exits 1.`;

/** After the drain, how much longer requests whose client is gone may take (each is bounded by the store's own deadlines). */
const HANDLER_GRACE_MS = 5_000;
/** How long a stopping worker waits for its primary's word to drain (the primary answers within milliseconds). */
const DRAIN_TURN_WAIT_MS = 2_000;

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
  // From here on no signal meets node's default action (SIGHUP's would end the process with 129).
  const control = watchProcess(io);
  let otel: OtelSdk | undefined;
  try {
    // Read again at each SIGHUP: the configuration file may have changed (flags and environment cannot).
    const readConfig = () =>
      configFrom(values, io, {
        issuer: values.issuer,
        host: values.host,
        tlsCert: values['tls-cert'],
        tlsKey: values['tls-key'],
        ...(values.workers !== undefined ? { workers: values.workers as unknown as number } : {}),
        ...(values.port !== undefined ? { port: values.port as unknown as number } : {}),
      });
    const config = readConfig();
    const tls = tlsFilesOf(config);
    // Before anything starts: a missing secret in production (which writes nothing), a missing or
    // unusable TLS file, named by its flag, and timeouts node would refuse.
    if (config.mode === 'production') resolveSecret(config, warn);
    if (tls) readTls(tls);
    httpTimeouts(config);
    if (config.workers > 1 && cluster.isPrimary) {
      // The primary never listens itself: see now whether the workers could, rather than through their failures.
      if (config.port !== 0) await closeServer(await listenOn(createNetServer(), config.host, config.port));
      return await runPrimary(args, config, readConfig, io, warn, values.json, control);
    }
    // GATEHOUSE_OTEL: the OpenTelemetry SDK, started before the server makes its first span.
    otel = config.otel ? await startOtelSdk(io.env) : undefined;
    return await serveUntilStopped(config, readConfig, tls, io, warn, values.json, control);
  } finally {
    control.dispose();
    // Its last spans exported; a failing exporter does not change how the command ends.
    await otel?.shutdown().catch((error: unknown) => warn(`OpenTelemetry SDK shutdown failed: ${String(error)}`));
  }
}

/** `--tls-cert` and `--tls-key` of a configuration, if set (both or neither: checked by the caller). */
function tlsFilesOf(config: CliConfig): TlsFiles | undefined {
  if ((config.tlsCert === undefined) !== (config.tlsKey === undefined)) {
    throw new ConfigError(
      '--tls-cert and --tls-key go together (or GATEHOUSE_TLS_CERT and GATEHOUSE_TLS_KEY)',
      'ERR_INVALID_OPTION',
      config.tlsCert ? 'tlsKey' : 'tlsCert',
    );
  }
  return config.tlsCert && config.tlsKey ? { cert: config.tlsCert, key: config.tlsKey } : undefined;
}

/** An authorization server and the requests it is answering, so that it is closed only once they are done. */
interface Serving {
  readonly server: AuthorizationServer;
  readonly logger: Logger;
  fetch(request: Request, env: FetchEnv): Promise<Response>;
  /** Waits for the requests it is answering (until `until`, a `Date.now()` time), then closes it: its audit queue is stored. */
  retire(until: number): Promise<void>;
}

function serving(server: AuthorizationServer, logger: Logger, detach: () => void): Serving {
  let inFlight = 0;
  let onIdle: (() => void) | undefined;
  const settle = () => {
    inFlight -= 1;
    if (inFlight === 0) onIdle?.();
  };
  return {
    server,
    logger,
    fetch(request, env) {
      inFlight += 1;
      const answer = server.fetch(request, env);
      answer.then(settle, settle);
      return answer;
    },
    async retire(until) {
      if (inFlight > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.max(0, until - Date.now()));
          onIdle = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      detach();
      await server.close();
    },
  };
}

/**
 * The invalidation bus for one authorization server: its subscription ends with it (the bus
 * itself belongs to the runtime, which outlives servers replaced by a reload).
 */
function busFor(bus: InvalidationBus): { bus: InvalidationBus; detach: () => void } {
  let attached = true;
  return {
    bus: {
      publish: (topic) => bus.publish(topic),
      subscribe: (handler) => bus.subscribe((topic) => attached && handler(topic)),
      close: async () => undefined,
    },
    detach: () => (attached = false),
  };
}

/**
 * Serves until a stop is requested. The port first (a busy one fails before any data is touched),
 * then the stores; whatever was opened is closed again when a later step fails. SIGHUP reloads in
 * place: the configuration file is read again and, if every setting that needs a restart is
 * unchanged, a new authorization server over the same stores takes the new requests once ready,
 * while the previous one finishes its own (the TLS certificate and key are read again too).
 *
 * The stop: the listener closes (a cluster worker then waits for its primary's word, so the
 * shared port is never left open with nobody accepting), every response from then on carries
 * `Connection: close`, idle connections are closed, and in-flight requests get up to
 * {@link DRAIN_TIMEOUT_MS}; then the audit queue is stored, and only then the stores are closed.
 */
async function serveUntilStopped(
  startConfig: CliConfig,
  readConfig: () => CliConfig,
  tls: TlsFiles | undefined,
  io: CliIo,
  warn: (message: string) => void,
  json: boolean,
  control: ProcessControl,
): Promise<number> {
  let logger = await createCommandLogger(startConfig.logLevel, startConfig.logFormat);
  let current: Serving | undefined;
  const notReady = () => oauthErrorResponse(new OAuthError('temporarily_unavailable', 'the server is starting'));
  const http = createHttpServer((request, env) => current?.fetch(request, env) ?? Promise.resolve(notReady()), {
    ...(tls ? { tls: readTls(tls) } : {}),
    timeouts: httpTimeouts(startConfig),
  });
  // One process: the issuer may depend on the port actually bound (--port 0), so it listens first
  // and answers 503 until ready. A cluster worker has its port from the primary, and listens only
  // once ready: connections on the shared port then wait for a worker that serves, instead of
  // being answered 503 by one starting during a reload.
  const listenFirst = !cluster.isWorker;
  // Set when listen() is called (not once listening): a function, as closures set it.
  const listenCalled = { value: false };
  const listening = () => listenCalled.value;
  const listen = async () => {
    listenCalled.value = true;
    await listenOn(http.server, startConfig.host, startConfig.port);
  };
  if (listenFirst) await listen();
  // A worker asked to stop before it listens never does, and says so at once: its primary waits
  // for every worker's listener to be closed before the others empty their connections.
  else void control.stopped.then(() => listening() || tellPrimary({ type: 'gatehouse:listener-closed' }));
  let runtime: Runtime;
  try {
    runtime = await openRuntime(startConfig, warn, { create: true });
  } catch (error) {
    await closeAtOnce(http);
    throw error;
  }
  if (startConfig.mode === 'development') {
    warn('running in development mode (--dev or GATEHOUSE_ENV=development): not for real deployments');
  }
  const port = listenFirst ? (http.server.address() as AddressInfo).port : startConfig.port;
  const derivedIssuer = issuerFor(startConfig.host, port, tls !== undefined);

  /** An authorization server for `config` over the runtime's stores, ready to serve. */
  const build = async (config: CliConfig): Promise<Serving> => {
    const serverLogger = await createCommandLogger(config.logLevel, config.logFormat);
    const scoped = runtime.bus ? busFor(runtime.bus) : undefined;
    // Every plain setting goes where the schema puts it; the objects are added here.
    const options = commandServerOptions(config, runtime, derivedIssuer);
    const server = createAuthorizationServer({
      ...options,
      upstreams: config.upstreams.map((upstream) => ({ timeoutMs: config.upstreamTimeoutMs, ...upstream })),
      ...(scoped ? { invalidation: scoped.bus } : {}),
      protection: {
        ...options.protection,
        ...(runtime.redis ? { redis: runtime.redis } : {}),
        ...(config.rateLimits ? { rateLimits: config.rateLimits } : {}),
      },
      logger: serverLogger,
    });
    try {
      await server.ready();
    } catch (error) {
      scoped?.detach();
      await server.close().catch(() => undefined);
      throw error;
    }
    return serving(server, serverLogger, () => scoped?.detach());
  };

  try {
    current = await build(startConfig);
    if (!listenFirst && !control.stopRequested()) await listen();
  } catch (error) {
    await closeAtOnce(http);
    await current?.retire(Date.now());
    await runtime.close();
    throw error;
  }
  logger = current.logger;
  const issuer = current.server.issuer;
  if (!control.stopRequested()) {
    const ready = { issuer, port, host: startConfig.host, data_dir: startConfig.dataDir, mode: startConfig.mode };
    if (cluster.isWorker) tellPrimary({ type: 'gatehouse:ready', issuer, port });
    else io.stdout.write(json ? `${JSON.stringify(ready)}\n` : `Gatehouse is ready at ${issuer}\n`);
    logger.info(ready, 'gatehouse started');
  }

  // SIGHUP. One reload at a time; signals meanwhile make one more after it.
  let reloading: Promise<void> | undefined;
  let reloadWanted = false;
  // A function where an await separates two reads (the compiler would assume the value unchanged).
  const wanted = () => reloadWanted;
  const reloadOnce = async (): Promise<void> => {
    let next: CliConfig;
    let nextTls: TlsFiles | undefined;
    try {
      next = readConfig();
      nextTls = tlsFilesOf(next);
    } catch (error) {
      logger.error({ event: 'reload.failed', err: error }, 'reload failed: the configuration cannot be read; still serving with the previous one');
      return;
    }
    const changed = restartOnlyChanges(startConfig, next);
    if (changed.length > 0) {
      logger.error(
        { event: 'reload.failed', settings: changed },
        `reload refused: ${changed.join(', ')} changed, which only a restart applies; still serving with the previous configuration`,
      );
      return;
    }
    if (nextTls) {
      try {
        (http.server as HttpsServer).setSecureContext(readTls(nextTls));
        logger.info({ event: 'tls.reloaded' }, 'TLS certificate reloaded');
      } catch (error) {
        logger.error({ event: 'reload.failed', err: error }, 'TLS certificate reload failed; keeping the previous certificate and configuration');
        return;
      }
    }
    let fresh: Serving;
    try {
      fresh = await build(next);
    } catch (error) {
      logger.error({ event: 'reload.failed', err: error }, 'reload failed: the new configuration did not start; still serving with the previous one');
      return;
    }
    if (control.stopRequested()) {
      await fresh.retire(Date.now());
      return;
    }
    const previous = current!;
    current = fresh;
    logger = fresh.logger;
    logger.info({ event: 'reload.succeeded' }, 'configuration reloaded');
    // Its requests finish on it; then its audit queue is stored.
    await previous.retire(Date.now() + DRAIN_TIMEOUT_MS);
  };
  control.onReload(() => {
    reloadWanted = true;
    reloading ??= (async () => {
      while (wanted() && !control.stopRequested()) {
        reloadWanted = false;
        await reloadOnce();
      }
    })().finally(() => (reloading = undefined));
  });

  const cause = await control.stopped;
  const deadline = Date.now() + DRAIN_TIMEOUT_MS;
  logger.info({ signal: cause }, 'stopping: draining in-flight requests');
  http.stopAccepting();
  if (listening()) await awaitDrainTurn(DRAIN_TURN_WAIT_MS);
  const { cut } = await http.drain(deadline);
  if (cut > 0) logger.warn({ connections: cut }, `stop deadline (${DRAIN_TIMEOUT_MS / 1000} s) reached: ${cut} connections closed with requests unanswered`);
  await reloading;
  // Requests whose client left may still be running: they finish before their audit events are
  // stored and before the stores close under them.
  await current.retire(Date.now() + HANDLER_GRACE_MS);
  await runtime.close();
  logger.info('gatehouse stopped');
  // A cluster worker's channel to its primary would keep it alive: drained and closed, it leaves.
  if (cluster.isWorker) process.disconnect();
  return 0;
}

/**
 * The node server's timeouts from the settings. Node refuses a head timeout above the request
 * timeout: said here, naming the setting, before anything starts.
 */
function httpTimeouts(config: CliConfig): HttpTimeouts {
  if (config.httpHeadersTimeoutMs > config.httpRequestTimeoutMs) {
    throw new ConfigError(
      `GATEHOUSE_HTTP_HEADERS_TIMEOUT (${config.httpHeadersTimeoutMs}) must not be above GATEHOUSE_HTTP_REQUEST_TIMEOUT (${config.httpRequestTimeoutMs})`,
      'ERR_INVALID_OPTION',
      'httpHeadersTimeoutMs',
    );
  }
  return { headersMs: config.httpHeadersTimeoutMs, requestMs: config.httpRequestTimeoutMs, keepAliveMs: config.httpKeepAliveTimeoutMs };
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

/**
 * Listens on host:port and resolves once it does, or rejects, the server closed, with one line
 * naming the flag that changes what failed: `--port` for a port in use or needing privileges,
 * `--host` for an address that is not this machine's.
 */
function listenOn<T extends NetServer>(server: T, host: string, port: number): Promise<T> {
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
    server.listen(port, host);
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

/** Closes a server that serves nothing yet (the port check, a start that failed). */
function closeServer(server: NetServer): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** Closes the http server of a start that failed: nothing was served, nothing to wait for. */
async function closeAtOnce(http: GatehouseHttpServer): Promise<void> {
  http.stopAccepting();
  await http.drain(Date.now());
}
