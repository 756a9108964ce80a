/**
 * Issue 17 item 5 in real Chromium, against a listening server: a signed-in user changes their
 * email address (the code read from the development outbox) and the account page then shows it; a
 * user deletes their account and can no longer sign in. Each new or changed page is screenshotted
 * in light, dark and 375 px to /tmp/shots-accounts/ for review, and checked for sideways scrolling
 * at 375 px.
 */
import { serve, type ServerType } from '@hono/node-server';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDevOutboxSender } from '../../src/server/mfa/senders/index.js';
import { outboxEntry } from '../helpers/account.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { seedUsers, type TestUser } from '../helpers/flow.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { hasChromium, launchChromium } from './chromium.js';

const SHOTS = '/tmp/shots-accounts';

describe.skipIf(!hasChromium)('account page additions in Chromium', () => {
  let chromium: Browser;
  let http: ServerType;
  let server: TestServer;
  let users: Record<'alice' | 'bob', TestUser>;
  let dir: string;
  let outbox: string;

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
    dir = mkdtempSync(join(tmpdir(), 'gh-account-journey-'));
    outbox = join(dir, 'outbox.jsonl');
    const sender = createDevOutboxSender({ file: outbox, log: () => undefined });
    server = await startServer({ issuer: `http://localhost:${port}`, clock: new FakeClock(Date.now()), mfa: { senders: { email: sender, sms: sender } } });
    users = await seedUsers(server.store);
    mkdirSync(SHOTS, { recursive: true });
    chromium = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await chromium?.close();
    http?.close();
    await server?.server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Light and dark at 1024 px and at 375 px (where nothing may scroll sideways). */
  async function shoot(page: Page, name: string): Promise<void> {
    await page.mouse.move(0, 0);
    for (const [width, label] of [
      [1024, ''],
      [375, '-375'],
    ] as const) {
      await page.setViewportSize({ width, height: width === 375 ? 740 : 800 });
      for (const scheme of ['light', 'dark'] as const) {
        await page.emulateMedia({ colorScheme: scheme, reducedMotion: 'reduce' });
        await page.screenshot({ path: `${SHOTS}/account-${name}${label}-${scheme}.png`, fullPage: true });
      }
      if (width === 375) expect(await page.evaluate(() => document.documentElement.scrollWidth), `${name} scrolls sideways at 375 px`).toBeLessThanOrEqual(375);
    }
    await page.setViewportSize({ width: 1024, height: 800 });
    await page.emulateMedia({ colorScheme: 'light', reducedMotion: 'no-preference' });
  }

  async function signInToAccount(page: Page, user: TestUser): Promise<void> {
    await page.goto(`${server.issuer}/account`);
    await page.getByLabel('Username or email').fill(user.username);
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.waitForURL(/\/account/);
  }

  it('changes the email address with the code from the outbox; the account page then shows the new address', async () => {
    const context = await chromium.newContext({ viewport: { width: 1024, height: 800 } });
    const page = await context.newPage();
    await signInToAccount(page, users.alice);
    expect(await page.locator('h1').textContent()).toBe('Your account');
    await shoot(page, 'page');

    await page.getByLabel('New email address').fill('alice.new@example.com');
    await page.locator('#email-heading ~ ul').getByRole('button', { name: 'Send code' }).click();
    await page.waitForURL(/\/account\/email$/);
    expect(await page.locator('h1').textContent()).toBe('Confirm your new email address');
    await shoot(page, 'email-confirm');

    const { code } = await outboxEntry(outbox, 'email_change');
    await page.getByLabel('Code').fill(code);
    await page.getByRole('button', { name: 'Confirm new address' }).click();
    await page.waitForURL(/\/account\?notice=email-changed/);
    expect(await page.locator('#account-notice').textContent()).toContain('Your email address is changed.');
    expect(await page.locator('#email-heading ~ ul .row-title').first().textContent()).toContain('alice.new@example.com');
    await context.close();
  });

  it('deletes the account: confirmation page, deleted page, and signing in again fails', async () => {
    const context = await chromium.newContext({ viewport: { width: 1024, height: 800 } });
    const page = await context.newPage();
    await signInToAccount(page, users.bob);
    await page.getByRole('link', { name: 'Delete my account…' }).click();
    await page.waitForURL(/\/account\/delete$/);
    expect(await page.locator('h1').textContent()).toBe('Delete your account?');
    await shoot(page, 'delete-confirm');

    await page.getByLabel('Confirm').fill('DELETE');
    await page.getByLabel('Current password').fill(users.bob.password);
    await page.getByRole('button', { name: 'Delete my account' }).click();
    await page.waitForURL(/\/account\/delete$/);
    expect(await page.locator('h1').textContent()).toBe('Your account is deleted');
    await shoot(page, 'deleted');
    expect(await server.store.users.get(users.bob.record.id)).toBeUndefined();

    await page.goto(`${server.issuer}/account`);
    await page.getByLabel('Username or email').fill(users.bob.username);
    await page.getByLabel('Password').fill(users.bob.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByText('The username or password is incorrect.').waitFor();
    await context.close();
  });
});
