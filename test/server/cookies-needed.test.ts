/**
 * Issue 13: a browser that blocks cookies is told that cookies are needed, rather than "request
 * expired". A form post to /interaction/:id/* without the browser cookie at all, or a sign-in page
 * that still gets no cookie back after giving one, answers "Cookies are needed to sign in"; a
 * browser with a cookie of its own (a link opened in another browser) still gets "expired".
 */
import { describe, expect, it } from 'vitest';
import { authorizeParams, authorizeUrl, Browser, expectPage, pkce, startFlow, type Flow } from '../helpers/flow.js';
import { textOf } from '../helpers/mfa.js';
import { parseForms } from '../helpers/user-agent.js';

const COOKIES_NEEDED = 'Cookies are needed to sign in';
const EXPIRED = 'Sign-in request expired';

async function loginPage(flow: Flow) {
  const page = expectPage(await flow.browser.open(authorizeUrl(flow.server, authorizeParams(flow.client, pkce().challenge))), 'login');
  return { page, form: parseForms(page.body)[0]! };
}

/** A request sent by a browser that keeps no cookies: whatever it was given, it sends none. */
function cookieless(flow: Flow, url: string, init: RequestInit = {}): Promise<Response> {
  return flow.server.server.fetch(new Request(new URL(url, flow.server.issuer), { redirect: 'manual', ...init }));
}

describe('a browser that sends no cookies', () => {
  it('posting the login form without the browser cookie: told cookies are needed (not "expired"), nothing signed in', async () => {
    const flow = await startFlow();
    const { form } = await loginPage(flow);
    const response = await cookieless(flow, form.action, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ ...form.fields, username: 'alice', password: flow.users.alice.password }),
    });
    expect(response.status).toBe(400);
    expect(response.headers.getSetCookie()).toEqual([]);
    const text = textOf(await response.text());
    expect(text).toContain(COOKIES_NEEDED);
    expect(text).toContain('Allow cookies for localhost:3000');
    expect(text).not.toContain(EXPIRED);
  });

  it('opening the sign-in page: given a cookie and sent back once; still without it, told cookies are needed', async () => {
    const flow = await startFlow();
    const { page } = await loginPage(flow);
    const first = await cookieless(flow, page.url);
    expect(first.status).toBe(303);
    const check = new URL(first.headers.get('location')!);
    expect(check.pathname).toBe(new URL(page.url).pathname);
    expect(check.searchParams.get('cookie_check')).toBe('1');
    expect(first.headers.getSetCookie().some((cookie) => cookie.startsWith('gh_browser='))).toBe(true);

    const second = await cookieless(flow, check.href);
    expect(second.status).toBe(400);
    expect(textOf(await second.text())).toContain(COOKIES_NEEDED);
  });

  it('a link opened in another browser (which keeps cookies) is still "expired", not "cookies needed"', async () => {
    const flow = await startFlow();
    const { page, form } = await loginPage(flow);
    const other = new Browser(flow.server);
    const opened = await other.open(page.url);
    expect(opened.status).toBe(400);
    expect(textOf(opened.body)).toContain(EXPIRED);
    expect(textOf(opened.body)).not.toContain(COOKIES_NEEDED);
    const posted = await other.open(form.action, { method: 'POST', form: { ...form.fields, username: 'alice', password: flow.users.alice.password } });
    expect(posted.status).toBe(400);
    expect(textOf(posted.body)).toContain(EXPIRED);
    // The browser that started it still signs in.
    expectPage(await flow.browser.submit(page, { username: 'alice', password: flow.users.alice.password }), 'consent');
  });
});
