/**
 * DPoP (RFC 9449) at the authorization server, through its fetch handler: proofs at the token
 * endpoint bind access tokens (`cnf.jkt`, `token_type: DPoP`), public clients' refresh tokens and
 * `dpop_jkt` codes; UserInfo and introspection understand bound tokens; server nonces; and a proof
 * replayed 100 times at once is accepted once, on every store.
 */
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, closeBackends } from '../helpers/backends.js';
import { dpopProof, newDpopKey, type DpopKey } from '../helpers/dpop.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { asTestClient, authorize, expectTokens, redeemCode, refresh, registerFlowClient, startFlow, type Flow, type FlowClient } from '../helpers/flow.js';
import { basic, startServer, type TestServer } from '../helpers/server.js';

const tokenUrl = (server: TestServer) => `${server.issuer}/token`;
const userinfoUrl = (server: TestServer) => `${server.issuer}/userinfo`;

afterAll(closeBackends);

describe('DPoP at the token endpoint, UserInfo and introspection', () => {
  let flow: Flow;
  let keyA: DpopKey;
  let keyB: DpopKey;

  beforeAll(async () => {
    flow = await startFlow({}, { authMethod: 'none', scope: 'openid profile offline_access' });
    [keyA, keyB] = await Promise.all([newDpopKey(), newDpopKey()]);
  });

  it('advertises the proof algorithms (RFC 9449 §5.1)', async () => {
    const metadata = (await (await flow.server.get('/.well-known/openid-configuration')).json()) as Record<string, unknown>;
    expect(metadata.dpop_signing_alg_values_supported).toEqual(['ES256', 'EdDSA', 'RS256', 'PS256']);
  });

  it('binds client credentials tokens to the proof key; introspection answers cnf and token_type DPoP (§6)', async () => {
    const { server } = flow;
    const service = await server.register({ scope: 'read' });
    const response = await server.requestToken(service, {});
    expect(((await response.json()) as Record<string, unknown>).token_type).toBe('Bearer');

    const bound = await server.post(
      '/token',
      { grant_type: 'client_credentials', scope: 'read' },
      { headers: { Authorization: basic(service.clientId, service.clientSecret), DPoP: await dpopProof(server, keyA, tokenUrl(server)) } },
    );
    const body = (await bound.json()) as { access_token: string; token_type: string };
    expect(bound.status).toBe(200);
    expect(body.token_type).toBe('DPoP');
    expect(decodeJwt(body.access_token).cnf).toEqual({ jkt: keyA.jkt });
    expect(await server.introspect(service, body.access_token)).toMatchObject({ active: true, token_type: 'DPoP', cnf: { jkt: keyA.jkt } });
  });

  it('refuses a replayed proof, a wrong htu, a wrong htm, and a stale or future iat with invalid_dpop_proof', async () => {
    const { server } = flow;
    const service = await server.register({ scope: 'read' });
    const send = (proof: string) =>
      server.post('/token', { grant_type: 'client_credentials' }, { headers: { Authorization: basic(service.clientId, service.clientSecret), DPoP: proof } });
    const now = Math.floor(server.clock.now() / 1000);
    const proof = await dpopProof(server, keyA, tokenUrl(server));
    expect((await send(proof)).status).toBe(200);
    for (const bad of [
      proof,
      await dpopProof(server, keyA, `${server.issuer}/userinfo`),
      await dpopProof(server, keyA, tokenUrl(server), { htm: 'GET' }),
      await dpopProof(server, keyA, tokenUrl(server), { iat: now - 120 }),
      await dpopProof(server, keyA, tokenUrl(server), { iat: now + 60 }),
    ]) {
      const refused = await send(bad);
      expect(refused.status).toBe(400);
      expect(((await refused.json()) as { error: string }).error).toBe('invalid_dpop_proof');
    }
    // Audited (bounded per address), with the reason and never the proof.
    const audited = await server.store.audit.tail(20, 'token.dpop_proof_refused');
    expect(audited.map((event) => event.details.reason)).toContain('the DPoP proof was already used');
    expect(JSON.stringify(audited)).not.toContain(proof.split('.')[2]);
  });

  it('a client registered with dpop_bound_access_tokens must send a proof (§5.2)', async () => {
    const { server } = flow;
    const strict = await server.register({ scope: 'read', dpopBoundAccessTokens: true });
    const refused = await server.requestToken(strict, {});
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: string }).error).toBe('invalid_dpop_proof');
  });

  it('binds a dpop_jkt code, a public client refresh token and its access tokens to one key (§5, §10)', async () => {
    const { server, browser, client, users } = flow;
    const authorized = await authorize(browser, server, client, users.alice, { scope: 'openid profile offline_access', dpop_jkt: keyA.jkt });
    const withB = { headers: { DPoP: await dpopProof(server, keyB, tokenUrl(server)) } };
    const wrongKey = await server.post(
      '/token',
      {
        grant_type: 'authorization_code',
        code: authorized.code,
        code_verifier: authorized.verifier,
        redirect_uri: client.redirectUri,
        client_id: client.clientId,
      },
      withB,
    );
    expect(wrongKey.status).toBe(400);
    expect(((await wrongKey.json()) as { error: string }).error).toBe('invalid_grant');

    const redeemed = await server.post(
      '/token',
      {
        grant_type: 'authorization_code',
        code: authorized.code,
        code_verifier: authorized.verifier,
        redirect_uri: client.redirectUri,
        client_id: client.clientId,
      },
      { headers: { DPoP: await dpopProof(server, keyA, tokenUrl(server)) } },
    );
    const tokens = await expectTokens(redeemed);
    expect(tokens.token_type).toBe('DPoP');
    expect(decodeJwt(tokens.access_token).cnf).toEqual({ jkt: keyA.jkt });

    const refreshWith = async (key: DpopKey | undefined) =>
      server.post(
        '/token',
        { grant_type: 'refresh_token', refresh_token: tokens.refresh_token!, client_id: client.clientId },
        key ? { headers: { DPoP: await dpopProof(server, key, tokenUrl(server)) } } : {},
      );
    for (const key of [keyB, undefined]) {
      const refused = await refreshWith(key);
      expect(refused.status).toBe(400);
      expect(((await refused.json()) as { error: string }).error).toBe('invalid_grant');
    }
    const refreshed = await expectTokens(await refreshWith(keyA));
    expect(refreshed.token_type).toBe('DPoP');
    expect(decodeJwt(refreshed.access_token).cnf).toEqual({ jkt: keyA.jkt });
  });

  it("a confidential client's refresh token is not bound; each new access token binds to that request's proof", async () => {
    const { server, browser, users } = flow;
    const app: FlowClient = await registerFlowClient(server, { scope: 'openid offline_access' });
    const authorized = await authorize(browser, server, app, users.alice, { scope: 'openid offline_access' });
    const tokens = await expectTokens(await redeemCode(server, app, authorized.code, authorized.verifier));
    expect(tokens.token_type).toBe('Bearer');
    const refreshed = await expectTokens(
      await server.post(
        '/token',
        { grant_type: 'refresh_token', refresh_token: tokens.refresh_token! },
        { headers: { Authorization: basic(app.clientId, app.clientSecret!), DPoP: await dpopProof(server, keyB, tokenUrl(server)) } },
      ),
    );
    expect(decodeJwt(refreshed.access_token).cnf).toEqual({ jkt: keyB.jkt });
    await expectTokens(await refresh(server, app, refreshed.refresh_token!));
    expect(await server.introspect(asTestClient(app), refreshed.access_token)).toMatchObject({ token_type: 'DPoP' });
  });

  it('UserInfo takes a bound token only under the DPoP scheme with a valid proof (§7)', async () => {
    const { server, browser, client, users } = flow;
    const authorized = await authorize(browser, server, client, users.alice, { scope: 'openid profile' });
    const tokens = await expectTokens(
      await server.post(
        '/token',
        {
          grant_type: 'authorization_code',
          code: authorized.code,
          code_verifier: authorized.verifier,
          redirect_uri: client.redirectUri,
          client_id: client.clientId,
        },
        { headers: { DPoP: await dpopProof(server, keyA, tokenUrl(server)) } },
      ),
    );
    const token = tokens.access_token;
    const asBearer = await server.get('/userinfo', { headers: { Authorization: `Bearer ${token}` } });
    expect(asBearer.status).toBe(401);
    expect(asBearer.headers.get('www-authenticate')).toMatch(/^Bearer .*error="invalid_token".*, DPoP .*algs="ES256 EdDSA RS256 PS256"/);

    const noProof = await server.get('/userinfo', { headers: { Authorization: `DPoP ${token}` } });
    expect(noProof.status).toBe(401);
    expect(noProof.headers.get('www-authenticate')).toContain('DPoP realm="gatehouse", error="invalid_token"');

    const wrongAth = await server.get('/userinfo', {
      headers: { Authorization: `DPoP ${token}`, DPoP: await dpopProof(server, keyA, userinfoUrl(server), { htm: 'GET', accessToken: 'another token' }) },
    });
    expect(wrongAth.status).toBe(401);
    expect(wrongAth.headers.get('www-authenticate')).toContain('error="invalid_dpop_proof"');

    const otherKey = await server.get('/userinfo', {
      headers: { Authorization: `DPoP ${token}`, DPoP: await dpopProof(server, keyB, userinfoUrl(server), { htm: 'GET', accessToken: token }) },
    });
    expect(otherKey.status).toBe(401);

    const ok = await server.get('/userinfo', {
      headers: { Authorization: `DPoP ${token}`, DPoP: await dpopProof(server, keyA, userinfoUrl(server), { htm: 'GET', accessToken: token }) },
    });
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { sub: string }).sub).toBe(users.alice.record.id);
  });
});

