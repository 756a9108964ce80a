/**
 * Helpers for the device authorization grant (RFC 8628) driven through the server's fetch handler:
 * a device client, the device authorization request, polls, and the user's side on the /device
 * page with the text-only {@link Browser}.
 */
import { expect } from 'vitest';
import type { NewClientInput } from '../../src/server/admin/clients.js';
import { Browser, expectPage, registerFlowClient, submitLogin, tokenRequest, type FlowClient, type Page, type TestUser } from './flow.js';
import type { FormFields, TestServer } from './server.js';

export const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

/** The device authorization response (RFC 8628 §3.2). */
export interface DeviceAuthorization {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete: string;
  expires_in: number;
  interval: number;
}

/** Registers a device client: public (`none`) unless told otherwise, device + refresh grants, the OpenID scopes. */
export function registerDeviceClient(server: TestServer, input: Partial<NewClientInput> = {}): Promise<FlowClient> {
  return registerFlowClient(server, {
    name: 'Living Room TV',
    redirectUris: [],
    postLogoutRedirectUris: [],
    authMethod: 'none',
    grantTypes: [DEVICE_GRANT, 'refresh_token'],
    ...input,
  });
}

/** POST to the device authorization endpoint, authenticated as the client was registered. */
export function requestDeviceAuthorization(server: TestServer, client: FlowClient, fields: FormFields = {}): Promise<Response> {
  const method = client.record.tokenEndpointAuthMethod;
  const scope = { scope: 'openid offline_access', ...fields };
  if (method === 'none') return server.post('/device/auth', { client_id: client.clientId, ...scope });
  if (method === 'client_secret_post') return server.post('/device/auth', { client_id: client.clientId, client_secret: client.clientSecret!, ...scope });
  const basic = `Basic ${Buffer.from(`${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.clientSecret!)}`).toString('base64')}`;
  return server.post('/device/auth', scope, { headers: { Authorization: basic } });
}

/** A device authorization, failing the test unless the server answers 200. */
export async function startDevice(server: TestServer, client: FlowClient, fields: FormFields = {}): Promise<DeviceAuthorization> {
  const response = await requestDeviceAuthorization(server, client, fields);
  const text = await response.text();
  expect(response.status, text).toBe(200);
  return JSON.parse(text) as DeviceAuthorization;
}

/** One poll of the token endpoint with the device code. */
export function poll(server: TestServer, client: FlowClient, deviceCode: string, extra: FormFields = {}): Promise<Response> {
  return tokenRequest(server, client, { grant_type: DEVICE_GRANT, device_code: deviceCode, ...extra });
}

/** The error of a refused poll (status and `error`). */
export async function pollError(response: Response): Promise<{ status: number; error: string; description: string }> {
  const body = (await response.json()) as { error: string; error_description: string };
  return { status: response.status, error: body.error, description: body.error_description };
}

/**
 * The user's side: opens `url` (the verification URI, complete or not), enters `code` when given
 * (else confirms the one filled in), signs in as `user` and stops at the consent page.
 */
export async function enterCodeAndSignIn(browser: Browser, url: string, user: TestUser, code?: string): Promise<Page> {
  const entry = await browser.open(url);
  let page = await browser.submit(entry, code === undefined ? {} : { user_code: code }, { actionPart: '/device' });
  if (!page.body.includes('/consent')) page = await submitLogin(browser, expectPage(page, 'login'), user);
  return expectPage(page, 'consent');
}

/** The user's whole side, ending on the "return to your device" page after `decision`. */
export async function approveOnPage(browser: Browser, device: DeviceAuthorization, user: TestUser, decision: 'approve' | 'deny' = 'approve'): Promise<Page> {
  const consent = await enterCodeAndSignIn(browser, device.verification_uri_complete, user);
  return browser.submit(consent, {}, { button: decision });
}
