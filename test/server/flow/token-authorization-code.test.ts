import { createHash } from 'node:crypto';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  asTestClient,
  authorize,
  Browser,
  expectTokens,
  readIdToken,
  redeemCode,
  refresh,
  registerFlowClient,
  signIn,
  startFlow,
  testUsers,
  tokenRequest,
  type Flow,
} from '../../helpers/flow.js';
import { errorBody, type TestServer } from '../../helpers/server.js';

beforeAll(async () => {
  await testUsers();
});

/** Whether `token` is active, asked by a resource server (which may introspect any token). */
async function isActive(server: TestServer, token: string): Promise<boolean> {
  const resourceServer = await server.register({ name: 'API', isResourceServer: true });
  return (await server.introspect(resourceServer, token)).active === true;
}

async function expectError(response: Response, error: string, status = 400): Promise<void> {
  const body = await errorBody(response);
  expect(body.error, JSON.stringify(body)).toBe(error);
  expect(response.status).toBe(status);
  expect(response.headers.get('cache-control')).toBe('no-store');
}

async function verifyIdToken(flow: Flow, idToken: string, clientId = flow.client.clientId) {
  return jwtVerify(idToken, createLocalJWKSet(await flow.server.jwks()), {
    issuer: flow.server.issuer,
    audience: clientId,
    currentDate: new Date(flow.server.clock.now()),
  });
}

/** OIDC Core §3.1.3.6: base64url of the left half of SHA-256 of the access token's ASCII octets. */
function expectedAtHash(accessToken: string): string {
  return createHash('sha256').update(accessToken, 'ascii').digest().subarray(0, 16).toString('base64url');
}

