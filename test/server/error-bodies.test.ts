/**
 * Error bodies over every endpoint (security issue item 10): hostile input in every parameter gets
 * a spec-shaped error, never a 500, whose `error_description` holds only the characters RFC 6749
 * §5.2 allows (%x20-21 / %x23-5B / %x5D-7E) and never echoes the input. Checked in JSON bodies, in
 * `WWW-Authenticate` challenges and in error redirects to the client.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { OAuthError } from '../../src/core/errors.js';
import { APP_REDIRECT, authorizeParams, pkce, registerFlowClient, startFlow, type Flow, type FlowClient } from '../helpers/flow.js';
import { basic, type TestClient } from '../helpers/server.js';

/** RFC 6749 §5.2 `error_description`. */
const DESCRIPTION = /^[\x20-\x21\x23-\x5B\x5D-\x7E]+$/;
/** A distinctive token inside every hostile value: it must never come back. */
const MARK = 'Zq9MARKx7';
/** Quotes, backslashes, angle brackets, non-ASCII, a control character, and something secret-looking. */
const HOSTILE = [`${MARK}"quoted"`, `${MARK}\\back\\slash`, `${MARK}<script>é€`, `${MARK}\u0007bell`, `${MARK}-secret-${'A'.repeat(40)}`];

interface Probe {
  name: string;
  request: (value: string) => Request;
}

let flow: Flow;
let confidential: TestClient;
let publicClient: FlowClient;
let webClient: FlowClient;

beforeAll(async () => {
  flow = await startFlow();
  confidential = await flow.server.register({ name: 'Machine' });
  publicClient = await registerFlowClient(flow.server, { name: 'Public', authMethod: 'none' });
  webClient = flow.client;
});

const form = (path: string, body: Record<string, string>, headers: Record<string, string> = {}) =>
  new Request(`${flow.server.issuer}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(body),
  });
const asMachine = () => ({ authorization: basic(confidential.clientId, confidential.clientSecret) });
const asWeb = () => ({ authorization: basic(webClient.clientId, webClient.clientSecret!) });

function tokenProbes(): Probe[] {
  const grants: Record<string, Record<string, string>> = {
    client_credentials: { scope: '', resource: '' },
    authorization_code: { code: '', code_verifier: '', redirect_uri: '', resource: '' },
    refresh_token: { refresh_token: '', scope: '', resource: '' },
  };
  const probes: Probe[] = [{ name: 'token grant_type', request: (value) => form('/token', { grant_type: value }, asMachine()) }];
  for (const [grant, params] of Object.entries(grants)) {
    for (const param of Object.keys(params)) {
      const as = grant === 'client_credentials' ? asMachine() : asWeb();
      probes.push({
        name: `token ${grant} ${param}`,
        request: (value) =>
          form('/token', { grant_type: grant, ...(grant === 'authorization_code' ? { code: 'c', code_verifier: 'v'.repeat(43) } : {}), [param]: value }, as),
      });
    }
  }
  probes.push(
    { name: 'token client_id (post)', request: (value) => form('/token', { grant_type: 'client_credentials', client_id: value, client_secret: value }) },
    { name: 'token Basic credentials', request: (value) => form('/token', { grant_type: 'client_credentials' }, { authorization: basic(value, value) }) },
    {
      name: 'token repeated parameter',
      request: (value) =>
        new Request(`${flow.server.issuer}/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', ...asMachine() },
          body: `${encodeURIComponent(value)}=1&${encodeURIComponent(value)}=2&grant_type=client_credentials`,
        }),
    },
    {
      name: 'token public client refresh',
      request: (value) => form('/token', { grant_type: 'refresh_token', client_id: publicClient.clientId, refresh_token: value }),
    },
  );
  return probes;
}

const PROBES = (): Probe[] => [
  ...tokenProbes(),
  { name: 'introspect token', request: (value) => form('/introspect', { token: value, token_type_hint: value }, asMachine()) },
  { name: 'introspect without token', request: (value) => form('/introspect', { token_type_hint: value }, asMachine()) },
  { name: 'revoke token', request: (value) => form('/revoke', { token: value, token_type_hint: value }, asMachine()) },
  {
    name: 'userinfo bearer header',
    request: (value) => new Request(`${flow.server.issuer}/userinfo`, { headers: { authorization: `Bearer ${encodeURIComponent(value)}` } }),
  },
  {
    name: 'userinfo malformed header',
    request: (value) => new Request(`${flow.server.issuer}/userinfo`, { headers: { authorization: `Bearer "${encodeURIComponent(value)}"` } }),
  },
  { name: 'userinfo body token', request: (value) => form('/userinfo', { access_token: value }) },
  { name: 'unknown path', request: (value) => new Request(`${flow.server.issuer}/${encodeURIComponent(value)}`) },
  { name: 'wrong method', request: () => new Request(`${flow.server.issuer}/token`, { method: 'GET' }) },
  {
    name: 'passkey options',
    request: (value) =>
      new Request(`${flow.server.issuer}/interaction/${'a'.repeat(32)}/passkey/options`, {
        method: 'POST',
        headers: { 'x-csrf-token': value.replace(/[^\x20-\x7e]/g, '') },
      }),
  },
  {
    name: 'account passkeys',
    request: (value) =>
      new Request(`${flow.server.issuer}/account/passkeys`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ challengeId: value }),
      }),
  },
];

