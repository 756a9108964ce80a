/**
 * The refresh-token reuse grace window is for confidential clients only. A public client cannot
 * authenticate, so inside the window anyone holding a stolen, rotated-out refresh token would be
 * handed the live successor; RFC 9700 §4.14.2 relies on rotation with reuse detection as the
 * public client's substitute for sender-constraining, so any reuse revokes the family.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { expectTokens, refresh, signIn, startFlow, testUsers } from '../../helpers/flow.js';
import { errorBody } from '../../helpers/server.js';

beforeAll(async () => {
  await testUsers();
});

const OFFLINE = 'openid offline_access';
const GRACE = { tokens: { refreshTokenReuseGrace: 30 } };

async function expectInvalidGrant(response: Response): Promise<void> {
  expect(response.status).toBe(400);
  expect((await errorBody(response)).error).toBe('invalid_grant');
}

describe('refresh reuse grace window (tokens.refreshTokenReuseGrace = 30 s)', () => {
  it('public client: a reuse inside the window revokes the family; the successor and its access token are dead', async () => {
    const flow = await startFlow(GRACE, { authMethod: 'none' });
    expect(flow.client.record.tokenEndpointAuthMethod).toBe('none');
    const tokens = await signIn(flow.browser, flow.server, flow.client, flow.users.alice, { scope: OFFLINE });
    const successor = await expectTokens(await refresh(flow.server, flow.client, tokens.refresh_token!));
    flow.server.clock.advance(5_000);
    await expectInvalidGrant(await refresh(flow.server, flow.client, tokens.refresh_token!));
    await expectInvalidGrant(await refresh(flow.server, flow.client, successor.refresh_token!));
    expect((await flow.server.get('/userinfo', { headers: { Authorization: `Bearer ${successor.access_token}` } })).status).toBe(401);
    expect(await flow.server.store.audit.tail(10, 'refresh.reuse_detected')).toHaveLength(1);
  });

  it('confidential client: a retry inside the window gets the same successor and the family stays alive', async () => {
    const flow = await startFlow(GRACE);
    expect(flow.client.record.tokenEndpointAuthMethod).toBe('client_secret_basic');
    const tokens = await signIn(flow.browser, flow.server, flow.client, flow.users.alice, { scope: OFFLINE });
    const successor = await expectTokens(await refresh(flow.server, flow.client, tokens.refresh_token!));
    flow.server.clock.advance(5_000);
    const retry = await expectTokens(await refresh(flow.server, flow.client, tokens.refresh_token!));
    expect(retry.refresh_token).toBe(successor.refresh_token);
    await expectTokens(await refresh(flow.server, flow.client, successor.refresh_token!));
  });
});
