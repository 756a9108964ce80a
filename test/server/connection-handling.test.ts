/**
 * The HTTP edge over a real socket (@hono/node-server, as `gatehouse start` serves): a client that
 * breaks off its request is a client abort (debug log, never a store failure), a request refused
 * before its body was read closes the connection after a complete answer, and a store's own
 * connection error is still a 503.
 */
import { serve } from '@hono/node-server';
import type { Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src/stores/contract.js';
import { createMemoryStore } from '../../src/stores/memory/index.js';
import { basic, startServer, type TestClient, type TestServer } from '../helpers/server.js';

const FORM = 'application/x-www-form-urlencoded';
const LIMIT = 2048;

interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

interface Edge {
  port: number;
  server: TestServer;
  client: TestClient;
  logs: LogLine[];
}

const open: Server[] = [];

afterEach(async () => {
  for (const http of open.splice(0)) {
    http.closeAllConnections();
    await new Promise((closed) => http.close(closed));
  }
});

/** A server on a loopback port, logging at debug into `logs`, with a 2 KiB body limit. */
async function startEdge(store?: Store): Promise<Edge> {
  const logs: LogLine[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line) logs.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  const server = await startServer({ logger: pino({ level: 'debug' }, sink), limits: { maxBodyBytes: LIMIT }, ...(store ? { store } : {}) });
  const client = await server.register();
  const http = serve({ fetch: (request, env) => server.server.fetch(request, env), port: 0, hostname: '127.0.0.1' }) as Server;
  open.push(http);
  await new Promise<void>((listening) => http.once('listening', () => listening()));
  return { port: (http.address() as { port: number }).port, server, client, logs };
}

/** The value of one sample of /metrics (`name{labels}`), 0 when absent. */
async function metric(edge: Edge, sample: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${edge.port}/metrics`)).text();
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${sample} `));
  return line === undefined ? 0 : Number(line.slice(sample.length + 1));
}

/** Requests to POST /token answered so far, whatever their status. */
async function tokenRequestsAnswered(edge: Edge): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${edge.port}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith('gatehouse_http_requests_total{route="/token",method="POST"'))
    .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
}

async function until(condition: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((tick) => setTimeout(tick, 20));
  }
}

/** Request head of a POST /token, authenticated as `client`, with extra header lines. */
function tokenHead(client: TestClient, ...headers: string[]): string {
  return [
    'POST /token HTTP/1.1',
    'Host: localhost:3000',
    `Authorization: ${basic(client.clientId, client.clientSecret)}`,
    `Content-Type: ${FORM}`,
    ...headers,
    '',
    '',
  ].join('\r\n');
}

/** One chunk of a chunked body. */
function chunk(data: string): string {
  return `${Buffer.byteLength(data).toString(16)}\r\n${data}\r\n`;
}

/** What a raw client saw: the bytes received and how the connection ended (or that it did not). */
interface Seen {
  text: string;
  ending: 'end' | 'reset' | 'still open';
}

/** Connects, lets `talk` write, and collects what comes back until the server ends the connection or `waitMs` pass. */
async function converse(port: number, talk: (socket: Socket) => void | Promise<void>, waitMs = 3000): Promise<Seen> {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((connected, failed) => socket.once('connect', connected).once('error', failed));
  let text = '';
  socket.setEncoding('latin1');
  socket.on('data', (data: string) => (text += data));
  const ending = new Promise<Seen['ending']>((settle) => {
    socket.once('end', () => settle('end'));
    socket.once('error', () => settle('reset'));
    socket.once('close', () => settle('end'));
    setTimeout(() => settle('still open'), waitMs).unref();
  });
  await talk(socket);
  const how = await ending;
  socket.destroy();
  return { text, ending: how };
}

interface ParsedResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** The complete HTTP/1.1 responses in `text` (by Content-Length); a truncated one is left out. */
function responses(text: string): ParsedResponse[] {
  const parsed: ParsedResponse[] = [];
  let rest = text;
  for (;;) {
    const headEnd = rest.indexOf('\r\n\r\n');
    if (headEnd < 0) return parsed;
    const [statusLine, ...lines] = rest.slice(0, headEnd).split('\r\n');
    const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
    const length = Number(headers['content-length'] ?? 0);
    const body = rest.slice(headEnd + 4, headEnd + 4 + length);
    if (body.length < length) return parsed;
    parsed.push({ status: Number(statusLine!.split(' ')[1]), headers, body });
    rest = rest.slice(headEnd + 4 + length);
  }
}

