/**
 * Issue 17 items 6 and 8 in real Chromium, against a listening server (in-process,
 * `@hono/node-server`): an operator invites an address (`inviteUser`, what `gatehouse users
 * invite` calls), the person opens the link from the development outbox, tries a weak password
 * (the policy's reason shows), sets a good one, reaches "Your account is ready", and signs in to
 * an application with it (code, then tokens). The invitation pages are screenshotted in light,
 * dark and 375 px (never scrolling sideways), and every account email's HTML is rendered and
 * screenshotted too, to /tmp/shots-accounts/ for review.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMAIL_TEMPLATES } from '../../src/server/accounts/email-templates.js';
import { renderAccountEmail } from '../../src/server/accounts/emails.js';
import { inviteUser, type InvitationContext } from '../../src/server/accounts/invitations.js';
import { resolveOptions } from '../../src/server/options.js';
import { englishMessages } from '../../src/ui/i18n/index.js';
import { closeOutboxFlows, invitationContext, startOutboxFlow, waitForEmail, type OutboxFlow } from '../helpers/accounts.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { authorizeParams, authorizeUrl, expectTokens, pkce, redeemCode, registerFlowClient, type FlowClient } from '../helpers/flow.js';
import { SECRET, type TestServer } from '../helpers/server.js';
import { hasChromium, launchChromium } from './chromium.js';
import { newPage, reviewPage, serveOnLocalhost, startNotesApp } from './page-review.js';

const PASSWORD = 'violet kettle harbour 1987 marmalade';

describe.skipIf(!hasChromium)('an invitation in Chromium', () => {
  let chromium: Browser;
  let flow: OutboxFlow;
  let app: { callback: string; close(): void };
  let server: TestServer;
  let ctx: InvitationContext;
  let client: FlowClient;

  beforeAll(async () => {
    flow = await serveOnLocalhost((issuer) => startOutboxFlow({ issuer, clock: new FakeClock(Date.now()), accounts: { signUp: 'invite' } }));
    server = flow.server;
    ctx = invitationContext(server, flow.outbox, { signUp: 'invite' });
    app = await startNotesApp();
    client = await registerFlowClient(server, { name: 'Notes', redirectUris: [app.callback] });
    chromium = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await chromium?.close();
    app?.close();
    await closeOutboxFlows();
  });

  const shoot = (page: Page, name: string) => reviewPage(page, name);

  it('invited, sets a password (a weak one first), account ready, then signs in to an application: code, tokens', async () => {
    await inviteUser(ctx, { email: 'margaret@example.com', name: 'Margaret Hamilton' }, { requireEmail: true });
    const link = (await waitForEmail(flow.outbox, 'margaret@example.com', 'invitation')).link!;
    const { context, page, violations } = await newPage(chromium);

    await page.goto(link);
    await page.getByRole('heading', { name: 'Set your password' }).waitFor();
    expect(await page.locator('.lead').textContent()).toContain('margaret@example.com');
    expect(await page.getByLabel('Your name').inputValue()).toBe('Margaret Hamilton');
    await shoot(page, 'invite-form');

    await page.getByLabel('New password').fill('password123');
    await page.getByRole('button', { name: 'Create my account' }).click();
    await page.locator('#invitation-error').waitFor();
    expect(await page.locator('#invitation-error').textContent()).toMatch(/too easy to guess/);
    expect(await page.getByLabel('Your name').inputValue()).toBe('Margaret Hamilton');
    await shoot(page, 'invite-error');

    await page.getByLabel('New password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create my account' }).click();
    await page.getByRole('heading', { name: 'Your account is ready' }).waitFor();
    await shoot(page, 'invite-ready');

    // The link is spent: opening it again says so.
    await page.goto(link);
    await page.getByRole('heading', { name: 'This invitation link no longer works' }).waitFor();
    await shoot(page, 'invite-invalid');

    const { verifier, challenge } = pkce();
    await page.goto(authorizeUrl(server, authorizeParams(client, challenge, { scope: 'openid email profile' })));
    await page.getByLabel('Username or email').fill('margaret@example.com');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL((url) => url.pathname === '/callback');
    const code = new URL(page.url()).searchParams.get('code')!;
    const tokens = await expectTokens(await redeemCode(server, client, code, verifier));
    expect(tokens.access_token).toEqual(expect.any(String));
    expect(tokens.id_token).toEqual(expect.any(String));
    expect(violations).toEqual([]);
    await context.close();
  }, 90_000);

  it('every account email renders as a readable card, light and dark, without sideways scrolling at 375 px', async () => {
    const emailCtx = {
      config: resolveOptions({ issuer: server.issuer, secret: SECRET, store: server.store, branding: { productName: 'Acme ID', primaryColor: '#0b6e4f' } }),
    };
    const vars = {
      name: 'Margaret',
      link: `${server.issuer}/invitation?token=${'x'.repeat(43)}`,
      code: '482915',
      expiresIn: 7 * 86_400,
      detail: 'a passkey',
      newEmail: 'maggie@example.org',
    };
    const context = await chromium.newContext({ viewport: { width: 1024, height: 800 } });
    const page = await context.newPage();
    for (const template of EMAIL_TEMPLATES) {
      await page.setContent(renderAccountEmail(emailCtx, { to: 'margaret@example.com', template, i18n: englishMessages(), vars }).html);
      await shoot(page, `email-${template}`);
    }
    // Right to left: the card mirrored.
    const arabic = emailCtx.config.languages.messages.translator('ar');
    await page.setContent(renderAccountEmail(emailCtx, { to: 'margaret@example.com', template: 'verify_email', i18n: arabic, vars }).html);
    await shoot(page, 'email-verify_email-ar');
    await context.close();
  }, 90_000);
});
