/**
 * The reference app's unhappy paths in Chromium: Cancel on Gatehouse's consent page, an old or
 * forged callback, an unknown path. Each ends on a styled page of the app that says what happened
 * and links back, never a plain-text 400. Screenshots (light, dark, 375 px) go to $TMPDIR/gatehouse-shots/reference-app.
 */
import { serve, type ServerType } from '@hono/node-server';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReferenceApp } from '../../examples/reference-app/app.js';
import { registerClient } from '../../src/server/admin/clients.js';
import { createUser } from '../../src/server/admin/users.js';
import { createAuthorizationServer, type AuthorizationServer } from '../../src/server/authorization-server.js';
import { SecretKeys } from '../../src/core/secret.js';
import { createMemoryStore } from '../../src/stores/memory/index.js';
import { freePort } from '../helpers/ports.js';
import { hasChromium, launchChromium } from './chromium.js';

const SECRET = 'reference-app-unhappy-secret-0123456789';
const SHOTS = join(tmpdir(), 'gatehouse-shots', 'reference-app');

describe.skipIf(!hasChromium)('reference app: unhappy paths in Chromium', () => {
  let gatehouse: AuthorizationServer;
  let servers: ServerType[] = [];
  let browser: Browser;
  let app: string;

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    const [port, appPort] = [await freePort(), await freePort()];
    const issuer = `http://127.0.0.1:${port}`;
    app = `http://127.0.0.1:${appPort}`;
    const store = createMemoryStore();
    gatehouse = createAuthorizationServer({ issuer, store, secret: SECRET, logger: false });
    await gatehouse.ready();
    const { client, clientSecret } = await registerClient(
      store,
      new SecretKeys(SECRET),
      {
        name: 'Notes',
        redirectUris: [`${app}/authorize`],
        postLogoutRedirectUris: [`${app}/`],
        scope: 'openid profile email offline_access notes:read',
        resources: [`${app}/api`],
      },
      Date.now(),
    );
    await createUser(store, { username: 'demo', email: 'demo@example.com', name: 'Demo User', password: 'demo-password-123' }, Date.now());
    const reference = createReferenceApp({
      issuer,
      appUrl: app,
      clientId: client.clientId,
      clientSecret: clientSecret!,
      sessionSecret: 's'.repeat(40),
      allowInsecureRequests: true,
    });
    servers = [
      serve({ fetch: (request, env) => gatehouse.fetch(request, env), port, hostname: '127.0.0.1' }),
      serve({ fetch: reference.fetch, port: appPort, hostname: '127.0.0.1' }),
    ];
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    for (const server of servers) server.close();
    await gatehouse?.close();
  });

  async function shoot(page: Page, name: string): Promise<void> {
    for (const [variant, options] of [
      ['light', { colorScheme: 'light', width: 1000 }],
      ['dark', { colorScheme: 'dark', width: 1000 }],
      ['375', { colorScheme: 'light', width: 375 }],
    ] as const) {
      await page.emulateMedia({ colorScheme: options.colorScheme });
      await page.setViewportSize({ width: options.width, height: 700 });
      await page.screenshot({ path: join(SHOTS, `${name}-${variant}.png`), fullPage: true });
    }
  }

  it('Cancel on the consent page: the app says the sign-in was cancelled, with a way to try again', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(app);
    await page.getByRole('link', { name: 'Sign in with Gatehouse' }).click();
    await page.getByLabel('Username or email').fill('demo');
    await page.getByLabel('Password').fill('demo-password-123');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.waitForURL((url) => url.href.startsWith(`${app}/authorize`));
    await expect.poll(() => page.locator('h1').textContent()).toBe('Not signed in');
    expect(await page.locator('#reason').textContent()).toContain('You cancelled signing in');
    await expect.poll(() => page.getByRole('link', { name: 'Try again' }).count()).toBe(1);
    await shoot(page, 'cancelled');
    await context.close();
  }, 60_000);

  it('an old, forged or replayed callback: a page saying to start again, status 400, not plain text', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const response = await page.goto(`${app}/authorize?code=forged&state=forged&iss=${encodeURIComponent('http://evil.example')}`);
    expect(response?.status()).toBe(400);
    expect(response?.headers()['content-type']).toContain('text/html');
    expect(await page.locator('#reason').textContent()).toContain('Start again from here');
    await shoot(page, 'stale-callback');
    const providerError = await page.goto(`${app}/authorize?error=server_error&error_description=${encodeURIComponent('<script>alert(1)</script>')}&state=x`);
    expect(providerError?.status()).toBe(400);
    expect(await page.content()).not.toContain('<script>alert(1)</script>');
    await context.close();
  });

  it('an unknown path: a page of the app with a link home', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const response = await page.goto(`${app}/no-such-page`);
    expect(response?.status()).toBe(404);
    await expect.poll(() => page.getByRole('link', { name: 'Back to the home page' }).count()).toBe(1);
    await context.close();
  });
});
