/**
 * Issue 7 acceptance in real Chromium, against a listening server (in-process, `@hono/node-server`)
 * whose issuer is `http://localhost:<port>`: a secure context, so WebAuthn works and the RP ID is
 * `localhost`. The server's clock is a fixed one the tests move on, so TOTP steps are exact.
 *
 * 1. TOTP set up on /account by reading the key off the page, then a sign-in with its code;
 * 2. a passkey registered with Chromium's virtual authenticator (CDP), then a passwordless sign-in;
 * 3. a recovery code; 4. an email code read from the development outbox.
 *
 * Screenshots go to /tmp/gatehouse-mfa-*.png. The set-up page, the recovery codes and the second
 * step (as shown, with recovery codes open, after an email code is sent) pass the page review:
 * axe in light and dark, nothing sideways at 375 px (test/browser/page-review.ts).
 */
import { serve, type ServerType } from '@hono/node-server';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../../../src/server/admin/users.js';
import { remainingRecoveryCodes } from '../../../src/server/mfa/factors.js';
import { createDevOutboxSender, latestCode } from '../../../src/server/mfa/senders/index.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import {
  authorizeParams,
  authorizeUrl,
  expectTokens,
  pkce,
  readIdToken,
  redeemCode,
  registerFlowClient,
  seedUsers,
  type FlowClient,
  type TestUser,
} from '../../helpers/flow.js';
import { factorContext, giveContact, giveRecoveryCodes, giveTotp, TOTP_STEP_MS, totpAt } from '../../helpers/mfa.js';
import { startServer, type TestServer } from '../../helpers/server.js';
import { hasChromium, launchChromium } from '../chromium.js';
import { reviewPage } from '../page-review.js';

/** Where the page reviews (axe in light and dark, 375 px) write their screenshots, with REVIEW_SHOTS=1. */
const REVIEWS = '/tmp/shots-mfa';

const SHOTS = {
  account: '/tmp/gatehouse-mfa-account.png',
  challenge: '/tmp/gatehouse-mfa-challenge.png',
  accountPasskey: '/tmp/gatehouse-mfa-account-passkey.png',
  emailCode: '/tmp/gatehouse-mfa-email-code.png',
};

