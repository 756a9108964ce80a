/**
 * Sign-up (issue 17) in real Chromium, against a listening server: from a client's login page,
 * "Create an account", the form (its proof-of-work script runs for real), "Check your email", the
 * code from the development outbox, consent, and back at the client with a code whose ID token says
 * `email_verified`; then the emailed link from another browser; and the invitation-only page. Each
 * new page is screenshotted in light, dark and at 375 px to /tmp/shots-accounts/ for review, and
 * checked for sideways scrolling at 375 px.
 */
import { serve, type ServerType } from '@hono/node-server';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDevOutboxSender, readOutbox, type OutboxEntry } from '../../src/server/mfa/senders/dev-outbox.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { authorizeParams, authorizeUrl, expectTokens, pkce, readIdToken, redeemCode, registerFlowClient, type FlowClient } from '../helpers/flow.js';
import { startServer, type TestServer, type TestServerOptions } from '../helpers/server.js';
import { hasChromium, launchChromium } from './chromium.js';

const SHOTS = '/tmp/shots-accounts';
const PASSWORD = 'violet kettle orbit lantern';

/** A test server listening on localhost (port 0), its issuer naming that port. */
async function listening(options: TestServerOptions): Promise<{ server: TestServer; http: ServerType }> {
  // Filled in once the port is known: the handler is built before the server it calls.
  const target: { server?: TestServer } = {};
  let http: ServerType | undefined;
  const port = await new Promise<number>((resolve) => {
    http = serve(
      {
        fetch: (request: Request, env: unknown) => target.server!.server.fetch(request, env as Parameters<TestServer['server']['fetch']>[1]),
        port: 0,
        hostname: 'localhost',
      },
      (info) => resolve(info.port),
    );
  });
  target.server = await startServer({ ...options, issuer: `http://localhost:${port}` });
  return { server: target.server, http: http! };
}

