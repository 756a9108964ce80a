import { describe, expect, it } from 'vitest';
import { createAuthorizationServer } from '../../src/server/authorization-server.js';
import { createMemoryStore } from '../../src/stores/memory/index.js';
import { basic, ISSUER, SECRET, startServer, type TestServer } from '../helpers/server.js';

type Metadata = Record<string, unknown> & { issuer: string };

async function metadataAt(server: TestServer, path: string): Promise<Metadata> {
  const response = await server.get(path);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  return (await response.json()) as Metadata;
}

const ENDPOINT_MEMBERS = ['token_endpoint', 'jwks_uri', 'introspection_endpoint', 'revocation_endpoint'] as const;
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

describe('discovery', () => {
  it('serves the same metadata at both well-known locations, with the configured issuer verbatim', async () => {
    // Built exactly as an integrator would, with the system clock and key generation on first start.
    const server = createAuthorizationServer({ issuer: ISSUER, store: createMemoryStore(), secret: SECRET, logger: false });
    const get = async (path: string): Promise<Metadata> => {
      const response = await server.fetch(new Request(`${ISSUER}${path}`));
      expect(response.status).toBe(200);
      return (await response.json()) as Metadata;
    };
    const openid = await get('/.well-known/openid-configuration');
    const oauth = await get('/.well-known/oauth-authorization-server');
    expect(openid.issuer).toBe(ISSUER);
    expect(openid).toMatchObject(oauth);
    await server.close();
  });

  it('puts every endpoint below the issuer, on the issuer (never the request Host)', async () => {
    const server = await startServer();
    const metadata = await metadataAt(server, 'http://evil.example/.well-known/openid-configuration');
    for (const member of ENDPOINT_MEMBERS) {
      expect(metadata[member], member).toEqual(expect.stringMatching(new RegExp(`^${ISSUER}/`)));
    }
    expect(metadata.token_endpoint).toBe(`${ISSUER}/token`);
    expect(metadata.jwks_uri).toBe(`${ISSUER}/jwks`);
  });

  it('advertises exactly the grant types the token endpoint implements', async () => {
    const server = await startServer();
    const metadata = await metadataAt(server, '/.well-known/oauth-authorization-server');
    const advertised = metadata.grant_types_supported as string[];
    expect(advertised).toContain('client_credentials');
    // A client registered for everything, so only "is it implemented" decides the answer.
    const client = await server.register({
      grantTypes: ['client_credentials', 'authorization_code', 'refresh_token'],
      redirectUris: ['https://app.example/cb'],
    });
    const candidates = [
      'client_credentials',
      'authorization_code',
      'refresh_token',
      'password',
      'implicit',
      'urn:ietf:params:oauth:grant-type:device_code',
      'urn:ietf:params:oauth:grant-type:jwt-bearer',
    ];
    for (const grantType of candidates) {
      const response = await server.post('/token', { grant_type: grantType }, { headers: { Authorization: basic(client.clientId, client.clientSecret) } });
      const body = (await response.json()) as { error?: string };
      expect(body.error === 'unsupported_grant_type', `${grantType}: advertised=${advertised.includes(grantType)}, answer=${JSON.stringify(body)}`).toBe(
        !advertised.includes(grantType),
      );
    }
  });

  it('advertises the confidential-client authentication methods, and "none" only with a user-facing grant', async () => {
    const server = await startServer();
    const metadata = await metadataAt(server, '/.well-known/oauth-authorization-server');
    const grants = metadata.grant_types_supported as string[];
    for (const member of [
      'token_endpoint_auth_methods_supported',
      'introspection_endpoint_auth_methods_supported',
      'revocation_endpoint_auth_methods_supported',
    ]) {
      const methods = metadata[member] as string[];
      expect(methods, member).toEqual(expect.arrayContaining(['client_secret_basic', 'client_secret_post']));
      for (const method of methods) expect(['client_secret_basic', 'client_secret_post', 'none', 'private_key_jwt'], member).toContain(method);
      // private_key_jwt (RFC 7523): asymmetric algorithms only, never none or HMAC.
      expect(metadata[member.replace('_methods_', '_signing_alg_values_')], member).toEqual(['RS256', 'PS256', 'ES256', 'EdDSA']);
      if (!grants.includes('authorization_code')) expect(methods, member).not.toContain('none');
    }
  });

  it('advertises only endpoints that exist, and no response type without an authorization endpoint', async () => {
    const server = await startServer();
    const metadata = await metadataAt(server, '/.well-known/oauth-authorization-server');
    for (const member of Object.keys(metadata).filter((key) => key.endsWith('_endpoint') || key === 'jwks_uri')) {
      const response = await server.get(metadata[member] as string);
      expect(response.status, `${member} ${String(metadata[member])}`).not.toBe(404);
    }
    if (metadata.authorization_endpoint === undefined) expect(metadata.response_types_supported).toEqual([]);
  });

  it('advertises the OpenID scopes, plus configured API scopes', async () => {
    const openid = ['openid', 'profile', 'email', 'address', 'phone', 'offline_access'];
    const plain = await metadataAt(await startServer(), '/.well-known/openid-configuration');
    expect(plain.scopes_supported).toEqual(openid);
    const scoped = await metadataAt(await startServer({ scopes: ['read', 'write'] }), '/.well-known/openid-configuration');
    expect(scoped.scopes_supported).toEqual([...openid, 'read', 'write']);
  });

  it('lets browser apps on any origin read metadata, and lets caches keep it briefly', async () => {
    const server = await startServer();
    for (const path of ['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server', '/jwks']) {
      const response = await server.get(path);
      expect(response.headers.get('access-control-allow-origin'), path).toBe('*');
      expect(response.headers.get('cache-control'), path).toMatch(/max-age=\d+/);
    }
  });

  it('refuses POST to the metadata documents with 405 and Allow: GET, HEAD', async () => {
    const server = await startServer();
    const response = await server.post('/.well-known/openid-configuration', {});
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toMatch(/GET/);
  });

  describe('JWKS', () => {
    it('publishes only public keys, each with kid, alg and use "sig", an ES256 and an RS256 key', async () => {
      // A fresh store: keys generated by the server itself on first start.
      const server = await startServer({ seedKeys: false });
      const response = await server.get('/jwks');
      expect(response.status).toBe(200);
      const { keys } = (await response.json()) as { keys: Record<string, unknown>[] };
      expect(keys.length).toBeGreaterThanOrEqual(2);
      for (const key of keys) {
        for (const member of PRIVATE_JWK_MEMBERS) expect(key, `${String(key.kid)} must not have "${member}"`).not.toHaveProperty(member);
        expect(key.kid).toEqual(expect.any(String));
        expect(key.use).toBe('sig');
        expect(['ES256', 'RS256']).toContain(key.alg);
      }
      const es = keys.find((key) => key.alg === 'ES256');
      const rs = keys.find((key) => key.alg === 'RS256');
      expect(es).toMatchObject({ kty: 'EC', crv: 'P-256', x: expect.any(String), y: expect.any(String) });
      expect(rs).toMatchObject({ kty: 'RSA', n: expect.any(String), e: expect.any(String) });
      expect(new Set(keys.map((key) => key.kid)).size).toBe(keys.length);
    });

    it('keeps the same keys across server instances over one store (tokens stay verifiable after a restart)', async () => {
      const first = await startServer({ seedKeys: false });
      const second = await startServer({ store: first.store, clock: first.clock });
      expect(await second.jwks()).toEqual(await first.jwks());
    });
  });

  describe('issuer with a path (multi-tenant)', () => {
    const TENANT = 'https://id.example.com/tenant-a';

    it('serves RFC 8414 metadata with the well-known segment between host and path, and OIDC metadata below the path', async () => {
      const server = await startServer({ issuer: TENANT });
      const oauth = await metadataAt(server, '/.well-known/oauth-authorization-server/tenant-a');
      const openid = await metadataAt(server, '/tenant-a/.well-known/openid-configuration');
      expect(oauth.issuer).toBe(TENANT);
      expect(openid).toMatchObject(oauth);
      for (const member of ENDPOINT_MEMBERS) expect(oauth[member], member).toEqual(expect.stringMatching(/^https:\/\/id\.example\.com\/tenant-a\//));
    });

    it('does not answer at the root, where another tenant or application may live', async () => {
      const server = await startServer({ issuer: TENANT });
      for (const path of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration', '/token', '/jwks']) {
        const response = await server.get(path);
        expect(response.status, path).toBe(404);
      }
    });

    it('issues tokens at the advertised endpoint with the tenant as iss and default aud', async () => {
      const server = await startServer({ issuer: TENANT });
      const metadata = await metadataAt(server, '/.well-known/oauth-authorization-server/tenant-a');
      const client = await server.register();
      const response = await server.post(
        metadata.token_endpoint as string,
        { grant_type: 'client_credentials' },
        { headers: { Authorization: basic(client.clientId, client.clientSecret) } },
      );
      expect(response.status).toBe(200);
      const { access_token } = (await response.json()) as { access_token: string };
      const { payload } = await server.verify(access_token);
      expect(payload.iss).toBe(TENANT);
      expect(payload.aud).toBe(TENANT);
    });

    it('never accepts a token of one tenant at another, even when both share a store and keys', async () => {
      const tenantA = await startServer({ issuer: TENANT });
      const tenantB = await startServer({ issuer: 'https://id.example.com/tenant-b', store: tenantA.store, clock: tenantA.clock });
      const client = await tenantA.register({ isResourceServer: true });
      const token = await tenantA.issueToken(client);
      expect((await tenantA.introspect(client, token)).active).toBe(true);
      expect(await tenantB.introspect(client, token)).toEqual({ active: false });
    });

    // BUG (src/server/router.ts:19): routes are built from `issuerUrl.pathname`, the percent-encoded
    // path, but Hono matches against the decoded request path, so an issuer whose path holds a
    // percent-encoded character (a valid URL, RFC 3986 §2.1) is accepted and then answers 404 everywhere.
    // An issuer path is a route prefix: only unreserved characters, so it reads the same encoded
    // and decoded and cannot smuggle route syntax such as ":tenant" (a wildcard) into the router.
    it.each(['https://id.example.com/t%C3%A9nant', 'https://id.example.com/:tenant', 'https://id.example.com/tenant a'])(
      'refuses the issuer %s at construction, naming the option',
      (issuer) => {
        expect(() => createAuthorizationServer({ issuer, store: createMemoryStore(), secret: 'x'.repeat(40), logger: false })).toThrow(
          expect.objectContaining({ name: 'ConfigError', option: 'issuer' }),
        );
      },
    );
  });
});
