/**
 * Issue 21 in Chromium: the sign-in in every shipped language, to the application's callback. In
 * one browser context per language, twice: with the language chosen by the browser
 * (`Accept-Language`, from the context's locale), through a wrong password, consent and back; then,
 * with the browser asking for another language, chosen by `ui_locales`. Every page has the
 * language's `<html lang dir>` and its heading from the catalog. The first journey's pages (the
 * login page, its error state, consent) are reviewed: axe finds no WCAG 2.x A/AA violation in light
 * or dark, nothing scrolls sideways at 375 px; with REVIEW_SHOTS=1, screenshots to /tmp/shots-i18n/.
 * The second journey's login and consent pages are the first's, markup for markup (less nonces,
 * CSRF tokens and interaction ids): that is compared, so the first's review covers them too.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../../src/server/admin/users.js';
import { compileMessages, type Translator } from '../../src/ui/i18n/index.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { authorizeParams, authorizeUrl, pkce, registerFlowClient, type FlowClient } from '../helpers/flow.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { hasChromium, launchChromium } from './chromium.js';
import { newPage, reviewPage, serveOnLocalhost, startNotesApp } from './page-review.js';

const SHOTS = '/tmp/shots-i18n';

/** Each shipped language, and the browser locale that asks for it. */
const LANGUAGES = [
  ['en', 'en-US'],
  ['de', 'de-DE'],
  ['fr', 'fr-FR'],
  ['es', 'es-ES'],
  ['pt-BR', 'pt-BR'],
  ['ja', 'ja-JP'],
  ['ar', 'ar-EG'],
] as const;

describe.skipIf(!hasChromium)('the sign-in in every language, in Chromium', () => {
  const messages = compileMessages();
  let chromium: Browser;
  let served: { server: TestServer; close(): Promise<void> };
  let app: { callback: string; close(): void };
  let client: FlowClient;

  beforeAll(async () => {
    const clock = new FakeClock(Date.now());
    served = await serveOnLocalhost(async (issuer) => {
      const started = await startServer({ issuer, clock });
      return { server: started, close: () => started.server.close() };
    });
    app = await startNotesApp();
    client = await registerFlowClient(served.server, { name: 'Notes', redirectUris: [app.callback] });
    // One account per language: each takes one wrong password, far from any lockout.
    await Promise.all(
      LANGUAGES.map(([language]) =>
        createUser(
          served.server.store,
          { username: `user-${language}`, email: `user-${language}@example.com`, emailVerified: true, password: PASSWORD },
          clock.now(),
        ),
      ),
    );
    chromium = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await chromium?.close();
    app?.close();
    await served?.close();
  });

  /** Waits for the page's `<h1>` to be `heading`, then checks the page's language and direction. */
  async function expectPage(page: Page, i18n: Translator, heading: string): Promise<void> {
    await page.getByRole('heading', { level: 1, name: heading, exact: true }).waitFor();
    expect(await page.evaluate(() => [document.documentElement.lang, document.documentElement.dir])).toEqual([i18n.locale, i18n.dir]);
  }

  /** Types `password` for the language's account on the login page and signs in. */
  async function enterPassword(page: Page, i18n: Translator, username: string, password: string): Promise<void> {
    await page.getByLabel(i18n.text('login.username')).fill(username);
    await page.getByLabel(i18n.text('login.password'), { exact: true }).fill(password);
    await page.getByRole('button', { name: i18n.text('login.submit'), exact: true }).click();
  }

  /**
   * The page's markup, less what differs from one sign-in to the next: nonces, CSRF tokens,
   * interaction ids, and the empty `style` Playwright's screenshots (REVIEW_SHOTS=1) leave on inputs
   * (the pages have no inline styles: their CSP forbids them).
   */
  async function markupOf(page: Page): Promise<string> {
    return (await page.content())
      .replace(/ style=""/g, '')
      .replace(/nonce="[^"]*"/g, 'nonce=""')
      .replace(/name="csrf" value="[^"]*"/g, 'name="csrf" value=""')
      .replace(/\/interaction\/[\w-]+/g, '/interaction/ID');
  }

  /** From the login page: the right password, consent (its markup returned), and back at the application. */
  async function signInAndAllow(page: Page, i18n: Translator, username: string, review?: string): Promise<string> {
    await enterPassword(page, i18n, username, PASSWORD);
    await expectPage(page, i18n, i18n.text('consent.heading', { client: 'Notes', product: 'Gatehouse' }));
    if (review !== undefined) await reviewPage(page, `consent-${review}`, SHOTS);
    const consent = await markupOf(page);
    await page.getByRole('button', { name: i18n.text('consent.allow'), exact: true }).click();
    await page.waitForURL((url) => url.href.startsWith(app.callback));
    expect(new URL(page.url()).searchParams.get('code')).toBeTruthy();
    return consent;
  }

  it.each(LANGUAGES)(
    '%s: by the browser’s language and by ui_locales, login, a wrong password, consent, back at the app',
    async (language, locale) => {
      const i18n = messages.translator(language);
      const username = `user-${language}`;
      const { context, page, violations } = await newPage(chromium, { locale });
      page.setDefaultTimeout(10_000);

      // Chosen by the browser's language.
      await page.goto(authorizeUrl(served.server, authorizeParams(client, pkce().challenge)));
      await expectPage(page, i18n, i18n.text('login.title'));
      await reviewPage(page, `login-${language}`, SHOTS);
      const login = await markupOf(page);
      await enterPassword(page, i18n, username, 'not-the-password');
      const alert = page.locator('#login-error[role="alert"]');
      expect(await alert.textContent()).toBe(i18n.text('login.error.incorrect'));
      await expectPage(page, i18n, i18n.text('login.title'));
      await reviewPage(page, `login-error-${language}`, SHOTS);
      const consent = await signInAndAllow(page, i18n, username, language);

      // Chosen by ui_locales, over a browser that asks for another language; consent asked again.
      await context.clearCookies();
      await page.setExtraHTTPHeaders({ 'accept-language': language === 'en' ? 'de' : 'en' });
      await page.goto(authorizeUrl(served.server, authorizeParams(client, pkce().challenge, { ui_locales: language, prompt: 'consent' })));
      await expectPage(page, i18n, i18n.text('login.title'));
      expect(await markupOf(page)).toBe(login);
      expect(await signInAndAllow(page, i18n, username)).toBe(consent);
      expect(violations).toEqual([]);
      await context.close();
    },
    60_000,
  );
});

const PASSWORD = 'a-long-enough-password-21';
