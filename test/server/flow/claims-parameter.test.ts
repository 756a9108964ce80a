/**
 * The `claims` parameter (OIDC Core §5.5) over HTTP: claims asked for one by one reach the ID token
 * and UserInfo as asked, after a consent page that names them, and stay with the grant on refresh;
 * an essential `acr` of `2` steps a password-only session up to a second factor (§5.5.1.1); a `sub`
 * value names the only user the request may succeed for (§5.5.1); a malformed parameter is refused.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  authorizeParams,
  authorizeUrl,
  Browser,
  callbackParams,
  expectPage,
  expectTokens,
  pkce,
  promptNone,
  readIdToken,
  redeemCode,
  refresh,
  registerFlowClient,
  signIn,
  startFlow,
  submitLogin,
  type Flow,
  type FlowClient,
} from '../../helpers/flow.js';
import { FakeClock, T0 } from '../../helpers/fake-clock.js';
import { isMfaEnrolment, setupKey, totpAt } from '../../helpers/mfa.js';
import { parseForms } from '../../helpers/user-agent.js';
import { createUser } from '../../../src/server/admin/users.js';

const NOW = T0 + 15_000;
let flow: Flow;

beforeAll(async () => {
  flow = await startFlow({ clock: new FakeClock(NOW) });
});

const json = (value: unknown) => JSON.stringify(value);
const bearer = (token: string) => ({ headers: { Authorization: `Bearer ${token}` } });

async function userinfo(accessToken: string): Promise<Record<string, unknown>> {
  const response = await flow.server.get('/userinfo', bearer(accessToken));
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

describe('claims asked for one by one (OIDC Core §5.5)', () => {
  let client: FlowClient;
  const browser = () => new Browser(flow.server);
  const CLAIMS = json({
    id_token: { name: { essential: true }, auth_time: { essential: true }, 'urn:example:unknown': null },
    userinfo: { email: null, email_verified: { value: true } },
  });

  beforeAll(async () => {
    client = await registerFlowClient(flow.server, { name: 'Claims App' });
  });

  it('with scope openid only: the consent page names them; the ID token gets name (and auth_time), UserInfo email; refresh keeps both', async () => {
    const alice = browser();
    const { verifier, challenge } = pkce();
    const login = await alice.open(authorizeUrl(flow.server, authorizeParams(client, challenge, { scope: 'openid offline_access', claims: CLAIMS })));
    const consent = expectPage(await submitLogin(alice, expectPage(login, 'login'), flow.users.alice), 'consent');
    const named = /<li data-claims>([\s\S]*?)<\/li>/.exec(consent.body)?.[1] ?? '';
    expect(named).toContain('your name');
    expect(named).toContain('your email address');
    expect(named).toContain('whether your email address is verified');
    expect(named).not.toContain('unknown');
    const done = await alice.submit(consent, {}, { button: 'approve' });
    const tokens = await expectTokens(await redeemCode(flow.server, client, callbackParams(done).get('code')!, verifier));

    const { claims } = readIdToken(tokens.id_token!);
    expect(claims).toMatchObject({ name: 'Alice Liddell', auth_time: expect.any(Number) });
    expect(claims).not.toHaveProperty('email');
    expect(await userinfo(tokens.access_token)).toEqual({ sub: flow.users.alice.record.id, email: 'alice@example.com', email_verified: true });

    const refreshed = await expectTokens(await refresh(flow.server, client, tokens.refresh_token!));
    expect(readIdToken(refreshed.id_token!).claims.name).toBe('Alice Liddell');
    expect(await userinfo(refreshed.access_token)).toMatchObject({ email: 'alice@example.com' });

    // The consent covers them now: asked again, no page; asked for another claim, consent is needed.
    expect((await promptNone(alice, flow.server, client, { claims: CLAIMS })).get('code')).toEqual(expect.any(String));
    expect((await promptNone(alice, flow.server, client, { claims: json({ userinfo: { phone_number: null } }) })).get('error')).toBe('consent_required');
  });

  it('without the parameter, scope openid releases none of them', async () => {
    const tokens = await signIn(browser(), flow.server, client, flow.users.bob);
    expect(readIdToken(tokens.id_token!).claims).not.toHaveProperty('name');
    expect(await userinfo(tokens.access_token)).toEqual({ sub: flow.users.bob.record.id });
  });

  it('a claim already released by a consented scope needs no new consent and is not named again', async () => {
    const bob = browser();
    await signIn(bob, flow.server, client, flow.users.bob, { scope: 'openid email' });
    expect((await promptNone(bob, flow.server, client, { claims: json({ id_token: { email: null } }) })).get('code')).toEqual(expect.any(String));
  });
});

describe('refusals', () => {
  it('a malformed claims parameter: invalid_request, redirected with state', async () => {
    for (const claims of ['{"id_token":{"email":"yes"}}', '{"userinfo":[]}', '{"id_token":{"acr":{"essential":"true"}}}']) {
      const page = await new Browser(flow.server).open(authorizeUrl(flow.server, authorizeParams(flow.client, pkce().challenge, { claims, state: 'st-1' })));
      const callback = callbackParams(page);
      expect([callback.get('error'), callback.get('state')], claims).toEqual(['invalid_request', 'st-1']);
    }
  });

  it('a sub value naming another user than the signed-in one: login_required with prompt=none; after signing in as someone else, login_required', async () => {
    const alice = new Browser(flow.server);
    await signIn(alice, flow.server, flow.client, flow.users.alice);
    const forBob = json({ id_token: { sub: { value: flow.users.bob.record.id } } });
    expect((await promptNone(alice, flow.server, flow.client, { claims: forBob })).get('error')).toBe('login_required');
    const forAlice = json({ id_token: { sub: { value: flow.users.alice.record.id } } });
    expect((await promptNone(alice, flow.server, flow.client, { claims: forAlice })).get('code')).toEqual(expect.any(String));

    const fresh = new Browser(flow.server);
    const login = await fresh.open(authorizeUrl(flow.server, authorizeParams(flow.client, pkce().challenge, { claims: forBob })));
    const answer = await submitLogin(fresh, expectPage(login, 'login'), flow.users.alice);
    expect(callbackParams(answer).get('error')).toBe('login_required');
  });
});

describe('an essential acr of 2 (OIDC Core §5.5.1.1) steps up a password-only session', () => {
  it('asks for the password again, then a second factor; the ID token says acr 2, amr mfa', async () => {
    const erin = await createUser(flow.server.store, { username: 'erin', email: 'erin@example.com', password: 'erin-password-12' }, T0);
    const user = { record: erin, username: 'erin', password: 'erin-password-12' };
    const browser = new Browser(flow.server);
    const first = await signIn(browser, flow.server, flow.client, user);
    expect(readIdToken(first.id_token!).claims).toMatchObject({ acr: '1', amr: ['pwd'] });

    const stepUp = json({ id_token: { acr: { essential: true, values: ['2'] } } });
    expect((await promptNone(browser, flow.server, flow.client, { claims: stepUp })).get('error')).toBe('login_required');
    const { verifier, challenge } = pkce();
    const login = await browser.open(authorizeUrl(flow.server, authorizeParams(flow.client, challenge, { claims: stepUp })));
    const enrol = await submitLogin(browser, expectPage(login, 'login'), user);
    expect(isMfaEnrolment(enrol)).toBe(true);
    const form = parseForms(enrol.body).find((candidate) => candidate.action.endsWith('/mfa-enroll'))!;
    const codes = await browser.open(new URL(form.action, enrol.url).href, {
      method: 'POST',
      form: { ...form.fields, code: await totpAt(setupKey(enrol.body), NOW) },
    });
    const done = await browser.submit(codes, {}, { actionPart: '/continue' });
    const tokens = await expectTokens(await redeemCode(flow.server, flow.client, callbackParams(done).get('code')!, verifier));
    const { claims } = readIdToken(tokens.id_token!);
    expect(claims.acr).toBe('2');
    expect(claims.amr).toContain('mfa');
  });
});
