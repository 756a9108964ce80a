/**
 * Issue 18 item 3's "Done when", in real Chromium against a listening server: an admin signs in
 * with a second factor (TOTP), creates a client, rotates its secret, finds a user, unlocks them,
 * revokes their sessions, resets their second factors, grants and revokes their admin role,
 * verifies the audit chain, and sees the dashboard's charts move after generated traffic; a
 * non-admin is refused every console page (403); an admin whose sign-in is no longer recent is
 * asked to sign in again for a dangerous action; the console in Arabic (issue 21) is right to left,
 * its nav mirrored. Every console page is reviewed (light, dark, 375 px, axe-core) into
 * /tmp/shots-admin/.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeOutboxFlows, RECENT_AUTH_SECONDS, settle, startOutboxFlow, type OutboxFlow } from '../helpers/accounts.js';
import { FakeClock } from '../helpers/fake-clock.js';
import type { TestUser } from '../helpers/flow.js';
import { factorContext, giveTotp, TOTP_STEP_MS, totpAt } from '../helpers/mfa.js';
import { hasChromium, launchChromium } from './chromium.js';
import { newPage, reviewPage, serveOnLocalhost } from './page-review.js';

const SHOTS = '/tmp/shots-admin';

describe.skipIf(!hasChromium)('admin console in Chromium', () => {
  let chromium: Browser;
  let flow: OutboxFlow;
  let totpSecret: string;

  beforeAll(async () => {
    flow = await serveOnLocalhost((issuer) => startOutboxFlow({ issuer, clock: new FakeClock(Date.now()) }));
    const { server, users, clock } = flow;
    await server.store.users.update({ ...users.alice.record, roles: ['admin'] });
    totpSecret = (await giveTotp(factorContext(server.store, clock), users.alice.record.id)).secret;
    clock.advance(TOTP_STEP_MS);
    chromium = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await chromium?.close();
    await closeOutboxFlows();
  });

  const shoot = (page: Page, name: string) => reviewPage(page, `admin-${name}`, SHOTS);
  const heading = (page: Page) => page.locator('h1').textContent();

  async function enterPassword(page: Page, user: TestUser, password = user.password): Promise<void> {
    await page.getByLabel('Username or email').fill(user.username);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  }

  async function enterTotp(page: Page): Promise<void> {
    await page.getByRole('heading', { name: 'Two-step verification' }).waitFor();
    flow.clock.advance(TOTP_STEP_MS);
    await page.getByLabel('Code from your authenticator app').fill(await totpAt(totpSecret, flow.clock.now()));
    await page
      .locator('form', { has: page.locator('#totp-code') })
      .getByRole('button', { name: 'Verify' })
      .click();
  }

  /** The total a chart shows for `series`. */
  const chartTotal = async (page: Page, series: string) => Number(await page.locator(`[data-series="${series}"]`).getAttribute('data-total'));

  it('an admin signs in with TOTP, manages a client and a user, verifies the audit chain and sees the charts move', async () => {
    const { server, users } = flow;
    // Bob is signed in somewhere: his session is what the admin revokes.
    const bob = await newPage(chromium);
    await bob.page.goto(`${server.issuer}/account`);
    await enterPassword(bob.page, users.bob);
    await bob.page.waitForURL(/\/account$/);

    const { context, page, violations } = await newPage(chromium);
    await page.goto(`${server.issuer}/admin`);
    await enterPassword(page, users.alice);
    await enterTotp(page);
    await page.waitForURL(/\/admin$/);
    expect(await heading(page)).toBe('Dashboard');
    await page.getByRole('link', { name: 'Last hour' }).click();
    await page.waitForURL(/range=hour/);
    const failuresBefore = await chartTotal(page, 'failures');
    const signInsBefore = await chartTotal(page, 'signIns');
    await shoot(page, 'dashboard');

    // A client: registered, its secret shown once, then rotated after a confirmation.
    await page.getByRole('link', { name: 'Clients', exact: true }).click();
    await shoot(page, 'clients');
    await page.getByRole('link', { name: 'Register a client' }).click();
    await page.getByLabel('Name').fill('Shop');
    await page.getByLabel('Redirect URIs').fill('https://shop.example.com/callback');
    await shoot(page, 'client-new');
    await page.getByRole('button', { name: 'Register' }).click();
    const firstSecret = await page.locator('[data-client-secret]').textContent();
    expect(firstSecret).toMatch(/^[\w-]{40,}$/);
    await shoot(page, 'client-secret');
    await page.getByRole('link', { name: 'Go to the client' }).click();
    expect(await heading(page)).toBe('Shop');
    await shoot(page, 'client');
    await page.getByRole('button', { name: 'Rotate secret' }).click();
    expect(await heading(page)).toBe('Rotate the secret of Shop?');
    await shoot(page, 'confirm');
    await page.getByRole('button', { name: 'Rotate secret' }).click();
    const secondSecret = await page.locator('[data-client-secret]').textContent();
    expect(secondSecret).toMatch(/^[\w-]{40,}$/);
    expect(secondSecret).not.toBe(firstSecret);

    // A user: found, unlocked, signed out everywhere.
    await page.getByRole('link', { name: 'Users', exact: true }).click();
    await page.getByLabel('Find a user by username, email or ID').fill('bob@example.com');
    await page.getByRole('button', { name: 'Find' }).click();
    await shoot(page, 'users');
    await page.getByRole('link', { name: 'bob', exact: true }).click();
    expect(await heading(page)).toBe('bob');
    await shoot(page, 'user');
    await page.getByRole('button', { name: 'Unlock sign-in' }).click();
    expect(await page.locator('#admin-notice').textContent()).toContain('Sign-in unlocked');
    await page.getByRole('button', { name: 'Sign out everywhere' }).click();
    expect(await heading(page)).toBe('Sign bob out everywhere?');
    await page.getByRole('button', { name: 'Sign out everywhere' }).click();
    expect(await page.locator('#admin-notice').textContent()).toContain('Signed out everywhere');
    // Reset his second factors and make him an admin, each confirmed.
    await page.getByRole('button', { name: 'Reset second factors' }).click();
    expect(await heading(page)).toBe('Reset the second factors of bob?');
    await page.getByRole('button', { name: 'Reset second factors' }).click();
    expect(await page.locator('#admin-notice').textContent()).toContain('Second factors removed');
    await page.getByRole('button', { name: 'Grant admin role' }).click();
    expect(await heading(page)).toBe('Make bob an admin?');
    await shoot(page, 'confirm-role');
    await page.getByRole('button', { name: 'Grant admin role' }).click();
    expect(await page.locator('#admin-notice').textContent()).toContain('now holds the admin role');
    await shoot(page, 'user-after');
    // And not any more (the next test needs bob without the role).
    await page.getByRole('button', { name: 'Remove admin role' }).click();
    expect(await heading(page)).toBe('Remove the admin role of bob?');
    await page.getByRole('button', { name: 'Remove admin role' }).click();
    expect(await page.locator('#admin-notice').textContent()).toContain('no longer holds the admin role');
    await page.getByRole('link', { name: 'Audit events' }).click();
    await expect.poll(() => page.locator('tbody code', { hasText: 'login.succeeded' }).count()).toBeGreaterThan(0);
    await shoot(page, 'audit-user');
    await bob.page.goto(`${server.issuer}/account`);
    await bob.page.getByLabel('Username or email').waitFor();
    await bob.context.close();

    // Keys, then the audit log and its chain.
    await page.getByRole('link', { name: 'Signing keys' }).click();
    await shoot(page, 'keys');
    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.getByLabel('User').fill('alice');
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect.poll(() => page.locator('tbody code', { hasText: 'admin.client_secret_rotated' }).count()).toBe(1);
    await page.getByRole('link', { name: 'Verify chain' }).click();
    expect(await page.locator('#verification').textContent()).toContain('The chain is intact');
    await shoot(page, 'audit');

    // Traffic: a wrong password and a sign-in elsewhere; the charts count them.
    const other = await newPage(chromium);
    await other.page.goto(`${server.issuer}/account`);
    await enterPassword(other.page, users.bob, 'not the password');
    await other.page.locator('.alert').first().waitFor();
    await enterPassword(other.page, users.bob);
    await other.page.waitForURL(/\/account$/);
    await other.context.close();
    await settle();
    flow.clock.advance(1000);
    await page.goto(`${server.issuer}/admin?range=hour`);
    expect(await chartTotal(page, 'failures')).toBe(failuresBefore + 1);
    expect(await chartTotal(page, 'signIns')).toBe(signInsBefore + 1);
    expect(violations).toEqual([]);
    await context.close();
  }, 180_000);

  it('a non-admin is refused every console page (403)', async () => {
    const { server, users } = flow;
    const { context, page } = await newPage(chromium);
    await page.goto(`${server.issuer}/account`);
    await enterPassword(page, users.bob);
    await page.waitForURL(/\/account$/);
    for (const path of [
      '/admin',
      '/admin/clients',
      '/admin/clients/new',
      `/admin/clients/${flow.client.clientId}`,
      '/admin/users',
      `/admin/users/${users.alice.record.id}`,
      '/admin/keys',
      '/admin/audit',
      '/admin/audit/verify',
    ]) {
      const response = await page.goto(`${server.issuer}${path}`);
      expect(response?.status(), path).toBe(403);
      expect(await heading(page), path).toBe('Not allowed');
    }
    await shoot(page, 'refused');
    await context.close();
  }, 60_000);

  it('an admin whose sign-in is no longer recent is asked to sign in again before a dangerous action', async () => {
    const { server, users } = flow;
    const { context, page } = await newPage(chromium);
    await page.goto(`${server.issuer}/admin/keys`);
    await enterPassword(page, users.alice);
    await enterTotp(page);
    await page.waitForURL(/\/admin$/);
    flow.clock.advance((RECENT_AUTH_SECONDS + 60) * 1000);
    await page.goto(`${server.issuer}/admin/keys`);
    await page.getByRole('button', { name: 'Rotate signing keys' }).click();
    expect(await heading(page)).toBe('Confirm it’s you');
    expect(await page.locator('.lead').textContent()).toBe('To rotate the signing keys, please sign in again first.');
    await shoot(page, 'reauth');
    await page.getByRole('button', { name: 'Sign in again' }).click();
    await enterPassword(page, users.alice);
    await enterTotp(page);
    await page.waitForURL(/\/admin$/);
    await page.goto(`${server.issuer}/admin/keys`);
    await page.getByRole('button', { name: 'Rotate signing keys' }).click();
    expect(await heading(page)).toBe('Rotate the signing keys?');
    await context.close();
  }, 60_000);

  it('the console in Arabic, picked with the switcher: right to left, the nav mirrored, and accessible', async () => {
    const { server, users } = flow;
    const { context, page, violations } = await newPage(chromium);
    await page.goto(`${server.issuer}/admin`);
    await enterPassword(page, users.alice);
    await enterTotp(page);
    await page.waitForURL(/\/admin$/);
    await page.locator('form.language select').selectOption('ar');
    await page.locator('form.language button').click();
    await page.getByRole('heading', { name: 'نظرة عامة' }).waitFor();
    expect(await page.evaluate(() => [document.documentElement.lang, document.documentElement.dir])).toEqual(['ar', 'rtl']);
    // Mirrored: the nav starts at the right edge, its first link right of its last.
    const nav = page.getByRole('navigation', { name: 'لوحة الإدارة' }).getByRole('link');
    const first = await nav.first().boundingBox();
    const last = await nav.last().boundingBox();
    expect(first!.x).toBeGreaterThan(last!.x);
    await shoot(page, 'ar-dashboard');
    await nav.filter({ hasText: 'المستخدمون' }).click();
    await page.getByRole('heading', { name: 'المستخدمون' }).waitFor();
    await shoot(page, 'ar-users');
    await page.getByRole('link', { name: 'bob', exact: true }).click();
    await page.getByRole('heading', { name: 'bob' }).waitFor();
    await shoot(page, 'ar-user');
    expect(violations).toEqual([]);
    await context.close();
  }, 90_000);
});
