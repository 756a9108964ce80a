/**
 * Issue 17 items 6 and 8 in real Chromium, against a listening server (in-process,
 * `@hono/node-server`): an operator invites an address (`inviteUser`, what `gatehouse users
 * invite` calls), the person opens the link from the development outbox, tries a weak password
 * (the policy's reason shows), sets a good one, reaches "Your account is ready", and signs in to
 * an application with it (code, then tokens). The invitation pages are screenshotted in light,
 * dark and 375 px (never scrolling sideways), and every account email's HTML is rendered and
 * screenshotted too, to /tmp/shots-accounts/ for review.
 */
import { serve, type ServerType } from '@hono/node-server';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/logger.js';
import { EMAIL_TEMPLATES } from '../../src/server/accounts/email-templates.js';
import { renderAccountEmail } from '../../src/server/accounts/emails.js';
import { inviteUser, type InvitationContext } from '../../src/server/accounts/invitations.js';
import { createAuditLog } from '../../src/server/audit/audit-log.js';
import { createDevOutboxSender, readOutbox } from '../../src/server/mfa/senders/dev-outbox.js';
import { resolveOptions } from '../../src/server/options.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { authorizeParams, authorizeUrl, expectTokens, pkce, redeemCode, registerFlowClient, type FlowClient } from '../helpers/flow.js';
import { SECRET, startServer, type TestServer } from '../helpers/server.js';
import { hasChromium, launchChromium } from './chromium.js';

const SHOTS = '/tmp/shots-accounts';
const PASSWORD = 'violet kettle harbour 1987 marmalade';

describe.skipIf(!hasChromium)('an invitation in Chromium', () => {
  let chromium: Browser;
  let http: ServerType;
  let appServer: Server;
  let server: TestServer;
  let ctx: InvitationContext;
  let client: FlowClient;
  let outbox: string;
  let dir: string;

  beforeAll(async () => {
    const port = await new Promise<number>((resolve) => {
      http = serve(
        {
          fetch: (request: Request, env: unknown) => server.server.fetch(request, env as Parameters<TestServer['server']['fetch']>[1]),
          port: 0,
          hostname: 'localhost',
        },
        (info) => resolve(info.port),
      );
    });
    dir = mkdtempSync(join(tmpdir(), 'gh-invite-browser-'));
    outbox = join(dir, 'outbox.jsonl');
    const clock = new FakeClock(Date.now());
    const issuer = `http://localhost:${port}`;
    const options = { mfa: { senders: { email: createDevOutboxSender({ file: outbox, log: () => undefined }) } }, accounts: { signUp: 'invite' as const } };
    server = await startServer({ issuer, clock, ...options });
    const config = resolveOptions({ issuer, secret: SECRET, store: server.store, ...options });
    ctx = {
      store: server.store,
      clock,
      secrets: server.secretKeys,
      config,
      audit: createAuditLog({ store: server.store, secretKeys: server.secretKeys, logger: silentLogger(), clock }),
    };
    appServer = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      response.end('<!doctype html><title>Notes</title><h1>Back at Notes</h1>');
    });
    await new Promise<void>((resolve) => appServer.listen(0, 'localhost', resolve));
    client = await registerFlowClient(server, { name: 'Notes', redirectUris: [`http://localhost:${(appServer.address() as AddressInfo).port}/callback`] });
    mkdirSync(SHOTS, { recursive: true });
    chromium = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await chromium?.close();
    http?.close();
    appServer?.close();
    await server?.server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Light and dark at 1024 px, and at 375 px, where nothing may scroll sideways. */
  async function shoot(page: Page, name: string): Promise<void> {
    await page.mouse.move(0, 0);
    for (const [width, label] of [
      [1024, ''],
      [375, '-375'],
    ] as const) {
      await page.setViewportSize({ width, height: width === 375 ? 740 : 800 });
      for (const scheme of ['light', 'dark'] as const) {
        await page.emulateMedia({ colorScheme: scheme, reducedMotion: 'reduce' });
        await page.screenshot({ path: `${SHOTS}/${name}${label}-${scheme}.png`, fullPage: true });
      }
      if (width === 375) expect(await page.evaluate(() => document.documentElement.scrollWidth), `${name} scrolls sideways at 375 px`).toBeLessThanOrEqual(375);
    }
    await page.setViewportSize({ width: 1024, height: 800 });
    await page.emulateMedia({ colorScheme: 'light', reducedMotion: 'no-preference' });
  }

  it('invited, sets a password (a weak one first), account ready, then signs in to an application: code, tokens', async () => {
    await inviteUser(ctx, { email: 'margaret@example.com', name: 'Margaret Hamilton' }, { requireEmail: true });
    const link = (await readOutbox(outbox)).find((mail) => mail.to === 'margaret@example.com' && mail.purpose === 'invitation')!.link!;
    const context = await chromium.newContext({ viewport: { width: 1024, height: 800 } });
    const page = await context.newPage();
    const violations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
    });

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
      expiresIn: '7 days',
      detail: 'a passkey',
      newEmail: 'maggie@example.org',
    };
    const context = await chromium.newContext({ viewport: { width: 1024, height: 800 } });
    const page = await context.newPage();
    for (const template of EMAIL_TEMPLATES) {
      await page.setContent(renderAccountEmail(emailCtx, template, vars, 'margaret@example.com').html);
      await shoot(page, `email-${template}`);
    }
    await context.close();
  }, 90_000);
});
