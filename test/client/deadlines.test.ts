/**
 * The deadline of every request the client library and the resource guard make, against a server
 * that accepts connections and never answers (a frozen provider or authorization server), and one
 * that sends its headers and then stalls its body: each call ends at `timeoutMs`, and the guard
 * answers 503, never 401. Without a deadline, each would wait as long as the server stays silent.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMachineClient, createOAuthClient } from '../../src/client/index.js';
import { createResourceGuard } from '../../src/resource/index.js';

const TIMEOUT_MS = 300;
/** On a loaded machine; a silent server is never answered at all, so any bound far below the test timeout tells. */
const SLACK_MS = 1500;

/** A TCP server that reads requests and answers `respond`'s bytes, then nothing more. */
async function listen(respond: string): Promise<{ url: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.once('data', () => socket.write(respond));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value?: T; error?: unknown }> {
  const started = Date.now();
  try {
    const value = await work();
    return { ms: Date.now() - started, value };
  } catch (error) {
    return { ms: Date.now() - started, error };
  }
}

let silent: Awaited<ReturnType<typeof listen>>;
let stalled: Awaited<ReturnType<typeof listen>>;

beforeAll(async () => {
  silent = await listen('');
  // Headers of a JSON answer whose body never comes.
  stalled = await listen('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"issuer":');
});

afterAll(async () => {
  await Promise.all([silent?.close(), stalled?.close()]);
});

describe('the client library: a deadline on each request to the provider', () => {
  it.each([
    ['silent', () => silent.url],
    ['whose body stalls', () => stalled.url],
  ])('createOAuthClient: discovery at a provider %s fails at timeoutMs', async (_case, issuer) => {
    const client = createOAuthClient({
      issuer: issuer(),
      clientId: 'app',
      clientSecret: 'app-secret',
      redirectUri: 'http://127.0.0.1:5000/callback',
      secret: 'k'.repeat(40),
      allowInsecureRequests: true,
      timeoutMs: TIMEOUT_MS,
    });
    const outcome = await timed(() => client.authorizationUrl());
    expect(outcome.error, String(outcome.error)).toBeDefined();
    expect(outcome.ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    expect(outcome.ms).toBeLessThan(TIMEOUT_MS + SLACK_MS);
  });

  it('createMachineClient: a token at a silent authorization server fails with a TimeoutError at timeoutMs', async () => {
    const machine = createMachineClient({
      issuer: silent.url,
      clientId: 'job',
      clientSecret: 'job-secret',
      allowInsecureRequests: true,
      timeoutMs: TIMEOUT_MS,
    });
    const outcome = await timed(() => machine.getAccessToken());
    expect(outcome.error).toMatchObject({ name: 'TimeoutError' });
    expect(outcome.ms).toBeLessThan(TIMEOUT_MS + SLACK_MS);
  });
});

describe('the resource guard: a deadline on each request to the authorization server', () => {
  it('answers 503, not 401, when the issuer does not answer within timeoutMs', async () => {
    const guard = createResourceGuard({ issuer: silent.url, audience: 'https://api.example', allowInsecureRequests: true, timeoutMs: TIMEOUT_MS });
    const someJwt = 'eyJhbGciOiJFUzI1NiIsInR5cCI6ImF0K2p3dCIsImtpZCI6IngifQ.eyJzdWIiOiJ4In0.c2ln';
    const outcome = await timed(() => guard.check(new Request('https://api.example/notes', { headers: { authorization: `Bearer ${someJwt}` } })));
    expect(outcome.value?.response?.status).toBe(503);
    // Discovery tries RFC 8414, then OpenID Connect's well-known path: one deadline each.
    expect(outcome.ms).toBeLessThan(2 * TIMEOUT_MS + SLACK_MS);
  });

  it('refuses a timeout that is not a positive whole number of milliseconds', () => {
    expect(() => createResourceGuard({ issuer: 'https://id.example', audience: 'https://api.example', timeoutMs: 0 })).toThrow(
      'option "timeoutMs" must be a positive whole number of milliseconds',
    );
  });
});
