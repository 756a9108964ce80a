/**
 * The parent side of a server child's life: report readiness over IPC, exit cleanly when told to
 * (so `--cpu-prof` writes its profile), and never outlive the parent.
 */

/** Tells the parent the server listens on `port`, with whatever the load needs (`info`). */
export function announce(port, info = {}) {
  process.send?.({ type: 'ready', port, info });
}

/** Exits on the parent's `stop` message, after `close()`; exits at once if the parent goes away. */
export function onStop(close) {
  process.on('message', (message) => {
    if (message?.type !== 'stop') return;
    Promise.resolve()
      .then(close)
      .catch(() => undefined)
      .finally(() => process.exit(0));
  });
  process.on('disconnect', () => process.exit(0));
}

/** The port a listening node:http server was given. */
export function portOf(server) {
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('the server is not listening on TCP');
  return address.port;
}
