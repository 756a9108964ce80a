/**
 * RP-Initiated Logout 1.0 §2: an `id_token_hint` ends the session without asking only when it was
 * issued in that very session (its `sid`), not merely to the same user: an ID token of an earlier
 * sign-in, or of the same user's session in another browser, could be replayed by anyone who got
 * hold of it (a cross-site logout), so the user is asked to confirm.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  APP_LOGOUT_REDIRECT,
  Browser,
  findForm,
  promptNone,
  readIdToken,
  refresh,
  expectTokens,
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

function logoutUrl(flow: Flow, params: Record<string, string>): string {
  return `${flow.server.issuer}/logout?${new URLSearchParams(params)}`;
}

async function isSignedIn(flow: Flow, browser: Browser = flow.browser): Promise<boolean> {
  const callback = await promptNone(browser, flow.server, flow.client);
  if (callback.get('code')) return true;
  expect(callback.get('error')).toBe('login_required');
  return false;
}

/** The logout confirmation page: 200 HTML, a form posting to /logout/confirm, no redirect. */
function expectConfirmation(page: Page): void {
  expect(page.status).toBe(200);
  expect(page.location).toBeUndefined();
  expect(findForm(page, '/logout/confirm').action).toMatch(/\/logout\/confirm$/);
}

const sidOf = (tokens: Tokens) => readIdToken(tokens.id_token!).claims.sid as string;

/** alice signed in twice in the flow's browser: the second time with prompt=login, a new session. */
async function twoSessions(): Promise<Flow & { first: Tokens; second: Tokens }> {
  const flow = await startFlow();
  const first = await signIn(flow.browser, flow.server, flow.client, flow.users.alice);
  flow.server.clock.advance(5_000);
  const second = await signIn(flow.browser, flow.server, flow.client, flow.users.alice, { prompt: 'login' });
  return { ...flow, first, second };
}

describe('end-session: the id_token_hint must be of the current session (sid), not only of the same user', () => {
  it('a new sign-in (prompt=login) is a new session: the two ID tokens have the same sub and different sids', async () => {
    const { first, second } = await twoSessions();
    expect(readIdToken(first.id_token!).claims.sub).toBe(readIdToken(second.id_token!).claims.sub);
    expect(sidOf(first)).toEqual(expect.any(String));
    expect(sidOf(second)).toEqual(expect.any(String));
    expect(sidOf(first)).not.toBe(sidOf(second));
  });

  it('an ID token of the earlier session asks for confirmation, and the session stays until the user confirms', async () => {
    const flow = await twoSessions();
    const page = await flow.browser.open(logoutUrl(flow, { id_token_hint: flow.first.id_token! }));
    expectConfirmation(page);
    expect(await isSignedIn(flow)).toBe(true);

    // With a post_logout_redirect_uri as well: still the confirmation page (which carries it), no redirect.
    const withRedirect = await flow.browser.open(
      logoutUrl(flow, { id_token_hint: flow.first.id_token!, post_logout_redirect_uri: APP_LOGOUT_REDIRECT, state: 'old' }),
    );
    expectConfirmation(withRedirect);
    expect(findForm(withRedirect, '/logout/confirm').fields.post_logout_redirect_uri).toBe(APP_LOGOUT_REDIRECT);
    expect(await isSignedIn(flow)).toBe(true);

    // The user confirms: signed out, and sent on to the registered URI with the state.
    const confirmed = await flow.browser.submit(withRedirect, {}, { button: 'logout', actionPart: '/logout/confirm' });
    expect(`${confirmed.location?.origin}${confirmed.location?.pathname}`).toBe(APP_LOGOUT_REDIRECT);
    expect(confirmed.location?.searchParams.get('state')).toBe('old');
    expect(await isSignedIn(flow)).toBe(false);
  });

  it('an ID token of the current session signs out at once, to the registered post_logout_redirect_uri with the state', async () => {
    const flow = await twoSessions();
    const page = await flow.browser.open(
      logoutUrl(flow, { id_token_hint: flow.second.id_token!, post_logout_redirect_uri: APP_LOGOUT_REDIRECT, state: 'bye' }),
    );
    expect(page.status).toBe(303);
    expect(`${page.location!.origin}${page.location!.pathname}`).toBe(APP_LOGOUT_REDIRECT);
    expect(page.location!.searchParams.get('state')).toBe('bye');
    expect(await isSignedIn(flow)).toBe(false);
  });

  it('an ID token of the current session without a post_logout_redirect_uri signs out at once too (the signed-out page)', async () => {
    const flow = await twoSessions();
    const page = await flow.browser.open(logoutUrl(flow, { id_token_hint: flow.second.id_token! }));
    expect(page.status).toBe(200);
    expect(page.location).toBeUndefined();
    expect(() => findForm(page, '/logout/confirm')).toThrow();
    expect(await isSignedIn(flow)).toBe(false);
  });

  it("an ID token of the same user's session in another browser asks for confirmation; neither session ends", async () => {
    const flow = await startFlow();
    const other = new Browser(flow.server);
    const elsewhere = await signIn(other, flow.server, flow.client, flow.users.alice);
    await signIn(flow.browser, flow.server, flow.client, flow.users.alice);
    const page = await flow.browser.open(logoutUrl(flow, { id_token_hint: elsewhere.id_token!, post_logout_redirect_uri: APP_LOGOUT_REDIRECT }));
    expectConfirmation(page);
    expect(await isSignedIn(flow)).toBe(true);
    expect(await isSignedIn(flow, other)).toBe(true);
  });

  it('an ID token from a refresh keeps the sid of the session it descends from, so it still signs out at once', async () => {
    const flow = await startFlow();
    const tokens = await signIn(flow.browser, flow.server, flow.client, flow.users.alice, { scope: 'openid offline_access' });
    expect(tokens.refresh_token).toEqual(expect.any(String));
    const refreshed = await expectTokens(await refresh(flow.server, flow.client, tokens.refresh_token!));
    expect(refreshed.id_token).toEqual(expect.any(String));
    expect(sidOf(refreshed)).toBe(sidOf(tokens));
    const page = await flow.browser.open(logoutUrl(flow, { id_token_hint: refreshed.id_token!, post_logout_redirect_uri: APP_LOGOUT_REDIRECT }));
    expect(page.location?.href).toBe(APP_LOGOUT_REDIRECT);
    expect(await isSignedIn(flow)).toBe(false);
  });
});
