import { beforeAll, describe, expect, it } from 'vitest';
import {
  authorize,
  authorizeParams,
  authorizeUrl,
  Browser,
  expectPage,
  findForm,
  normalisePage,
  pkce,
  promptNone,
  signIn,
  startFlow,
  submitLogin,
  testUsers,
  type Flow,
  type Page,
} from '../../helpers/flow.js';

beforeAll(async () => {
  await testUsers();
});

function openAuthorize(flow: Flow, overrides: Record<string, string | undefined> = {}, browser: Browser = flow.browser): Promise<Page> {
  return browser.open(authorizeUrl(flow.server, authorizeParams(flow.client, pkce().challenge, overrides)));
}

/** Parsed `Set-Cookie`: name, value and lower-cased attributes (`name` or `name=value`). */
function parseSetCookie(header: string): { name: string; value: string; attributes: string[] } {
  const [pair, ...attributes] = header.split(';').map((part) => part.trim());
  const eq = pair!.indexOf('=');
  return { name: pair!.slice(0, eq), value: pair!.slice(eq + 1), attributes: attributes.map((attribute) => attribute.toLowerCase()) };
}

/** Whether the page's CSP `form-action` allows a navigation to `target` ('self' is the page's origin). */
function formActionAllows(page: Page, target: URL): boolean {
  const csp = page.headers.get('content-security-policy') ?? '';
  const sources = /(?:^|;)\s*form-action ([^;]*)/.exec(csp)?.[1]?.trim().split(/\s+/) ?? [];
  return sources.some((source) => (source === "'self'" ? target.origin === new URL(page.url).origin : target.origin === source || target.protocol === source));
}

function sessionCookie(browser: Browser): string | undefined {
  return [...browser.cookies].find(([name]) => name.endsWith('gh_session'))?.[1];
}

describe('pages: security headers', () => {
  it('every HTML response has a CSP with frame-ancestors none, no-referrer, X-Frame-Options DENY and no-store', async () => {
    const flow = await startFlow();
    const { server, browser, client, users } = flow;
    // Error page (unknown client), login page, failed login, consent, select-account, form_post,
    // a refused form (403), logout confirmation and signed-out page.
    await browser.open(authorizeUrl(server, authorizeParams({ ...client, clientId: 'nope' }, pkce().challenge)));
    let page = await openAuthorize(flow);
    await submitLogin(browser, page, users.alice, 'wrong-password');
    await browser.submit(page, { username: 'alice', password: users.alice.password }, { omit: ['csrf'] });
    page = await submitLogin(browser, page, users.alice);
    await browser.submit(expectPage(page, 'consent'), {}, { button: 'approve' });
    page = await openAuthorize(flow, { prompt: 'select_account' });
    await browser.submit(expectPage(page, 'select-account'), {}, { button: 'current' });
    await openAuthorize(flow, { prompt: 'consent', response_mode: 'form_post' }).then((consent) => browser.submit(consent, {}, { button: 'approve' }));
    const confirm = await browser.open('/logout');
    await browser.submit(confirm, {}, { button: 'logout' });
    const stranger = new Browser(server);
    await stranger.open(`${server.issuer}/interaction/${'a'.repeat(32)}`);

    const pages = [...browser.history, ...stranger.history].filter((response) => (response.headers.get('content-type') ?? '').startsWith('text/html'));
    const statuses = new Set(pages.map((response) => response.status));
    expect(pages.length).toBeGreaterThanOrEqual(9);
    expect(statuses).toEqual(new Set([200, 400, 401, 403]));
    for (const response of pages) {
      const csp = response.headers.get('content-security-policy') ?? '';
      expect(csp, response.url).toContain("frame-ancestors 'none'");
      expect(csp, response.url).toContain("default-src 'none'");
      expect(response.headers.get('referrer-policy'), response.url).toBe('no-referrer');
      expect(response.headers.get('x-frame-options'), response.url).toBe('DENY');
      expect(response.headers.get('cache-control'), response.url).toBe('no-store');
      expect(response.headers.get('x-content-type-options'), response.url).toBe('nosniff');
    }
  });

  it("a returning user's login form may end at the client: the login page's CSP form-action must allow the redirect URI", async () => {
    // Chrome and Safari check form-action against every redirect that follows a form submission
    // (w3c/webappsec-csp#8; src/server/http/html.ts relies on it for the consent page). With consent
    // remembered, the login post answers 303 -> the interaction -> 303 -> the client's redirect URI,
    // all one navigation started by the login form: blocked unless form-action allows that origin.
    const flow = await startFlow();
    await signIn(flow.browser, flow.server, flow.client, flow.users.alice);
    const returning = new Browser(flow.server);
    const login = expectPage(await openAuthorize(flow, {}, returning), 'login');
    const after = await submitLogin(returning, login, flow.users.alice);
    expect(after.location?.origin).toBe('https://app.example.com');
    const hops = returning.history.slice(returning.history.indexOf(login) + 1).map((response) => new URL(response.headers.get('location')!, response.url));
    for (const hop of hops) expect(formActionAllows(login, hop), `form-action of the login page vs ${hop.href}`).toBe(true);
  });

  it("the consent page's CSP form-action allows the redirect URI its form ends at", async () => {
    const flow = await startFlow();
    const consent = expectPage(await submitLogin(flow.browser, await openAuthorize(flow), flow.users.alice), 'consent');
    const after = await flow.browser.submit(consent, {}, { button: 'approve' });
    expect(formActionAllows(consent, after.location!)).toBe(true);
  });

  it('redirects carrying a code are not cacheable and send no Referer', async () => {
    const flow = await startFlow();
    await authorize(flow.browser, flow.server, flow.client, flow.users.alice);
    const redirect = flow.browser.history.at(-1)!;
    expect(redirect.status).toBe(303);
    expect(redirect.headers.get('cache-control')).toBe('no-store');
    expect(redirect.headers.get('referrer-policy')).toBe('no-referrer');
  });
});