const AUTHORIZE_PARAMS = [
  'response_mode',
  'code_challenge_method',
  'scope',
  'prompt',
  'max_age',
  'claims',
  'acr_values',
  'id_token_hint',
  'request',
  'request_uri',
  'response_type',
  'code_challenge',
  'nonce',
  'state',
  'ui_locales',
  'login_hint',
];

/** Checks one `error_description` (undefined is fine: it is optional). */
function expectCleanDescription(where: string, description: string | null | undefined): void {
  if (description === undefined || description === null) return;
  expect(description, `${where}: error_description "${description}"`).toMatch(DESCRIPTION);
  expect(description, where).not.toContain(MARK);
}

describe('error bodies over every endpoint', () => {
  it('OAuthError refuses a description outside RFC 6749 section 5.2 at construction', () => {
    for (const bad of ['say "hi"', 'back\\slash', 'caf\u00e9', 'line\nbreak', '']) {
      expect(() => new OAuthError('invalid_request', bad), bad).toThrow(TypeError);
    }
    expect(new OAuthError('invalid_request', 'plain text, digits 0-9 and [brackets]').message).toBe('plain text, digits 0-9 and [brackets]');
  });

  it('JSON errors: never a 500, the description in the RFC character set, the input never echoed (body or WWW-Authenticate)', async () => {
    const seen: string[] = [];
    for (const probe of PROBES()) {
      for (const value of HOSTILE) {
        const response = await flow.server.server.fetch(probe.request(value));
        const where = `${probe.name} with ${JSON.stringify(value)}`;
        expect(response.status, where).toBeLessThan(500);
        const text = await response.text();
        expect(text, where).not.toContain(MARK);
        const challenge = response.headers.get('www-authenticate');
        if (challenge !== null) {
          expect(challenge, where).not.toContain(MARK);
          expectCleanDescription(where, /error_description="([^"]*)"/.exec(challenge)?.[1]);
        }
        if ((response.headers.get('content-type') ?? '').includes('json') && response.status >= 400) {
          const body = JSON.parse(text) as { error?: unknown; error_description?: string };
          expect(body.error, where).toMatch(/^[a-z_]+$/);
          expectCleanDescription(where, body.error_description);
          seen.push(String(body.error));
        }
      }
    }
    // The probes reached the errors they aim at.
    expect(seen).toEqual(
      expect.arrayContaining([
        'unsupported_grant_type',
        'invalid_client',
        'invalid_request',
        'invalid_grant',
        'invalid_token',
        'invalid_target',
        'invalid_scope',
      ]),
    );
  }, 60_000);

  it('the client secret sent as a grant_type value is not echoed (it was, whole)', async () => {
    const response = await flow.server.server.fetch(form('/token', { grant_type: confidential.clientSecret }, asMachine()));
    expect(response.status).toBe(400);
    const text = await response.text();
    expect(JSON.parse(text)).toEqual({ error: 'unsupported_grant_type', error_description: 'the grant_type is not supported' });
    expect(text).not.toContain(confidential.clientSecret);
  });

  it('authorization errors redirected to the client carry a clean description and never the input', async () => {
    const { challenge } = pkce();
    for (const param of AUTHORIZE_PARAMS) {
      for (const value of HOSTILE) {
        const params = { ...authorizeParams(webClient, challenge), [param]: value };
        const response = await flow.server.server.fetch(new Request(`${flow.server.issuer}/authorize?${new URLSearchParams(params)}`));
        const where = `authorize ${param}=${JSON.stringify(value)}`;
        expect(response.status, where).toBeLessThan(500);
        const location = response.headers.get('location');
        if (location?.startsWith(APP_REDIRECT)) {
          const query = new URL(location).searchParams;
          if (query.get('error') !== null) expectCleanDescription(where, query.get('error_description'));
          // `state` comes back by design (RFC 6749 section 4.1.2.1); nothing else the client sent may.
          const echoed = [...query].filter(([name, v]) => name !== 'state' && v.includes(MARK));
          expect(echoed, where).toEqual([]);
        }
      }
    }
  }, 60_000);

  it('response_mode "fragment" is refused without quotes in the description', async () => {
    const params = { ...authorizeParams(webClient, pkce().challenge), response_mode: 'fragment' };
    const response = await flow.server.server.fetch(new Request(`${flow.server.issuer}/authorize?${new URLSearchParams(params)}`));
    const query = new URL(response.headers.get('location')!).searchParams;
    expect(query.get('error')).toBe('invalid_request');
    expectCleanDescription('response_mode=fragment', query.get('error_description'));
  });
});
