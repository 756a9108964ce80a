/**
 * Client addresses behind proxies (RFC 7239 §8.1), over real HTTP from loopback addresses: only the
 * configured header family is read, walked from the right, so a client cannot pick its address for
 * per-client IP allow-lists or the audit log; /metrics is refused to requests an unconfigured proxy
 * forwarded, and can require a bearer token.
 */
import { serve, type ServerType } from '@hono/node-server';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretKeys } from '../../../src/core/secret.js';
import { registerClient } from '../../../src/server/admin/clients.js';
import { createAuthorizationServer, type AuthorizationServer } from '../../../src/server/authorization-server.js';
import type { AuthorizationServerOptions } from '../../../src/server/options.js';
import type { AuditEventRecord, Store } from '../../../src/stores/contract.js';
import { createMemoryStore } from '../../../src/stores/memory/index.js';
import { freePort } from '../../helpers/ports.js';
import { createUser } from '../../../src/server/admin/users.js';
import { firstForm, LoopbackBrowser, requestFrom } from './loopback-http.js';
import { RealTimeClock } from '../../helpers/fake-clock.js';

const SECRET = 'forwarded-headers-test-secret-0123456789';
const METRICS_TOKEN = 'scrape-token-0123456789-abcdef';
const secretKeys = new SecretKeys(SECRET);

interface Running {
  issuer: string;
  server: AuthorizationServer;
  http: ServerType;
}

const running: Running[] = [];

/** A server on all of 127.0.0.0/8, so tests can send from 127.0.0.1, .2, ... */
async function start(store: Store, options: Partial<AuthorizationServerOptions> = {}): Promise<Running> {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  // Real time, without waiting out the delays after failed sign-ins.
  const server = createAuthorizationServer({ issuer, store, secret: SECRET, logger: false, clock: new RealTimeClock(), ...options });
  await server.ready();
  const http = serve({ fetch: (request, env) => server.fetch(request, env), port, hostname: '0.0.0.0' });
  await new Promise<void>((ready) => http.once('listening', () => ready()));
  const started = { issuer, server, http };
  running.push(started);
  return started;
}

afterAll(async () => {
  for (const { http, server } of running) {
    http.close();
    await server.close();
  }
});

/** A confidential client allowed to get tokens only from `allowedIp`. */
async function clientAllowedFrom(store: Store, allowedIp: string) {
  const { client, clientSecret } = await registerClient(
    store,
    secretKeys,
    { name: `Job at ${allowedIp}`, grantTypes: ['client_credentials'], allowedIps: [`${allowedIp}/32`] },
    Date.now(),
  );
  return { clientId: client.clientId, authorization: `Basic ${Buffer.from(`${client.clientId}:${clientSecret}`).toString('base64')}` };
}

