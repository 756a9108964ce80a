/**
 * How a `gatehouse start` process is told to stop or to reload: SIGTERM and SIGINT stop it (a
 * second one stops it at once), SIGHUP reloads it, and a cluster worker also takes both from its
 * primary as messages. Handlers are installed before anything starts, so that no signal ever
 * meets node's default action (SIGHUP's would end the process with 129).
 */
import cluster from 'node:cluster';
import { constants } from 'node:os';
import type { CliConfig } from './config.js';
import type { CommandKey } from './settings.js';

/** How long in-flight requests may take to finish after a stop signal. */
export const DRAIN_TIMEOUT_MS = 10_000;

/**
 * Settings a running process cannot change: what the listener, the stores and the cluster were
 * opened with. A reload (SIGHUP) that finds one of them changed is refused, and the process goes
 * on as it was. TLS on or off is one too; new certificate paths are not. Every other setting is
 * read by the authorization server a reload builds anew.
 */
const RESTART_ONLY_SETTINGS: readonly CommandKey[] = [
  'mode',
  'dataDir',
  'secret',
  'host',
  'port',
  'workers',
  'databaseUrl',
  'databaseSchema',
  'dbPoolSize',
  'dbStatementTimeoutMs',
  'dbQueryTimeoutMs',
  'dbConnectionTimeoutMs',
  'sqliteBusyTimeoutMs',
  'redisUrl',
  'redisPrefix',
  'redisCommandTimeoutMs',
  'httpHeadersTimeoutMs',
  'httpRequestTimeoutMs',
  'httpKeepAliveTimeoutMs',
];

/** The settings of {@link RESTART_ONLY_SETTINGS} (and TLS on or off) that differ between `before` and `after`. */
export function restartOnlyChanges(before: CliConfig, after: CliConfig): string[] {
  const changed: string[] = RESTART_ONLY_SETTINGS.filter((key) => before[key] !== after[key]);
  if ((before.tlsCert === undefined) !== (after.tlsCert === undefined)) changed.push('tlsCert');
  return changed;
}

/** Messages between the primary of `--workers` and its workers. */
export type ClusterMessage =
  /** Worker → primary: it serves requests. */
  | { type: 'gatehouse:ready'; issuer: string; port: number }
  /** Primary → worker: stop (as SIGTERM does); with `now`, at once (as a second signal does). */
  | { type: 'gatehouse:stop'; now?: NodeJS.Signals }
  /** Worker → primary: it no longer accepts connections; it waits for `gatehouse:drain`. */
  | { type: 'gatehouse:listener-closed' }
  /** Primary → worker: the shared port is closed or served by others: empty your connections. */
  | { type: 'gatehouse:drain' };

/** What asked the process to stop: a signal, or (a worker) its primary. */
export type StopCause = NodeJS.Signals | 'primary';

export interface ProcessControl {
  /** Resolves at the first stop request. */
  readonly stopped: Promise<StopCause>;
  /** Whether a stop was requested. */
  stopRequested(): boolean;
  /** Calls `reload` at each SIGHUP; one received before this call is delivered now. */
  onReload(reload: () => void): void;
  /** Removes the handlers. */
  dispose(): void;
}

/** The exit status after a signal ended the process at once: 128 + its number (130, 143), as shells report it. */
export function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + constants.signals[signal];
}

/**
 * Listens for SIGTERM, SIGINT, SIGHUP and (in a cluster worker) the primary's messages. A second
 * stop signal ends the process at once with {@link signalExitCode}: what was in flight is cut, and
 * audit events not yet stored are lost, as with `kill -9`.
 */
export function watchProcess(io: { stderr: NodeJS.WritableStream }): ProcessControl {
  let cause: StopCause | undefined;
  let resolveStopped!: (cause: StopCause) => void;
  const stopped = new Promise<StopCause>((resolve) => (resolveStopped = resolve));
  let reload: (() => void) | undefined;
  let reloadPending = false;

  const exitNow = (signal: NodeJS.Signals) => {
    io.stderr.write(`warning: ${signal} while stopping: exiting at once, without waiting for requests in flight\n`);
    process.exit(signalExitCode(signal));
  };
  const onStopSignal = (signal: NodeJS.Signals) => {
    // Only a signal counts as the second: under systemd, a worker gets SIGTERM from systemd and
    // its primary's message at the same time.
    if (cause !== undefined && cause !== 'primary') exitNow(signal);
    cause = signal;
    resolveStopped(signal);
  };
  const onHangup = () => {
    if (reload) reload();
    else reloadPending = true;
  };
  const onMessage = (message: ClusterMessage | null) => {
    if (message?.type !== 'gatehouse:stop') return;
    if (message.now) exitNow(message.now);
    cause ??= 'primary';
    resolveStopped(cause);
  };
  process.on('SIGTERM', onStopSignal);
  process.on('SIGINT', onStopSignal);
  process.on('SIGHUP', onHangup);
  if (cluster.isWorker) process.on('message', onMessage);
  return {
    stopped,
    stopRequested: () => cause !== undefined,
    onReload(handler) {
      reload = handler;
      if (reloadPending) {
        reloadPending = false;
        handler();
      }
    },
    dispose() {
      process.off('SIGTERM', onStopSignal);
      process.off('SIGINT', onStopSignal);
      process.off('SIGHUP', onHangup);
      process.off('message', onMessage);
    },
  };
}

/** Sends `message` to the primary (a cluster worker); nothing when its channel is gone. */
export function tellPrimary(message: ClusterMessage): void {
  if (cluster.isWorker && process.connected) process.send?.(message);
}

/**
 * In a cluster worker: tells the primary the listener is closed, and resolves once it answers
 * `gatehouse:drain` (at most `timeoutMs`, should it not). Elsewhere at once.
 */
export function awaitDrainTurn(timeoutMs: number): Promise<void> {
  if (!cluster.isWorker || !process.connected) return Promise.resolve();
  return new Promise((resolve) => {
    const finish = () => {
      clearTimeout(timer);
      process.off('message', onMessage);
      resolve();
    };
    const onMessage = (message: ClusterMessage | null) => {
      if (message?.type === 'gatehouse:drain') finish();
    };
    const timer = setTimeout(finish, timeoutMs);
    process.on('message', onMessage);
    tellPrimary({ type: 'gatehouse:listener-closed' });
  });
}