describe('token endpoint: authorization_code grant (RFC 6749 §4.1.3, OIDC Core §3.1.3)', () => {
  it('returns an access token, an ID token and a refresh token, uncacheable (RFC 6749 §5.1)', async () => {
    const flow = await startFlow();
    const { code, verifier } = await authorize(flow.browser, flow.server, flow.client, flow.users.alice, { scope: 'openid offline_access' });
    const response = await redeemCode(flow.server, flow.client, code, verifier);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const tokens = await expectTokens(response);
    expect(tokens.token_type).toBe('Bearer');
    expect(tokens.expires_in).toBe(3600);
    expect(tokens.scope!.split(' ').sort()).toEqual(['offline_access', 'openid']);
    expect(tokens.id_token).toBeTruthy();
    expect(tokens.refresh_token).toBeTruthy();
    const { payload } = await flow.server.verify(tokens.access_token);
    expect(payload).toMatchObject({ sub: flow.users.alice.record.id, client_id: flow.client.clientId, iss: flow.server.issuer });
    expect(await flow.server.introspect(asTestClient(flow.client), tokens.access_token)).toMatchObject({ active: true, sub: flow.users.alice.record.id });
  });

  it('issues an ID token with the claims of OIDC Core §2 and §3.1.3.6/§3.1.3.7, signed ES256 by default', async () => {
    const flow = await startFlow();
    const { code, verifier } = await authorize(flow.browser, flow.server, flow.client, flow.users.alice, { nonce: 'n-0S6_WzA2Mj' });
    const authTime = Math.floor(flow.server.clock.now() / 1000);
    flow.server.clock.advance(5_000);
    const tokens = await expectTokens(await redeemCode(flow.server, flow.client, code, verifier));
    const { payload, protectedHeader } = await verifyIdToken(flow, tokens.id_token!);
    expect(protectedHeader.alg).toBe('ES256');
    expect(protectedHeader.kid).toBeTruthy();
    const now = Math.floor(flow.server.clock.now() / 1000);
    expect(payload.iss).toBe(flow.server.issuer);
    expect(payload.sub).toBe(flow.users.alice.record.id);
    expect(payload.aud).toBe(flow.client.clientId);
    expect(payload.iat).toBe(now);
    expect(payload.exp).toBe(now + 3600);
    expect(payload.auth_time).toBe(authTime);
    expect(payload.nonce).toBe('n-0S6_WzA2Mj');
    expect(payload.amr).toContain('pwd');
    expect(typeof payload.acr).toBe('string');
    expect(typeof payload.sid).toBe('string');
    expect(payload.at_hash).toBe(expectedAtHash(tokens.access_token));
  });

  it('signs the ID token RS256 for a client registered with id_token_signed_response_alg RS256', async () => {
    const flow = await startFlow({}, { idTokenSignedResponseAlg: 'RS256' });
    const tokens = await signIn(flow.browser, flow.server, flow.client, flow.users.alice);
    const { payload, protectedHeader } = await verifyIdToken(flow, tokens.id_token!);
    expect(protectedHeader.alg).toBe('RS256');
    expect(payload.at_hash).toBe(expectedAtHash(tokens.access_token));
  });

  it('keeps the same sid for every ID token of one browser session, and a new one after a new sign-in', async () => {
    const flow = await startFlow();
    const first = readIdToken((await signIn(flow.browser, flow.server, flow.client, flow.users.alice)).id_token!).claims;
    const second = readIdToken((await signIn(flow.browser, flow.server, flow.client, flow.users.alice)).id_token!).claims;
    expect(second.sid).toBe(first.sid);
    const other = readIdToken((await signIn(new Browser(flow.server), flow.server, flow.client, flow.users.alice)).id_token!).claims;
    expect(other.sid).not.toBe(first.sid);
  });

  it('refuses a wrong code_verifier with invalid_grant (RFC 7636 §4.6), without burning the code', async () => {
    const flow = await startFlow();
    const { code, verifier } = await authorize(flow.browser, flow.server, flow.client, flow.users.alice);
    await expectError(await redeemCode(flow.server, flow.client, code, 'x'.repeat(43)), 'invalid_grant');
    await expectError(await redeemCode(flow.server, flow.client, code, `${verifier}a`), 'invalid_grant');
    await expectTokens(await redeemCode(flow.server, flow.client, code, verifier));
  });

  it('refuses a token request without code_verifier', async () => {
    const flow = await startFlow();
    const { code } = await authorize(flow.browser, flow.server, flow.client, flow.users.alice);
    const response = await tokenRequest(flow.server, flow.client, { grant_type: 'authorization_code', code, redirect_uri: flow.client.redirectUri });
    expect(response.status).toBe(400);
    expect(['invalid_request', 'invalid_grant']).toContain((await errorBody(response)).error);
  });

  it('on code replay answers invalid_grant and revokes the access and refresh tokens of the first redemption (RFC 6749 §4.1.2)', async () => {
    const flow = await startFlow();
    const { code, verifier } = await authorize(flow.browser, flow.server, flow.client, flow.users.alice, { scope: 'openid offline_access' });
    const first = await expectTokens(await redeemCode(flow.server, flow.client, code, verifier));
    expect(await isActive(flow.server, first.access_token)).toBe(true);
    await expectError(await redeemCode(flow.server, flow.client, code, verifier), 'invalid_grant');
    expect(await flow.server.introspect(asTestClient(flow.client), first.access_token)).toEqual({ active: false });
    await expectError(await refresh(flow.server, flow.client, first.refresh_token!), 'invalid_grant');
  });

  it("a replayed code ends only that authorization's tokens: the user's other sign-ins to the client keep working", async () => {
    const flow = await startFlow();
    const laptop = await signIn(flow.browser, flow.server, flow.client, flow.users.alice, { scope: 'openid offline_access' });
    const phone = new Browser(flow.server);
    const { code, verifier } = await authorize(phone, flow.server, flow.client, flow.users.alice, { scope: 'openid offline_access' });
    const stolen = await expectTokens(await redeemCode(flow.server, flow.client, code, verifier));
    await expectError(await redeemCode(flow.server, flow.client, code, verifier), 'invalid_grant');
    expect(await isActive(flow.server, stolen.access_token)).toBe(false);
    expect(await isActive(flow.server, laptop.access_token)).toBe(true);
    await expectTokens(await refresh(flow.server, flow.client, laptop.refresh_token!));
  });

  it('refuses a code older than 60 seconds (RFC 6749 §4.1.2)', async () => {
    const flow = await startFlow();
    const { code, verifier } = await authorize(flow.browser, flow.server, flow.client, flow.users.alice);
    flow.server.clock.advance(61_000);
    await expectError(await redeemCode(flow.server, flow.client, code, verifier), 'invalid_grant');
  });

  it('accepts a code just within its 60 seconds', async () => {
    const flow = await startFlow();
    const { code, verifier } = await authorize(flow.browser, flow.server, flow.client, flow.users.alice);
    flow.server.clock.advance(59_000);
    await expectTokens(await redeemCode(flow.server, flow.client, code, verifier));
  });

  it('refuses a redirect_uri other than the one of the authorization request (RFC 6749 §4.1.3)', async () => {
    const flow = await startFlow({}, { redirectUris: ['https://app.example.com/callback', 'https://app.example.com/other'] });
    const { code, verifier } = await authorize(flow.browser, flow.server, flow.client, flow.users.alice);
    await expectError(await redeemCode(flow.server, flow.client, code, verifier, { redirect_uri: 'https://app.example.com/other' }), 'invalid_grant');
    // The redirect_uri must be repeated when it was sent in the authorization request.
    const omitted = await tokenRequest(flow.server, flow.client, { grant_type: 'authorization_code', code, code_verifier: verifier });
    await expectError(omitted, 'invalid_grant');
    await expectTokens(await redeemCode(flow.server, flow.client, code, verifier));
  });

  it("refuses another client's code with invalid_grant, and the code still works for its own client", async () => {
    const flow = await startFlow();
    const thief = await registerFlowClient(flow.server, { name: 'Thief' });
    const { code, verifier } = await authorize(flow.browser, flow.server, flow.client, flow.users.alice);
    await expectError(await redeemCode(flow.server, thief, code, verifier), 'invalid_grant');
    const tokens = await expectTokens(await redeemCode(flow.server, flow.client, code, verifier));
    expect(readIdToken(tokens.id_token!).claims.aud).toBe(flow.client.clientId);
  });

  it('lets a public client complete the flow with PKCE and only its client_id', async () => {
    const flow = await startFlow({}, { name: 'SPA', authMethod: 'none', scope: 'openid profile offline_access' });
    const { code, verifier } = await authorize(flow.browser, flow.server, flow.client, flow.users.alice, { scope: 'openid profile offline_access' });
    const response = await flow.server.post('/token', {
      grant_type: 'authorization_code',
      client_id: flow.client.clientId,
      code,
      code_verifier: verifier,
      redirect_uri: flow.client.redirectUri,
    });
    const tokens = await expectTokens(response);
    expect(tokens.id_token).toBeTruthy();
    expect(tokens.refresh_token).toBeTruthy();
    expect(readIdToken(tokens.id_token!).claims.name).toBe('Alice Liddell');
  });

  it('refuses a public client presenting a client_secret it does not have', async () => {
    const flow = await startFlow({}, { name: 'SPA', authMethod: 'none' });
    const { code, verifier } = await authorize(flow.browser, flow.server, flow.client, flow.users.alice);
    const response = await flow.server.post('/token', {
      grant_type: 'authorization_code',
      client_id: flow.client.clientId,
      client_secret: 'guess',
      code,
      code_verifier: verifier,
      redirect_uri: flow.client.redirectUri,
    });
    expect(response.status).toBe(401);
    expect((await errorBody(response)).error).toBe('invalid_client');
  });
});

