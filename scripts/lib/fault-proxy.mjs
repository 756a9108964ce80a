/**
 * A TCP proxy in front of a dependency (PostgreSQL, Redis) that plays its faults on loopback, for
 * the fault tests and `npm run chaos`:
 *
 * - `kill()`: the dependency went down. The listener closes (new connections are refused) and
 *   every open connection is cut; `start()` brings it back on the same port.
 * - `freeze()`: the dependency hangs (a stalled network, a paused process, a failover in
 *   progress). Connections stay open and new ones are accepted, but no byte moves either way
 *   until `thaw()`, which delivers what was held, in order.
 * - `slow(ms)`: every chunk waits `ms` before it is passed on (both directions); `slow(0)` ends it.
 *
 * Only ever point it at 127.0.0.1: it is a test tool, not a production component.
 */
import { connect, createServer } from 'node:net';

export class FaultProxy {
  /** @type {import('node:net').Server | undefined} */
  #server;
  /** @type {Set<import('node:net').Socket>} */
  #sockets = new Set();
  #frozen = false;
  #delayMs = 0;
  /** @type {(() => void)[]} */
  #held = [];

  /**
   * @param {{ host: string; port: number }} target
   * @param {number} port the proxy's own port on 127.0.0.1 (0: any free one, read `port` after `start`)
   */
  constructor(target, port = 0) {
    this.target = target;
    this.port = port;
  }

  /** Opens a proxy to `target` on a free port. */
  static async open(target) {
    const proxy = new FaultProxy(target);
    await proxy.start();
    return proxy;
  }

  get state() {
    if (this.#server === undefined) return 'killed';
    if (this.#frozen) return 'frozen';
    return this.#delayMs > 0 ? 'slow' : 'up';
  }

  /** Listens (again) on `port`. */
  start() {
    const server = createServer((downstream) => {
      const upstream = connect(this.target);
      for (const socket of [downstream, upstream]) {
        this.#sockets.add(socket);
        socket.setNoDelay(true);
        socket.once('close', () => this.#sockets.delete(socket));
        socket.on('error', () => {
          downstream.destroy();
          upstream.destroy();
        });
      }
      this.#forward(downstream, upstream);
      this.#forward(upstream, downstream);
    });
    this.#server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => {
        server.off('error', reject);
        this.port = /** @type {import('node:net').AddressInfo} */ (server.address()).port;
        resolve();
      });
    });
  }

  /** The dependency dies: refuse new connections, cut the open ones. */
  async kill() {
    const server = this.#server;
    this.#server = undefined;
    this.#frozen = false;
    this.#held = [];
    for (const socket of this.#sockets) socket.destroy();
    if (server) await new Promise((resolve) => server.close(() => resolve(undefined)));
  }

  /** The dependency hangs: nothing moves until {@link thaw}. */
  freeze() {
    this.#frozen = true;
  }

  /** Ends a freeze: what was held moves on, in order. */
  thaw() {
    this.#frozen = false;
    const held = this.#held;
    this.#held = [];
    for (const deliver of held) deliver();
  }

  /** Every chunk waits `ms` (0: no delay). */
  slow(ms) {
    this.#delayMs = ms;
  }

  /** Stops for good. */
  close() {
    return this.kill();
  }

  /**
   * @param {import('node:net').Socket} from
   * @param {import('node:net').Socket} to
   */
  #forward(from, to) {
    // One queue per direction keeps the byte order through freezes and delays.
    /** @type {Buffer[]} */
    const queue = [];
    let sending = false;
    const pump = () => {
      if (sending || queue.length === 0) return;
      if (this.#frozen) {
        sending = true;
        this.#held.push(() => {
          sending = false;
          pump();
        });
        return;
      }
      const chunk = /** @type {Buffer} */ (queue.shift());
      const send = () => {
        if (!to.destroyed) to.write(chunk);
        sending = false;
        pump();
      };
      if (this.#delayMs > 0) {
        sending = true;
        setTimeout(send, this.#delayMs);
      } else {
        send();
      }
    };
    from.on('data', (chunk) => {
      queue.push(chunk);
      pump();
    });
    from.once('end', () => {
      const finish = () => (queue.length === 0 && !sending ? to.end() : setTimeout(finish, 5));
      finish();
    });
  }
}
