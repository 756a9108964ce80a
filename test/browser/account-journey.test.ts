/**
 * Issue 17 item 5 in real Chromium, against a listening server: a signed-in user changes their
 * email address (the code read from the development outbox) and the account page then shows it; a
 * user deletes their account and can no longer sign in. Each new or changed page is screenshotted
 * in light, dark and 375 px to /tmp/shots-accounts/ for review, and checked for sideways scrolling
 * at 375 px; the account page and a change page again in Arabic (right to left).
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeOutboxFlows, startOutboxFlow, waitForEmail, type OutboxFlow } from '../helpers/accounts.js';
import { FakeClock } from '../helpers/fake-clock.js';
import type { TestUser } from '../helpers/flow.js';
import type { TestServer } from '../helpers/server.js';
import { hasChromium, launchChromium } from './chromium.js';
import { reviewPage, serveOnLocalhost } from './page-review.js';

describe.skipIf(!hasChromium)('account page additions in Chromium', () => {
  let chromium: Browser;
  let flow: OutboxFlow;
  let server: TestServer;
  let users: Record<'alice' | 'bob', TestUser>;

  beforeAll(async () => {
    flow = await serveOnLocalhost((issuer) => startOutboxFlow({ issuer, clock: new FakeClock(Date.now()) }, { sms: true }));
    ({ server, users } = flow);
    chromium = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await chromium?.close();
    await closeOutboxFlows();
  });

  const shoot = (page: Page, name: string) => reviewPage(page, `account-${name}`);

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

    const { code } = await waitForEmail(flow.outbox, 'alice.new@example.com', 'email_change');
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

  it('in Arabic, chosen with the switcher: the account page and a change page are right to left and accessible', async () => {
    const context = await chromium.newContext({ viewport: { width: 1024, height: 800 } });
    const page = await context.newPage();
    await signInToAccount(page, users.alice);
    await page.locator('#language').selectOption('ar');
    await page.locator('form.language button').click();
    await page.getByRole('heading', { level: 1, name: 'حسابك' }).waitFor();
    expect(await page.evaluate(() => [document.documentElement.lang, document.documentElement.dir])).toEqual(['ar', 'rtl']);
    await shoot(page, 'page-ar');

    await page.getByRole('link', { name: 'لديّ رمز' }).click();
    await page.getByRole('heading', { level: 1, name: 'أكّد عنوان بريدك الإلكتروني الجديد' }).waitFor();
    await shoot(page, 'email-confirm-ar');
    await context.close();
  });
});
