/**
 * The passkey script in real Chromium, on pages served with the CSP the server sends
 * (`script-src 'self' 'nonce-…'`, `connect-src 'self'`). The WebAuthn library is a stub with the
 * `SimpleWebAuthnBrowser` API, and the options and verify endpoints are intercepted, so what is
 * checked is the page's side of the protocol: headers, bodies, navigation and messages.
 */
import type { Browser, BrowserContext, Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_BRANDING, renderAccountPage, renderMfaChallengePage } from '../../src/ui/index.js';
import { hasChromium, launchChromium } from './chromium.js';
import { accountActions } from '../../src/ui/testing/mfa-fixtures.js';

const ORIGIN = 'https://gatehouse.test';
const NONCE = 'bm9uY2Utb25l';
const CSP = [
  "default-src 'none'",
  `style-src 'nonce-${NONCE}'`,
  `script-src 'self' 'nonce-${NONCE}'`,
  "connect-src 'self'",
  "img-src 'self' https: data:",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

/** `@simplewebauthn/browser`'s global, with the ceremony outcome chosen by the test. */
function libraryStub(outcome: 'ok' | 'cancel'): string {
  const ceremony =
    outcome === 'ok'
      ? `async (args) => { window.__ceremony = args; return { id: 'cred-1', type: 'public-key' }; }`
      : `async (args) => { window.__ceremony = args; throw new DOMException('The operation either timed out or was not allowed.', 'NotAllowedError'); }`;
  return `window.SimpleWebAuthnBrowser = { browserSupportsWebAuthn: () => true, startAuthentication: ${ceremony}, startRegistration: ${ceremony} };`;
}

const challengePage = renderMfaChallengePage({
  branding: DEFAULT_BRANDING,
  nonce: NONCE,
  action: '/interaction/abc/mfa',
  csrfToken: 'csrf-123',
  client: { name: 'Acme' },
  methods: { totp: true, recoveryCodes: true, passkey: true, contacts: [] },
  passkey: { optionsUrl: '/interaction/abc/passkey/options', verifyUrl: '/interaction/abc/passkey', scriptUrl: '/assets/webauthn.js' },
});

const accountPage = renderAccountPage({
  branding: DEFAULT_BRANDING,
  nonce: NONCE,
  csrfToken: 'csrf-456',
  account: { login: 'ada@example.com' },
  factors: [],
  recoveryCodesLeft: undefined,
  sessions: [],
  signIns: [],
  actions: accountActions('/account'),
});

interface Setup {
  library?: 'ok' | 'cancel' | 'missing';
  verifyStatus?: number;
  verifyBody?: unknown;
  javaScript?: boolean;
}

interface Served {
  page: Page;
  context: BrowserContext;
  posts: { url: string; csrf: string | undefined; contentType: string | undefined; body: unknown }[];
  violations: string[];
}

describe.skipIf(!hasChromium)('passkey script in Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  async function serve(path: string, html: string, setup: Setup = {}): Promise<Served> {
    const context = await browser.newContext({ javaScriptEnabled: setup.javaScript ?? true });
    const page = await context.newPage();
    const posts: Served['posts'] = [];
    const violations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
    });
    await page.route(`${ORIGIN}/**`, async (route, request: Request) => {
      const url = new URL(request.url());
      if (request.method() === 'POST') {
        const headers = request.headers();
        const raw = request.postData();
        posts.push({ url: url.pathname, csrf: headers['x-csrf-token'], contentType: headers['content-type'], body: raw ? JSON.parse(raw) : undefined });
        if (url.pathname.endsWith('/options')) {
          return route.fulfill({
            status: 200,
            contentType: 'application/json',
            body: JSON.stringify({ options: { challenge: 'Y2hhbGxlbmdl' }, challengeId: 'ch-1' }),
          });
        }
        return route.fulfill({
          status: setup.verifyStatus ?? 200,
          contentType: 'application/json',
          body: JSON.stringify(setup.verifyBody ?? { redirect: `${ORIGIN}/done` }),
        });
      }
      if (url.pathname === path)
        return route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', headers: { 'Content-Security-Policy': CSP }, body: html });
      if (url.pathname.endsWith('/webauthn.js') && setup.library !== 'missing') {
        return route.fulfill({ status: 200, contentType: 'text/javascript', body: libraryStub(setup.library ?? 'ok') });
      }
      if (url.pathname === '/done' || url.pathname === '/account') {
        return route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><title>done</title>' });
      }
      return route.fulfill({ status: 404, body: 'not found' });
    });
    await page.goto(`${ORIGIN}${path}`);
    return { page, context, posts, violations };
  }

  it('signs in with a passkey: options with the CSRF header, the ceremony, then the verify call and redirect', async () => {
    const { page, context, posts, violations } = await serve('/interaction/abc/mfa', challengePage);
    try {
      await expect.poll(() => page.locator('#passkey-button').isVisible()).toBe(true);
      await page.click('#passkey-button');
      await page.waitForURL(`${ORIGIN}/done`);
      expect(posts).toEqual([
        { url: '/interaction/abc/passkey/options', csrf: 'csrf-123', contentType: undefined, body: undefined },
        {
          url: '/interaction/abc/passkey',
          csrf: 'csrf-123',
          contentType: 'application/json',
          body: { challengeId: 'ch-1', response: { id: 'cred-1', type: 'public-key' } },
        },
      ]);
      expect(violations).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('hands the options to startAuthentication as optionsJSON', async () => {
    const { page, context } = await serve('/interaction/abc/mfa', challengePage, { verifyStatus: 400, verifyBody: { error: 'invalid' } });
    try {
      await page.click('#passkey-button');
      await expect
        .poll(() => page.evaluate(() => (window as unknown as { __ceremony?: unknown }).__ceremony))
        .toEqual({ optionsJSON: { challenge: 'Y2hhbGxlbmdl' } });
    } finally {
      await context.close();
    }
  });

  it('says so in an alert box (role="alert", the look of the other errors) when the passkey is refused, and lets the user try again', async () => {
    const { page, context } = await serve('/interaction/abc/mfa', challengePage, { verifyStatus: 400, verifyBody: { error: 'invalid' } });
    try {
      expect(
        await page
          .getByRole('alert')
          .filter({ hasText: /passkey/ })
          .count(),
      ).toBe(0);
      await page.click('#passkey-button');
      const alert = page.getByRole('alert');
      await expect.poll(() => alert.textContent()).toBe('The passkey could not be verified. Try again, or use another way to verify.');
      expect(await alert.locator('.alert').isVisible()).toBe(true);
      // The alert box of the other errors: its border and background, not plain status text.
      const look = await alert.locator('.alert').evaluate((box) => {
        const style = getComputedStyle(box);
        return { border: style.borderTopStyle, background: style.backgroundColor };
      });
      expect(look.border).toBe('solid');
      expect(look.background).not.toBe('rgba(0, 0, 0, 0)');
      await page.mouse.move(0, 0);
      for (const scheme of ['light', 'dark'] as const) {
        await page.emulateMedia({ colorScheme: scheme, reducedMotion: 'reduce' });
        await page.screenshot({ path: `/tmp/shots-pages/mfa-passkey-failed-${scheme}.png`, fullPage: true });
      }
      await page.emulateMedia({ colorScheme: 'light' });
      expect(await page.textContent('#passkey-status')).toBe('');
      expect(await page.isEnabled('#passkey-button')).toBe(true);
      expect(page.url()).toBe(`${ORIGIN}/interaction/abc/mfa`);
      // A second failure says it again (the box is hidden while the device is asked, then shown).
      await page.click('#passkey-button');
      await expect.poll(() => alert.textContent()).toBe('The passkey could not be verified. Try again, or use another way to verify.');
    } finally {
      await context.close();
    }
  });

  it('says so when the user cancels, without calling verify', async () => {
    const { page, context, posts } = await serve('/interaction/abc/mfa', challengePage, { library: 'cancel' });
    try {
      await page.click('#passkey-button');
      await expect.poll(() => page.getByRole('alert').textContent()).toBe('The passkey request was cancelled or timed out. Try again.');
      expect(posts.map((post) => post.url)).toEqual(['/interaction/abc/passkey/options']);
    } finally {
      await context.close();
    }
  });

  it('never follows a javascript: redirect', async () => {
    const { page, context } = await serve('/interaction/abc/mfa', challengePage, { verifyBody: { redirect: 'javascript:document.title="pwned"' } });
    try {
      await page.click('#passkey-button');
      await expect.poll(() => page.getByRole('alert').textContent()).toContain('could not be verified');
      expect(await page.title()).not.toBe('pwned');
    } finally {
      await context.close();
    }
  });

  it('keeps the passkey button hidden when the library does not load, leaving the code form usable', async () => {
    const { page, context } = await serve('/interaction/abc/mfa', challengePage, { library: 'missing' });
    try {
      expect(await page.locator('#passkey-button').isVisible()).toBe(false);
      expect(await page.locator('#totp-code').isVisible()).toBe(true);
    } finally {
      await context.close();
    }
  });

  it('keeps the passkey button hidden with JavaScript off', async () => {
    const { page, context } = await serve('/interaction/abc/mfa', challengePage, { javaScript: false });
    try {
      expect(await page.locator('#passkey-button').isVisible()).toBe(false);
      expect(await page.locator('#totp-code').isVisible()).toBe(true);
    } finally {
      await context.close();
    }
  });

  it('says in the alert box when a passkey could not be added on the account page', async () => {
    const { page, context } = await serve('/account', accountPage, { verifyStatus: 400, verifyBody: { error: 'invalid_request' } });
    try {
      await expect.poll(() => page.locator('#add-passkey').isVisible()).toBe(true);
      await page.click('#add-passkey');
      await expect.poll(() => page.getByRole('alert').textContent()).toBe('The passkey could not be added. Try again.');
      expect(await page.locator('#add-passkey-status-error .alert').isVisible()).toBe(true);
      // For review: the alert under the passkey row, in light and dark, wide and at 375 px.
      await page.mouse.move(0, 0);
      for (const width of [1024, 375]) {
        await page.setViewportSize({ width, height: 800 });
        for (const scheme of ['light', 'dark'] as const) {
          await page.emulateMedia({ colorScheme: scheme, reducedMotion: 'reduce' });
          await page.locator('li[data-passkey-block]').screenshot({ path: `/tmp/shots-pages/account-passkey-failed-${width}-${scheme}.png` });
        }
      }
    } finally {
      await context.close();
    }
  });

  it('adds a passkey from the account page, sending the name typed', async () => {
    const { page, context, posts, violations } = await serve('/account', accountPage, { verifyBody: { redirect: '/account?notice=passkey-added' } });
    try {
      await expect.poll(() => page.locator('#add-passkey').isVisible()).toBe(true);
      await page.fill('#passkey-label', '  Work laptop ');
      await page.click('#add-passkey');
      await page.waitForURL(`${ORIGIN}/account?notice=passkey-added`);
      expect(posts).toEqual([
        { url: '/account/passkeys/options', csrf: 'csrf-456', contentType: undefined, body: undefined },
        {
          url: '/account/passkeys',
          csrf: 'csrf-456',
          contentType: 'application/json',
          body: { challengeId: 'ch-1', response: { id: 'cred-1', type: 'public-key' }, label: 'Work laptop' },
        },
      ]);
      expect(violations).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
