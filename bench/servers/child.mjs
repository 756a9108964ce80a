/**
 * The parent side of a server child's life: report readiness over IPC, answer probes, exit cleanly
 * when told to (so `--cpu-prof` writes its profile and whatever the server made outside itself —
 * a PostgreSQL schema, Redis keys — is removed), and never outlive the parent.
 */

/** Longest a server may take to close and clean up before it exits anyway. */
const CLOSE_DEADLINE_MS = 15_000;

/** Tells the parent the server listens on `port`, with whatever the load needs (`info`). */
export function announce(port, info = {}) {
  process.send?.({ type: 'ready', port, info });
}

/**
 * Tells the parent this process cannot run here (a service it needs is unreachable), then exits:
 * the parent leaves it out of the run and says why, instead of failing the whole run.
 */
export function skip(reason) {
  process.send?.({ type: 'skip', reason }, () => process.exit(0));
}

/**
 * Runs `close()` once, then exits, on the parent's `stop` message, when the parent goes away, or
 * on SIGINT/SIGTERM (Ctrl-C reaches every process of the group): a server that made something
 * outside itself removes it whichever way the run ends, short of SIGKILL. Returns the same stop
 * function, for a set-up that failed half way (`stop(1)`).
 * @returns {(code?: number) => void}
 */
export function onStop(close) {
  let stopping;
  const stop = (code = 0) => {
    stopping ??= Promise.race([Promise.resolve().then(close), new Promise((resolve) => setTimeout(resolve, CLOSE_DEADLINE_MS).unref())])
      .catch((error) => process.stderr.write(`closing failed: ${error?.message ?? error}\n`))
      .finally(() => process.exit(code));
  };
  process.on('message', (message) => {
    if (message?.type === 'stop') stop();
  });
  process.on('disconnect', () => stop());
  process.once('SIGINT', () => stop());
  process.once('SIGTERM', () => stop());
  return stop;
}

/**
 * Answers the parent's `probe` messages with `read()`'s counters (SQL statements, Redis commands,
 * the PostgreSQL and Redis processes serving this one), read just before and after a measurement.
 * @param {() => Promise<object> | object} read
 */
export function onProbe(read) {
  process.on('message', (message) => {
    if (message?.type !== 'probe') return;
    Promise.resolve()
      .then(read)
      .then(
        (values) => process.send?.({ type: 'probe', ...values }),
        (error) => process.send?.({ type: 'probe', error: String(error?.message ?? error) }),
      );
  });
}

/** The port a listening node:http server was given. */
export function portOf(server) {
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('the server is not listening on TCP');
  return address.port;
}
