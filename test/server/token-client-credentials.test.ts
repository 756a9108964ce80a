import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { createAuthorizationServer } from '../../src/server/authorization-server.js';
import { createMemoryStore } from '../../src/stores/memory/index.js';
import { registerClient } from '../../src/server/admin/clients.js';
import { SecretKeys } from '../../src/core/secret.js';
import { basic, encodeForm, errorBody, ISSUER, SECRET, startServer } from '../helpers/server.js';

const API = 'https://api.example.com';
const BILLING = 'https://billing.example.com/v1';

describe('token endpoint: client_credentials grant (RFC 6749 §4.4)', () => {
  it('issues a verifiable token from a server built exactly as documented (system clock, fresh keys)', async () => {
    const store = createMemoryStore();
    const secretKeys = new SecretKeys(SECRET);
    const server = createAuthorizationServer({ issuer: ISSUER, store, secret: SECRET, logger: false });
    const { client, clientSecret } = await registerClient(store, secretKeys, { name: 'Service', scope: 'read' }, Date.now());
    const response = await server.fetch(
      new Request(`${ISSUER}/token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: basic(client.clientId, clientSecret!) },
        body: encodeForm({ grant_type: 'client_credentials' }),
      }),
    );
    expect(response.status).toBe(200);
    const { access_token } = (await response.json()) as { access_token: string };
    const jwks = (await (await server.fetch(new Request(`${ISSUER}/jwks`))).json()) as Parameters<typeof createLocalJWKSet>[0];
    const { payload } = await jwtVerify(access_token, createLocalJWKSet(jwks), { issuer: ISSUER, audience: ISSUER, typ: 'at+jwt' });
    expect(payload.client_id).toBe(client.clientId);
    await server.close();
  });

  it('answers with the RFC 6749 §5.1 token response and forbids caching', async () => {
    const server = await startServer();
    const client = await server.register({ scope: 'read write' });
    const response = await server.requestToken(client);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: 3600, scope: 'read write' });
    // §4.4.3: no refresh token for client credentials.
    expect(body).not.toHaveProperty('refresh_token');
  });

  it('signs an RFC 9068 JWT access token: typ at+jwt, ES256, kid published in the JWKS', async () => {
    const server = await startServer();
    const client = await server.register();
    const token = await server.issueToken(client);
    const header = decodeProtectedHeader(token);
    expect(header).toMatchObject({ typ: 'at+jwt', alg: 'ES256', kid: expect.any(String) });
    const jwks = await server.jwks();
    expect(jwks.keys.map((key) => key.kid)).toContain(header.kid);
    const { protectedHeader } = await server.verify(token);
    expect(protectedHeader.kid).toBe(header.kid);
  });

  it('signs with RS256 when configured', async () => {
    const server = await startServer({ tokens: { accessTokenSigningAlg: 'RS256' } });
    const token = await server.issueToken(await server.register());
    expect(decodeProtectedHeader(token).alg).toBe('RS256');
    await expect(server.verify(token)).resolves.toBeDefined();
  });

  it('carries the RFC 9068 §2.2 claims: iss, sub = client_id, aud = issuer by default, exp, iat, jti, client_id, scope', async () => {
    const server = await startServer();
    const client = await server.register({ scope: 'read write' });
    const response = await server.requestToken(client);
    const body = (await response.json()) as { access_token: string; expires_in: number };
    const { payload } = await server.verify(body.access_token);
    const now = Math.floor(server.clock.now() / 1000);
    expect(payload).toEqual({
      iss: ISSUER,
      sub: client.clientId,
      aud: ISSUER,
      exp: now + 3600,
      iat: now,
      jti: expect.any(String),
      client_id: client.clientId,
      scope: 'read write',
    });
    expect(payload.exp! - payload.iat!).toBe(body.expires_in);
  });

  it('gives every token a distinct jti', async () => {
    const server = await startServer();
    const client = await server.register();
    const jtis = new Set<unknown>();
    for (let i = 0; i < 5; i += 1) jtis.add((await server.verify(await server.issueToken(client))).payload.jti);
    expect(jtis.size).toBe(5);
  });

  it('honours a configured token lifetime and default audience', async () => {
    const server = await startServer({ tokens: { accessTokenTtl: 300, defaultAudience: API } });
    const client = await server.register();
    const response = await server.requestToken(client);
    const body = (await response.json()) as { access_token: string; expires_in: number };
    expect(body.expires_in).toBe(300);
    const { payload } = await server.verify(body.access_token);
    expect(payload.aud).toBe(API);
    expect(payload.exp! - payload.iat!).toBe(300);
  });

  describe('scope (RFC 6749 §3.3)', () => {
    it('grants a requested subset of the allowed scopes', async () => {
      const server = await startServer();
      const client = await server.register({ scope: 'read write admin' });
      const response = await server.requestToken(client, { scope: 'read' });
      expect(response.status).toBe(200);
      const body = (await response.json()) as { access_token: string; scope: string };
      expect(body.scope).toBe('read');
      expect((await server.verify(body.access_token)).payload.scope).toBe('read');
    });

    it('refuses a scope the client is not allowed with 400 invalid_scope, issuing nothing', async () => {
      const server = await startServer();
      const client = await server.register({ scope: 'read' });
      const response = await server.requestToken(client, { scope: 'read admin' });
      expect(response.status).toBe(400);
      expect(response.headers.get('cache-control')).toBe('no-store');
      const body = await errorBody(response);
      expect(body.error).toBe('invalid_scope');
      expect(body).not.toHaveProperty('access_token');
    });

    it('refuses a malformed scope token with invalid_scope', async () => {
      const server = await startServer();
      const client = await server.register({ scope: 'read' });
      const response = await server.requestToken(client, { scope: 'read\\' });
      expect(response.status).toBe(400);
      expect((await errorBody(response)).error).toBe('invalid_scope');
    });

    it('grants all allowed scopes when scope is omitted, and says so in the response', async () => {
      const server = await startServer();
      const client = await server.register({ scope: 'read write' });
      const body = (await (await server.requestToken(client)).json()) as { access_token: string; scope: string };
      expect(body.scope).toBe('read write');
      expect((await server.verify(body.access_token)).payload.scope).toBe('read write');
    });

    it('refuses openid (and offline_access): they need an end user', async () => {
      const server = await startServer();
      const client = await server.register({ scope: 'openid offline_access read' });
      for (const scope of ['openid', 'read openid', 'offline_access']) {
        const response = await server.requestToken(client, { scope });
        expect(response.status, scope).toBe(400);
        expect((await errorBody(response)).error, scope).toBe('invalid_scope');
      }
    });

    it('leaves user-only scopes out of the default grant', async () => {
      const server = await startServer();
      const client = await server.register({ scope: 'openid read offline_access' });
      const body = (await (await server.requestToken(client)).json()) as { access_token: string; scope: string };
      expect(body.scope).toBe('read');
      expect((await server.verify(body.access_token)).payload.scope).toBe('read');
    });
  });

  describe('resource indicators (RFC 8707)', () => {
    it('accepts a registered resource and makes it the audience', async () => {
      const server = await startServer();
      const client = await server.register({ resources: [API, BILLING] });
      const response = await server.requestToken(client, { resource: API });
      expect(response.status).toBe(200);
      const { access_token } = (await response.json()) as { access_token: string };
      expect((await server.verify(access_token)).payload.aud).toBe(API);
    });

    it('puts several requested resources in aud', async () => {
      const server = await startServer();
      const client = await server.register({ resources: [API, BILLING] });
      const access_token = await server.issueToken(client, { resource: [API, BILLING] });
      expect((await server.verify(access_token)).payload.aud).toEqual([API, BILLING]);
    });

    it.each([
      ['an unregistered resource', 'https://other.example.com'],
      ['a registered resource with a fragment', `${API}#frag`],
      ['a relative URI', '/api'],
      ['a registered resource with a different path', `${API}/`],
    ])('refuses %s with 400 invalid_target', async (_label, resource) => {
      const server = await startServer();
      const client = await server.register({ resources: [API] });
      const response = await server.requestToken(client, { resource });
      expect(response.status).toBe(400);
      expect((await errorBody(response)).error).toBe('invalid_target');
    });

    it('refuses the whole request when one of several resources is not allowed', async () => {
      const server = await startServer();
      const client = await server.register({ resources: [API] });
      const response = await server.requestToken(client, { resource: [API, 'https://other.example.com'] });
      expect(response.status).toBe(400);
      expect((await errorBody(response)).error).toBe('invalid_target');
    });

    it("does not let a client ask for another client's resource", async () => {
      const server = await startServer();
      await server.register({ resources: [BILLING] });
      const client = await server.register({ resources: [API] });
      const response = await server.requestToken(client, { resource: BILLING });
      expect((await errorBody(response)).error).toBe('invalid_target');
    });
  });
});
