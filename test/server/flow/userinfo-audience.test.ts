/**
 * UserInfo accepts only access tokens meant for it: `aud` must include the issuer (RFC 9068 §4,
 * OIDC Core §5.3). A token for another API (RFC 8707 `resource`) is refused with 401
 * invalid_token; an OpenID sign-in without `resource` always yields a token UserInfo accepts, also
 * when `tokens.defaultAudience` names an API.
 */
import { decodeJwt } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { asTestClient, expectTokens, redeemCode, refresh, authorize, signIn, startFlow, testUsers, type Flow } from '../../helpers/flow.js';
import { ISSUER } from '../../helpers/server.js';

beforeAll(async () => {
  await testUsers();
});

const API = 'https://api.example';

function userinfo(flow: Flow, accessToken: string): Promise<Response> {
  return flow.server.get('/userinfo', { headers: { Authorization: `Bearer ${accessToken}` } });
}

function audience(accessToken: string): string[] {
  const { aud } = decodeJwt(accessToken);
  return Array.isArray(aud) ? aud : [aud!];
}

describe('UserInfo and the access token audience (RFC 9068 §4, OIDC Core §5.3)', () => {
  it('refuses a token issued for another API (resource=https://api.example) with 401 invalid_token', async () => {
    const flow = await startFlow({}, { resources: [API] });
    const { code, verifier } = await authorize(flow.browser, flow.server, flow.client, flow.users.alice, { scope: 'openid email' });
    const tokens = await expectTokens(await redeemCode(flow.server, flow.client, code, verifier, { resource: API }));
    expect(audience(tokens.access_token)).toEqual([API]);
    // The token itself is fine, for its API.
    expect((await flow.server.introspect(asTestClient(flow.client), tokens.access_token)).active).toBe(true);
    const response = await userinfo(flow, tokens.access_token);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it('accepts a default token (aud: the issuer)', async () => {
    const flow = await startFlow();
    const tokens = await signIn(flow.browser, flow.server, flow.client, flow.users.alice, { scope: 'openid email' });
    expect(audience(tokens.access_token)).toEqual([ISSUER]);
    const response = await userinfo(flow, tokens.access_token);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ sub: flow.users.alice.record.id, email: 'alice@example.com' });
  });

  it('with defaultAudience set to an API, an openid token without resource holds both audiences and works at UserInfo, also after a refresh', async () => {
    const flow = await startFlow({ tokens: { defaultAudience: API } });
    const tokens = await signIn(flow.browser, flow.server, flow.client, flow.users.alice, { scope: 'openid email offline_access' });
    expect(audience(tokens.access_token).sort()).toEqual([API, ISSUER].sort());
    expect((await userinfo(flow, tokens.access_token)).status).toBe(200);
    const refreshed = await expectTokens(await refresh(flow.server, flow.client, tokens.refresh_token!));
    expect(audience(refreshed.access_token).sort()).toEqual([API, ISSUER].sort());
    expect((await userinfo(flow, refreshed.access_token)).status).toBe(200);
  });

  it('with defaultAudience set to an API, a plain OAuth token (no openid) is for the API only', async () => {
    const flow = await startFlow({ tokens: { defaultAudience: API } });
    const tokens = await signIn(flow.browser, flow.server, flow.client, flow.users.alice, { scope: 'email', nonce: undefined });
    expect(audience(tokens.access_token)).toEqual([API]);
  });
});
