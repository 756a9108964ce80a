/**
 * Issue 13: the lockout page (429 "Too many attempts") says when to try again, as a time, and has
 * a way back: "Use another account", to the login page of the same sign-in request. Through the
 * fetch handler, with a fixed clock.
 */
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../helpers/fake-clock.js';
import { authorizeParams, authorizeUrl, expectPage, pageKind, pkce, startFlow, submitLogin, type Flow, type Page } from '../helpers/flow.js';
import { textOf, wordsOf } from '../helpers/mfa.js';
import { parseForms } from '../helpers/user-agent.js';

// 14:20:30 UTC: a 900-second lockout ends at 14:35:30, shown rounded up as 14:36.
const NOW = Date.UTC(2025, 2, 12, 14, 20, 30);

const anchors = (body: string) =>
  [...body.matchAll(/<a\b[^>]*href="([^"]*)"[^>]*>([\s\S]*?)<\/a>/g)].map((match) => ({ href: match[1]!, text: textOf(match[2]!) }));

async function loginPage(flow: Flow): Promise<Page> {
  return expectPage(await flow.browser.open(authorizeUrl(flow.server, authorizeParams(flow.client, pkce().challenge))), 'login');
}

describe('the lockout page', () => {
  it('after too many wrong passwords: when to try again (a time) and "Use another account" back to the same sign-in', async () => {
    const flow = await startFlow({
      clock: new FakeClock(NOW),
      protection: { rateLimits: { signInPerAccountIp: { points: 2, seconds: 900, lockoutSeconds: 900 } } },
    });
    const login = await loginPage(flow);
    const interactionPath = new URL(parseForms(login.body)[0]!.action, login.url).pathname.replace(/\/login$/, '');
    for (let i = 0; i < 2; i += 1) expect((await submitLogin(flow.browser, login, flow.users.alice, `wrong-${i}`)).status).toBe(401);

    const locked = await submitLogin(flow.browser, login, flow.users.alice, `wrong-again`);
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(800);
    const text = wordsOf(locked.body);
    expect(text).toContain('Too many attempts');
    expect(text).toContain('too many sign-in attempts for this account');
    expect(text).toContain('You can try again at 14:36 UTC, in about 15 minutes.');
    expect(locked.body).toContain('<time datetime="2025-03-12T14:36:00.000Z" title="12 March 2025, 14:36 UTC">14:36 UTC</time>');
    expect(anchors(locked.body)).toEqual([{ href: interactionPath, text: 'Use another account' }]);

    // The way back is the login page of the same request, where another account signs in.
    const again = await flow.browser.open(interactionPath);
    expect(pageKind(again)).toBe('login');
    const bob = await submitLogin(flow.browser, again, flow.users.bob);
    expect(bob.status).not.toBe(429);
    expect(pageKind(bob) === 'consent' || bob.location !== undefined).toBe(true);
  });

  it('when the whole address is limited, says so and offers no other account (it would be refused too)', async () => {
    const flow = await startFlow({ clock: new FakeClock(NOW), protection: { rateLimits: { signInPerIp: { points: 2, seconds: 3600 } } } });
    const login = await loginPage(flow);
    for (const name of ['nobody-1', 'nobody-2']) {
      expect((await flow.browser.submit(login, { username: name, password: 'x' })).status).toBe(401);
    }
    const limited = await flow.browser.submit(login, { username: 'nobody-3', password: 'x' });
    expect(limited.status).toBe(429);
    expect(wordsOf(limited.body)).toContain('too many requests from your network');
    expect(wordsOf(limited.body)).toMatch(/You can try again at \d\d:\d\d UTC, in about (\d+ minutes|1 hour)\./);
    expect(anchors(limited.body)).toEqual([]);
  });
});
