import { beforeAll, describe, expect, it } from 'vitest';
import {
  asTestClient,
  Browser,
  expectTokens,
  readIdToken,
  refresh,
  registerFlowClient,
  signIn,
  startFlow,
  testUsers,
  type Flow,
  type Tokens,
} from '../../helpers/flow.js';
import { errorBody, type TestServerOptions } from '../../helpers/server.js';

beforeAll(async () => {
  await testUsers();
});

const OFFLINE = 'openid email offline_access';

/** A flow where alice signed in with `openid email offline_access`: the tokens of the code exchange. */
async function offlineSession(options: TestServerOptions = {}): Promise<Flow & { tokens: Tokens }> {
  const flow = await startFlow(options);
  const tokens = await signIn(flow.browser, flow.server, flow.client, flow.users.alice, { scope: OFFLINE });
  if (!tokens.refresh_token) throw new Error('no refresh token');
  return { ...flow, tokens };
}

async function expectInvalidGrant(response: Response): Promise<void> {
  expect(response.status).toBe(400);
  expect((await errorBody(response)).error).toBe('invalid_grant');
}

async function isActive(flow: Flow, accessToken: string): Promise<boolean> {
  return (await flow.server.introspect(asTestClient(flow.client), accessToken)).active === true;
}

describe('refresh token grant (RFC 6749 §6) with rotation (RFC 9700 §4.14.2)', () => {
  it('rotates: a new refresh token and access token; the old refresh token no longer works', async () => {
    const flow = await offlineSession();
    flow.server.clock.advance(60_000);
    const response = await refresh(flow.server, flow.client, flow.tokens.refresh_token!);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const next = await expectTokens(response);
    expect(next.refresh_token).toBeTruthy();
    expect(next.refresh_token).not.toBe(flow.tokens.refresh_token);
    expect(next.access_token).not.toBe(flow.tokens.access_token);
    expect(next.scope!.split(' ').sort()).toEqual(OFFLINE.split(' ').sort());
    // A refreshed ID token keeps the original authentication (OIDC Core §12.2).
    const original = readIdToken(flow.tokens.id_token!).claims;
    const refreshed = readIdToken(next.id_token!).claims;
    expect(refreshed.sub).toBe(original.sub);
    expect(refreshed.auth_time).toBe(original.auth_time);
    expect(refreshed.iat).toBe(original.iat! + 60);
    await expectInvalidGrant(await refresh(flow.server, flow.client, flow.tokens.refresh_token!));
  });

  it('on reuse of a rotated token answers invalid_grant and revokes the whole family', async () => {
    const flow = await offlineSession();
    const second = await expectTokens(await refresh(flow.server, flow.client, flow.tokens.refresh_token!));
    const third = await expectTokens(await refresh(flow.server, flow.client, second.refresh_token!));
    expect(await isActive(flow, third.access_token)).toBe(true);
    // An attacker (or the client) presents the first, rotated-out token.
    await expectInvalidGrant(await refresh(flow.server, flow.client, flow.tokens.refresh_token!));
    // The newest refresh token and every access token of the grant are dead.
    await expectInvalidGrant(await refresh(flow.server, flow.client, third.refresh_token!));
    for (const accessToken of [flow.tokens.access_token, second.access_token, third.access_token]) {
      expect(await isActive(flow, accessToken)).toBe(false);
    }
    const userinfo = await flow.server.get('/userinfo', { headers: { Authorization: `Bearer ${third.access_token}` } });
    expect(userinfo.status).toBe(401);
  });

  it("reuse ends only that token family: the same user's other sign-in to the client keeps working", async () => {
    const flow = await offlineSession();
    const other = await signIn(new Browser(flow.server), flow.server, flow.client, flow.users.alice, { scope: OFFLINE });
    await expectTokens(await refresh(flow.server, flow.client, flow.tokens.refresh_token!));
    await expectInvalidGrant(await refresh(flow.server, flow.client, flow.tokens.refresh_token!));
    expect(await isActive(flow, other.access_token)).toBe(true);
    await expectTokens(await refresh(flow.server, flow.client, other.refresh_token!));
  });

  it('with a reuse grace of 10 s, a retry within the window returns the same successor and the grant stays alive', async () => {
    const flow = await offlineSession({ tokens: { refreshTokenReuseGrace: 10 } });
    const first = await expectTokens(await refresh(flow.server, flow.client, flow.tokens.refresh_token!));
    flow.server.clock.advance(5_000);
    const retry = await expectTokens(await refresh(flow.server, flow.client, flow.tokens.refresh_token!));
    expect(retry.refresh_token).toBe(first.refresh_token);
    expect(await isActive(flow, first.access_token)).toBe(true);
    expect(await isActive(flow, retry.access_token)).toBe(true);
    const next = await expectTokens(await refresh(flow.server, flow.client, first.refresh_token!));
    expect(next.refresh_token).not.toBe(first.refresh_token);
  });

  it('with a reuse grace of 10 s, a retry after the window revokes the grant', async () => {
    const flow = await offlineSession({ tokens: { refreshTokenReuseGrace: 10 } });
    const first = await expectTokens(await refresh(flow.server, flow.client, flow.tokens.refresh_token!));
    flow.server.clock.advance(11_000);
    await expectInvalidGrant(await refresh(flow.server, flow.client, flow.tokens.refresh_token!));
    await expectInvalidGrant(await refresh(flow.server, flow.client, first.refresh_token!));
    expect(await isActive(flow, first.access_token)).toBe(false);
  });

  it('with a reuse grace, a retry by another client is still refused and never gets the successor', async () => {
    const flow = await offlineSession({ tokens: { refreshTokenReuseGrace: 10 } });
    const other = await registerFlowClient(flow.server, { name: 'Other App' });
    await expectTokens(await refresh(flow.server, flow.client, flow.tokens.refresh_token!));
    const response = await refresh(flow.server, other, flow.tokens.refresh_token!);
    await expectInvalidGrant(response);
  });

  it('20 concurrent refreshes of one token without grace: exactly one succeeds, then the family is revoked', async () => {
    const flow = await offlineSession();
    const responses = await Promise.all(Array.from({ length: 20 }, () => refresh(flow.server, flow.client, flow.tokens.refresh_token!)));
    const bodies = await Promise.all(
      responses.map(async (response) => ({ status: response.status, body: (await response.json()) as Record<string, unknown> })),
    );
    const ok = bodies.filter((result) => result.status === 200);
    expect(ok).toHaveLength(1);
    for (const result of bodies.filter((candidate) => candidate.status !== 200)) expect(result.body.error).toBe('invalid_grant');
    const winner = ok[0]!.body as unknown as Tokens;
    // Concurrent use is reuse: the winner's tokens are revoked with the rest of the family.
    await expectInvalidGrant(await refresh(flow.server, flow.client, winner.refresh_token!));
    expect(await isActive(flow, winner.access_token)).toBe(false);
    expect(await isActive(flow, flow.tokens.access_token)).toBe(false);
  });

  it('narrows the scope of the access token while the refresh token keeps the original scope (RFC 6749 §6)', async () => {
    const flow = await offlineSession();
    const narrow = await expectTokens(await refresh(flow.server, flow.client, flow.tokens.refresh_token!, { scope: 'openid' }));
    expect(narrow.scope).toBe('openid');
    expect((await flow.server.verify(narrow.access_token)).payload.scope).toBe('openid');
    expect(readIdToken(narrow.id_token!).claims.email).toBeUndefined();
    // The next refresh may ask for the original scope again.
    const wide = await expectTokens(await refresh(flow.server, flow.client, narrow.refresh_token!, { scope: OFFLINE }));
    expect(wide.scope!.split(' ').sort()).toEqual(OFFLINE.split(' ').sort());
    expect(readIdToken(wide.id_token!).claims.email).toBe('alice@example.com');
    const unchanged = await expectTokens(await refresh(flow.server, flow.client, wide.refresh_token!));
    expect(unchanged.scope!.split(' ').sort()).toEqual(OFFLINE.split(' ').sort());
  });

  it('refuses a scope beyond the grant with invalid_scope, without burning the refresh token', async () => {
    const flow = await offlineSession();
    for (const scope of ['openid profile', 'openid email offline_access phone']) {
      const response = await refresh(flow.server, flow.client, flow.tokens.refresh_token!, { scope });
      expect(response.status).toBe(400);
      expect((await errorBody(response)).error).toBe('invalid_scope');
    }
    await expectTokens(await refresh(flow.server, flow.client, flow.tokens.refresh_token!));
  });

  it("refuses another client's refresh token with invalid_grant; it still works for its own client", async () => {
    const flow = await offlineSession();
    const other = await registerFlowClient(flow.server, { name: 'Other App' });
    await expectInvalidGrant(await refresh(flow.server, other, flow.tokens.refresh_token!));
    const next = await expectTokens(await refresh(flow.server, flow.client, flow.tokens.refresh_token!));
    expect(await isActive(flow, next.access_token)).toBe(true);
  });

  it('refuses a refresh token after the user is disabled', async () => {
    const flow = await offlineSession();
    const user = (await flow.server.store.users.get(flow.users.alice.record.id))!;
    await flow.server.store.users.update({ ...user, disabled: true });
    await expectInvalidGrant(await refresh(flow.server, flow.client, flow.tokens.refresh_token!));
  });

  it('refuses an expired refresh token (30 days by default)', async () => {
    const flow = await offlineSession();
    flow.server.clock.advance(30 * 86_400_000 + 1_000);
    await expectInvalidGrant(await refresh(flow.server, flow.client, flow.tokens.refresh_token!));
  });
});
