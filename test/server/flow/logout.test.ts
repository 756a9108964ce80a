import { beforeAll, describe, expect, it } from 'vitest';
import {
  APP_LOGOUT_REDIRECT,
  Browser,
  findForm,
  promptNone,
  registerFlowClient,
  signIn,
  startFlow,
  testUsers,
  type Flow,
  type Page,
  type Tokens,
} from '../../helpers/flow.js';

beforeAll(async () => {
  await testUsers();
});

/** Alice signed in through the flow client. */
async function signedIn(): Promise<Flow & { tokens: Tokens }> {
  const flow = await startFlow();
  return { ...flow, tokens: await signIn(flow.browser, flow.server, flow.client, flow.users.alice) };
}

async function isSignedIn(flow: Flow, browser: Browser = flow.browser): Promise<boolean> {
  const callback = await promptNone(browser, flow.server, flow.client);
  if (callback.get('code')) return true;
  expect(callback.get('error')).toBe('login_required');
  return false;
}

function logoutUrl(flow: Flow, params: Record<string, string>): string {
  return `${flow.server.issuer}/logout?${new URLSearchParams(params)}`;
}

function expectErrorPage(page: Page): void {
  expect(page.status).toBe(400);
  expect(page.location).toBeUndefined();
  expect(page.headers.get('location')).toBeNull();
  expect(page.headers.get('content-type')).toMatch(/^text\/html/);
}

