/**
 * RFC 6749 §4.1.2: a code presented after it was redeemed "SHOULD revoke (when possible) all
 * tokens previously issued based on that authorization code" — for as long as those tokens live,
 * not only while the used code itself is still stored (60 s).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { asTestClient, authorize, expectTokens, redeemCode, refresh, startFlow, testUsers, type Flow } from '../../helpers/flow.js';
import { errorBody, type TestServerOptions } from '../../helpers/server.js';

beforeAll(async () => {
  await testUsers();
});

const HOUR = 3_600_000;

async function expectInvalidGrant(response: Response): Promise<void> {
  expect(response.status).toBe(400);
  expect((await errorBody(response)).error).toBe('invalid_grant');
}

async function isActive(flow: Flow, token: string): Promise<boolean> {
  return (await flow.server.introspect(asTestClient(flow.client), token)).active === true;
}

async function replayDetections(flow: Flow): Promise<number> {
  return (await flow.server.store.audit.tail(100, 'code.replay_detected')).length;
}

/** Alice's code redeemed once; the code, its verifier and the tokens of that redemption. */
async function redeemed(options: TestServerOptions, scope: string) {
  const flow = await startFlow(options);
  const { code, verifier } = await authorize(flow.browser, flow.server, flow.client, flow.users.alice, { scope });
  const tokens = await expectTokens(await redeemCode(flow.server, flow.client, code, verifier));
  return { flow, code, verifier, tokens };
}

describe('a code replayed after the used code expired still revokes its tokens (RFC 6749 §4.1.2)', () => {
  it('61 s after redemption: the refresh and access tokens of the first redemption are dead', async () => {
    const { flow, code, verifier, tokens } = await redeemed({}, 'openid offline_access');
    flow.server.clock.advance(61_000);
    expect(await isActive(flow, tokens.access_token)).toBe(true);
    await expectInvalidGrant(await redeemCode(flow.server, flow.client, code, verifier));
    expect(await isActive(flow, tokens.access_token)).toBe(false);
    expect((await flow.server.get('/userinfo', { headers: { Authorization: `Bearer ${tokens.access_token}` } })).status).toBe(401);
    await expectInvalidGrant(await refresh(flow.server, flow.client, tokens.refresh_token!));
    expect(await replayDetections(flow)).toBe(1);
  });

  it('1 h after redemption (access tokens living 2 h): the refresh and access tokens are dead', async () => {
    const { flow, code, verifier, tokens } = await redeemed({ tokens: { accessTokenTtl: 7200 } }, 'openid offline_access');
    flow.server.clock.advance(61_000 + HOUR);
    expect(await isActive(flow, tokens.access_token)).toBe(true);
    await expectInvalidGrant(await redeemCode(flow.server, flow.client, code, verifier));
    expect(await isActive(flow, tokens.access_token)).toBe(false);
    await expectInvalidGrant(await refresh(flow.server, flow.client, tokens.refresh_token!));
    expect(await replayDetections(flow)).toBe(1);
  });

  it('1 h after redemption, the tokens the family rotated to since are dead too', async () => {
    const { flow, code, verifier, tokens } = await redeemed({}, 'openid offline_access');
    flow.server.clock.advance(HOUR);
    const rotated = await expectTokens(await refresh(flow.server, flow.client, tokens.refresh_token!));
    flow.server.clock.advance(61_000);
    await expectInvalidGrant(await redeemCode(flow.server, flow.client, code, verifier));
    expect(await isActive(flow, rotated.access_token)).toBe(false);
    await expectInvalidGrant(await refresh(flow.server, flow.client, rotated.refresh_token!));
  });

  it('without a refresh token, a replay within the access-token lifetime ends the access token; after it, the code is just unknown', async () => {
    const { flow, code, verifier, tokens } = await redeemed({}, 'openid');
    expect(tokens.refresh_token).toBeUndefined();
    flow.server.clock.advance(61_000);
    await expectInvalidGrant(await redeemCode(flow.server, flow.client, code, verifier));
    expect(await isActive(flow, tokens.access_token)).toBe(false);
    expect(await replayDetections(flow)).toBe(1);
    // The tombstone lives as long as the access token did (1 h): then nothing is left to revoke.
    flow.server.clock.advance(HOUR);
    await expectInvalidGrant(await redeemCode(flow.server, flow.client, code, verifier));
    expect(await replayDetections(flow)).toBe(1);
  });
});