function tokenRequest(issuer: string, client: { authorization: string }, headers: Record<string, string>, from = '127.0.0.1') {
  return requestFrom(from, `${issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: client.authorization, ...headers },
    body: 'grant_type=client_credentials',
  });
}

/** The newest audit event of `type` for `clientId`, waiting for events recorded after the response. */
async function auditEvent(store: Store, type: string, clientId: string): Promise<AuditEventRecord> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const event = (await store.audit.tail(200, type)).filter((record) => record.clientId === clientId).at(-1);
    if (event) return event;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`no ${type} audit event for ${clientId}`);
}

describe('behind nginx on 127.0.0.1 (trustedProxies 127.0.0.1, X-Forwarded-For)', () => {
  const store = createMemoryStore();
  let issuer: string;
  beforeAll(async () => {
    ({ issuer } = await start(store, {
      protection: { trustedProxies: ['127.0.0.1'], rateLimits: { signInPerAccountIp: { points: 3, seconds: 900, lockoutSeconds: 900 } } },
    }));
  });

  // nginx appends the address it saw ($proxy_add_x_forwarded_for) and passes the client's Forwarded on.
  const forged = { forwarded: 'for=10.9.9.9', 'x-forwarded-for': '203.0.113.7, ' };

  it("a client-sent Forwarded header does not change the address the allow-lists see: the proxy's X-Forwarded-For does", async () => {
    const real = await clientAllowedFrom(store, '203.0.113.7');
    const served = await tokenRequest(issuer, real, forged);
    expect(served.status, served.body).toBe(200);
    expect((await auditEvent(store, 'token.issued', real.clientId)).ip).toBe('203.0.113.7');

    const claimed = await clientAllowedFrom(store, '10.9.9.9');
    const refused = await tokenRequest(issuer, claimed, forged);
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.body)).toMatchObject({ error: 'unauthorized_client' });
    expect((await auditEvent(store, 'client.address_refused', claimed.clientId)).ip).toBe('203.0.113.7');
  });

  it('a client rotating Forwarded: for= is still locked out after the configured sign-in failures', async () => {
    await createUser(store, { username: 'victim', email: 'victim@example.com', password: 'the real password' }, Date.now());
    const redirect = 'https://app.example/callback';
    const { client } = await registerClient(store, secretKeys, { name: 'App', redirectUris: [redirect] }, Date.now());
    const query = {
      client_id: client.clientId,
      redirect_uri: redirect,
      response_type: 'code',
      scope: 'openid',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
    };
    const statuses: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      const browser = new LoopbackBrowser('127.0.0.1', { forwarded: `for=10.9.9.${i}`, 'x-forwarded-for': '203.0.113.50' });
      const page = await browser.open(`${issuer}/authorize?${new URLSearchParams(query)}`);
      const form = firstForm(page.body, page.url);
      statuses.push((await browser.request(form.action, { form: { csrf: form.csrf, username: 'victim', password: `guess-${i}` } })).status);
    }
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
  }, 60_000);

  it('a forged left-most X-Forwarded-For hop is not believed', async () => {
    const claimed = await clientAllowedFrom(store, '10.8.8.8');
    // The client sent "X-Forwarded-For: 10.8.8.8"; nginx appended what it saw.
    const refused = await tokenRequest(issuer, claimed, { 'x-forwarded-for': '10.8.8.8, 203.0.113.8' });
    expect(refused.status).toBe(403);
    expect((await auditEvent(store, 'client.address_refused', claimed.clientId)).ip).toBe('203.0.113.8');
  });

  it('a peer that is not the proxy is its own address, whatever it sends', async () => {
    const claimed = await clientAllowedFrom(store, '203.0.113.9');
    const refused = await tokenRequest(issuer, claimed, { 'x-forwarded-for': '203.0.113.9', forwarded: 'for=203.0.113.9' }, '127.0.0.2');
    expect(refused.status).toBe(403);
    expect((await auditEvent(store, 'client.address_refused', claimed.clientId)).ip).toBe('127.0.0.2');
  });
});

describe('an all-trusted chain (trustedProxies 127.0.0.1 and a load balancer range 10.0.0.0/24)', () => {
  const store = createMemoryStore();
  let issuer: string;
  beforeAll(async () => {
    ({ issuer } = await start(store, { protection: { trustedProxies: ['127.0.0.1', '10.0.0.0/24'] } }));
  });

  it('answers the right-most hop, never the forged left-most one', async () => {
    // A client inside 10.0.0.0/24 (10.0.0.5) claims to be 10.0.0.66 before its request reaches nginx.
    const claimed = await clientAllowedFrom(store, '10.0.0.66');
    const refused = await tokenRequest(issuer, claimed, { 'x-forwarded-for': '10.0.0.66, 10.0.0.5' });
    expect(refused.status).toBe(403);
    expect((await auditEvent(store, 'client.address_refused', claimed.clientId)).ip).toBe('10.0.0.5');
  });
});

describe("forwardedHeader 'forwarded' (a proxy that writes RFC 7239 Forwarded)", () => {
  const store = createMemoryStore();
  let issuer: string;
  beforeAll(async () => {
    ({ issuer } = await start(store, { protection: { trustedProxies: ['127.0.0.1'], forwardedHeader: 'forwarded' } }));
  });

  it('reads Forwarded and ignores X-Forwarded-For entirely', async () => {
    const real = await clientAllowedFrom(store, '203.0.113.7');
    const served = await tokenRequest(issuer, real, { forwarded: 'for="203.0.113.7:4711";proto=https', 'x-forwarded-for': '10.9.9.9' });
    expect(served.status, served.body).toBe(200);
    expect((await auditEvent(store, 'token.issued', real.clientId)).ip).toBe('203.0.113.7');

    const claimed = await clientAllowedFrom(store, '10.9.9.9');
    const refused = await tokenRequest(issuer, claimed, { 'x-forwarded-for': '10.9.9.9' });
    expect(refused.status).toBe(403);
    // No Forwarded at all: the proxy itself is the client.
    expect((await auditEvent(store, 'client.address_refused', claimed.clientId)).ip).toBe('127.0.0.1');
  });
});

describe('a proxy in front but no trusted proxy configured', () => {
  const store = createMemoryStore();
  const lines: string[] = [];
  let issuer: string;
  beforeAll(async () => {
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(line) });
    ({ issuer } = await start(store, { logger }));
  });
  const warnings = () =>
    lines.map((line) => JSON.parse(line) as { level: number; msg: string; event?: string }).filter((entry) => entry.event === 'proxy.unconfigured');

  it('refuses /metrics to forwarded requests from loopback, and warns once', async () => {
    expect((await requestFrom('127.0.0.1', `${issuer}/metrics`)).status).toBe(200);
    expect(warnings()).toHaveLength(0);

    const proxied = await requestFrom('127.0.0.1', `${issuer}/metrics`, { headers: { 'x-forwarded-for': '203.0.113.7' } });
    expect(proxied.status).toBe(404);
    expect(proxied.body).not.toContain('gatehouse_');
    expect((await requestFrom('127.0.0.1', `${issuer}/metrics`, { headers: { forwarded: 'for=203.0.113.7' } })).status).toBe(404);
    expect((await requestFrom('127.0.0.1', `${issuer}/healthz`, { headers: { 'x-forwarded-for': '203.0.113.7' } })).status).toBe(200);

    const logged = warnings();
    expect(logged).toHaveLength(1);
    expect(logged[0]!.level).toBe(40);
    expect(logged[0]!.msg).toContain('GATEHOUSE_TRUSTED_PROXIES');
    expect(logged[0]!.msg).toMatch(/proxy/i);
  });
});

describe('the metrics token', () => {
  const store = createMemoryStore();
  let issuer: string;
  beforeAll(async () => {
    ({ issuer } = await start(store, { protection: { operatorAllowList: ['127.0.0.2/32'], metricsToken: METRICS_TOKEN } }));
  });
  const scrape = (from: string, authorization?: string) => requestFrom(from, `${issuer}/metrics`, authorization ? { headers: { authorization } } : {});

  it('serves an allowed address presenting the token', async () => {
    const served = await scrape('127.0.0.2', `Bearer ${METRICS_TOKEN}`);
    expect(served.status).toBe(200);
    expect(served.body).toContain('gatehouse_http_requests_total');
  });

  it('answers 401 with a Bearer challenge to an allowed address without the right token', async () => {
    const missing = await scrape('127.0.0.2');
    expect(missing.status).toBe(401);
    expect(missing.headers['www-authenticate']).toBe('Bearer realm="gatehouse-metrics"');
    expect(missing.body).not.toContain('gatehouse_');
    for (const authorization of [`Bearer ${METRICS_TOKEN}x`, `Bearer ${METRICS_TOKEN.slice(0, -1)}`, `Basic ${METRICS_TOKEN}`, 'Bearer']) {
      const wrong = await scrape('127.0.0.2', authorization);
      expect(wrong.status, authorization).toBe(401);
      expect(wrong.headers['www-authenticate'], authorization).toMatch(/^Bearer realm="gatehouse-metrics"/);
      expect(wrong.body).not.toContain('gatehouse_');
    }
  });

  it('stays 404 outside the allow-list, token or not', async () => {
    for (const authorization of [`Bearer ${METRICS_TOKEN}`, undefined]) {
      const refused = await scrape('127.0.0.1', authorization);
      expect(refused.status).toBe(404);
      expect(refused.headers['www-authenticate']).toBeUndefined();
    }
  });

  it('must be at least 16 characters', () => {
    expect(() => createAuthorizationServer({ issuer, store, secret: SECRET, logger: false, protection: { metricsToken: 'too-short' } })).toThrow(
      /metricsToken/,
    );
  });
});