describe('RP-Initiated Logout 1.0', () => {
  it('with a valid id_token_hint and a registered post_logout_redirect_uri: 303 there with state, and the session is gone (§2, §3)', async () => {
    const flow = await signedIn();
    expect(await isSignedIn(flow)).toBe(true);
    const page = await flow.browser.open(
      logoutUrl(flow, { id_token_hint: flow.tokens.id_token!, post_logout_redirect_uri: APP_LOGOUT_REDIRECT, state: 'bye-123' }),
    );
    expect(page.status).toBe(303);
    expect(`${page.location!.origin}${page.location!.pathname}`).toBe(APP_LOGOUT_REDIRECT);
    expect(page.location!.searchParams.get('state')).toBe('bye-123');
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(await isSignedIn(flow)).toBe(false);
  });

  it('ends the session on the server, not only the cookie: a copy of the old cookie no longer works', async () => {
    const flow = await signedIn();
    const copy = new Browser(flow.server);
    for (const [name, value] of flow.browser.cookies) copy.cookies.set(name, value);
    await flow.browser.open(logoutUrl(flow, { id_token_hint: flow.tokens.id_token!, post_logout_redirect_uri: APP_LOGOUT_REDIRECT }));
    expect(await isSignedIn(flow, copy)).toBe(false);
  });

  it('accepts the same request by POST', async () => {
    const flow = await signedIn();
    const page = await flow.browser.open(`${flow.server.issuer}/logout`, {
      form: { id_token_hint: flow.tokens.id_token!, post_logout_redirect_uri: APP_LOGOUT_REDIRECT },
    });
    expect(page.location?.href).toBe(APP_LOGOUT_REDIRECT);
    expect(await isSignedIn(flow)).toBe(false);
  });

  it('never redirects to an unregistered post_logout_redirect_uri: error page, no Location, still signed in', async () => {
    const flow = await signedIn();
    await registerFlowClient(flow.server, { name: 'Other', postLogoutRedirectUris: ['https://other.example.com/bye'] });
    const cases: Record<string, string>[] = [
      { id_token_hint: flow.tokens.id_token!, post_logout_redirect_uri: 'https://evil.example.net/' },
      { id_token_hint: flow.tokens.id_token!, post_logout_redirect_uri: `${APP_LOGOUT_REDIRECT}/x` },
      // Registered, but for another client than the hint's.
      { id_token_hint: flow.tokens.id_token!, post_logout_redirect_uri: 'https://other.example.com/bye' },
      { client_id: flow.client.clientId, post_logout_redirect_uri: 'https://evil.example.net/' },
      // No client to check it against.
      { post_logout_redirect_uri: APP_LOGOUT_REDIRECT },
    ];
    for (const params of cases) {
      const page = await flow.browser.open(logoutUrl(flow, params));
      expectErrorPage(page);
      expect(page.body).not.toContain('evil.example.net');
    }
    expect(await isSignedIn(flow)).toBe(true);
  });

  it('without a hint asks for confirmation and does not sign out by itself', async () => {
    const flow = await signedIn();
    const page = await flow.browser.open('/logout');
    expect(page.status).toBe(200);
    const form = findForm(page);
    expect(form.method).toBe('post');
    expect(form.action).toMatch(/\/logout\/confirm$/);
    expect(form.fields.csrf).toBeTruthy();
    expect(form.buttons.map((button) => button.value).sort()).toEqual(['logout', 'stay']);
    expect(await isSignedIn(flow)).toBe(true);
  });

  it('signs out when the confirmation is posted with its csrf token', async () => {
    const flow = await signedIn();
    const confirm = await flow.browser.open('/logout');
    const done = await flow.browser.submit(confirm, {}, { button: 'logout' });
    expect(done.status).toBe(200);
    expect(done.body).toContain('signed out');
    expect(await isSignedIn(flow)).toBe(false);
  });

  it('carries a registered post_logout_redirect_uri and state through the confirmation', async () => {
    const flow = await signedIn();
    const confirm = await flow.browser.open(logoutUrl(flow, { client_id: flow.client.clientId, post_logout_redirect_uri: APP_LOGOUT_REDIRECT, state: 's9' }));
    const done = await flow.browser.submit(confirm, {}, { button: 'logout' });
    expect(done.location?.href).toBe(`${APP_LOGOUT_REDIRECT}?state=s9`);
    expect(await isSignedIn(flow)).toBe(false);
  });

  it('"stay signed in" keeps the session', async () => {
    const flow = await signedIn();
    const confirm = await flow.browser.open('/logout');
    const stay = await flow.browser.submit(confirm, {}, { button: 'stay' });
    expect(stay.status).toBe(200);
    expect(await isSignedIn(flow)).toBe(true);
  });

  it('refuses a confirmation without a valid csrf token with 403, and the user stays signed in', async () => {
    const flow = await signedIn();
    const confirm = await flow.browser.open('/logout');
    const missing = await flow.browser.submit(confirm, {}, { button: 'logout', omit: ['csrf'] });
    expect(missing.status).toBe(403);
    const forged = await flow.browser.submit(confirm, { csrf: 'forged' }, { button: 'logout' });
    expect(forged.status).toBe(403);
    // A cross-site post carries the cookies but cannot know this browser's token.
    const attacker = new Browser(flow.server);
    await signIn(attacker, flow.server, flow.client, flow.users.bob);
    const attackerPage = await attacker.open('/logout');
    const crossSite = await flow.browser.submit(attackerPage, {}, { button: 'logout' });
    expect(crossSite.status).toBe(403);
    expect(await isSignedIn(flow)).toBe(true);
  });

  it('accepts an expired id_token_hint (§2: the hint identifies, it does not authenticate)', async () => {
    const flow = await signedIn();
    flow.server.clock.advance(3601_000);
    const page = await flow.browser.open(logoutUrl(flow, { id_token_hint: flow.tokens.id_token!, post_logout_redirect_uri: APP_LOGOUT_REDIRECT }));
    expect(page.location?.href).toBe(APP_LOGOUT_REDIRECT);
    expect(await isSignedIn(flow)).toBe(false);
  });

  it('refuses an id_token_hint with a bad signature: error page, still signed in', async () => {
    const flow = await signedIn();
    const [header, payload, signature] = flow.tokens.id_token!.split('.');
    const forged = `${header}.${payload}.${signature!.slice(0, 10)}${'A'.repeat(signature!.length - 10)}`;
    const page = await flow.browser.open(logoutUrl(flow, { id_token_hint: forged, post_logout_redirect_uri: APP_LOGOUT_REDIRECT }));
    expectErrorPage(page);
    expect(await isSignedIn(flow)).toBe(true);
  });

  it('an id_token_hint for another user does not sign out the current user without confirmation', async () => {
    const flow = await signedIn();
    const bob = await signIn(new Browser(flow.server), flow.server, flow.client, flow.users.bob);
    const page = await flow.browser.open(logoutUrl(flow, { id_token_hint: bob.id_token!, post_logout_redirect_uri: APP_LOGOUT_REDIRECT }));
    expect(page.status).toBe(200);
    expect(findForm(page).action).toMatch(/\/logout\/confirm$/);
    expect(await isSignedIn(flow)).toBe(true);
  });
});
