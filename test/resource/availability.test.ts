/**
 * When the authorization server cannot be reached, the guard answers 503 temporarily_unavailable
 * (the token may be fine: a 401 would make clients throw it away), keeps verifying with the keys
 * it has, and recovers by itself once the issuer is back.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createResourceGuard, ResourceGuardUnavailableError, type ResourceGuardOptions } from '../../src/resource/index.js';
import { answer, API, countingFetch, freePort, startIssuer, type RunningIssuer } from './support.js';

const started: RunningIssuer[] = [];

afterEach(async () => {
  await Promise.all(started.splice(0).map((issuer) => issuer.close()));
});

async function issuerOn(port?: number): Promise<RunningIssuer> {
  const as = await startIssuer(port === undefined ? {} : { port });
  started.push(as);
  return as;
}

async function expectUnavailable(response: Response): Promise<void> {
  const text = await response.text();
  expect(response.status, text).toBe(503);
  expect(JSON.parse(text)).toMatchObject({ error: 'temporarily_unavailable' });
  expect(response.headers.get('retry-after')).toMatch(/^\d+$/);
  expect(response.headers.get('cache-control')).toBe('no-store');
}

function guardFor(issuer: string, options: Partial<ResourceGuardOptions> = {}) {
  const net = countingFetch();
  return { net, guard: createResourceGuard({ issuer, audience: API, fetch: net.fetch, allowInsecureRequests: true, ...options }) };
}

describe('issuer unreachable', () => {
  it('answers 503 (not 401) in JWT mode, and recovers when the issuer comes back', async () => {
    const port = await freePort();
    const issuer = `http://127.0.0.1:${port}`;
    const { guard } = guardFor(issuer);
    const someJwt = 'eyJhbGciOiJFUzI1NiIsInR5cCI6ImF0K2p3dCIsImtpZCI6IngifQ.eyJzdWIiOiJ4In0.c2ln';
    await expectUnavailable(await answer(guard, someJwt));
    await expect(guard.verify(someJwt)).rejects.toBeInstanceOf(ResourceGuardUnavailableError);
    await expectUnavailable(await answer(guard, someJwt));

    const as = await issuerOn(port);
    expect(as.issuer).toBe(issuer);
    const token = await as.token('notes:read');
    const response = await answer(guard, token);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ sub: as.machine.clientId });
  });

  it('answers 503 in introspection mode, and recovers when the issuer comes back', async () => {
    const as = await issuerOn();
    const { guard } = guardFor(as.issuer, {
      introspection: { clientId: as.resourceServer.clientId, clientSecret: as.resourceServer.clientSecret, maxCacheAge: 0 },
    });
    const token = await as.token('notes:read');
    expect((await guard.verify(token)).sub).toBe(as.machine.clientId);
    await as.down(); // metadata already discovered: it is the introspection request that fails
    await expectUnavailable(await answer(guard, token));
    await expectUnavailable(await answer(guard, token));
    await as.up();
    expect((await guard.verify(token)).sub).toBe(as.machine.clientId);
  });

  it('keeps verifying tokens with the cached keys while the issuer is down', async () => {
    const as = await issuerOn();
    const { guard, net } = guardFor(as.issuer);
    const token = await as.token('notes:read');
    await guard.verify(token);
    await as.down();
    await expect(fetch(`${as.issuer}/jwks`)).rejects.toThrow();
    expect((await guard.verify(token)).sub).toBe(as.machine.clientId);
    expect(net.count('/jwks')).toBe(1);
  });

  it('answers 503 when the JWKS cannot be fetched after discovery succeeded', async () => {
    const as = await issuerOn();
    const { guard, net } = guardFor(as.issuer);
    net.fault('/jwks', () => Promise.reject(new TypeError('fetch failed')));
    const token = await as.token('notes:read');
    await expectUnavailable(await answer(guard, token));
    net.fault('/jwks', undefined);
    expect((await answer(guard, token)).status).toBe(200);
  });

  it('answers 503 when the introspection endpoint fails with a 5xx', async () => {
    const as = await issuerOn();
    const { guard, net } = guardFor(as.issuer, {
      introspection: { clientId: as.resourceServer.clientId, clientSecret: as.resourceServer.clientSecret, maxCacheAge: 0 },
    });
    net.fault('/introspect', () => new Response('bad gateway', { status: 502 }));
    const token = await as.token('notes:read');
    await expectUnavailable(await answer(guard, token));
    net.fault('/introspect', undefined);
    expect((await answer(guard, token)).status).toBe(200);
  });

  it('answers 503, not 401 invalid_token, when the JWKS endpoint fails with a 5xx', async () => {
    const as = await issuerOn();
    const { guard, net } = guardFor(as.issuer);
    const token = await as.token('notes:read');
    for (const status of [500, 502, 503]) {
      net.fault('/jwks', () => new Response('upstream unavailable', { status }));
      // A valid token: refusing it as invalid_token would make the client discard it.
      await expectUnavailable(await answer(guard, token));
    }
    net.fault('/jwks', undefined);
    expect((await answer(guard, token)).status).toBe(200);
  });
});
