/**
 * Issue 21, keyboard only, in Chromium: a sign-in with a password (one wrong first), an
 * authenticator code and consent, back to the application's callback, with Tab, Enter and Space
 * and text typed into whatever has the focus (no clicks, no filling by selector). Every stop the
 * focus makes shows a focus outline; after the wrong password the username is filled in again and
 * the focus is on the password, in error, which the page's `role="alert"` message describes.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../../src/server/admin/users.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { authorizeParams, authorizeUrl, pkce, registerFlowClient, type FlowClient } from '../helpers/flow.js';
import { factorContext, giveTotp, TOTP_STEP_MS, totpAt } from '../helpers/mfa.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { hasChromium, launchChromium } from './chromium.js';
import { newPage, serveOnLocalhost, startNotesApp } from './page-review.js';

/** What has the focus, and whether it shows: a `:focus-visible` outline at least 2 px wide. */
interface Focus {
  id: string;
  text: string;
  outlined: boolean;
  invalid: string | null;
  describedBy: string | null;
}

function focus(page: Page): Promise<Focus> {
  return page.evaluate(() => {
    const element = document.activeElement as HTMLElement;
    const style = getComputedStyle(element);
    return {
      id: element.id,
      text: element.textContent?.trim() ?? '',
      outlined: element.matches(':focus-visible') && style.outlineStyle !== 'none' && Number.parseFloat(style.outlineWidth) >= 2,
      invalid: element.getAttribute('aria-invalid'),
      describedBy: element.getAttribute('aria-describedby'),
    };
  });
}

/** Presses Tab until the focus is on what `wanted` picks, checking that every stop on the way shows it. */
async function tabTo(page: Page, wanted: (focus: Focus) => boolean): Promise<Focus> {
  for (let stops = 0; stops < 20; stops += 1) {
    await page.keyboard.press('Tab');
    const now = await focus(page);
    expect(now.outlined, `focus outline on ${now.id || now.text}`).toBe(true);
    if (wanted(now)) return now;
  }
  throw new Error('Tab never reached the element');
}

describe.skipIf(!hasChromium)('keyboard-only journeys in Chromium', () => {
  let chromium: Browser;
  let served: { server: TestServer; close(): Promise<void> };
  let app: { callback: string; close(): void };
  let client: FlowClient;
  let clock: FakeClock;
  let secret: string;
  const user = { username: 'kim', password: 'kim-password-123' };

  beforeAll(async () => {
    clock = new FakeClock(Date.now());
    served = await serveOnLocalhost(async (issuer) => {
      const started = await startServer({ issuer, clock });
      return { server: started, close: () => started.server.close() };
    });
    app = await startNotesApp();
    client = await registerFlowClient(served.server, { name: 'Notes', redirectUris: [app.callback] });
    const record = await createUser(served.server.store, { ...user, email: 'kim@example.com', emailVerified: true, name: 'Kim Lee' }, clock.now());
    ({ secret } = await giveTotp(factorContext(served.server.store, clock), record.id));
    // The code of "now" went on confirming the app: the sign-in uses the next one.
    clock.advance(TOTP_STEP_MS);
    chromium = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await chromium?.close();
    app?.close();
    await served?.close();
  });

  it('signs in with a password and an authenticator code, and allows access, with Tab, Enter and Space', async () => {
    const { context, page, violations } = await newPage(chromium);
    page.setDefaultTimeout(10_000);
    await page.goto(authorizeUrl(served.server, authorizeParams(client, pkce().challenge)));
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();

    // The username field has the focus as the page opens; a wrong password brings the page back.
    expect((await focus(page)).id).toBe('username');
    await page.keyboard.type(user.username);
    await tabTo(page, (at) => at.id === 'password');
    await page.keyboard.type('not-the-password');
    await page.keyboard.press('Enter');

    // The username is filled in again, and the focus is on the password, in error, which the
    // alert describes (read with the field).
    await page.locator('#login-error').waitFor();
    const inError = await focus(page);
    expect(inError).toMatchObject({ id: 'password', outlined: true, invalid: 'true', describedBy: 'login-error' });
    expect(await page.locator('#username').inputValue()).toBe(user.username);
    expect(await page.locator('#login-error').getAttribute('role')).toBe('alert');
    expect(await page.locator('#login-error').textContent()).toBe('The username or password is incorrect.');

    await page.keyboard.type(user.password);
    await tabTo(page, (at) => at.text === 'Sign in');
    await page.keyboard.press('Enter');

    // The second factor: its code field has the focus; Enter sends it.
    await page.getByRole('heading', { name: 'Two-step verification' }).waitFor();
    expect(await focus(page)).toMatchObject({ id: 'totp-code', outlined: true });
    await page.keyboard.type(await totpAt(secret, clock.now()));
    await page.keyboard.press('Enter');

    // Consent: Tab past "Cancel" to "Allow", and Space presses it.
    await page.getByRole('heading', { name: 'Notes wants to access your Gatehouse account' }).waitFor();
    await tabTo(page, (at) => at.text === 'Allow');
    await page.keyboard.press('Space');
    await page.waitForURL((url) => url.href.startsWith(app.callback));
    expect(new URL(page.url()).searchParams.get('code')).toBeTruthy();
    expect(violations).toEqual([]);
    await context.close();
  }, 60_000);
});
