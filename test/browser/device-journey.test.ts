/**
 * The device authorization grant (RFC 8628) end to end over real HTTP: openid-client v6 (panva), as
 * an independent device, asks for a device authorization (`initiateDeviceAuthorization`) and polls
 * (`pollDeviceAuthorizationGrant`, which handles `authorization_pending` and `slow_down` itself)
 * while the user, in real Chromium, opens the verification link, confirms the code, signs in and
 * allows the device; openid-client then validates the ID token and calls UserInfo. Every page of
 * the journey is reviewed (light, dark, 375 px, axe) to /tmp/shots-accounts/device-*.png.
 */
import * as oidc from 'openid-client';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerDeviceClient } from '../helpers/device.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { seedUsers, type FlowClient, type TestUser } from '../helpers/flow.js';
import { startServer, type TestServer } from '../helpers/server.js';
import { hasChromium, launchChromium } from './chromium.js';
import { newPage, reviewPage, serveOnLocalhost } from './page-review.js';

/** The server on the system's time: openid-client waits real seconds between polls. */
class SystemClock extends FakeClock {
  override now(): number {
    return Date.now();
  }
}

interface DeviceSetup {
  server: TestServer;
  users: Record<'alice' | 'bob', TestUser>;
  client: FlowClient;
  close(): Promise<void>;
}

describe.skipIf(!hasChromium)('device flow: openid-client polls while the user allows the device in Chromium', () => {
  let chromium: Browser;
  let setup: DeviceSetup;
  let config: oidc.Configuration;

  beforeAll(async () => {
    setup = await serveOnLocalhost(async (issuer) => {
      // A one-second interval keeps openid-client's real waits short.
      const server = await startServer({ issuer, clock: new SystemClock(), tokens: { deviceCodeInterval: 1 } });
      const users = await seedUsers(server.store);
      const client = await registerDeviceClient(server, { name: 'Living Room TV' });
      return { server, users, client, close: () => server.server.close() };
    });
    config = await oidc.discovery(new URL(setup.server.issuer), setup.client.clientId, undefined, oidc.None(), { execute: [oidc.allowInsecureRequests] });
    chromium = await launchChromium();
  }, 180_000);

  afterAll(async () => {
    await chromium?.close();
    await setup?.close();
  });

  it('discovery names the device authorization endpoint and grant', () => {
    const metadata = config.serverMetadata();
    expect(metadata.device_authorization_endpoint).toBe(`${setup.server.issuer}/device/auth`);
    expect(metadata.grant_types_supported).toContain('urn:ietf:params:oauth:grant-type:device_code');
  });

  it('signs the device in: code confirmed on /device, sign-in, consent naming the device client, tokens, UserInfo', async () => {
    const response = await oidc.initiateDeviceAuthorization(config, { scope: 'openid profile offline_access' });
    expect(response.user_code).toMatch(/^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    expect(response.verification_uri).toBe(`${setup.server.issuer}/device`);
    // The device polls from now on: authorization_pending until the user allows it.
    const polling = oidc.pollDeviceAuthorizationGrant(config, response);

    const { context, page, violations } = await newPage(chromium);
    // First a wrong code, typed by hand.
    await page.goto(response.verification_uri);
    await page.getByRole('heading', { name: 'Connect a device' }).waitFor();
    await reviewPage(page, 'device-entry');
    await page.getByLabel('Code').fill('BBBB-BBBB');
    await page.getByRole('button', { name: 'Continue' }).click();
    expect(await page.getByRole('alert').textContent()).toContain('That code is not valid');
    await reviewPage(page, 'device-entry-error');

    // Then the link the device shows: the code is filled in, and the user still confirms it.
    await page.goto(response.verification_uri_complete!);
    expect(await page.getByLabel('Code').inputValue()).toBe(response.user_code);
    await reviewPage(page, 'device-entry-prefilled');
    await page.getByRole('button', { name: 'Continue' }).click();

    await page.getByLabel('Username or email').fill(setup.users.alice.username);
    await page.getByLabel('Password').fill(setup.users.alice.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();

    await page.getByRole('heading', { name: 'Living Room TV wants to access your Gatehouse account' }).waitFor();
    expect(await page.locator('[data-device-code]').textContent()).toContain(response.user_code);
    await reviewPage(page, 'device-consent');
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.getByRole('heading', { name: 'Device connected' }).waitFor();
    expect(await page.textContent('body')).toContain('You can return to your device');
    await reviewPage(page, 'device-connected');
    expect(violations).toEqual([]);
    await context.close();

    // openid-client validated the ID token (signature, iss, aud, exp, iat) before handing it over.
    const tokens = await polling;
    expect(tokens.claims()?.sub).toBe(setup.users.alice.record.id);
    expect(tokens.refresh_token).toEqual(expect.any(String));
    const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, setup.users.alice.record.id);
    expect(userinfo).toMatchObject({ sub: setup.users.alice.record.id, name: 'Alice Liddell' });
  }, 180_000);

  it('the user refuses: the device is told access_denied, the page says so', async () => {
    const response = await oidc.initiateDeviceAuthorization(config, { scope: 'openid' });
    const polling = oidc.pollDeviceAuthorizationGrant(config, response).then(
      () => undefined,
      (error: unknown) => error,
    );
    const { context, page } = await newPage(chromium);
    await page.goto(response.verification_uri_complete!);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByLabel('Username or email').fill(setup.users.bob.username);
    await page.getByLabel('Password').fill(setup.users.bob.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.getByRole('heading', { name: 'Device not connected' }).waitFor();
    await reviewPage(page, 'device-not-connected');
    await context.close();
    const error = await polling;
    expect(error).toBeInstanceOf(oidc.ResponseBodyError);
    expect((error as oidc.ResponseBodyError).error).toBe('access_denied');
  }, 180_000);
});