describe('sessions and cookies', () => {
  it('sets HttpOnly, SameSite=Lax cookies on an http (loopback) issuer', async () => {
    const flow = await startFlow();
    await authorize(flow.browser, flow.server, flow.client, flow.users.alice);
    const cookies = flow.browser.setCookies.map(parseSetCookie);
    expect(cookies.map((cookie) => cookie.name).sort()).toEqual(['gh_browser', 'gh_session']);
    for (const cookie of cookies) {
      expect(cookie.attributes).toContain('httponly');
      expect(cookie.attributes).toContain('samesite=lax');
      expect(cookie.attributes).toContain('path=/');
    }
  });

  it('with an https issuer every cookie is Secure, __Host- prefixed, Path=/ and has no Domain (RFC 6265bis §4.1.3.2)', async () => {
    const flow = await startFlow({ issuer: 'https://id.example.com' });
    const tokens = await signIn(flow.browser, flow.server, flow.client, flow.users.alice);
    expect(tokens.id_token).toBeTruthy();
    const cookies = flow.browser.setCookies.map(parseSetCookie);
    expect(cookies.map((cookie) => cookie.name).sort()).toEqual(['__Host-gh_browser', '__Host-gh_session']);
    for (const cookie of cookies) {
      expect(cookie.attributes).toContain('secure');
      expect(cookie.attributes).toContain('httponly');
      expect(cookie.attributes).toContain('samesite=lax');
      expect(cookie.attributes).toContain('path=/');
      expect(cookie.attributes.some((attribute) => attribute.startsWith('domain'))).toBe(false);
    }
    // The session works under its prefixed name.
    expect((await promptNone(flow.browser, flow.server, flow.client)).get('code')).toBeTruthy();
  });

  it('gives a new session cookie at every sign-in, and the previous one stops working (session fixation)', async () => {
    const flow = await startFlow();
    await authorize(flow.browser, flow.server, flow.client, flow.users.alice);
    const first = sessionCookie(flow.browser)!;
    expect(first).toBeTruthy();
    let page = await openAuthorize(flow, { prompt: 'login' });
    page = await submitLogin(flow.browser, page, flow.users.alice);
    expect(page.location?.searchParams.get('code')).toBeTruthy();
    const second = sessionCookie(flow.browser)!;
    expect(second).toBeTruthy();
    expect(second).not.toBe(first);
    // A browser holding the old value is not signed in.
    const stale = new Browser(flow.server);
    stale.cookies.set('gh_session', first);
    expect((await promptNone(stale, flow.server, flow.client)).get('error')).toBe('login_required');
    const current = new Browser(flow.server);
    current.cookies.set('gh_session', second);
    expect((await promptNone(current, flow.server, flow.client)).get('code')).toBeTruthy();
  });

  it('a session ends after its lifetime (14 days by default)', async () => {
    const flow = await startFlow();
    await authorize(flow.browser, flow.server, flow.client, flow.users.alice);
    flow.server.clock.advance(14 * 86_400_000 - 60_000);
    expect((await promptNone(flow.browser, flow.server, flow.client)).get('code')).toBeTruthy();
    flow.server.clock.advance(120_000);
    expect((await promptNone(flow.browser, flow.server, flow.client)).get('error')).toBe('login_required');
  });

  it('a session planted before sign-in is not the one that gets signed in (session fixation)', async () => {
    const flow = await startFlow();
    flow.browser.cookies.set('gh_session', 'attacker-chosen-session-value-000000000000000');
    await authorize(flow.browser, flow.server, flow.client, flow.users.alice);
    expect(sessionCookie(flow.browser)).not.toBe('attacker-chosen-session-value-000000000000000');
    const attacker = new Browser(flow.server);
    attacker.cookies.set('gh_session', 'attacker-chosen-session-value-000000000000000');
    expect((await promptNone(attacker, flow.server, flow.client)).get('error')).toBe('login_required');
  });
});