describe.skipIf(!hasChromium)('sign-up in Chromium', () => {
  let chromium: Browser;
  let open: { server: TestServer; http: ServerType };
  let invite: { server: TestServer; http: ServerType };
  let appServer: Server;
  let appCallback: string;
  let client: FlowClient;
  let dir: string;
  let outbox: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gh-signup-browser-'));
    outbox = join(dir, 'outbox.jsonl');
    const email = createDevOutboxSender({ file: outbox, log: () => undefined });
    open = await listening({ clock: new FakeClock(Date.now()), mfa: { senders: { email } }, accounts: { signUp: 'open', proofOfWork: 5000 } });
    invite = await listening({ clock: new FakeClock(Date.now()), mfa: { senders: { email } }, accounts: { signUp: 'invite' } });
    appServer = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      response.end('<!doctype html><title>Notes</title><h1>Back at Notes</h1>');
    });
    await new Promise<void>((resolve) => appServer.listen(0, 'localhost', resolve));
    appCallback = `http://localhost:${(appServer.address() as AddressInfo).port}/callback`;
    client = await registerFlowClient(open.server, { name: 'Notes', redirectUris: [appCallback] });
    mkdirSync(SHOTS, { recursive: true });
    chromium = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await chromium?.close();
    open?.http.close();
    invite?.http.close();
    appServer?.close();
    await open?.server.server.close();
    await invite?.server.server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function newPage(): Promise<{ context: BrowserContext; page: Page; violations: string[] }> {
    const context = await chromium.newContext({ viewport: { width: 1024, height: 800 } });
    const page = await context.newPage();
    const violations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
    });
    return { context, page, violations };
  }

  /** Light and dark at 1024 px, and light and dark at 375 px (where nothing may scroll sideways). */
  async function shoot(page: Page, name: string): Promise<void> {
    await page.mouse.move(0, 0);
    for (const [width, label] of [
      [1024, ''],
      [375, '-375'],
    ] as const) {
      await page.setViewportSize({ width, height: width === 375 ? 740 : 800 });
      for (const scheme of ['light', 'dark'] as const) {
        await page.emulateMedia({ colorScheme: scheme, reducedMotion: 'reduce' });
        await page.screenshot({ path: `${SHOTS}/signup-${name}${label}-${scheme}.png`, fullPage: true });
      }
      if (width === 375) expect(await page.evaluate(() => document.documentElement.scrollWidth), `${name} scrolls sideways at 375 px`).toBeLessThanOrEqual(375);
    }
    await page.setViewportSize({ width: 1024, height: 800 });
    await page.emulateMedia({ colorScheme: 'light', reducedMotion: 'no-preference' });
  }

  /** The newest `verify_email` message to `to`, waiting for it (it goes out after the answer). */
  async function verificationEmail(to: string): Promise<OutboxEntry> {
    for (let i = 0; i < 250; i += 1) {
      const entry = (await readOutbox(outbox)).findLast((candidate) => candidate.to === to && candidate.purpose === 'verify_email');
      if (entry) return entry;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`no verification email to ${to}`);
  }

  async function fillSignUp(page: Page, email: string, name: string): Promise<void> {
    await page.getByLabel('Email address').fill(email);
    await page.getByLabel('Name', { exact: true }).fill(name);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  }

  it('from the login page to the client with a code, through the form, the proof of work and the emailed code', async () => {
    const { context, page, violations } = await newPage();
    const { verifier, challenge } = pkce();
    await page.goto(authorizeUrl(open.server, authorizeParams(client, challenge, { scope: 'openid email' })));
    await page.getByRole('link', { name: 'Create an account' }).click();
    await page.getByRole('heading', { name: 'Create your account' }).waitFor();
    await shoot(page, 'form');

    // A refused form: the alert, focusable, the fields pointing at it, the address kept.
    await fillSignUp(page, 'nina@example.com', 'Nina Simone');
    await page.getByLabel('Password', { exact: true }).fill('password1');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toMatch(/too easy to guess/);
    expect(await page.getByLabel('Email address').inputValue()).toBe('nina@example.com');
    await shoot(page, 'form-error');

    await page.getByLabel('Name', { exact: true }).fill('Nina Simone');
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('heading', { name: 'Check your email' }).waitFor();
    expect(await page.locator('.lead strong').textContent()).toBe('n•••@example.com');
    await shoot(page, 'verify');

    const email = await verificationEmail('nina@example.com');
    await page.getByLabel('Code from the email').fill(email.code);
    await page.getByRole('button', { name: 'Confirm email address' }).click();
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL((url) => url.href.startsWith(appCallback));
    const code = new URL(page.url()).searchParams.get('code')!;
    const tokens = await expectTokens(await redeemCode(open.server, client, code, verifier));
    expect(readIdToken(tokens.id_token!).claims).toMatchObject({ email: 'nina@example.com', email_verified: true });
    expect(violations).toEqual([]);
    await context.close();
  }, 90_000);

  it('the emailed link, opened in another browser, confirms the address; the first tab can then sign in', async () => {
    const first = await newPage();
    await first.page.goto(`${open.server.issuer}/signup`);
    await fillSignUp(first.page, 'omar@example.com', 'Omar Little');
    await first.page.getByRole('button', { name: 'Create account' }).click();
    await first.page.getByRole('heading', { name: 'Check your email' }).waitFor();
    const email = await verificationEmail('omar@example.com');

    const other = await newPage();
    await other.page.goto(email.link!);
    await other.page.getByRole('heading', { name: 'Confirm your email address' }).waitFor();
    await shoot(other.page, 'confirm-link');
    await other.page.getByRole('button', { name: 'Confirm my email address' }).click();
    await other.page.getByRole('heading', { name: 'Email confirmed' }).waitFor();
    await shoot(other.page, 'confirmed');
    expect((await open.server.store.users.findByLogin('omar@example.com'))?.emailVerified).toBe(true);

    await first.page.getByRole('link', { name: 'Sign in instead' }).click();
    await first.page.getByLabel('Username or email').fill('omar@example.com');
    await first.page.getByLabel('Password').fill(PASSWORD);
    await first.page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await first.page.getByRole('heading', { name: 'Your account' }).waitFor();
    expect([...first.violations, ...other.violations]).toEqual([]);
    await first.context.close();
    await other.context.close();
  }, 90_000);

  it('sign-up by invitation only says so, with the way back to sign in', async () => {
    const { context, page } = await newPage();
    await page.goto(`${invite.server.issuer}/signup`);
    await page.getByRole('heading', { name: 'Sign-up is by invitation' }).waitFor();
    await shoot(page, 'invitation-only');
    await page.getByRole('link', { name: 'Back to sign in' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await context.close();
  }, 60_000);
});
