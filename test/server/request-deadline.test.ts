/**
 * The request deadline (`limits.requestDeadlineMs`): whatever a request waits on, it is answered in
 * time. A store call that never returns (a frozen dependency whose own deadline is longer, or a
 * request making one call after another) gives 503 `temporarily_unavailable` with `Retry-After` at
 * the deadline, a page for browsers; a client whose body does not arrive gets 408; what does not
 * wait keeps answering at once.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../src/stores/memory/index.js';
import type { Store } from '../../src/stores/contract.js';
import { startServer, type TestServer } from '../helpers/server.js';

const DEADLINE_MS = 300;
/** Timers fire late on a busy machine; a hang would take the test's whole timeout. */
const SLACK_MS = 1500;

let hang = false;
const hangs: (() => void)[] = [];

/** A memory store whose client and artifact reads never return while `hang` is set. */
function hangingStore(): Store {
  const store = createMemoryStore();
  const wait = () => new Promise<never>((resolve) => hangs.push(resolve as () => void));
  for (const repository of [store.clients, store.artifacts] as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>[]) {
    const get = repository.get!.bind(repository);
    repository.get = (...args: unknown[]) => (hang ? wait() : get(...args));
  }
  return store;
}

let test: TestServer;

beforeAll(async () => {
  test = await startServer({ store: hangingStore(), limits: { requestDeadlineMs: DEADLINE_MS } });
});

afterEach(() => {
  hang = false;
  hangs.length = 0;
});

async function timed(request: Promise<Response>): Promise<{ response: Response; ms: number }> {
  const started = performance.now();
  const response = await request;
  return { response, ms: performance.now() - started };
}

describe('the request deadline', () => {
  it('answers a token request whose store never returns with 503 temporarily_unavailable and Retry-After, at the deadline', async () => {
    const client = await test.register();
    hang = true;
    const { response, ms } = await timed(test.requestToken(client));
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('2');
    expect(await response.json()).toMatchObject({ error: 'temporarily_unavailable' });
    expect(ms).toBeGreaterThanOrEqual(DEADLINE_MS - 5);
    expect(ms).toBeLessThan(DEADLINE_MS + SLACK_MS);
  });

  it('shows browsers the "Temporarily unavailable" page, with Retry-After', async () => {
    hang = true;
    const { response, ms } = await timed(test.get('/authorize?client_id=some-client&response_type=code'));
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('2');
    expect(await response.text()).toContain('Temporarily unavailable');
    expect(ms).toBeLessThan(DEADLINE_MS + SLACK_MS);
  });

  it('keeps discovery and the JWKS answering at once meanwhile', async () => {
    hang = true;
    for (const path of ['/.well-known/openid-configuration', '/jwks']) {
      const { response, ms } = await timed(test.get(path));
      expect(response.status, path).toBe(200);
      expect(ms, path).toBeLessThan(DEADLINE_MS);
    }
  });

  it('answers 408, not 503, when the client has not sent its body by the deadline', async () => {
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('grant_type=client_'));
        // ... and the rest never comes.
      },
    });
    const request = new Request(new URL('/token', test.issuer), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': '40' },
      body,
      duplex: 'half',
    } as RequestInit);
    const { response, ms } = await timed(test.server.fetch(request));
    expect(response.status).toBe(408);
    expect(response.headers.get('connection')).toBe('close');
    expect(await response.json()).toMatchObject({ error: 'invalid_request' });
    expect(ms).toBeLessThan(DEADLINE_MS + SLACK_MS);
  });

  it('lets a request that finishes in time through unchanged, also after a late one', async () => {
    const client = await test.register();
    const response = await test.requestToken(client);
    expect(response.status).toBe(200);
  });
});