describe('interaction forms: CSRF and browser binding', () => {
  it('refuses a login post without a csrf field, or with a wrong one, with a 403 page and no session', async () => {
    const flow = await startFlow();
    const page = expectPage(await openAuthorize(flow), 'login');
    const credentials = { username: flow.users.alice.username, password: flow.users.alice.password };
    const missing = await flow.browser.submit(page, credentials, { omit: ['csrf'] });
    expect(missing.status).toBe(403);
    expect(missing.location).toBeUndefined();
    const wrong = await flow.browser.submit(page, { ...credentials, csrf: 'x'.repeat(43) });
    expect(wrong.status).toBe(403);
    const otherInteraction = findForm(expectPage(await openAuthorize(flow), 'login')).fields.csrf!;
    const crossed = await flow.browser.submit(page, { ...credentials, csrf: otherInteraction });
    expect(crossed.status).toBe(403);
    expect(sessionCookie(flow.browser)).toBeUndefined();
    expect((await promptNone(flow.browser, flow.server, flow.client)).get('error')).toBe('login_required');
  });

  it('refuses a consent post without a valid csrf field: no code is issued', async () => {
    const flow = await startFlow();
    let page = await openAuthorize(flow);
    page = await submitLogin(flow.browser, page, flow.users.alice);
    const consent = expectPage(page, 'consent');
    const refused = await flow.browser.submit(consent, {}, { button: 'approve', omit: ['csrf'] });
    expect(refused.status).toBe(403);
    expect(refused.location).toBeUndefined();
    const wrong = await flow.browser.submit(consent, { csrf: 'forged' }, { button: 'approve' });
    expect(wrong.status).toBe(403);
    expect((await promptNone(flow.browser, flow.server, flow.client)).get('error')).toBe('consent_required');
  });

  it('an interaction opened in another browser shows an error page, and cannot be completed there', async () => {
    const flow = await startFlow();
    const page = expectPage(await openAuthorize(flow), 'login');
    const interactionUrl = page.url;
    const other = new Browser(flow.server);
    const opened = await other.open(interactionUrl);
    expect(opened.status).toBe(400);
    expect(opened.body).not.toContain('name="password"');
    // Even with the victim's form (csrf token included) posted from the other browser.
    const posted = await other.submit(page, { username: flow.users.alice.username, password: flow.users.alice.password });
    expect(posted.status).toBe(400);
    expect(posted.location).toBeUndefined();
    expect(sessionCookie(other)).toBeUndefined();
    // The same URL still works in the browser that started it.
    expectPage(await flow.browser.open(interactionUrl), 'login');
  });

  it('a finished interaction cannot be replayed for a second code by re-posting the consent form (back button, double click)', async () => {
    const flow = await startFlow();
    let page = await openAuthorize(flow);
    page = await submitLogin(flow.browser, page, flow.users.alice);
    const consent = expectPage(page, 'consent');
    expect((await flow.browser.submit(consent, {}, { button: 'approve' })).location?.searchParams.get('code')).toBeTruthy();
    const again = await flow.browser.submit(consent, {}, { button: 'approve' });
    expect(again.location).toBeUndefined();
    expect(again.status).toBe(400);
  });

  it('a finished interaction cannot be replayed for a second code by re-posting the login form', async () => {
    const flow = await startFlow();
    await signIn(flow.browser, flow.server, flow.client, flow.users.alice);
    const login = expectPage(await openAuthorize(flow, { prompt: 'login' }), 'login');
    expect((await submitLogin(flow.browser, login, flow.users.alice)).location?.searchParams.get('code')).toBeTruthy();
    const again = await submitLogin(flow.browser, login, flow.users.alice);
    expect(again.location).toBeUndefined();
    expect(again.status).toBe(400);
  });
});

