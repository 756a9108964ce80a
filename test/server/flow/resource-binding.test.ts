/**
 * The resources a server knows, and a grant bound to the ones its authorization request named
 * (RFC 8707 §2.1, §2.2). A registered resource server serves https://mcp.example/mcp; a client
 * registered without resources (as one that registers itself is) may then ask for it, sees it on
 * the consent page, and gets tokens for it and nothing else: a token request or a refresh naming
 * another resource is `invalid_target`, and an authorization request naming an unknown one is
 * redirected back with `invalid_target`.
 */
import { decodeJwt } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerClient } from '../../../src/server/admin/clients.js';
import {
  authorize,
  authorizeParams,
  authorizeUrl,
  callbackParams,
  expectPage,
  expectTokens,
  pkce,
  redeemCode,
  refresh,
  startFlow,
  submitLogin,
  testUsers,
  type Flow,
} from '../../helpers/flow.js';
import { ISSUER } from '../../helpers/server.js';

const MCP = 'https://mcp.example/mcp';
const SCOPE = 'openid offline_access';

beforeAll(async () => {
  await testUsers();
});

/** A flow whose server has a resource server for {@link MCP}; its client lists no resources. */
async function flowWithResourceServer(): Promise<Flow> {
  const flow = await startFlow();
  await registerClient(flow.server.store, flow.server.secretKeys, { name: 'MCP server', isResourceServer: true, servedResources: [MCP] }, Date.now());
  return flow;
}

async function errorBody(response: Response): Promise<{ error: string; error_description: string }> {
  expect(response.status).toBe(400);
  return (await response.json()) as { error: string; error_description: string };
}

describe('a resource a registered resource server serves (RFC 8707)', () => {
  it('is named on the consent page, and the grant is for it alone: code, refresh, and nothing else', async () => {
    const flow = await flowWithResourceServer();
    const { verifier, challenge } = pkce();
    const login = await flow.browser.open(authorizeUrl(flow.server, authorizeParams(flow.client, challenge, { scope: SCOPE, resource: MCP })));
    const consent = expectPage(await submitLogin(flow.browser, login, flow.users.alice), 'consent');
    expect(consent.body).toContain(`Only at <strong class="resource">${MCP}</strong>`);
    const code = callbackParams(await flow.browser.submit(consent, {}, { button: 'approve' })).get('code')!;

    // Another resource than the one authorized: refused, and the code is not spent by it.
    expect(await errorBody(await redeemCode(flow.server, flow.client, code, verifier, { resource: ISSUER }))).toMatchObject({
      error: 'invalid_target',
      error_description: 'a requested resource was not part of the authorization',
    });
    const tokens = await expectTokens(await redeemCode(flow.server, flow.client, code, verifier));
    expect(decodeJwt(tokens.access_token).aud).toBe(MCP);

    expect((await errorBody(await refresh(flow.server, flow.client, tokens.refresh_token!, { resource: ISSUER }))).error).toBe('invalid_target');
    const refreshed = await expectTokens(await refresh(flow.server, flow.client, tokens.refresh_token!, { resource: MCP }));
    expect(decodeJwt(refreshed.access_token).aud).toBe(MCP);
  });

  it('without a resource server for it, an authorization request naming a resource is redirected with invalid_target', async () => {
    const flow = await startFlow();
    for (const resource of [MCP, `${ISSUER}#fragment`, 'not-absolute']) {
      const params = authorizeParams(flow.client, pkce().challenge, { resource });
      const callback = callbackParams(await flow.browser.open(authorizeUrl(flow.server, params)));
      expect(callback.get('error'), resource).toBe('invalid_target');
      expect(callback.get('state')).toBe(params.state);
      expect(callback.get('iss')).toBe(ISSUER);
    }
  });

  it('a grant whose authorization named no resource keeps the default audience, and a client registered with resources keeps to them', async () => {
    const flow = await flowWithResourceServer();
    const { code, verifier } = await authorize(flow.browser, flow.server, flow.client, flow.users.alice, { scope: SCOPE });
    expect(decodeJwt((await expectTokens(await redeemCode(flow.server, flow.client, code, verifier))).access_token).aud).toBe(ISSUER);

    const restricted = await startFlow({}, { resources: ['https://api.example'] });
    await registerClient(restricted.server.store, restricted.server.secretKeys, { name: 'MCP', isResourceServer: true, servedResources: [MCP] }, Date.now());
    const params = authorizeParams(restricted.client, pkce().challenge, { resource: MCP });
    expect(callbackParams(await restricted.browser.open(authorizeUrl(restricted.server, params))).get('error')).toBe('invalid_target');
  });
});
