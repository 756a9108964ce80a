/**
 * A client that registered itself (dynamic client registration, open policy) in real Chromium: its
 * consent page says "Unverified" and names the domain the answer goes to, without the logo and home
 * page it claims, the resource (RFC 8707) the access is for and the claims asked for one by one
 * (OIDC Core §5.5); the page is reviewed (light, dark,
 * 375 px, axe; screenshots to /tmp/shots-registration/ with REVIEW_SHOTS=1), and "Allow" goes back
 * to the app with a code.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerClient } from '../../src/server/admin/clients.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { authorizeParams, authorizeUrl, pkce, seedUsers, type TestUser } from '../helpers/flow.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { hasChromium, launchChromium } from './chromium.js';
import { newPage, reviewPage, serveOnLocalhost, startNotesApp } from './page-review.js';

const SHOTS = '/tmp/shots-registration';
/** A long resource identifier, as an MCP server's is: the page must wrap it at 375 px. */
const MCP = 'https://mcp.notes-for-desktop.example.com/v1/model-context-protocol';

describe.skipIf(!hasChromium)('the consent page of a self-registered client, in Chromium', () => {
  let chromium: Browser;
  let served: { server: TestServer; close(): Promise<void> };
  let app: { callback: string; close(): void };
  let alice: TestUser;

  beforeAll(async () => {
    const clock = new FakeClock(Date.now());
    served = await serveOnLocalhost(async (issuer) => {
      const started = await startServer({ issuer, clock, registration: { policy: 'open' } });
      return { server: started, close: () => started.server.close() };
    });
    app = await startNotesApp();
    ({ alice } = await seedUsers(served.server.store));
    await registerClient(served.server.store, served.server.secretKeys, { name: 'Notes MCP', isResourceServer: true, servedResources: [MCP] }, Date.now());
    chromium = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await chromium?.close();
    app?.close();
    await served?.close();
  });

  it('says Unverified with the redirect domain, names the resource, passes the review, and Allow returns to the app', async () => {
    const server = served.server;
    const registration = await fetch(`${server.issuer}/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        client_name: 'Notes for Desktop',
        redirect_uris: [app.callback],
        token_endpoint_auth_method: 'none',
        logo_uri: 'https://impersonated.example/logo.png',
        client_uri: 'https://impersonated.example',
      }),
    });
    expect(registration.status).toBe(201);
    const client = (await registration.json()) as { client_id: string };
    const record = (await server.store.clients.get(client.client_id))!;

    const { context, page, violations } = await newPage(chromium);
    const { challenge } = pkce();
    await page.goto(
      authorizeUrl(
        server,
        authorizeParams({ clientId: client.client_id, clientSecret: null, record, redirectUri: app.callback }, challenge, {
          resource: MCP,
          // OIDC Core §5.5: single claims beyond the scope, which the page must name.
          claims: JSON.stringify({ id_token: { name: null }, userinfo: { email: { essential: true } } }),
        }),
      ),
    );
    // Neither the login page shows the logo it claims.
    expect(await page.locator('img').count()).toBe(0);
    await page.getByLabel('Username or email').fill(alice.username);
    await page.getByLabel('Password').fill(alice.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('heading', { name: 'Notes for Desktop wants to access your Gatehouse account' }).waitFor();
    expect(await page.locator('.badge-warning').textContent()).toBe('Unverified');
    expect(await page.locator('.redirect-domain').textContent()).toBe('localhost');
    expect(await page.locator('.resource').allTextContents()).toEqual([MCP]);
    expect(await page.locator('[data-claims] .claim').count()).toBe(2);
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.locator('a[href^="https://impersonated.example"]').count()).toBe(0);
    await reviewPage(page, 'consent-unverified', SHOTS);
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.getByRole('heading', { name: 'Back at Notes' }).waitFor();
    expect(new URL(page.url()).searchParams.get('code')).toBeTruthy();
    expect(violations).toEqual([]);
    await context.close();
  }, 60_000);
});
