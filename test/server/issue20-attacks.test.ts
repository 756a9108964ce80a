/**
 * An attacker's review of issue 20 (DPoP, PAR, request objects, private_key_jwt, back-channel
 * logout, the claims parameter): each test is an attack that once worked, now refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createResourceGuard, type ResourceGuard } from '../../src/resource/index.js';
import { dpopProof, newDpopKey, type DpopKey } from '../helpers/dpop.js';
import { signIn, promptNone, startFlow } from '../helpers/flow.js';
import { basic, encodeForm, errorBody, startServer } from '../helpers/server.js';
import { API, resign, startIssuer, type RunningIssuer } from '../resource/support.js';

describe('the resource guard and sender-constrained tokens (RFC 9449 §7.2, RFC 7800 §3)', () => {
  let as: RunningIssuer;
  let key: DpopKey;
  let bound: string;
  let guard: ResourceGuard;

  beforeAll(async () => {
    as = await startIssuer();
    key = await newDpopKey();
    const response = await fetch(`${as.issuer}/token`, {
      method: 'POST',
      headers: {
        Authorization: basic(as.machine.clientId, as.machine.clientSecret),
        'Content-Type': 'application/x-www-form-urlencoded',
        DPoP: await dpopProof(as.test, key, `${as.issuer}/token`),
      },
      body: encodeForm({ grant_type: 'client_credentials', scope: 'notes:read', resource: API }),
    });
    const body = (await response.json()) as { access_token: string; token_type: string };
    expect(body.token_type).toBe('DPoP');
    bound = body.access_token;
    guard = createResourceGuard({ issuer: as.issuer, audience: API, allowInsecureRequests: true });
  });
  afterAll(() => as?.close());

  it('guard.verify(token) refuses a stolen DPoP-bound token: it has no request to check a proof against (Bearer downgrade)', async () => {
    await expect(guard.verify(bound)).rejects.toMatchObject({ error: 'invalid_token' });
    // The token still works the way it is meant to: under the DPoP scheme, with a proof of its key.
    const request = new Request(`${API}/notes`, {
      headers: { Authorization: `DPoP ${bound}`, DPoP: await dpopProof(as.test, key, `${API}/notes`, { htm: 'GET', accessToken: bound }) },
    });
    expect((await guard.authenticate(request)).clientId).toBe(as.machine.clientId);
  });

  it('refuses as a Bearer token one bound by a confirmation method it cannot check (cnf without a jkt, e.g. mTLS x5t#S256)', async () => {
    for (const cnf of [{ 'x5t#S256': 'bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2' }, { jkt: 42 }, {}]) {
      const token = await resign(as, await as.token('notes:read'), { claims: { cnf } });
      const response = await guard.protect(() => new Response('reached'))(new Request(`${API}/notes`, { headers: { Authorization: `Bearer ${token}` } }));
      expect(response.status, JSON.stringify(cnf)).toBe(401);
      expect(response.headers.get('www-authenticate')).toContain('error="invalid_token"');
    }
  });
});

describe('client keys at open dynamic registration (RFC 7591 §2, §3.2.2)', () => {
  it('a jwks nested too deep to measure is invalid_client_metadata, never a 500', async () => {
    const t = await startServer({ registration: { policy: 'open' } });
    const deep = '['.repeat(20_000) + ']'.repeat(20_000);
    const response = await t.server.fetch(
      new Request(`${t.issuer}/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: `{"token_endpoint_auth_method":"none","redirect_uris":["http://127.0.0.1/cb"],"jwks":{"keys":[{"kty":"EC","crv":"P-256","x":${deep},"y":"a"}]}}`,
      }),
    );
    expect(response.status).toBe(400);
    expect((await errorBody(response)).error).toBe('invalid_client_metadata');
    await t.server.close();
  });
});

describe('the claims parameter (OIDC Core §5.5.1.1)', () => {
  it('an essential acr none of whose values is a string is refused (invalid_request), not read as no values: no single-factor code for it', async () => {
    const flow = await startFlow();
    await signIn(flow.browser, flow.server, flow.client, flow.users.alice);
    for (const acr of [
      { essential: true, value: 2 },
      { essential: true, values: [2] },
      { essential: true, values: [2, null] },
    ]) {
      const callback = await promptNone(flow.browser, flow.server, flow.client, { claims: JSON.stringify({ id_token: { acr } }) });
      expect([callback.get('error'), callback.get('code')], JSON.stringify(acr)).toEqual(['invalid_request', null]);
    }
    await flow.server.server.close();
  });
});
