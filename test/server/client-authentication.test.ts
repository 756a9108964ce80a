import { describe, expect, it } from 'vitest';
import { SecretKeys } from '../../src/core/secret.js';
import { registerClient, rotateClientSecret } from '../../src/server/admin/clients.js';
import { basic, errorBody, rawBasic, startServer, type FormFields, type TestServer } from '../helpers/server.js';

const GRANT: FormFields = { grant_type: 'client_credentials' };

/** Percent-encodes every character, as a client may when form-urlencoding (RFC 6749 §2.3.1, Appendix B). */
function percentEncodeAll(value: string): string {
  return [...Buffer.from(value, 'utf8')].map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`).join('');
}

async function tokenWithAuthorization(server: TestServer, authorization: string, fields: FormFields = GRANT): Promise<Response> {
  return server.post('/token', fields, { headers: { Authorization: authorization } });
}

/** RFC 6749 §5.2: invalid_client, 401, and (RFC 7235 §3.1) a WWW-Authenticate challenge. */
async function expectInvalidClient(response: Response): Promise<{ error: string; error_description?: string }> {
  expect(response.status).toBe(401);
  expect(response.headers.get('www-authenticate')).toMatch(/^Basic /i);
  expect(response.headers.get('cache-control')).toBe('no-store');
  const body = await errorBody(response);
  expect(body.error).toBe('invalid_client');
  expect(body).not.toHaveProperty('access_token');
  return body;
}

describe('client authentication at the token endpoint (RFC 6749 §2.3)', () => {
  describe('accepted', () => {
    it('client_secret_basic', async () => {
      const server = await startServer();
      const client = await server.register();
      const response = await tokenWithAuthorization(server, basic(client.clientId, client.clientSecret));
      expect(response.status).toBe(200);
      expect((await server.verify(((await response.json()) as { access_token: string }).access_token)).payload.client_id).toBe(client.clientId);
    });

    it('the Basic scheme name in any case (RFC 7617 §2)', async () => {
      const server = await startServer();
      const client = await server.register();
      const header = basic(client.clientId, client.clientSecret).replace(/^Basic/, 'bAsIc');
      expect((await tokenWithAuthorization(server, header)).status).toBe(200);
    });

    it('client_secret_post for a client registered for it', async () => {
      const server = await startServer();
      const client = await server.register({ authMethod: 'client_secret_post' });
      const response = await server.post('/token', { ...GRANT, client_id: client.clientId, client_secret: client.clientSecret });
      expect(response.status).toBe(200);
      const { access_token } = (await response.json()) as { access_token: string };
      expect((await server.verify(access_token)).payload.sub).toBe(client.clientId);
    });

    it('Basic credentials whose id and secret were form-urlencoded character by character before Base64', async () => {
      const server = await startServer();
      const client = await server.register();
      const header = rawBasic(`${percentEncodeAll(client.clientId)}:${percentEncodeAll(client.clientSecret)}`);
      expect((await tokenWithAuthorization(server, header)).status).toBe(200);
    });

    it('a client id containing ":", " " and "+", form-urlencoded as RFC 6749 §2.3.1 requires', async () => {
      const server = await startServer();
      const registered = await server.register();
      const clientId = 'svc:a b+c';
      await server.store.clients.create({ ...registered.record, clientId });
      // ":" -> %3A, " " -> "+", "+" -> %2B
      const header = rawBasic(`svc%3Aa+b%2Bc:${registered.clientSecret}`);
      const response = await tokenWithAuthorization(server, header);
      expect(response.status).toBe(200);
      const { access_token } = (await response.json()) as { access_token: string };
      expect((await server.verify(access_token)).payload.client_id).toBe(clientId);
    });

    it('a body client_id that repeats the one in the Basic header', async () => {
      const server = await startServer();
      const client = await server.register();
      const response = await server.post(
        '/token',
        { ...GRANT, client_id: client.clientId },
        { headers: { Authorization: basic(client.clientId, client.clientSecret) } },
      );
      expect(response.status).toBe(200);
    });
  });

  describe('refused with 401 invalid_client', () => {
    it('a wrong secret', async () => {
      const server = await startServer();
      const client = await server.register();
      await expectInvalidClient(await tokenWithAuthorization(server, basic(client.clientId, `${client.clientSecret}x`)));
      await expectInvalidClient(await tokenWithAuthorization(server, basic(client.clientId, '')));
    });

    it("another client's secret", async () => {
      const server = await startServer();
      const alice = await server.register();
      const bob = await server.register();
      await expectInvalidClient(await tokenWithAuthorization(server, basic(alice.clientId, bob.clientSecret)));
    });

    it('an unknown client, with the same body as a wrong secret (no client enumeration)', async () => {
      const server = await startServer();
      const client = await server.register();
      const wrongSecret = await expectInvalidClient(await tokenWithAuthorization(server, basic(client.clientId, 'nope')));
      const unknown = await expectInvalidClient(await tokenWithAuthorization(server, basic('no-such-client', 'nope')));
      expect(unknown).toEqual(wrongSecret);
    });

    // BUG (src/server/client-auth.ts:35): a method mismatch answers "this client must use
    // client_secret_basic", which an unknown id never gets, so anyone can probe which client ids
    // exist; the function's own contract says failures do not tell whether the client exists.
    it('a known client with the wrong method, indistinguishable from an unknown client', async () => {
      const server = await startServer();
      const client = await server.register({ authMethod: 'client_secret_basic' });
      const known = await expectInvalidClient(await server.post('/token', { ...GRANT, client_id: client.clientId, client_secret: 'guess' }));
      const unknown = await expectInvalidClient(await server.post('/token', { ...GRANT, client_id: 'no-such-client', client_secret: 'guess' }));
      expect(known).toEqual(unknown);
    });

    it('client_secret_post by a client registered for client_secret_basic, even with the right secret', async () => {
      const server = await startServer();
      const client = await server.register({ authMethod: 'client_secret_basic' });
      await expectInvalidClient(await server.post('/token', { ...GRANT, client_id: client.clientId, client_secret: client.clientSecret }));
    });

    it('client_secret_basic by a client registered for client_secret_post, even with the right secret', async () => {
      const server = await startServer();
      const client = await server.register({ authMethod: 'client_secret_post' });
      await expectInvalidClient(await tokenWithAuthorization(server, basic(client.clientId, client.clientSecret)));
    });

    it('no credentials at all', async () => {
      const server = await startServer();
      await expectInvalidClient(await server.post('/token', GRANT));
    });

    it('a confidential client that sends only its client_id', async () => {
      const server = await startServer();
      const client = await server.register({ authMethod: 'client_secret_post' });
      await expectInvalidClient(await server.post('/token', { ...GRANT, client_id: client.clientId }));
    });

    it.each([
      ['invalid Base64', 'Basic !!!not-base64!!!'],
      ['no colon', rawBasic('just-an-id')],
      ['an empty client id', rawBasic(':secret')],
      ['malformed percent-encoding', rawBasic('%E0%A4%A:secret')],
      ['an empty credential', 'Basic '],
      ['another scheme', 'Bearer abc.def.ghi'],
    ])('an Authorization header with %s', async (_label, header) => {
      const server = await startServer();
      await server.register();
      await expectInvalidClient(await tokenWithAuthorization(server, header));
    });

    it('the old secret after the secret was rotated', async () => {
      const server = await startServer();
      const client = await server.register();
      const { clientSecret } = await rotateClientSecret(server.store, server.secretKeys, client.clientId, server.clock.now());
      await expectInvalidClient(await tokenWithAuthorization(server, basic(client.clientId, client.clientSecret)));
      expect((await tokenWithAuthorization(server, basic(client.clientId, clientSecret!))).status).toBe(200);
    });

    it('a deleted client', async () => {
      const server = await startServer();
      const client = await server.register();
      await server.store.clients.delete(client.clientId);
      await expectInvalidClient(await tokenWithAuthorization(server, basic(client.clientId, client.clientSecret)));
    });

    it('a client secret hashed under a different installation secret', async () => {
      const server = await startServer();
      const { client, clientSecret } = await registerClient(server.store, new SecretKeys('z'.repeat(40)), { name: 'foreign' }, server.clock.now());
      await expectInvalidClient(await tokenWithAuthorization(server, basic(client.clientId, clientSecret!)));
    });
  });

  describe('refused with 400', () => {
    it('invalid_request when Basic and client_secret in the body are both used (§2.3: one method only)', async () => {
      const server = await startServer();
      const client = await server.register();
      const response = await server.post(
        '/token',
        { ...GRANT, client_secret: client.clientSecret },
        { headers: { Authorization: basic(client.clientId, client.clientSecret) } },
      );
      expect(response.status).toBe(400);
      const body = await errorBody(response);
      expect(body.error).toBe('invalid_request');
      expect(body).not.toHaveProperty('access_token');
    });

    it('invalid_request when the body client_id differs from the Basic one', async () => {
      const server = await startServer();
      const alice = await server.register();
      const bob = await server.register();
      const response = await server.post(
        '/token',
        { ...GRANT, client_id: bob.clientId },
        { headers: { Authorization: basic(alice.clientId, alice.clientSecret) } },
      );
      expect(response.status).toBe(400);
      expect((await errorBody(response)).error).toBe('invalid_request');
    });

    it('unauthorized_client for a client not registered for client_credentials', async () => {
      const server = await startServer();
      const client = await server.register({ grantTypes: ['authorization_code', 'refresh_token'], redirectUris: ['https://app.example/cb'] });
      const response = await tokenWithAuthorization(server, basic(client.clientId, client.clientSecret));
      expect(response.status).toBe(400);
      expect((await errorBody(response)).error).toBe('unauthorized_client');
    });

    it('invalid_request when grant_type is missing', async () => {
      const server = await startServer();
      const client = await server.register();
      const response = await tokenWithAuthorization(server, basic(client.clientId, client.clientSecret), { scope: 'read' });
      expect(response.status).toBe(400);
      expect((await errorBody(response)).error).toBe('invalid_request');
    });

    it('invalid_request when grant_type is empty (an empty parameter counts as omitted, §3.1)', async () => {
      const server = await startServer();
      const client = await server.register();
      const response = await tokenWithAuthorization(server, basic(client.clientId, client.clientSecret), { grant_type: '' });
      expect((await errorBody(response)).error).toBe('invalid_request');
    });

    it.each(['password', 'implicit', 'urn:ietf:params:oauth:grant-type:saml2-bearer', 'urn:ietf:params:oauth:grant-type:jwt-bearer', 'CLIENT_CREDENTIALS'])(
      'unsupported_grant_type for grant_type=%s',
      async (grantType) => {
        const server = await startServer();
        const client = await server.register({
          grantTypes: ['client_credentials', 'authorization_code', 'refresh_token'],
          redirectUris: ['https://app.example/cb'],
        });
        const response = await tokenWithAuthorization(server, basic(client.clientId, client.clientSecret), { grant_type: grantType });
        expect(response.status).toBe(400);
        expect((await errorBody(response)).error).toBe('unsupported_grant_type');
      },
    );

    // BUG (src/server/endpoints/token.ts:18): GRANT_HANDLERS is a plain object indexed with the raw
    // grant_type, so inherited names (toString, constructor, ...) are found as "handlers" and the
    // request is answered unauthorized_client instead of RFC 6749 §5.2 unsupported_grant_type.
    it.each(['toString', '__proto__'])('unsupported_grant_type for grant_type=%s (an Object.prototype name)', async (grantType) => {
      const server = await startServer();
      const client = await server.register();
      const response = await tokenWithAuthorization(server, basic(client.clientId, client.clientSecret), { grant_type: grantType });
      expect(response.status).toBe(400);
      expect((await errorBody(response)).error).toBe('unsupported_grant_type');
    });
  });
});
