/**
 * Issue 17 in real Chromium, against a listening server: a user signed in at a client resets the
 * password from another browser (login page → "Forgot password?" → the emailed link → a weak
 * password refused with the reason → "Password changed" → signs in with the new one); the first
 * browser's session is signed out and its refresh token dead. The "forgot password" form asks for
 * a proof of work, as sign-up does: the real pow.js solves it, and without JavaScript the form says
 * it needs it. Then the reset's second-factor step,
 * an invalid link and the sign-in by email code page. Every new page is screenshotted in light,
 * dark and at 375 px (no sideways scrolling) to /tmp/shots-accounts/recovery-*.png.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeOutboxFlows, emailsTo, startOutboxFlow, waitForEmail, type OutboxFlow } from '../helpers/accounts.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { authorizeParams, authorizeUrl, Browser as TextBrowser, pkce, refresh, signIn } from '../helpers/flow.js';
import { factorContext, giveRecoveryCodes, giveTotp } from '../helpers/mfa.js';
import { SECRET, type TestServer } from '../helpers/server.js';
import { hasChromium, launchChromium } from './chromium.js';
import { reviewPage, serveOnLocalhost } from './page-review.js';

const NEW_PASSWORD = 'violet tugboat reading lamps';

describe.skipIf(!hasChromium)('password reset and sign-in by email in Chromium', () => {
  let chromium: Browser;
  let flow: OutboxFlow;
  let server: TestServer;

  beforeAll(async () => {
    flow = await serveOnLocalhost((issuer) =>
      startOutboxFlow({ issuer, clock: new FakeClock(Date.now()), accounts: { passwordless: 'email', proofOfWork: 5000 } }),
    );
    server = flow.server;
    chromium = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await chromium?.close();
    await closeOutboxFlows();
  });

  const shoot = (page: Page, name: string) => reviewPage(page, `recovery-${name}`);

  it('resets a forgotten password: the old session and refresh token end, the new password signs in', async () => {
    const { users, client } = flow;
    // Signed in at the client, with a refresh token, in a first browser.
    const first = new TextBrowser(server);
    const tokens = await signIn(first, server, client, users.alice, { scope: 'openid email offline_access' });

    const context = await chromium.newContext({ viewport: { width: 1024, height: 800 } });
    const page = await context.newPage();
    await page.goto(authorizeUrl(server, authorizeParams(client, pkce().challenge)));
    await page.getByRole('link', { name: 'Forgot password?' }).click();
    await page.getByRole('heading', { name: 'Reset your password' }).waitFor();
    await shoot(page, 'forgot');
    await page.getByLabel('Email address').fill('alice@example.com');
    // The proof of work is solved by pow.js before the form goes: the server refuses a form without it.
    await page.getByRole('button', { name: 'Send me a link' }).click();
    await page.getByRole('heading', { name: 'Check your email' }).waitFor();
    await shoot(page, 'sent');

    const { link } = await waitForEmail(flow.outbox, 'alice@example.com', 'password_reset');
    await page.goto(link!);
    await page.getByLabel('New password').fill('password1');
    await page.getByRole('button', { name: 'Change password' }).click();
    expect(await page.getByRole('alert').textContent()).toContain('This password is too easy to guess.');
    await shoot(page, 'new-password-error');
    await page.getByLabel('New password').fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByRole('heading', { name: 'Password changed' }).waitFor();
    await shoot(page, 'changed');

    await page.getByRole('link', { name: 'Continue signing in' }).click();
    await page.getByLabel('Username or email').fill('alice');
    await page.getByLabel('Password').fill(NEW_PASSWORD);
    // Consent was given before: the sign-in goes straight back to the client.
    await context.route(`${new URL(client.redirectUri).origin}/**`, (route) => route.fulfill({ status: 200, body: 'back at the app' }));
    const callback = page.waitForRequest((request) => request.url().startsWith(client.redirectUri));
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    expect(new URL((await callback).url()).searchParams.get('code')).toBeTruthy();

    // The first browser is signed out, its refresh token answers invalid_grant.
    expect((await first.open(`${server.issuer}/account`)).body).not.toContain('<h1>Your account</h1>');
    const refreshed = await refresh(server, client, tokens.refresh_token!);
    expect(((await refreshed.json()) as { error: string }).error).toBe('invalid_grant');

    // The used link: a clear page, with a way to ask again.
    const later = await context.newPage();
    await later.goto(link!);
    await later.getByRole('heading', { name: 'This link no longer works' }).waitFor();
    await shoot(later, 'invalid-link');
    await context.close();
  }, 120_000);

  it('without JavaScript, the "forgot password" form says it needs it, and a form sent anyway is refused saying why', async () => {
    const context = await chromium.newContext({ viewport: { width: 1024, height: 800 }, javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(`${server.issuer}/forgot-password`);
    // Playwright's text locators skip <noscript>: the note is found by its place in the form.
    const note = page.locator('form noscript p');
    expect(await note.isVisible()).toBe(true);
    expect(await note.textContent()).toBe('This form needs JavaScript to check your browser before it is sent.');
    await shoot(page, 'forgot-no-js');
    const sent = (await emailsTo(flow.outbox, 'alice@example.com', 'password_reset')).length;
    await page.getByLabel('Email address').fill('alice@example.com');
    await page.getByRole('button', { name: 'Send me a link' }).click();
    const refusal = await page.getByRole('alert').textContent();
    expect(refusal).toContain('Your browser could not be checked.');
    expect(refusal).toContain('with JavaScript turned on');
    expect(await emailsTo(flow.outbox, 'alice@example.com', 'password_reset')).toHaveLength(sent);
    await context.close();
  }, 60_000);

  it('asks for the second factor during a reset, and shows the email code page', async () => {
    const { users, client } = flow;
    const factors = factorContext(server.store, server.clock, SECRET);
    await giveTotp(factors, users.bob.record.id);
    await giveRecoveryCodes(factors, users.bob.record.id);
    const context = await chromium.newContext({ viewport: { width: 1024, height: 800 } });
    const page = await context.newPage();
    await page.goto(`${server.issuer}/forgot-password`);
    await page.getByLabel('Email address').fill('bob@example.com');
    await page.getByRole('button', { name: 'Send me a link' }).click();
    await page.getByRole('heading', { name: 'Check your email' }).waitFor();
    const { link } = await waitForEmail(flow.outbox, 'bob@example.com', 'password_reset');
    await page.goto(link!);
    await page.getByRole('heading', { name: 'Two-step verification' }).waitFor();
    await shoot(page, 'mfa');

    await page.goto(authorizeUrl(server, authorizeParams(client, pkce().challenge)));
    await page.getByLabel('Username or email').fill('bob@example.com');
    await page.getByRole('button', { name: 'Email me a sign-in code' }).click();
    await page.getByRole('heading', { name: 'Check your email' }).waitFor();
    const before = (await emailsTo(flow.outbox, 'bob@example.com', 'email_sign_in')).length;
    await page.getByLabel('Sign-in code').fill('000000');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').waitFor();
    await shoot(page, 'email-code');
    expect(before).toBeLessThanOrEqual(1);
    await context.close();
  }, 120_000);
});
