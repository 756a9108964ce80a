/**
 * Acceptance tests of the protection issue, over real HTTP from several loopback addresses:
 * sign-in throttling that does not lock out other users, and per-client IP allow-lists.
 */
import { serve, type ServerType } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretKeys } from '../../../src/core/secret.js';
import { registerClient } from '../../../src/server/admin/clients.js';
import { createUser } from '../../../src/server/admin/users.js';
import { createAuthorizationServer, type AuthorizationServer } from '../../../src/server/authorization-server.js';
import type { Store } from '../../../src/stores/contract.js';
import { createMemoryStore } from '../../../src/stores/memory/index.js';
import { firstForm, LoopbackBrowser, requestFrom } from './loopback-http.js';
import { RealTimeClock } from '../../helpers/fake-clock.js';
import { freePort } from '../../helpers/ports.js';

const SECRET = 'protection-test-secret-0123456789-abcdef';
const REDIRECT = 'https://app.example/callback';
const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

describe('protection over real loopback addresses', () => {
  let store: Store;
  let server: AuthorizationServer;
  let http: ServerType;
  let issuer: string;
  let clientId: string;
  const secretKeys = new SecretKeys(SECRET);
  // Real time; the delays after failed sign-ins are recorded instead of waited for.
  const clock = new RealTimeClock();

  beforeAll(async () => {
    const port = await freePort();
    // Listening on all of 127.0.0.0/8 ("0.0.0.0" would do too): clients come from 127.0.0.1 and .2.
    issuer = `http://127.0.0.1:${port}`;
    store = createMemoryStore();
    server = createAuthorizationServer({
      issuer,
      store,
      clock,
      secret: SECRET,
      logger: false,
      protection: { rateLimits: { signInPerAccountIp: { points: 5, seconds: 900, lockoutSeconds: 900 } } },
    });
    await server.ready();
    http = serve({ fetch: (request, env) => server.fetch(request, env), port, hostname: '0.0.0.0' });
    await new Promise<void>((ready) => http.once('listening', () => ready()));
    clientId = (await registerClient(store, secretKeys, { name: 'App', redirectUris: [REDIRECT] }, Date.now())).client.clientId;
    await createUser(store, { username: 'victim', email: 'victim@example.com', password: 'the real password' }, Date.now());
    await createUser(store, { username: 'bob', email: 'bob@example.com', password: 'bobs password' }, Date.now());
  });

  afterAll(async () => {
    http?.close();
    await server?.close();
  });

  const authorizeUrl = () =>
    `${issuer}/authorize?${new URLSearchParams({ client_id: clientId, redirect_uri: REDIRECT, response_type: 'code', scope: 'openid', code_challenge: CHALLENGE, code_challenge_method: 'S256', state: 's' })}`;

  async function tryPassword(browser: LoopbackBrowser, username: string, password: string) {
    const page = await browser.open(authorizeUrl());
    const form = firstForm(page.body, page.url);
    return browser.request(form.action, { form: { csrf: form.csrf, username, password } });
  }

  it('throttles 200 wrong passwords against one account from one address, while another user from 127.0.0.2 signs in', async () => {
    const attacker = new LoopbackBrowser('127.0.0.1');
    const statuses: number[] = [];
    for (let i = 0; i < 200; i += 1) {
      const response = await tryPassword(attacker, 'victim', `guess-${i}`);
      statuses.push(response.status);
      if (response.status === 429) break;
    }
    // Throttled after the configured 5 failures, each answered after a longer delay than the one before.
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(clock.sleeps).toEqual([250, 500, 1000, 2000, 4000]);
    expect(statuses.at(-1)).toBe(429);
    expect(statuses.length).toBe(6);
    // Locked even with the right password from this address.
    const locked = await tryPassword(attacker, 'victim', 'the real password');
    expect(locked.status).toBe(429);
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
    expect(locked.body).toContain('Too many attempts');

    // Another user, from another address, is not affected.
    const bob = new LoopbackBrowser('127.0.0.2');
    const signedIn = await tryPassword(bob, 'bob', 'bobs password');
    expect(signedIn.status).toBe(303);
    // Nor is the victim signing in from their own address: the lockout is per account + address.
    const victim = new LoopbackBrowser('127.0.0.3');
    expect((await tryPassword(victim, 'victim', 'the real password')).status).toBe(303);
  }, 60_000);

  it('refuses a client allowed only from 127.0.0.2/32 when it calls from 127.0.0.1, and serves it from 127.0.0.2', async () => {
    const { client, clientSecret } = await registerClient(
      store,
      secretKeys,
      { name: 'Payroll job', grantTypes: ['client_credentials'], scope: 'payroll:read', allowedIps: ['127.0.0.2/32'] },
      Date.now(),
    );
    const tokenRequest = (from: string) =>
      requestFrom(from, `${issuer}/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${client.clientId}:${clientSecret}`).toString('base64')}`,
        },
        body: 'grant_type=client_credentials',
      });
    const refused = await tokenRequest('127.0.0.1');
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.body)).toMatchObject({ error: 'unauthorized_client' });
    const served = await tokenRequest('127.0.0.2');
    expect(served.status).toBe(200);
    expect((JSON.parse(served.body) as { access_token?: unknown }).access_token).toBeTypeOf('string');
  });

  it('counts issued tokens and failed sign-ins in /metrics, which only the operator allow-list can read', async () => {
    const metric = async (name: string) => {
      const text = (await requestFrom('127.0.0.1', `${issuer}/metrics`)).body;
      return text
        .split('\n')
        .filter((line) => line.startsWith(name))
        .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
    };
    const { client, clientSecret } = await registerClient(store, secretKeys, { name: 'Metered', grantTypes: ['client_credentials'] }, Date.now());
    const issuedBefore = await metric('gatehouse_tokens_issued_total{grant_type="client_credentials"}');
    const failedBefore = await metric('gatehouse_sign_in_failures_total');
    await requestFrom('127.0.0.4', `${issuer}/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${client.clientId}:${clientSecret}`).toString('base64')}`,
      },
      body: 'grant_type=client_credentials',
    });
    await tryPassword(new LoopbackBrowser('127.0.0.4'), 'bob', 'not bobs password');
    expect(await metric('gatehouse_tokens_issued_total{grant_type="client_credentials"}')).toBe(issuedBefore + 1);
    expect(await metric('gatehouse_sign_in_failures_total')).toBe(failedBefore + 1);
    // Loopback is the default operator allow-list; 127.0.0.0/8 is loopback, so ask from a non-listed
    // route instead: the operator endpoint is refused to everyone outside the list.
    const strict = createAuthorizationServer({
      issuer,
      store,
      secret: SECRET,
      logger: false,
      migrate: false,
      protection: { operatorAllowList: ['127.0.0.9/32'] },
    });
    const refused = await strict.fetch(new Request(`${issuer}/metrics`), { remoteAddress: '127.0.0.1' });
    expect(refused.status).toBe(404);
    const allowed = await strict.fetch(new Request(`${issuer}/metrics`), { remoteAddress: '127.0.0.9' });
    expect(allowed.status).toBe(200);
    await strict.close();
    expect((await requestFrom('127.0.0.1', `${issuer}/healthz`)).status).toBe(200);
    expect(JSON.parse((await requestFrom('127.0.0.1', `${issuer}/readyz`)).body)).toMatchObject({ status: 'ok', checks: { store: true, keys: true } });
  });

  it('ignores X-Forwarded-For from an untrusted peer', async () => {
    const { client, clientSecret } = await registerClient(
      store,
      secretKeys,
      { name: 'Spoofer', grantTypes: ['client_credentials'], allowedIps: ['10.1.2.3/32'] },
      Date.now(),
    );
    const response = await requestFrom('127.0.0.1', `${issuer}/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-forwarded-for': '10.1.2.3',
        forwarded: 'for=10.1.2.3',
        authorization: `Basic ${Buffer.from(`${client.clientId}:${clientSecret}`).toString('base64')}`,
      },
      body: 'grant_type=client_credentials',
    });
    expect(response.status).toBe(403);
  });
});
