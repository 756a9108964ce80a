/**
 * The consent page of a client known only by its metadata document (draft-ietf-oauth-client-id-
 * metadata-document), in Chromium: the "unverified application" notice names the host of its
 * client_id URL; the page is reviewed in light, dark and at 375 px (axe, no sideways scrolling),
 * screenshotted to /tmp/shots-cimd/, and Allow returns to the application.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, startDocumentServer, type DocumentServer } from '../helpers/document-server.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { authorizeParams, authorizeUrl, pkce, seedUsers, type FlowClient, type TestUser } from '../helpers/flow.js';
import { startServer, type TestServer } from '../helpers/server.js';
import type { ClientRecord } from '../../src/stores/contract.js';
import { hasChromium, launchChromium } from './chromium.js';
import { newPage, reviewPage, serveOnLocalhost, startNotesApp } from './page-review.js';

const SHOTS = '/tmp/shots-cimd';

describe.skipIf(!hasChromium)('consent page of a client metadata document client, in Chromium', () => {
  let chromium: Browser;
  let served: { server: TestServer; close(): Promise<void> };
  let documents: DocumentServer;
  let app: { callback: string; close(): void };
  let alice: TestUser;

  beforeAll(async () => {
    documents = await startDocumentServer('http');
    app = await startNotesApp();
    served = await serveOnLocalhost(async (issuer) => {
      const started = await startServer({
        issuer,
        clock: new FakeClock(Date.now()),
        clientMetadataDocuments: { enabled: true },
        protection: { unsafeFetchAllowList: ['127.0.0.1'], unsafeFetchAllowHttp: true },
      });
      return { server: started, close: () => started.server.close() };
    });
    ({ alice } = await seedUsers(served.server.store));
    chromium = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await chromium?.close();
    app?.close();
    await served?.close();
    await documents?.close();
  });

  it('shows the unverified notice with the client_id host, and Allow goes back to the application', async () => {
    const clientId = `${documents.origin}/notes/client.json`;
    documents.on(
      '/notes/client.json',
      json({ client_id: clientId, client_name: 'Notes Agent', client_uri: 'https://famous.example', redirect_uris: [app.callback] }),
    );
    const client: FlowClient = { clientId, clientSecret: null, record: { tokenEndpointAuthMethod: 'none' } as ClientRecord, redirectUri: app.callback };
    const { context, page, violations } = await newPage(chromium);
    await page.goto(authorizeUrl(served.server, authorizeParams(client, pkce().challenge)));
    await page.getByLabel('Username or email').fill(alice.username);
    await page.getByLabel('Password').fill(alice.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('heading', { name: 'Notes Agent wants to access your Gatehouse account' }).waitFor();
    const notice = (await page.locator('.lead', { hasText: 'Unverified' }).textContent())!;
    expect(notice).toContain('Unverified');
    expect(notice).toContain(`Described by the app itself at ${new URL(clientId).host}`);
    expect(notice).toContain(`It receives your answer at ${new URL(app.callback).hostname}`);
    // Its self-asserted home page is not presented as where it lives.
    expect(await page.getByRole('link', { name: 'famous.example' }).count()).toBe(0);
    await reviewPage(page, 'consent-unverified', SHOTS);
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL((url) => url.href.startsWith(app.callback));
    expect(new URL(page.url()).searchParams.get('code')).toBeTruthy();
    expect(violations).toEqual([]);
    await context.close();
  }, 60_000);
});
