import { describe, expect, it } from 'vitest';
import { basic, errorBody, startServer, type TestClient, type TestServer } from '../helpers/server.js';

function revoke(server: TestServer, client: TestClient, fields: Record<string, string>): Promise<Response> {
  return server.post('/revoke', fields, { headers: { Authorization: basic(client.clientId, client.clientSecret) } });
}

describe('token revocation (RFC 7009)', () => {
  it('revokes the caller’s own token: 200, then introspection reports it inactive', async () => {
    const server = await startServer();
    const client = await server.register();
    const api = await server.register({ isResourceServer: true });
    const token = await server.issueToken(client);
    expect((await server.introspect(client, token)).active).toBe(true);
    const response = await revoke(server, client, { token });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await server.introspect(client, token)).toEqual({ active: false });
    // Resource servers see the revocation too: this is how an API learns a token is dead.
    expect(await server.introspect(api, token)).toEqual({ active: false });
  });

  it('revokes only the token presented, not the client’s other tokens', async () => {
    const server = await startServer();
    const client = await server.register();
    const revoked = await server.issueToken(client);
    const kept = await server.issueToken(client);
    expect((await revoke(server, client, { token: revoked })).status).toBe(200);
    expect((await server.introspect(client, kept)).active).toBe(true);
  });

  it('authenticates the caller with client_secret_post too', async () => {
    const server = await startServer();
    const client = await server.register({ authMethod: 'client_secret_post' });
    const issued = await server.post('/token', { grant_type: 'client_credentials', client_id: client.clientId, client_secret: client.clientSecret });
    const { access_token: token } = (await issued.json()) as { access_token: string };
    const response = await server.post('/revoke', { token, client_id: client.clientId, client_secret: client.clientSecret });
    expect(response.status).toBe(200);
    expect(await server.introspect(client, token)).toEqual({ active: false });
  });

  it('revokes whatever token_type_hint says, since it is only a hint (§2.1)', async () => {
    const server = await startServer();
    const client = await server.register();
    const token = await server.issueToken(client);
    expect((await revoke(server, client, { token, token_type_hint: 'refresh_token' })).status).toBe(200);
    expect(await server.introspect(client, token)).toEqual({ active: false });
  });

  it.each([
    ['an unknown token', 'no-such-token'],
    ['a JWT-shaped string', 'eyJhbGciOiJFUzI1NiJ9.e30.c2ln'],
  ])('answers 200 for %s, so clients cannot probe (§2.2)', async (_label, token) => {
    const server = await startServer();
    const client = await server.register();
    const response = await revoke(server, client, { token });
    expect(response.status).toBe(200);
  });

  it('answers 200 for an already revoked or expired token', async () => {
    const server = await startServer();
    const client = await server.register();
    const token = await server.issueToken(client);
    expect((await revoke(server, client, { token })).status).toBe(200);
    expect((await revoke(server, client, { token })).status).toBe(200);
    const expiring = await server.issueToken(client);
    server.clock.advance(3_600_000);
    expect((await revoke(server, client, { token: expiring })).status).toBe(200);
  });

  it("refuses to revoke another client's token with an OAuth error, and the token stays active (§2.1)", async () => {
    const server = await startServer();
    const alice = await server.register();
    const mallory = await server.register();
    const token = await server.issueToken(alice);
    const response = await revoke(server, mallory, { token });
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
    expect((await errorBody(response)).error).toBe('unauthorized_client');
    expect((await server.introspect(alice, token)).active).toBe(true);
  });

  // BUG (src/server/endpoints/revocation.ts:14 using mayAccess from presented-token.ts:29-31): the
  // introspection policy "a resource server may see any token" is reused for revocation, so any
  // client flagged isResourceServer can revoke every other client's tokens. RFC 7009 §2.1: the
  // server "verifies whether the token was issued to the client making the revocation request.
  // If this validation fails, the request is refused"; the endpoint's own doc says the same.
  it("does not let a resource server revoke another client's token", async () => {
    const server = await startServer();
    const alice = await server.register();
    const api = await server.register({ isResourceServer: true });
    const token = await server.issueToken(alice);
    const response = await revoke(server, api, { token });
    expect(response.status).toBe(400);
    expect((await server.introspect(alice, token)).active).toBe(true);
  });

  it('stays revoked for a new server instance over the same store (restart, other process)', async () => {
    const first = await startServer();
    const client = await first.register();
    const token = await first.issueToken(client);
    expect((await revoke(first, client, { token })).status).toBe(200);
    const second = await startServer({ store: first.store, clock: first.clock });
    expect(await second.introspect(client, token)).toEqual({ active: false });
  });

  it('keeps unrevoked tokens active for a new server instance over the same store', async () => {
    const first = await startServer();
    const client = await first.register();
    const token = await first.issueToken(client);
    const second = await startServer({ store: first.store, clock: first.clock });
    expect((await second.introspect(client, token)).active).toBe(true);
  });

  describe('refuses bad requests', () => {
    it('401 invalid_client without credentials, leaving the token active', async () => {
      const server = await startServer();
      const client = await server.register();
      const token = await server.issueToken(client);
      const response = await server.post('/revoke', { token });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Basic /i);
      expect((await errorBody(response)).error).toBe('invalid_client');
      expect((await server.introspect(client, token)).active).toBe(true);
    });

    it('401 invalid_client with a wrong secret, leaving the token active', async () => {
      const server = await startServer();
      const client = await server.register();
      const token = await server.issueToken(client);
      const response = await server.post('/revoke', { token }, { headers: { Authorization: basic(client.clientId, 'wrong') } });
      expect(response.status).toBe(401);
      expect((await server.introspect(client, token)).active).toBe(true);
    });

    it('400 invalid_request when token is missing', async () => {
      const server = await startServer();
      const client = await server.register();
      const response = await revoke(server, client, { token_type_hint: 'access_token' });
      expect(response.status).toBe(400);
      expect((await errorBody(response)).error).toBe('invalid_request');
    });

    it('405 for GET', async () => {
      const server = await startServer();
      const response = await server.get('/revoke');
      expect(response.status).toBe(405);
      expect(response.headers.get('allow')).toBe('POST');
    });
  });
});