describe('login page', () => {
  it('says the same for a wrong password and an unknown user: same status, same page, same message', async () => {
    const flow = await startFlow();
    const page = expectPage(await openAuthorize(flow), 'login');
    const wrongPassword = await flow.browser.submit(page, { username: 'alice', password: 'not-her-password' });
    const unknownUser = await flow.browser.submit(page, { username: 'mallory', password: 'not-her-password' });
    const emptyPassword = await flow.browser.submit(page, { username: 'alice', password: '' });
    expect(wrongPassword.status).toBe(401);
    expect(unknownUser.status).toBe(wrongPassword.status);
    expect(emptyPassword.status).toBe(wrongPassword.status);
    expect(wrongPassword.body).toContain('The username or password is incorrect.');
    expect(normalisePage(unknownUser.body)).toBe(normalisePage(wrongPassword.body));
    expect(normalisePage(emptyPassword.body)).toBe(normalisePage(wrongPassword.body));
    expect(sessionCookie(flow.browser)).toBeUndefined();
    // The user can still sign in on the same page afterwards.
    const ok = await submitLogin(flow.browser, wrongPassword, flow.users.alice);
    expectPage(ok, 'consent');
  });

  it('says the same for a disabled account with the right password', async () => {
    const flow = await startFlow();
    const bob = (await flow.server.store.users.get(flow.users.bob.record.id))!;
    await flow.server.store.users.update({ ...bob, disabled: true });
    const page = expectPage(await openAuthorize(flow), 'login');
    const wrongPassword = await flow.browser.submit(page, { username: 'alice', password: 'not-her-password' });
    const disabled = await submitLogin(flow.browser, page, flow.users.bob);
    expect(disabled.status).toBe(wrongPassword.status);
    expect(normalisePage(disabled.body)).toBe(normalisePage(wrongPassword.body));
    expect(sessionCookie(flow.browser)).toBeUndefined();
  });

  it('an interaction left open past its lifetime (30 min) can no longer be completed', async () => {
    const flow = await startFlow();
    const page = expectPage(await openAuthorize(flow), 'login');
    flow.server.clock.advance(1801_000);
    const late = await submitLogin(flow.browser, page, flow.users.alice);
    expect(late.status).toBe(400);
    expect(late.location).toBeUndefined();
    expect(sessionCookie(flow.browser)).toBeUndefined();
  });

  it('has labelled username and password inputs in a plain POST form that works without JavaScript', async () => {
    const flow = await startFlow();
    const page = expectPage(await openAuthorize(flow), 'login');
    const form = findForm(page);
    expect(form.method).toBe('post');
    for (const [id, type] of [
      ['username', 'text'],
      ['password', 'password'],
    ] as const) {
      expect(page.body).toMatch(new RegExp(`<label for="${id}">[^<]+</label>`));
      const input = new RegExp(`<input[^>]*\\sid="${id}"[^>]*>`).exec(page.body)?.[0] ?? '';
      expect(input).toContain(`name="${id}"`);
      expect(input).toContain(`type="${type}"`);
    }
    expect(page.body).toMatch(/<button[^>]*type="submit"/);
    // The only scripts are the passkey enhancement, each with the response's CSP nonce (no inline
    // script runs otherwise), and the passkey button stays hidden without JavaScript.
    const csp = page.headers.get('content-security-policy') ?? '';
    const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
    expect(csp).not.toContain('unsafe-inline');
    for (const script of page.body.match(/<script\b[^>]*>/gi) ?? []) expect(script).toContain(`nonce="${nonce}"`);
    expect(page.body).toMatch(/<div data-passkey-block hidden>/);
    // The plain form post signs in.
    const next = await flow.browser.submit(page, { username: 'ALICE@example.com', password: flow.users.alice.password });
    expectPage(next, 'consent');
  });

  it('prefills login_hint, escaped', async () => {
    const flow = await startFlow();
    const page = expectPage(await openAuthorize(flow, { login_hint: '"><script>alert(1)</script>' }), 'login');
    expect(page.body).not.toContain('<script>alert(1)</script>');
    expect(findForm(page).fields.username).toBe('"><script>alert(1)</script>');
  });
});
