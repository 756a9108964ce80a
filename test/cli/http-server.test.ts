/**
 * The node server `gatehouse start` listens with (src/cli/http-server.ts), over real sockets: its
 * request timeouts, and a drain that resets no request: a response in flight at the stop and any
 * further request on a kept-alive connection are answered with `Connection: close`, an idle
 * connection is closed after a short grace, new connections are refused, and what is still open at
 * the deadline is cut.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpServer, DEFAULT_HTTP_TIMEOUTS, IDLE_GRACE_MS, type GatehouseHttpServer, type HttpTimeouts } from '../../src/cli/http-server.js';

const open: GatehouseHttpServer[] = [];
const agents: Agent[] = [];

afterEach(async () => {
  for (const agent of agents.splice(0)) agent.destroy();
  for (const http of open.splice(0)) {
    http.stopAccepting();
    await http.drain(Date.now());
  }
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A self-signed certificate and its key. */
function certificate(): { cert: Buffer; key: Buffer } {
  const dir = mkdtempSync(join(tmpdir(), 'gh-tls-'));
  try {
    const [cert, key] = [join(dir, 'cert.pem'), join(dir, 'key.pem')];
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=localhost', '-keyout', key, '-out', cert],
      {
        stdio: 'ignore',
      },
    );
    return { cert: readFileSync(cert), key: readFileSync(key) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A server whose `/slow?ms=N` answers after N ms, `/hang` never, anything else at once. */
async function listen(timeouts?: HttpTimeouts, tls?: { cert: Buffer; key: Buffer }): Promise<{ http: GatehouseHttpServer; port: number }> {
  const http = createHttpServer(
    async (request) => {
      const url = new URL(request.url);
      if (url.pathname === '/hang') await new Promise(() => undefined);
      if (url.pathname === '/slow') await sleep(Number(url.searchParams.get('ms')));
      if (request.method === 'POST') await request.text();
      return new Response('ok');
    },
    { ...(timeouts ? { timeouts } : {}), ...(tls ? { tls } : {}) },
  );
  open.push(http);
  await new Promise<void>((resolve) => http.server.listen(0, '127.0.0.1', resolve));
  return { http, port: (http.server.address() as AddressInfo).port };
}

interface Answer {
  status: number;
  connection: string | undefined;
  body: string;
}

function get(port: number, path: string, agent: Agent | false): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const send = agent instanceof HttpsAgent ? httpsRequest : httpRequest;
    const req = send({ host: '127.0.0.1', port, path, agent, rejectUnauthorized: false }, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      response.once('end', () => resolve({ status: response.statusCode!, connection: response.headers.connection, body }));
    });
    req.once('error', reject);
    req.end();
  });
}

function keepAliveAgent(): Agent {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  agents.push(agent);
  return agent;
}

/** Resolves when the socket closes, with what the server sent on it. */
function closed(socket: Socket): Promise<string> {
  let received = '';
  socket.setEncoding('utf8').on('data', (chunk: string) => (received += chunk));
  socket.on('error', () => undefined);
  return new Promise((resolve) => socket.once('close', () => resolve(received)));
}

describe('the http server of gatehouse start', () => {
  it('sets the documented timeouts', async () => {
    const { http } = await listen();
    expect(DEFAULT_HTTP_TIMEOUTS).toEqual({ headersMs: 20_000, requestMs: 30_000, keepAliveMs: 65_000 });
    expect(http.server.headersTimeout).toBe(20_000);
    expect(http.server.requestTimeout).toBe(30_000);
    expect(http.server.keepAliveTimeout).toBe(65_000);
  });

  it('answers 408 and closes a connection whose request head does not arrive in time', async () => {
    const { port } = await listen({ headersMs: 300, requestMs: 600, keepAliveMs: 5000 });
    const socket = connect(port, '127.0.0.1');
    const gone = closed(socket);
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n'); // and never the blank line
    const started = Date.now();
    expect(await gone).toMatch(/^HTTP\/1\.1 408 /);
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('answers 408 and closes a connection whose request body does not arrive in time', async () => {
    const { port } = await listen({ headersMs: 300, requestMs: 600, keepAliveMs: 5000 });
    const socket = connect(port, '127.0.0.1');
    const gone = closed(socket);
    socket.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nhalf');
    const started = Date.now();
    expect(await gone).toMatch(/^HTTP\/1\.1 408 /);
    expect(Date.now() - started).toBeLessThan(1800);
  });

  it('drains: the response in flight says Connection: close, idle connections close, new ones are refused', async () => {
    const { http, port } = await listen();
    const busy = keepAliveAgent();
    const idle = keepAliveAgent();
    expect((await get(port, '/', busy)).connection).toBe('keep-alive');
    expect((await get(port, '/', idle)).connection).toBe('keep-alive');
    const idleSince = Date.now();
    const idleSocket = Object.values(idle.freeSockets).flat()[0]!;
    const idleClosed = new Promise<number>((resolve) => idleSocket.once('close', () => resolve(Date.now())));
    const inFlight = get(port, '/slow?ms=300', busy);
    await sleep(50);
    const started = Date.now();
    http.stopAccepting();
    const drained = http.drain(Date.now() + 5000);
    await expect(get(port, '/', false)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(await inFlight).toMatchObject({ status: 200, connection: 'close', body: 'ok' });
    expect(await drained).toEqual({ cut: 0 });
    expect(Date.now() - started).toBeLessThan(1500);
    // The idle connection was closed once idle the grace: not at once, not at the deadline.
    const closedAt = await idleClosed;
    expect(closedAt - idleSince).toBeGreaterThanOrEqual(IDLE_GRACE_MS - 10);
    expect(closedAt - started).toBeLessThan(1000);
  });

  it('drains: a request on a kept-alive connection within the grace is answered, with Connection: close', async () => {
    const { http, port } = await listen();
    const agent = keepAliveAgent();
    expect((await get(port, '/', agent)).connection).toBe('keep-alive');
    http.stopAccepting();
    const drained = http.drain(Date.now() + 5000);
    await sleep(IDLE_GRACE_MS / 5);
    expect(await get(port, '/', agent)).toMatchObject({ status: 200, connection: 'close' });
    expect(await drained).toEqual({ cut: 0 });
  });

  it('drains over TLS the same way', async () => {
    const { http, port } = await listen(undefined, certificate());
    const busy = new HttpsAgent({ keepAlive: true, maxSockets: 1, rejectUnauthorized: false });
    const idle = new HttpsAgent({ keepAlive: true, maxSockets: 1, rejectUnauthorized: false });
    agents.push(busy, idle);
    expect((await get(port, '/', busy)).connection).toBe('keep-alive');
    expect((await get(port, '/', idle)).connection).toBe('keep-alive');
    const inFlight = get(port, '/slow?ms=300', busy);
    await sleep(50);
    const started = Date.now();
    http.stopAccepting();
    const drained = http.drain(Date.now() + 5000);
    expect(await inFlight).toMatchObject({ status: 200, connection: 'close' });
    expect(await drained).toEqual({ cut: 0 });
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('drains: at the deadline, closes what is still open and says how many', async () => {
    const { http, port } = await listen();
    const hanging = get(port, '/hang', keepAliveAgent());
    hanging.catch(() => undefined);
    await sleep(50);
    http.stopAccepting();
    const started = Date.now();
    expect(await http.drain(Date.now() + 400)).toEqual({ cut: 1 });
    expect(Date.now() - started).toBeLessThan(1000);
    await expect(hanging).rejects.toMatchObject({ code: 'ECONNRESET' });
  });
});
