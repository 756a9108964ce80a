/** The fault proxy the fault tests and `npm run chaos` put in front of PostgreSQL and Redis. */
import { connect, createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaultProxy } from '../../scripts/lib/fault-proxy.mjs';

let echo: Server;
let echoPort: number;

beforeAll(async () => {
  echo = createServer((socket) => socket.pipe(socket));
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', () => resolve()));
  echoPort = (echo.address() as { port: number }).port;
});
afterAll(() => new Promise<void>((resolve) => echo.close(() => resolve())));

/** Sends `text` through the proxy and resolves with what came back within `ms` (or what did so far). */
function roundTrip(port: number, text: string, ms: number, onOpen?: () => void): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      onOpen?.();
      socket.write(text);
    });
    let got = '';
    socket.on('data', (chunk) => (got += String(chunk)));
    socket.on('error', () => resolve(`error:${got}`));
    setTimeout(() => {
      socket.destroy();
      resolve(got);
    }, ms);
  });
}

describe('FaultProxy', () => {
  it('passes bytes through, refuses when killed, and comes back on the same port', async () => {
    const proxy = await FaultProxy.open({ host: '127.0.0.1', port: echoPort });
    try {
      expect(await roundTrip(proxy.port, 'hello', 200)).toBe('hello');
      await proxy.kill();
      expect(proxy.state).toBe('killed');
      expect(await roundTrip(proxy.port, 'hello', 200)).toBe('error:');
      await proxy.start();
      expect(await roundTrip(proxy.port, 'again', 200)).toBe('again');
    } finally {
      await proxy.close();
    }
  });

  it('holds every byte while frozen and delivers them in order on thaw', async () => {
    const proxy = await FaultProxy.open({ host: '127.0.0.1', port: echoPort });
    try {
      proxy.freeze();
      const answer = roundTrip(proxy.port, 'one-two-three', 600);
      await new Promise((resolve) => setTimeout(resolve, 300));
      proxy.thaw();
      expect(await answer).toBe('one-two-three');
      proxy.freeze();
      expect(await roundTrip(proxy.port, 'held', 300)).toBe('');
      proxy.thaw();
    } finally {
      await proxy.close();
    }
  });

  it('delays every chunk when slow', async () => {
    const proxy = await FaultProxy.open({ host: '127.0.0.1', port: echoPort });
    try {
      proxy.slow(400);
      expect(await roundTrip(proxy.port, 'late', 300)).toBe('');
      proxy.slow(0);
      expect(await roundTrip(proxy.port, 'quick', 200)).toBe('quick');
    } finally {
      await proxy.close();
    }
  });
});
