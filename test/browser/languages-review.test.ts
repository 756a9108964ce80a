/**
 * The login page in Arabic (right to left) and Japanese, in Chromium: chosen by `ui_locales` and by
 * the browser's language (`Accept-Language`), reviewed in light, dark and at 375 px (axe finds no
 * WCAG violation, nothing scrolls sideways); with REVIEW_SHOTS=1, screenshots to /tmp/shots-i18n/.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authorizeParams, authorizeUrl, pkce, registerFlowClient, type FlowClient } from '../helpers/flow.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { hasChromium, launchChromium } from './chromium.js';
import { newPage, reviewPage, serveOnLocalhost } from './page-review.js';

const SHOTS = '/tmp/shots-i18n';

describe.skipIf(!hasChromium)('the login page in Arabic and Japanese, in Chromium', () => {
  let chromium: Browser;
  let served: { server: TestServer; close(): Promise<void> };
  let client: FlowClient;

  beforeAll(async () => {
    served = await serveOnLocalhost(async (issuer) => {
      const started = await startServer({ issuer });
      return { server: started, close: () => started.server.close() };
    });
    client = await registerFlowClient(served.server);
    chromium = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await chromium?.close();
    await served?.close();
  });

  it('Arabic by ui_locales: right to left, mirrored, and accessible', async () => {
    const { context, page, violations } = await newPage(chromium);
    await page.goto(authorizeUrl(served.server, authorizeParams(client, pkce().challenge, { ui_locales: 'ar' })));
    await page.getByRole('heading', { name: 'تسجيل الدخول' }).waitFor();
    expect(await page.evaluate(() => [document.documentElement.lang, document.documentElement.dir])).toEqual(['ar', 'rtl']);
    // Mirrored: the fields run right to left (the screenshots show labels and links from the right edge).
    expect(await page.getByLabel('كلمة المرور').evaluate((input) => getComputedStyle(input).direction)).toBe('rtl');
    await reviewPage(page, 'login-ar', SHOTS);
    expect(violations).toEqual([]);
    await context.close();
  }, 60_000);

  it('Japanese by the browser’s language, and the switcher changes it', async () => {
    const { context, page, violations } = await newPage(chromium, { locale: 'ja-JP' });
    await page.goto(authorizeUrl(served.server, authorizeParams(client, pkce().challenge)));
    await page.getByRole('heading', { name: 'ログイン' }).waitFor();
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('ja');
    await reviewPage(page, 'login-ja', SHOTS);
    await page.getByLabel('言語').selectOption('de');
    await page.getByRole('button', { name: '変更' }).click();
    await page.getByRole('heading', { name: 'Anmelden' }).waitFor();
    expect(violations).toEqual([]);
    await context.close();
  }, 60_000);
});
