/**
 * The server while the Redis of its rate limits cannot answer (every command fails as it does once
 * a frozen Redis's command timeout passes): what is answered from memory keeps answering at once,
 * with its per-address limit counted in the process; everything else is refused with 503
 * `temporarily_unavailable` and `Retry-After` (the limits fail closed), JSON for APIs and a page
 * for browsers. Through the fetch handler, with a client address (without one, no per-address
 * limit applies).
 */
import type { Redis } from 'ioredis';
import { beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../../helpers/server.js';

/** An ioredis-like client on which every rate-limit command fails, as on a frozen Redis. */
function timedOutRedis(): Redis {
  const client: Record<string, unknown> = {
    status: 'ready',
    defineCommand(name: string) {
      client[name] = () => Promise.reject(new Error('Command timed out'));
    },
  };
  return client as unknown as Redis;
}

let test: TestServer;
const request = (path: string, init: RequestInit = {}) =>
  test.server.fetch(new Request(`http://localhost:3000${path}`, init), { remoteAddress: '203.0.113.7' });

beforeAll(async () => {
  test = await startServer({ protection: { redis: timedOutRedis(), rateLimits: { requestsPerIp: { points: 3, seconds: 60 } } } });
});

describe('rate limits in a Redis that does not answer', () => {
  it('discovery and the JWKS answer 200, limited per address in this process: a fourth request is over', async () => {
    for (const path of ['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server', '/jwks']) {
      expect((await request(path)).status, path).toBe(200);
    }
    // The fourth request from the address in a minute is over the in-process budget of 3.
    const over = await request('/favicon.ico');
    expect(over.status).toBe(429);
  });

  it('refuses the token endpoint with 503 temporarily_unavailable and Retry-After: the limit could not be checked', async () => {
    const response = await request('/token', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('2');
    expect(await response.json()).toMatchObject({ error: 'temporarily_unavailable' });
  });

  it('shows browsers the "Temporarily unavailable" page, with Retry-After', async () => {
    const response = await request('/account');
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('2');
    expect(await response.text()).toContain('Temporarily unavailable');
  });
});
