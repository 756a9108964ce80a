/**
 * Sign-up (issue 17) in real Chromium, against a listening server: from a client's login page,
 * "Create an account", the form (its proof-of-work script runs for real), "Check your email", the
 * code from the development outbox, consent, and back at the client with a code whose ID token says
 * `email_verified`; then the emailed link from another browser; and the invitation-only page. Each
 * new page is screenshotted in light, dark and at 375 px to /tmp/shots-accounts/ for review, and
 * checked for sideways scrolling at 375 px.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeOutboxFlows, startOutboxFlow, waitForEmail, type OutboxFlow } from '../helpers/accounts.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { authorizeParams, authorizeUrl, expectTokens, pkce, readIdToken, redeemCode, registerFlowClient, type FlowClient } from '../helpers/flow.js';
import type { TestServerOptions } from '../helpers/server.js';
import { hasChromium, launchChromium } from './chromium.js';
import { newPage as openPage, reviewPage, serveOnLocalhost, startNotesApp } from './page-review.js';

const PASSWORD = 'violet kettle orbit lantern';

/** A flow with the development outbox, listening on localhost, on the real time (the proof of work is signed with it). */
const listening = (accounts: TestServerOptions['accounts']): Promise<OutboxFlow> =>
  serveOnLocalhost((issuer) => startOutboxFlow({ issuer, clock: new FakeClock(Date.now()), accounts }));

describe.skipIf(!hasChromium)('sign-up in Chromium', () => {
  let chromium: Browser;
  let open: OutboxFlow;
  let invite: OutboxFlow;
  let app: { callback: string; close(): void };
  let appCallback: string;
  let client: FlowClient;

  beforeAll(async () => {
    open = await listening({ signUp: 'open', proofOfWork: 5000 });
    invite = await listening({ signUp: 'invite' });
    app = await startNotesApp();
    appCallback = app.callback;
    client = await registerFlowClient(open.server, { name: 'Notes', redirectUris: [appCallback] });
    chromium = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await chromium?.close();
    app?.close();
    await closeOutboxFlows();
  });

  const newPage = () => openPage(chromium);
  const shoot = (page: Page, name: string) => reviewPage(page, `signup-${name}`);

  /** The `verify_email` message to `to`, waiting for it (it goes out after the answer). */
  const verificationEmail = (to: string) => waitForEmail(open.outbox, to, 'verify_email');

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