const pause = (ms: number) => new Promise((done) => setTimeout(done, ms));

describe('a client that breaks off its request', () => {
  it.each([
    ['a declared Content-Length of 2000, after 100 bytes', (client: TestClient) => [tokenHead(client, 'Content-Length: 2000'), 'a'.repeat(100)]],
    [
      'a chunked body, midway',
      (client: TestClient) => [tokenHead(client, 'Transfer-Encoding: chunked'), chunk(`grant_type=client_credentials&x=${'a'.repeat(100)}`)],
    ],
  ])('with %s is a client abort at debug level, not a store failure', async (_case, parts) => {
    const edge = await startEdge();
    await converse(edge.port, async (socket) => {
      for (const part of parts(edge.client)) socket.write(part);
      // The server is reading the body when the client goes away.
      await pause(100);
      socket.destroy();
    });
    await until(async () => (await tokenRequestsAnswered(edge)) === 1, 'the aborted request to be finished');

    expect(await metric(edge, 'gatehouse_store_unavailable_total')).toBe(0);
    expect(await metric(edge, 'gatehouse_client_aborts_total')).toBe(1);
    expect(await metric(edge, 'gatehouse_http_requests_total{route="/token",method="POST",status="503"}')).toBe(0);
    expect(edge.logs.filter((line) => line.level >= 50)).toEqual([]);
    const aborted = edge.logs.filter((line) => line.msg === 'client aborted the request');
    expect(aborted).toHaveLength(1);
    expect(aborted[0]).toMatchObject({ level: 20, reason: 'request_body_incomplete', request_id: expect.any(String) });

    // The server keeps serving, on new connections.
    const token = await fetch(`http://127.0.0.1:${edge.port}/token`, {
      method: 'POST',
      headers: { Authorization: basic(edge.client.clientId, edge.client.clientSecret), 'Content-Type': FORM },
      body: 'grant_type=client_credentials',
    });
    expect(token.status).toBe(200);
  });
});

