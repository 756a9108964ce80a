/**
 * The node http(s) server `gatehouse start` serves on: its timeouts, and a stop that resets no
 * request. Node's own `server.close()` closes every idle kept-alive connection at once, which races
 * with a client that has just received a response and is sending its next request on the same
 * connection: that request is reset, and the client cannot tell whether it was processed (a reset
 * refresh request makes its retry look like a reuse, which revokes the token family). Here a stop
 * instead answers every further request with `Connection: close`, and closes a connection only
 * once it has been idle long enough that no request is on its way.
 */
import { createAdaptorServer } from '@hono/node-server';
import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { Server as NetServer, type Socket } from 'node:net';
import type { FetchEnv } from '../server/authorization-server.js';

/** Longest a client may take to send the head of a request (request line and headers). */
const HEADERS_TIMEOUT_MS = 20_000;
/** Longest a client may take to send a whole request, body included. */
const REQUEST_TIMEOUT_MS = 30_000;
/**
 * How long a kept-alive connection may stay idle between two requests. Longer than the 60 s of
 * nginx's upstream `keepalive_timeout` and of common load balancers' idle timeouts, so that they
 * close an idle connection first: a server closing it while the proxy reuses it fails a request.
 */
const KEEP_ALIVE_TIMEOUT_MS = 65_000;
/** How often node checks the two request timeouts (its default, 30 s, would let them run 30 s late). */
const TIMEOUT_CHECK_INTERVAL_MS = 1_000;
/**
 * While stopping, a connection without a request is closed once it has been idle this long: a
 * client that has just received a response and goes on sends its next request well within it
 * (and gets `Connection: close` with the answer), so closing after it resets nothing.
 */
export const IDLE_GRACE_MS = 250;
/** How often a drain looks for connections it may close. */
const DRAIN_CHECK_MS = 25;

/** The timeouts of a {@link createHttpServer} server; tests pass shorter ones. */
export interface HttpTimeouts {
  headersMs: number;
  requestMs: number;
  keepAliveMs: number;
}

export const DEFAULT_HTTP_TIMEOUTS: HttpTimeouts = {
  headersMs: HEADERS_TIMEOUT_MS,
  requestMs: REQUEST_TIMEOUT_MS,
  keepAliveMs: KEEP_ALIVE_TIMEOUT_MS,
};

/** A server built by {@link createHttpServer}, not listening yet. */
export interface GatehouseHttpServer {
  readonly server: HttpServer | HttpsServer;
  /** Stops accepting connections; the open ones go on being served. */
  stopAccepting(): void;
  /**
   * Empties the server: from now on every response carries `Connection: close` (and its connection
   * closes after it), a response already being prepared too; a connection without a request is
   * closed once idle {@link IDLE_GRACE_MS}. Resolves once no connection is left, or at `deadline`
   * (a `Date.now()` time) after closing those still open, with how many that were (`cut`).
   */
  drain(deadline: number): Promise<{ cut: number }>;
}

/** One connection as HTTP sees it (for HTTPS, the TLS socket). */
interface ConnectionState {
  /** Requests being answered on it. */
  active: number;
  /** Their responses, to tell them `Connection: close` if the stop comes before their headers. */
  responses: Set<ServerResponse>;
  /** When its last response ended (or it was opened). */
  idleSince: number;
  /** `bytesRead` then: more since means a request is arriving. */
  readAtIdle: number;
}

/**
 * An http server (or https with `tls`) for `fetch`, with the timeouts set: a request head must
 * arrive within {@link HEADERS_TIMEOUT_MS}, a whole request within {@link REQUEST_TIMEOUT_MS}
 * (else node answers `408` and closes), and an idle kept-alive connection is closed after
 * {@link KEEP_ALIVE_TIMEOUT_MS}.
 */
export function createHttpServer(
  fetch: (request: Request, env: FetchEnv) => Promise<Response>,
  options: { tls?: { cert: Buffer; key: Buffer }; timeouts?: HttpTimeouts } = {},
): GatehouseHttpServer {
  const timeouts = options.timeouts ?? DEFAULT_HTTP_TIMEOUTS;
  const serverOptions = {
    headersTimeout: timeouts.headersMs,
    requestTimeout: timeouts.requestMs,
    connectionsCheckingInterval: Math.min(TIMEOUT_CHECK_INTERVAL_MS, timeouts.headersMs),
    ...(options.tls ?? {}),
  };
  const server = createAdaptorServer({
    fetch,
    serverOptions,
    ...(options.tls ? { createServer: createHttpsServer } : {}),
  }) as HttpServer | HttpsServer;
  server.keepAliveTimeout = timeouts.keepAliveMs;
  return drainable(server, options.tls !== undefined);
}

function drainable(server: HttpServer | HttpsServer, tls: boolean): GatehouseHttpServer {
  /** Every TCP connection (for HTTPS, before its handshake too): what the drain waits for. */
  const sockets = new Set<Socket>();
  const states = new Map<Socket, ConnectionState>();
  let stopping = false;
  let onClosed: (() => void) | undefined;

  const stateOf = (socket: Socket): ConnectionState => {
    let state = states.get(socket);
    if (state === undefined) {
      state = { active: 0, responses: new Set(), idleSince: Date.now(), readAtIdle: socket.bytesRead };
      states.set(socket, state);
      socket.once('close', () => states.delete(socket));
    }
    return state;
  };
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => {
      sockets.delete(socket);
      onClosed?.();
    });
  });
  if (tls) server.on('secureConnection', (socket: Socket) => stateOf(socket));
  else server.on('connection', (socket: Socket) => stateOf(socket));
  // Before the fetch handler: it has to see `shouldKeepAlive` before the headers are written.
  server.prependListener('request', (request: IncomingMessage, response: ServerResponse) => {
    const socket = request.socket;
    const state = stateOf(socket);
    state.active += 1;
    state.responses.add(response);
    if (stopping) response.shouldKeepAlive = false;
    response.once('close', () => {
      state.active -= 1;
      state.responses.delete(response);
      state.idleSince = Date.now();
      state.readAtIdle = socket.bytesRead;
    });
  });

  return {
    server,
    stopAccepting() {
      // net's close, not http's: that one also closes idle connections at once (see the top).
      if (server.listening) NetServer.prototype.close.call(server);
    },
    drain(deadline) {
      stopping = true;
      for (const state of states.values()) {
        for (const response of state.responses) if (!response.headersSent) response.shouldKeepAlive = false;
      }
      return new Promise((resolve) => {
        const done = (cut: number) => {
          clearInterval(timer);
          onClosed = undefined;
          resolve({ cut });
        };
        const check = () => {
          if (sockets.size === 0) {
            done(0);
            return;
          }
          const now = Date.now();
          if (now >= deadline) {
            const cut = sockets.size;
            for (const socket of sockets) socket.destroy();
            done(cut);
            return;
          }
          for (const [socket, state] of states) {
            if (state.active === 0 && now - state.idleSince >= IDLE_GRACE_MS && socket.bytesRead === state.readAtIdle) socket.destroy();
          }
        };
        const timer = setInterval(check, DRAIN_CHECK_MS);
        onClosed = () => {
          if (sockets.size === 0) done(0);
        };
        check();
      });
    },
  };
}