describe('token endpoint: when a refresh token is issued', () => {
  it('not for openid without offline_access', async () => {
    const flow = await startFlow();
    const tokens = await signIn(flow.browser, flow.server, flow.client, flow.users.alice, { scope: 'openid email' });
    expect(tokens.refresh_token).toBeUndefined();
  });

  it('for openid with offline_access when the client has the refresh_token grant', async () => {
    const flow = await startFlow();
    const tokens = await signIn(flow.browser, flow.server, flow.client, flow.users.alice, { scope: 'openid offline_access' });
    expect(tokens.refresh_token).toBeTruthy();
    await expectTokens(await refresh(flow.server, flow.client, tokens.refresh_token!));
  });

  it('for plain OAuth (no openid): and no ID token then', async () => {
    const flow = await startFlow({}, { scope: 'api:read api:write' });
    const tokens = await signIn(flow.browser, flow.server, flow.client, flow.users.alice, { scope: 'api:read', nonce: undefined });
    expect(tokens.refresh_token).toBeTruthy();
    expect(tokens.id_token).toBeUndefined();
    expect(tokens.scope).toBe('api:read');
  });

  it('never for a client without the refresh_token grant, even with offline_access', async () => {
    const flow = await startFlow({}, { grantTypes: ['authorization_code'], scope: 'openid offline_access api:read' });
    const oidc = await signIn(flow.browser, flow.server, flow.client, flow.users.alice, { scope: 'openid offline_access' });
    expect(oidc.refresh_token).toBeUndefined();
    const plain = await signIn(flow.browser, flow.server, flow.client, flow.users.alice, { scope: 'api:read' });
    expect(plain.refresh_token).toBeUndefined();
  });
});

describe('token endpoint: claims released by scope (OIDC Core §5.4)', () => {
  it('email scope: email and email_verified; without profile: no name', async () => {
    const flow = await startFlow();
    const tokens = await signIn(flow.browser, flow.server, flow.client, flow.users.alice, { scope: 'openid email' });
    const { payload } = await verifyIdToken(flow, tokens.id_token!);
    expect(payload.email).toBe('alice@example.com');
    expect(payload.email_verified).toBe(true);
    expect(payload.name).toBeUndefined();
    expect(payload.preferred_username).toBeUndefined();
  });

  it('only openid: no profile or email claims at all', async () => {
    const flow = await startFlow();
    const tokens = await signIn(flow.browser, flow.server, flow.client, flow.users.bob, { scope: 'openid' });
    const { payload } = await verifyIdToken(flow, tokens.id_token!);
    for (const claim of ['email', 'email_verified', 'name', 'preferred_username', 'updated_at']) expect(payload[claim], claim).toBeUndefined();
  });

  it('profile scope: name and preferred_username; email_verified false stays false', async () => {
    const flow = await startFlow();
    const tokens = await signIn(flow.browser, flow.server, flow.client, flow.users.bob, { scope: 'openid profile email' });
    const { payload } = await verifyIdToken(flow, tokens.id_token!);
    expect(payload.name).toBe('Bob Builder');
    expect(payload.preferred_username).toBe('bob');
    expect(payload.email_verified).toBe(false);
  });
});