describe('DPoP server nonces (tokens.dpopNonce on, RFC 9449 §8, §9)', () => {
  it('asks for a nonce with use_dpop_nonce and a DPoP-Nonce header, then accepts it; UserInfo too', async () => {
    const server = await startServer({ tokens: { dpopNonce: 'on' } });
    try {
      const key = await newDpopKey();
      const service = await server.register({ scope: 'read' });
      const send = async (nonce?: string) =>
        server.post(
          '/token',
          { grant_type: 'client_credentials' },
          { headers: { Authorization: basic(service.clientId, service.clientSecret), DPoP: await dpopProof(server, key, tokenUrl(server), { nonce }) } },
        );
      const first = await send();
      expect(first.status).toBe(400);
      expect(((await first.json()) as { error: string }).error).toBe('use_dpop_nonce');
      const nonce = first.headers.get('dpop-nonce');
      expect(nonce).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const stale = await send('not-a-nonce');
      expect(((await stale.json()) as { error: string }).error).toBe('use_dpop_nonce');
      const second = await send(nonce!);
      expect(second.status).toBe(200);
      expect(second.headers.get('dpop-nonce')).toBe(nonce);
      // Ten minutes on, the nonce has rotated out.
      server.clock.advance(600_000);
      expect(((await (await send(nonce!)).json()) as { error: string }).error).toBe('use_dpop_nonce');
    } finally {
      await server.server.close();
    }
  });
});

describe.each(BACKENDS)('DPoP proof replay on $name', (backend) => {
  it('100 concurrent token requests with one proof: exactly one succeeds', async () => {
    const clock = new FakeClock();
    const opened = await backend.open(clock);
    const server = await startServer({ store: opened.store, clock, ...opened.serverOptions });
    try {
      const service = await server.register({ scope: 'read' });
      const proof = await dpopProof(server, await newDpopKey(), tokenUrl(server));
      const responses = await Promise.all(
        Array.from({ length: 100 }, () =>
          server.post(
            '/token',
            { grant_type: 'client_credentials' },
            { headers: { Authorization: basic(service.clientId, service.clientSecret), DPoP: proof } },
          ),
        ),
      );
      const statuses = responses.map((response) => response.status);
      expect(statuses.filter((status) => status === 200)).toHaveLength(1);
      expect(statuses.filter((status) => status === 400)).toHaveLength(99);
    } finally {
      await server.server.close();
      await opened.close();
    }
  });
});
