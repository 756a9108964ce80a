/**
 * The device authorization grant (RFC 8628) through the server's fetch handler: the device
 * authorization endpoint (§3.1, §3.2), the user on the /device page and the sign-in interaction
 * (§3.3), and every error of the token endpoint (§3.5).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Browser, expectPage, expectTokens, findForm, readIdToken, seedUsers, submitLogin, type FlowClient, type TestUser } from '../../helpers/flow.js';
import { factorContext, giveTotp, TOTP_STEP_MS, totpAt } from '../../helpers/mfa.js';
import { startServer, type TestServer } from '../../helpers/server.js';
import {
  approveOnPage,
  DEVICE_GRANT,
  enterCodeAndSignIn,
  poll,
  pollError,
  registerDeviceClient,
  requestDeviceAuthorization,
  startDevice,
} from '../../helpers/device.js';

let server: TestServer;
let users: Record<'alice' | 'bob', TestUser>;
let client: FlowClient;

beforeEach(async () => {
  server = await startServer();
  users = await seedUsers(server.store);
  client = await registerDeviceClient(server);
});

afterEach(async () => {
  await server.server.close();
});

describe('the device authorization endpoint (RFC 8628 §3.1, §3.2)', () => {
  it('answers a device code, a user code of the §6.1 alphabet as XXXX-XXXX, the verification URIs, expires_in and interval, never cached', async () => {
    const response = await requestDeviceAuthorization(server, client);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toEqual({
      device_code: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      user_code: expect.stringMatching(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/),
      verification_uri: `${server.issuer}/device`,
      verification_uri_complete: `${server.issuer}/device?user_code=${String(body.user_code)}`,
      expires_in: 600,
      interval: 5,
    });
  });

  it('stores neither code as issued', async () => {
    const device = await startDevice(server, client);
    const kinds = ['device_authorization', 'device_user_code'];
    for (const kind of kinds) {
      expect(await server.store.artifacts.get(kind, device.device_code)).toBeUndefined();
      expect(await server.store.artifacts.get(kind, device.user_code.replace('-', ''))).toBeUndefined();
    }
  });

  it('authenticates confidential clients as the token endpoint does', async () => {
    const confidential = await registerDeviceClient(server, { authMethod: 'client_secret_basic' });
    expect((await requestDeviceAuthorization(server, confidential)).status).toBe(200);
    const wrong = await server.post('/device/auth', { client_id: confidential.clientId, scope: 'openid' });
    expect(wrong.status).toBe(401);
    expect((await pollError(wrong)).error).toBe('invalid_client');
  });

  it.each([
    ['an unknown client', { client_id: 'nobody', scope: 'openid' }, 401, 'invalid_client'],
    ['no scope', { scope: undefined }, 400, 'invalid_scope'],
    ['a scope the client is not registered for', { scope: 'openid admin' }, 400, 'invalid_scope'],
    ['a malformed scope', { scope: 'openid "x"' }, 400, 'invalid_scope'],
    ['a resource with a fragment', { resource: 'https://api.example.com/#x' }, 400, 'invalid_target'],
    ['a resource not registered for the client', { resource: 'https://other.example.com/' }, 400, 'invalid_target'],
  ])('refuses %s', async (_, fields, status, error) => {
    const form = Object.fromEntries(
      Object.entries({ client_id: client.clientId, scope: 'openid', ...fields }).filter(([, value]) => value !== undefined),
    ) as Record<string, string>;
    const response = await server.post('/device/auth', form);
    expect(response.status).toBe(status);
    const body = await pollError(response);
    expect(body.error).toBe(error);
    expect(body.description).not.toContain('other.example.com');
  });

  it('refuses a client not registered for the device grant (unauthorized_client)', async () => {
    const web = await registerDeviceClient(server, { grantTypes: ['refresh_token'] });
    const body = await pollError(await requestDeviceAuthorization(server, web));
    expect(body).toMatchObject({ status: 400, error: 'unauthorized_client' });
  });

  it('accepts a resource registered for the client, and the token is for it', async () => {
    const withApi = await registerDeviceClient(server, { resources: ['https://api.example.com/'] });
    const device = await startDevice(server, withApi, { resource: 'https://api.example.com/', scope: 'openid' });
    await approveOnPage(new Browser(server), device, users.alice);
    const tokens = await expectTokens(await poll(server, withApi, device.device_code));
    expect((await server.verify(tokens.access_token)).payload.aud).toBe('https://api.example.com/');
  });

  it('is POST only', async () => {
    const response = await server.get('/device/auth');
    expect(response.status).toBe(405);
  });
});

describe('the user on /device and the token endpoint', () => {
  it('pending, then approved: tokens as for the authorization code flow, once', async () => {
    const device = await startDevice(server, client);
    expect(await pollError(await poll(server, client, device.device_code))).toMatchObject({ status: 400, error: 'authorization_pending' });

    const browser = new Browser(server);
    const consent = await enterCodeAndSignIn(browser, device.verification_uri_complete, users.alice);
    // The consent page names the device client and asks to compare the code (RFC 8628 §5.4).
    expect(consent.body).toContain('Living Room TV');
    expect(consent.body).toContain(device.user_code);
    const done = await browser.submit(consent, {}, { button: 'approve' });
    expect(done.status).toBe(200);
    expect(done.body).toContain('You can return to your device');

    server.clock.advance(5_000);
    const tokens = await expectTokens(await poll(server, client, device.device_code));
    expect(tokens).toMatchObject({ token_type: 'Bearer', scope: 'openid offline_access' });
    expect(tokens.refresh_token).toBeDefined();
    const { claims } = readIdToken(tokens.id_token!);
    expect(claims).toMatchObject({ sub: users.alice.record.id, aud: client.clientId, iss: server.issuer });
    const userinfo = await server.get('/userinfo', { headers: { Authorization: `Bearer ${tokens.access_token}` } });
    expect(userinfo.status).toBe(200);

    server.clock.advance(5_000);
    expect(await pollError(await poll(server, client, device.device_code))).toMatchObject({ status: 400, error: 'invalid_grant' });
    const events = await server.store.audit.list({ limit: 100 });
    expect(events.map((event) => event.type)).toEqual(expect.arrayContaining(['device.authorization_requested', 'device.authorization_approved']));
  });

  it('a user with an authenticator app passes the second factor before consent; the tokens say so (amr, acr)', async () => {
    const { secret } = await giveTotp(factorContext(server.store, server.clock), users.alice.record.id);
    server.clock.advance(TOTP_STEP_MS);
    const device = await startDevice(server, client);
    const browser = new Browser(server);
    const entry = await browser.open(device.verification_uri_complete);
    const login = expectPage(await browser.submit(entry, {}, { actionPart: '/device' }), 'login');
    const mfa = await submitLogin(browser, login, users.alice);
    findForm(mfa, '/mfa');
    const consent = expectPage(
      await browser.submit(mfa, { method: 'totp', code: await totpAt(secret, server.clock.now()) }, { actionPart: '/mfa' }),
      'consent',
    );
    expect((await browser.submit(consent, {}, { button: 'approve' })).body).toContain('Device connected');
    const tokens = await expectTokens(await poll(server, client, device.device_code));
    expect(readIdToken(tokens.id_token!).claims).toMatchObject({ amr: expect.arrayContaining(['pwd', 'otp', 'mfa']), acr: '2' });
  });

  it('the code typed by hand, in lower case with spaces, works as the link does', async () => {
    const device = await startDevice(server, client);
    const browser = new Browser(server);
    const typed = device.user_code.toLowerCase().replace('-', ' ');
    const consent = await enterCodeAndSignIn(browser, `${server.issuer}/device`, users.alice, typed);
    expect((await browser.submit(consent, {}, { button: 'approve' })).body).toContain('Device connected');
    expect((await poll(server, client, device.device_code)).status).toBe(200);
  });

  it('the link fills in the code but never submits it: the user confirms (RFC 8628 §5.4)', async () => {
    const device = await startDevice(server, client);
    const browser = new Browser(server);
    const page = await browser.open(device.verification_uri_complete);
    expect(page.status).toBe(200);
    expect(page.body).toContain(`value="${device.user_code}"`);
    expect(page.body).toContain('Check that this code is the one your device shows');
    expect(await pollError(await poll(server, client, device.device_code))).toMatchObject({ error: 'authorization_pending' });
  });

  it('a link with something that cannot be a code shows an empty field, never the value', async () => {
    const page = await new Browser(server).open(`${server.issuer}/device?user_code=%3Cscript%3Ealert(1)%3C/script%3E`);
    expect(page.status).toBe(200);
    expect(page.body).not.toContain('alert(1)');
  });

  it('consent is asked even when the user allowed the client before', async () => {
    const first = await startDevice(server, client);
    const browser = new Browser(server);
    await approveOnPage(browser, first, users.alice);
    const second = await startDevice(server, client);
    const page = await browser.submit(await browser.open(second.verification_uri_complete), {}, { actionPart: '/device' });
    expect(page.body).toContain('/consent');
    expect(page.body).toContain(second.user_code);
  });

  it('denied: access_denied to the device, audited', async () => {
    const device = await startDevice(server, client);
    const done = await approveOnPage(new Browser(server), device, users.alice, 'deny');
    expect(done.body).toContain('Device not connected');
    expect(await pollError(await poll(server, client, device.device_code))).toMatchObject({ status: 400, error: 'access_denied' });
    const events = await server.store.audit.list({ type: 'device.authorization_denied', limit: 10 });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ clientId: client.clientId, subject: users.alice.record.id });
  });

  it('a code is decided once: a second browser with the same code is told it was used', async () => {
    const device = await startDevice(server, client);
    const one = new Browser(server);
    const two = new Browser(server);
    const consentOne = await enterCodeAndSignIn(one, device.verification_uri_complete, users.alice);
    const consentTwo = await enterCodeAndSignIn(two, device.verification_uri_complete, users.bob);
    expect((await one.submit(consentOne, {}, { button: 'approve' })).body).toContain('Device connected');
    const late = await two.submit(consentTwo, {}, { button: 'approve' });
    expect(late.status).toBe(400);
    expect(late.body).toContain('already used');
    const tokens = await expectTokens(await poll(server, client, device.device_code));
    expect(readIdToken(tokens.id_token!).claims.sub).toBe(users.alice.record.id);
  });

  it('a used code cannot be entered again', async () => {
    const device = await startDevice(server, client);
    await approveOnPage(new Browser(server), device, users.alice);
    const browser = new Browser(server);
    const page = await browser.submit(await browser.open(device.verification_uri_complete), {}, { actionPart: '/device' });
    expect(page.status).toBe(400);
    expect(page.body).toContain('That code is not valid');
  });

  it('expired: the page refuses the code and the device gets expired_token', async () => {
    const device = await startDevice(server, client);
    server.clock.advance(600_000);
    const browser = new Browser(server);
    const page = await browser.submit(await browser.open(device.verification_uri_complete), {}, { actionPart: '/device' });
    expect(page.status).toBe(400);
    expect(await pollError(await poll(server, client, device.device_code))).toMatchObject({ status: 400, error: 'expired_token' });
  });

  it('the form without its CSRF token is refused', async () => {
    const device = await startDevice(server, client);
    const browser = new Browser(server);
    const page = await browser.submit(await browser.open(device.verification_uri_complete), {}, { actionPart: '/device', omit: ['csrf'] });
    expect(page.status).toBe(403);
  });
});

describe('polling errors (RFC 8628 §3.5)', () => {
  it('slow_down when polling faster than the interval, and the interval grows by 5 s each time', async () => {
    const device = await startDevice(server, client);
    expect((await pollError(await poll(server, client, device.device_code))).error).toBe('authorization_pending');
    server.clock.advance(4_999);
    expect((await pollError(await poll(server, client, device.device_code))).error).toBe('slow_down');
    // The interval is 10 s now, counted from the last poll that went on (at 0 s).
    server.clock.advance(5_000);
    expect((await pollError(await poll(server, client, device.device_code))).error).toBe('slow_down');
    // 15 s now: at 15 s the next poll goes on.
    server.clock.advance(5_001);
    expect((await pollError(await poll(server, client, device.device_code))).error).toBe('authorization_pending');
    server.clock.advance(14_999);
    expect((await pollError(await poll(server, client, device.device_code))).error).toBe('slow_down');
    // 20 s now.
    server.clock.advance(5_001);
    expect((await pollError(await poll(server, client, device.device_code))).error).toBe('authorization_pending');
  });

  it('a device polling at the interval never gets slow_down', async () => {
    const device = await startDevice(server, client);
    for (let index = 0; index < 6; index += 1) {
      expect((await pollError(await poll(server, client, device.device_code))).error).toBe('authorization_pending');
      server.clock.advance(device.interval * 1000);
    }
  });

  it.each([
    ['no device_code', {}, 'invalid_request'],
    ['an unknown device_code', { device_code: 'x'.repeat(43) }, 'invalid_grant'],
  ])('%s: %s', async (_, fields, error) => {
    const response = await server.post('/token', { grant_type: DEVICE_GRANT, client_id: client.clientId, ...fields });
    expect(await pollError(response)).toMatchObject({ status: 400, error });
  });

  it("another client's device code is invalid_grant", async () => {
    const device = await startDevice(server, client);
    const other = await registerDeviceClient(server);
    expect(await pollError(await poll(server, other, device.device_code))).toMatchObject({ status: 400, error: 'invalid_grant' });
    // The owner's poll still works.
    expect((await pollError(await poll(server, client, device.device_code))).error).toBe('authorization_pending');
  });

  it('a client not registered for the grant is unauthorized_client', async () => {
    const device = await startDevice(server, client);
    const web = await registerDeviceClient(server, { grantTypes: ['refresh_token'] });
    expect(await pollError(await poll(server, web, device.device_code))).toMatchObject({ status: 400, error: 'unauthorized_client' });
  });

  it('discovery advertises the endpoint and the grant', async () => {
    const metadata = (await (await server.get('/.well-known/openid-configuration')).json()) as Record<string, unknown>;
    expect(metadata.device_authorization_endpoint).toBe(`${server.issuer}/device/auth`);
    expect(metadata.grant_types_supported).toContain(DEVICE_GRANT);
  });
});