describe('a request refused before its body was read', () => {
  it('an oversized chunked body: a complete 413 with Connection: close, then the server ends the connection', async () => {
    const edge = await startEdge();
    // The client sends more than the limit and then waits (its body unfinished) for the answer.
    const seen = await converse(edge.port, (socket) => {
      socket.write(tokenHead(edge.client, 'Transfer-Encoding: chunked'));
      for (let sent = 0; sent <= LIMIT; sent += 512) socket.write(chunk('a'.repeat(512)));
    });
    const [refusal, ...more] = responses(seen.text);
    expect(refusal?.status).toBe(413);
    expect(refusal?.headers.connection).toBe('close');
    expect(JSON.parse(refusal!.body)).toMatchObject({ error: 'invalid_request' });
    expect(more).toEqual([]);
    // Ended by the server right after the answer (before, kept alive and dropped ~0.5 s later).
    expect(seen.ending).toBe('end');
    expect(edge.logs.filter((line) => line.level >= 50)).toEqual([]);
  });

  it('an oversized chunked body with a request pipelined behind it: the second is answered or the connection closed, never left hanging', async () => {
    const edge = await startEdge();
    const seen = await converse(edge.port, (socket) => {
      const body = Array.from({ length: 6 }, () => chunk('a'.repeat(512))).join('') + '0\r\n\r\n';
      socket.write(tokenHead(edge.client, 'Transfer-Encoding: chunked') + body + 'GET /healthz HTTP/1.1\r\nHost: localhost:3000\r\n\r\n');
    });
    const answered = responses(seen.text);
    expect(answered[0]?.status).toBe(413);
    expect(answered[0]?.headers.connection).toBe('close');
    // HTTP/1.1 (RFC 9112 §9.6): after a response with `close`, nothing more on this connection.
    expect(answered).toHaveLength(1);
    expect(seen.ending).toBe('end');
  });

  it('a request sent after the 413 on the same connection is not left unanswered in silence', async () => {
    const edge = await startEdge();
    const seen = await converse(edge.port, async (socket) => {
      socket.write(tokenHead(edge.client, 'Transfer-Encoding: chunked'));
      for (let sent = 0; sent <= LIMIT; sent += 512) socket.write(chunk('a'.repeat(512)));
      await pause(100);
      // The client gave up on its body and tries again on the connection it was told stays open.
      if (!socket.destroyed && socket.writable) socket.write('GET /healthz HTTP/1.1\r\nHost: localhost:3000\r\n\r\n');
    });
    const answered = responses(seen.text);
    expect(answered[0]?.status).toBe(413);
    expect(answered[0]?.headers.connection).toBe('close');
    expect(seen.ending).not.toBe('still open');
  });

  it('an oversized declared Content-Length: a complete 413 with Connection: close before the body is sent, then the end', async () => {
    const edge = await startEdge();
    const seen = await converse(edge.port, (socket) => {
      socket.write(tokenHead(edge.client, `Content-Length: ${10 * LIMIT}`));
      socket.write('grant_type=client_credentials&x=');
    });
    const [refusal, ...more] = responses(seen.text);
    expect(refusal?.status).toBe(413);
    expect(refusal?.headers.connection).toBe('close');
    expect(more).toEqual([]);
    expect(seen.ending).toBe('end');
  });

  it('an oversized declared Content-Length sent whole, then a pipelined request: one 413, then the end', async () => {
    const edge = await startEdge();
    const seen = await converse(edge.port, (socket) => {
      const body = `grant_type=client_credentials&x=${'a'.repeat(3 * LIMIT)}`;
      socket.write(tokenHead(edge.client, `Content-Length: ${body.length}`) + body + 'GET /healthz HTTP/1.1\r\nHost: localhost:3000\r\n\r\n');
    });
    const answered = responses(seen.text);
    expect(answered.map((response) => [response.status, response.headers.connection])).toEqual([[413, 'close']]);
    expect(seen.ending).toBe('end');
  });

  it('an unsupported media type, refused before the body is read, also closes the connection', async () => {
    const edge = await startEdge();
    const body = JSON.stringify({ grant_type: 'client_credentials' });
    const seen = await converse(edge.port, (socket) => {
      socket.write(['POST /token HTTP/1.1', 'Host: localhost:3000', 'Content-Type: application/json', `Content-Length: ${body.length}`, '', body].join('\r\n'));
    });
    const [refusal] = responses(seen.text);
    expect(refusal?.status).toBe(400);
    expect(refusal?.headers.connection).toBe('close');
    expect(seen.ending).toBe('end');
  });

  it('keeps the connection open after a request whose body was read in full', async () => {
    const edge = await startEdge();
    const body = 'grant_type=client_credentials';
    const seen = await converse(
      edge.port,
      (socket) => {
        const request = tokenHead(edge.client, `Content-Length: ${body.length}`) + body;
        socket.write(request + request);
      },
      500,
    );
    const answered = responses(seen.text);
    expect(answered.map((response) => response.status)).toEqual([200, 200]);
    expect(answered.map((response) => response.headers.connection)).toEqual(['keep-alive', 'keep-alive']);
    expect(seen.ending).toBe('still open');
  });
});

describe("a store's own connection error", () => {
  it('ECONNRESET from the store is still 503 temporarily_unavailable, logged at error and counted as a store failure', async () => {
    const store = createMemoryStore();
    let failing = false;
    const get = store.clients.get.bind(store.clients);
    // What pg or ioredis reject with when the database's connection is reset.
    store.clients.get = (...args) =>
      failing ? Promise.reject(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET', errno: -104, syscall: 'read' })) : get(...args);
    const edge = await startEdge(store);
    failing = true;
    const response = await fetch(`http://127.0.0.1:${edge.port}/token`, {
      method: 'POST',
      headers: { Authorization: basic(edge.client.clientId, edge.client.clientSecret), 'Content-Type': FORM },
      body: 'grant_type=client_credentials',
    });
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toMatch(/^[1-9][0-9]*$/);
    expect(await response.json()).toMatchObject({ error: 'temporarily_unavailable' });
    expect(await metric(edge, 'gatehouse_store_unavailable_total')).toBe(1);
    expect(await metric(edge, 'gatehouse_client_aborts_total')).toBe(0);
    expect(edge.logs.filter((line) => line.level >= 50).map((line) => line.msg)).toEqual(['store unavailable']);
  });
});