describe.skipIf(!hasChromium)('MFA journeys in Chromium', () => {
  let chromium: Browser;
  let http: ServerType;
  let appServer: Server;
  let server: TestServer;
  let clock: FakeClock;
  let client: FlowClient;
  let appCallback: string;
  let users: Record<'alice' | 'bob' | 'carol' | 'dave' | 'erin' | 'frank', TestUser>;
  let dir: string;
  let outbox: string;

  beforeAll(async () => {
    // Listen first (port 0), then build the server whose issuer names that port.
    const port = await new Promise<number>((resolve) => {
      http = serve({ fetch: (request: Request) => server.server.fetch(request), port: 0, hostname: 'localhost' }, (info) => resolve(info.port));
    });
    dir = mkdtempSync(join(tmpdir(), 'gh-mfa-browser-'));
    outbox = join(dir, 'outbox.jsonl');
    clock = new FakeClock(Date.now());
    server = await startServer({
      issuer: `http://localhost:${port}`,
      clock,
      mfa: { senders: { email: createDevOutboxSender({ file: outbox, log: () => undefined }) } },
    });

    // The application's redirect URI: a page that just says the browser got back.
    appServer = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      response.end('<!doctype html><title>Notes</title><h1>Back at Notes</h1>');
    });
    await new Promise<void>((resolve) => appServer.listen(0, 'localhost', resolve));
    appCallback = `http://localhost:${(appServer.address() as AddressInfo).port}/callback`;
    client = await registerFlowClient(server, { name: 'Notes', redirectUris: [appCallback] });

    const seeded = await seedUsers(server.store);
    const more = async (username: string): Promise<TestUser> => {
      const password = `${username}-password-123`;
      const record = await createUser(server.store, { username, email: `${username}@example.com`, emailVerified: true, password }, clock.now());
      return { record, username, password };
    };
    users = {
      alice: seeded.alice,
      bob: seeded.bob,
      carol: await more('carol'),
      dave: await more('dave'),
      erin: await more('erin'),
      frank: await more('frank'),
    };
    chromium = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await chromium?.close();
    http?.close();
    appServer?.close();
    await server?.server.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function newPage(): Promise<{ context: BrowserContext; page: Page }> {
    const context = await chromium.newContext();
    return { context, page: await context.newPage() };
  }

  /** Opens the application's authorization request; returns the PKCE verifier. */
  async function startAtApp(page: Page): Promise<string> {
    const { verifier, challenge } = pkce();
    await page.goto(authorizeUrl(server, authorizeParams(client, challenge)));
    return verifier;
  }

  async function enterPassword(page: Page, user: TestUser): Promise<void> {
    await page.getByLabel('Username or email').fill(user.username);
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  }

  /** Approves consent when asked, waits to be back at the app, and redeems the code: the ID token claims. */
  async function backAtApp(page: Page, verifier: string) {
    const atApp = (url: URL) => url.href.startsWith(appCallback);
    const allow = page.getByRole('button', { name: 'Allow' });
    await Promise.race([page.waitForURL(atApp), allow.waitFor()]);
    if (!page.url().startsWith(appCallback)) {
      await allow.click();
      await page.waitForURL(atApp);
    }
    expect(await page.locator('h1').textContent()).toBe('Back at Notes');
    const code = new URL(page.url()).searchParams.get('code')!;
    const tokens = await expectTokens(await redeemCode(server, client, code, verifier));
    return readIdToken(tokens.id_token!).claims;
  }

  /** The submit button of the form holding the field `#fieldId`. */
  function verifyButtonOf(page: Page, fieldId: string) {
    return page.locator('form', { has: page.locator(`#${fieldId}`) }).getByRole('button', { name: 'Verify' });
  }

  it('sets up TOTP on /account from the key on the page, then signs in to the app with a generated code', async () => {
    const { context, page } = await newPage();
    await page.goto(`${server.issuer}/account`);
    await enterPassword(page, users.alice);
    await page.getByRole('heading', { name: 'Your account' }).waitFor();

    await page.getByRole('button', { name: 'Set up' }).click();
    await page.getByRole('heading', { name: 'Set up two-step verification' }).waitFor();
    expect(await page.locator('.qr-code svg').count()).toBe(1);
    await reviewPage(page, 'mfa-enroll', REVIEWS);
    const secret = (await page.locator('dl.secret dd code').textContent())!.replace(/\s+/g, '');
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    await page.getByLabel('6-digit code').fill(await totpAt(secret, clock.now()));
    await page.getByRole('button', { name: 'Verify and turn on' }).click();

    await page.getByRole('heading', { name: 'Save your recovery codes' }).waitFor();
    expect(await page.locator('#recovery-codes code').allTextContents()).toHaveLength(10);
    await reviewPage(page, 'mfa-recovery-codes', REVIEWS);
    await page.getByRole('button', { name: 'I have saved my codes' }).click();
    await page.getByRole('heading', { name: 'Your account' }).waitFor();
    expect(await page.getByRole('list', { name: 'Your sign-in methods' }).textContent()).toContain('Authenticator app');
    await page.screenshot({ path: SHOTS.account, fullPage: true });
    await context.close();

    // A new browser profile signs in to the app: password, then the app's code of the next step.
    clock.advance(TOTP_STEP_MS);
    const fresh = await newPage();
    const verifier = await startAtApp(fresh.page);
    await enterPassword(fresh.page, users.alice);
    await fresh.page.getByRole('heading', { name: 'Two-step verification' }).waitFor();
    await reviewPage(fresh.page, 'mfa-challenge', REVIEWS);
    expect(await fresh.context.cookies()).not.toContainEqual(expect.objectContaining({ name: 'gh_session' }));
    await fresh.page.getByLabel('Code from your authenticator app').fill(await totpAt(secret, clock.now()));
    await fresh.page.screenshot({ path: SHOTS.challenge, fullPage: true });
    await verifyButtonOf(fresh.page, 'totp-code').click();
    const claims = await backAtApp(fresh.page, verifier);
    expect(claims.amr).toEqual(expect.arrayContaining(['pwd', 'otp', 'mfa']));
    expect(claims.acr).toBe('2');
    await fresh.context.close();
  }, 60_000);

  it('registers a passkey with the virtual authenticator on /account, signs out, then signs in passwordless with it', async () => {
    const { context, page } = await newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true },
    });

    await page.goto(`${server.issuer}/account`);
    await enterPassword(page, users.bob);
    await page.getByRole('heading', { name: 'Your account' }).waitFor();
    await page.getByLabel('Name (optional)').fill('Chromium');
    await page.getByRole('button', { name: 'Add passkey' }).click();
    // The first factor brings recovery codes, a passkey as much as an app (issue 13).
    await page.getByRole('heading', { name: 'Save your recovery codes' }).waitFor();
    expect(await page.locator('#recovery-codes code').allTextContents()).toHaveLength(10);
    await page.getByRole('button', { name: 'I have saved my codes' }).click();
    await page.waitForURL(/notice=passkey-added/);
    expect(await page.getByRole('list', { name: 'Your sign-in methods' }).textContent()).toContain('Chromium');
    await page.screenshot({ path: SHOTS.accountPasskey, fullPage: true });
    const [stored] = (await server.store.factors.listByUser(users.bob.record.id)).filter((factor) => factor.type === 'webauthn');
    expect(stored?.label).toBe('Chromium');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'You are signed out' }).waitFor();
    expect(await context.cookies()).not.toContainEqual(expect.objectContaining({ name: 'gh_session' }));

    // No username, no password: the authenticator offers its discoverable credential.
    const verifier = await startAtApp(page);
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    const claims = await backAtApp(page, verifier);
    expect(claims.sub).toBe(users.bob.record.id);
    expect(claims.amr).toEqual(expect.arrayContaining(['mfa']));
    expect((claims.amr as string[]).some((method) => method === 'hwk' || method === 'swk')).toBe(true);
    expect(claims.amr).not.toContain('pwd');
    expect(claims.acr).toBe('2');
    await context.close();
  }, 60_000);

  it('signs in with a recovery code', async () => {
    const ctx = factorContext(server.store, clock);
    await giveTotp(ctx, users.carol.record.id);
    const [recoveryCode] = await giveRecoveryCodes(ctx, users.carol.record.id);
    const { context, page } = await newPage();
    const verifier = await startAtApp(page);
    await enterPassword(page, users.carol);
    await page.getByRole('heading', { name: 'Two-step verification' }).waitFor();
    await page.getByText('Use a recovery code').click();
    await reviewPage(page, 'mfa-challenge-recovery-open', REVIEWS);
    await page.getByLabel('Recovery code').fill(recoveryCode!);
    await verifyButtonOf(page, 'recovery-code').click();
    const claims = await backAtApp(page, verifier);
    expect(claims.amr).toEqual(expect.arrayContaining(['pwd', 'mfa']));
    expect(await remainingRecoveryCodes(ctx, users.carol.record.id)).toBe(9);
    await context.close();
  }, 60_000);

  it('signs in with an email code read from the development outbox', async () => {
    await giveContact(factorContext(server.store, clock), users.dave.record.id, 'email', 'dave@example.com');
    const { context, page } = await newPage();
    const verifier = await startAtApp(page);
    await enterPassword(page, users.dave);
    await page.getByRole('heading', { name: 'Two-step verification' }).waitFor();
    await page.getByRole('button', { name: 'Email a code to d•••@example.com' }).click();
    const field = page.getByLabel('Enter the code we sent to d•••@example.com');
    await field.waitFor();
    const code = await latestCode(outbox, 'dave@example.com', { purpose: 'sign_in' });
    expect(code).toMatch(/^\d{6}$/);
    await reviewPage(page, 'mfa-challenge-email-sent', REVIEWS);
    await field.fill(code!);
    await page.screenshot({ path: SHOTS.emailCode, fullPage: true });
    await verifyButtonOf(page, 'contact-code').click();
    const claims = await backAtApp(page, verifier);
    expect(claims.amr).toEqual(expect.arrayContaining(['pwd', 'otp', 'mfa']));
    await context.close();
  }, 60_000);

  it('after setting up an app as step-up (acr_values=2, consent remembered), "continue" on the recovery codes returns to the app', async () => {
    const { context, page } = await newPage();
    await backAtApp(
      page,
      await (async () => {
        const verifier = await startAtApp(page);
        await enterPassword(page, users.erin);
        return verifier;
      })(),
    );
    // The app asks for more than a password now.
    const { verifier, challenge } = pkce();
    await page.goto(authorizeUrl(server, authorizeParams(client, challenge, { acr_values: '2' })));
    // Setting up a factor follows a password typed in this very request (a session alone never enrols one).
    await enterPassword(page, users.erin);
    await page.getByRole('heading', { name: 'Set up two-step verification' }).waitFor();
    const secret = (await page.locator('dl.secret dd code').textContent())!.replace(/\s+/g, '');
    await page.getByLabel('6-digit code').fill(await totpAt(secret, clock.now()));
    await page.getByRole('button', { name: 'Verify and turn on' }).click();
    await page.getByRole('heading', { name: 'Save your recovery codes' }).waitFor();
    const blocked: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) blocked.push(message.text());
    });
    await page.getByRole('button', { name: /I have saved my codes/ }).click();
    // The continue post is answered by redirects to the app: form-action must allow its origin.
    await page.waitForURL((url) => url.href.startsWith(appCallback), { timeout: 5_000 }).catch(() => undefined);
    expect(blocked).toEqual([]);
    expect(page.url().startsWith(appCallback)).toBe(true);
    expect((await backAtApp(page, verifier)).acr).toBe('2');
    await context.close();
  }, 60_000);

  it('re-authenticating with a passkey (to remove a factor) returns to the account page, not to the login page again', async () => {
    const { context, page } = await newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true },
    });
    await page.goto(`${server.issuer}/account`);
    await enterPassword(page, users.frank);
    await page.getByRole('heading', { name: 'Your account' }).waitFor();
    await page.getByLabel('Name (optional)').fill('Laptop');
    await page.getByRole('button', { name: 'Add passkey' }).click();
    await page.getByRole('button', { name: 'I have saved my codes' }).click();
    await page.waitForURL(/notice=passkey-added/);

    // Later than mfa.recentAuthSeconds (600 s by default): removing asks to sign in again.
    clock.advance(601_000);
    await page.goto(`${server.issuer}/account`);
    await page.getByRole('button', { name: 'Remove Laptop' }).click();
    await page.getByRole('heading', { name: 'Confirm it’s you' }).waitFor();
    await page.getByRole('button', { name: 'Sign in again' }).click();
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await page.waitForURL((url) => url.pathname === '/account', { timeout: 5_000 }).catch(() => undefined);
    // What happens instead: the passkey counts as a second factor of the existing session, which
    // does not satisfy prompt=login, so the login page comes back.
    expect(await page.locator('h1').textContent()).toBe('Your account');
    expect(new URL(page.url()).pathname).toBe('/account');
    await page.getByRole('button', { name: 'Remove Laptop' }).click();
    await page.getByText('Removed.').waitFor();
    await context.close();
  }, 60_000);
});
