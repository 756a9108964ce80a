/**
 * Issue 13 in real Chromium, against a listening server (in-process, `@hono/node-server`) at
 * `http://localhost:<port>`: the issuer URL as a page (and its favicon), the lockout page and its
 * way back, the account page telling sessions apart, a cookie-less form post, and a passkey
 * failure in the alert box. Each page is also checked at 375 px for sideways scrolling, and
 * screenshotted in light, dark and 375 px to /tmp/shots-pages/ for review.
 */
import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../../src/server/admin/users.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { authorizeParams, authorizeUrl, pkce, registerFlowClient, seedUsers, type FlowClient, type TestUser } from '../helpers/flow.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { hasChromium, launchChromium } from './chromium.js';
import { newPage as openPage, reviewPage, serveOnLocalhost, startNotesApp } from './page-review.js';

const SHOTS = '/tmp/shots-pages';
const FIREFOX_WINDOWS = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0';
const HOUR = 3_600_000;

describe.skipIf(!hasChromium)('issue 13 pages in Chromium', () => {
  let chromium: Browser;
  let served: { server: TestServer; close(): Promise<void> };
  let server: TestServer;
  let app: { callback: string; close(): void };
  let clock: FakeClock;
  let client: FlowClient;
  let appCallback: string;
  let users: Record<'alice' | 'bob' | 'gina' | 'hank' | 'ivy', TestUser>;

  beforeAll(async () => {
    clock = new FakeClock(Date.now());
    served = await serveOnLocalhost(async (issuer) => {
      const started = await startServer({
        issuer,
        clock,
        // Two wrong passwords lock an account out from an address for 15 minutes.
        protection: { rateLimits: { signInPerAccountIp: { points: 2, seconds: 900, lockoutSeconds: 900 } } },
      });
      return { server: started, close: () => started.server.close() };
    });
    server = served.server;
    app = await startNotesApp();
    appCallback = app.callback;
    client = await registerFlowClient(server, { name: 'Notes', redirectUris: [appCallback] });
    const seeded = await seedUsers(server.store);
    const more = async (username: string, name: string): Promise<TestUser> => {
      const password = `${username}-password-123`;
      const record = await createUser(server.store, { username, email: `${username}@example.com`, emailVerified: true, name, password }, clock.now());
      return { record, username, password };
    };
    users = {
      alice: seeded.alice,
      bob: seeded.bob,
      gina: await more('gina', 'Gina Torres'),
      hank: await more('hank', 'Hank Pym'),
      ivy: await more('ivy', 'Ivy Chen'),
    };
    mkdirSync(SHOTS, { recursive: true });
    chromium = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await chromium?.close();
    app?.close();
    await served?.close();
  });

  const newPage = (options: { userAgent?: string } = {}) => openPage(chromium, options);
  const shoot = (page: Page, name: string) => reviewPage(page, name, SHOTS);

  async function enterPassword(page: Page, user: TestUser, password = user.password): Promise<void> {
    await page.getByLabel('Username or email').fill(user.username);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  }

  it('the issuer URL is a page: what this is, links that work, who is signed in, and a favicon', async () => {
    const { context, page, violations } = await newPage();
    const response = await page.goto(server.issuer);
    expect(response?.status()).toBe(200);
    expect(await page.locator('h1').textContent()).toBe('Gatehouse sign-in service');
    expect(await page.title()).toBe('Sign-in service – Gatehouse');
    expect(await page.getByRole('link', { name: 'Discovery document' }).getAttribute('href')).toBe(`${server.issuer}/.well-known/openid-configuration`);
    expect(await page.getByRole('link', { name: 'Documentation' }).getAttribute('href')).toBe('https://www.npmjs.com/package/gatehouse');
    await shoot(page, 'home');

    // The favicon the browser asks for by itself: the brand mark.
    const icon = await page.request.get(`${server.issuer}/favicon.ico`);
    expect(icon.status()).toBe(200);
    expect(icon.headers()['content-type']).toBe('image/svg+xml');
    await page.goto(`${server.issuer}/favicon.ico`);
    await page.setViewportSize({ width: 64, height: 64 });
    await page.screenshot({ path: `${SHOTS}/favicon.png` });
    await page.setViewportSize({ width: 1024, height: 800 });

    // "Sign in to your account" leads to sign-in, then to the account page; the home page then says who is signed in.
    await page.goto(server.issuer);
    await page.getByRole('link', { name: 'Sign in to your account' }).click();
    await enterPassword(page, users.gina);
    await page.getByRole('heading', { name: 'Your account' }).waitFor();
    await page.goto(server.issuer);
    expect(await page.locator('.account').textContent()).toBe('GSigned in asGina Torresgina@example.com');
    expect(await page.getByRole('link', { name: 'Manage your account' }).getAttribute('href')).toBe(`${server.issuer}/account`);
    await shoot(page, 'home-signed-in');
    await page.getByRole('link', { name: 'Discovery document' }).click();
    expect((JSON.parse((await page.locator('body').textContent())!) as { issuer: string }).issuer).toBe(server.issuer);
    expect(violations).toEqual([]);
    await context.close();
  }, 60_000);

  it('the account chooser, the sign-out question and the signed-out page pass the review', async () => {
    const { context, page, violations } = await newPage();
    await page.goto(authorizeUrl(server, authorizeParams(client, pkce().challenge)));
    await enterPassword(page, users.ivy);
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL((url) => url.href.startsWith(app.callback));

    await page.goto(authorizeUrl(server, authorizeParams(client, pkce().challenge, { prompt: 'select_account' })));
    await page.getByRole('heading', { name: 'Choose an account' }).waitFor();
    await shoot(page, 'select-account');
    await page.goto(`${server.issuer}/logout`);
    await page.getByRole('heading', { level: 1 }).waitFor();
    await shoot(page, 'logout-confirm');
    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await page.getByRole('heading', { name: 'You are signed out' }).waitFor();
    await shoot(page, 'signed-out');
    expect(violations).toEqual([]);
    await context.close();
  }, 60_000);

  it('the lockout page says when to try again and leads back to the same sign-in with "Use another account"', async () => {
    const { context, page, violations } = await newPage();
    const { challenge } = pkce();
    await page.goto(authorizeUrl(server, authorizeParams(client, challenge)));
    const loginUrl = page.url();
    for (let i = 0; i < 2; i += 1) {
      await enterPassword(page, users.alice, `wrong-${i}`);
      await page.locator('#login-error').waitFor();
    }
    await enterPassword(page, users.alice, 'wrong-again');
    await page.getByRole('heading', { name: 'Too many attempts' }).waitFor();
    const retry = (await page.locator('.retry').textContent())!;
    // The clock is the real time: 15 minutes on may be tomorrow, and then the page names the day.
    expect(retry).toMatch(/^You can try again at (\d{1,2} [A-Z][a-z]+ \d{4}, )?\d\d:\d\d UTC, in about 15 minutes\.$/);
    expect(await page.locator('.retry time').getAttribute('datetime')).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:00\.000Z$/);
    await shoot(page, 'lockout');

    await page.getByRole('link', { name: 'Use another account' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(page.url()).toBe(loginUrl);
    await enterPassword(page, users.bob);
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL((url) => url.href.startsWith(appCallback));
    expect(violations).toEqual([]);
    await context.close();
  }, 60_000);

  it('the account page tells sessions apart: browser and system, address, how long ago, methods in words', async () => {
    const firefox = await newPage({ userAgent: FIREFOX_WINDOWS });
    await firefox.page.goto(`${server.issuer}/account`);
    await enterPassword(firefox.page, users.hank);
    await firefox.page.getByRole('heading', { name: 'Your account' }).waitFor();
    clock.advance(2 * HOUR);

    const { context, page, violations } = await newPage();
    await page.goto(`${server.issuer}/account`);
    await enterPassword(page, users.hank);
    await page.getByRole('heading', { name: 'Your account' }).waitFor();
    const sessions = page.locator('section[aria-labelledby="sessions-heading"] li.row');
    expect(await sessions.count()).toBe(2);
    const rows = (await sessions.allTextContents()).map((row) => row.replace(/\s+/g, ' ').trim());
    expect(rows[0]).toMatch(/^Chrome on LinuxThis deviceSigned in just now · Password · (127\.0\.0\.1|::1)$/);
    expect(rows[1]).toMatch(/^Firefox on WindowsSigned in 2 hours ago · Password · (127\.0\.0\.1|::1)$/);
    const signIns = (await page.locator('section[aria-labelledby="signins-heading"] tbody tr').allTextContents()).map((row) => row.replace(/\s+/g, ' ').trim());
    expect(signIns[0]).toMatch(/^just nowPasswordto Account pageChrome on Linux · (127\.0\.0\.1|::1)Signed in$/);
    expect(signIns[1]).toMatch(/^2 hours agoPasswordto Account pageFirefox on Windows · (127\.0\.0\.1|::1)Signed in$/);
    expect(await page.locator('body').textContent()).not.toMatch(/\bpwd\b/);
    await shoot(page, 'account');
    // The two sections that changed, close up at 375 px (the whole page is long).
    await page.setViewportSize({ width: 375, height: 740 });
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme, reducedMotion: 'reduce' });
      await page.locator('section[aria-labelledby="sessions-heading"]').screenshot({ path: `${SHOTS}/account-sessions-375-${scheme}.png` });
      await page.locator('section[aria-labelledby="signins-heading"]').screenshot({ path: `${SHOTS}/account-signins-375-${scheme}.png` });
    }
    expect(violations).toEqual([]);
    await firefox.context.close();
    await context.close();
  }, 60_000);

  it('a form posted without the browser cookie is told that cookies are needed, not "expired"', async () => {
    const { context, page } = await newPage();
    await page.goto(authorizeUrl(server, authorizeParams(client, pkce().challenge)));
    await page.getByLabel('Username or email').fill(users.bob.username);
    await page.getByLabel('Password').fill(users.bob.password);
    // As a browser that blocks cookies would: the form goes without them.
    await context.clearCookies();
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('heading', { name: 'Cookies are needed to sign in' }).waitFor();
    expect(await page.locator('.lead').textContent()).toContain(`Allow cookies for ${new URL(server.issuer).host}`);
    await shoot(page, 'cookies-needed');
    await context.close();
  }, 60_000);

  it('a passkey that fails is said in the alert box, as the other errors are', async () => {
    const { context, page, violations } = await newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true },
    });
    // The server refuses the options (as when the sign-in request has expired).
    await page.route('**/passkey/options**', (route) => route.fulfill({ status: 400, contentType: 'application/json', body: '{"error":"invalid_request"}' }));
    await page.goto(authorizeUrl(server, authorizeParams(client, pkce().challenge)));
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    const alert = page.getByRole('alert');
    await expect.poll(() => alert.textContent()).toBe('The passkey could not be verified. Try again, or use another way to verify.');
    expect(await alert.locator('.alert').isVisible()).toBe(true);
    expect(await page.locator('#passkey-status').textContent()).toBe('');
    await shoot(page, 'passkey-failed');
    expect(violations).toEqual([]);
    await context.close();
  }, 60_000);
});
