/**
 * `private_key_jwt` client authentication (RFC 7523 §2.2, §3; OIDC Core §9) through the server's
 * fetch handler: what a client signing its assertions relies on, every refusal an attacker would
 * try (replayed `jti`, wrong audience, expired or long-lived assertions, another key or client,
 * `alg: none`/HMAC, a secret instead), single use under 100 concurrent replays on every store, and
 * keys by `jwks_uri` (SSRF-safe fetch, cache, one refetch on an unknown `kid`).
 */
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerClient, type NewClientInput } from '../../src/server/admin/clients.js';
import { JWT_BEARER_ASSERTION } from '../../src/server/client-auth.js';
import { createAuditLog } from '../../src/server/audit/audit-log.js';
import { issueInitialAccessToken } from '../../src/server/clients/initial-access-tokens.js';
import { silentLogger } from '../../src/core/logger.js';
import type { ClientRecord } from '../../src/stores/contract.js';
import { BACKENDS, closeBackends } from '../helpers/backends.js';
import { json, startDocumentServer, type DocumentServer } from '../helpers/document-server.js';
import { FakeClock, T0 } from '../helpers/fake-clock.js';
import { basic, errorBody, ISSUER, startServer, type FormFields, type TestServer } from '../helpers/server.js';

afterAll(closeBackends);

interface ClientKey {
  privateKey: CryptoKey;
  jwk: JWK;
  alg: string;
}

async function clientKey(alg = 'ES256', kid: string = randomUUID()): Promise<ClientKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' }, alg };
}

async function registerKeyClient(t: TestServer, input: Partial<NewClientInput>): Promise<ClientRecord> {
  const { client } = await registerClient(
    t.store,
    t.secretKeys,
    { name: 'Signing service', grantTypes: ['client_credentials'], scope: 'read', authMethod: 'private_key_jwt', ...input },
    t.clock.now(),
  );
  return client;
}

/** A client assertion as RFC 7523 §3 describes it, at the server's (fake) time; `claims` override. */
function assertion(t: TestServer, clientId: string, key: ClientKey, claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}) {
  const now = Math.floor(t.clock.now() / 1000);
  return new SignJWT({ iss: clientId, sub: clientId, aud: t.issuer, iat: now, exp: now + 60, jti: randomUUID(), ...claims })
    .setProtectedHeader({ alg: key.alg, kid: key.jwk.kid!, ...header })
    .sign(key.privateKey);
}

const tokenWith = (t: TestServer, jwt: string, fields: FormFields = {}) =>
  t.post('/token', { grant_type: 'client_credentials', client_assertion_type: JWT_BEARER_ASSERTION, client_assertion: jwt, ...fields });

async function expectRefused(response: Response): Promise<void> {
  expect(response.status).toBe(401);
  expect((await errorBody(response)).error).toBe('invalid_client');
  expect(response.headers.get('www-authenticate')).toMatch(/^Basic/);
}

describe('private_key_jwt with inline jwks', () => {
  let t: TestServer;
  let key: ClientKey;
  let client: ClientRecord;

  beforeAll(async () => {
    t = await startServer();
    key = await clientKey();
    client = await registerKeyClient(t, { jwks: { keys: [key.jwk] } });
  });
  afterAll(() => t.server.close());

  it('is advertised in discovery, asymmetric algorithms only', async () => {
    const metadata = (await (await t.get('/.well-known/openid-configuration')).json()) as Record<string, unknown>;
    expect(metadata.token_endpoint_auth_methods_supported).toContain('private_key_jwt');
    expect(metadata.token_endpoint_auth_signing_alg_values_supported).toEqual(['RS256', 'PS256', 'ES256', 'EdDSA']);
  });

  it('issues a token for a valid assertion (client_id in the body optional, and must match), and introspects with one', async () => {
    const response = await tokenWith(t, await assertion(t, client.clientId, key), { client_id: client.clientId });
    expect(response.status).toBe(200);
    const { access_token } = (await response.json()) as { access_token: string };
    expect((await t.verify(access_token)).payload.client_id).toBe(client.clientId);
    const introspection = await t.post('/introspect', {
      token: access_token,
      client_assertion_type: JWT_BEARER_ASSERTION,
      client_assertion: await assertion(t, client.clientId, key),
    });
    expect(await introspection.json()).toMatchObject({ active: true, client_id: client.clientId });
  });

  it('refuses a replayed jti (RFC 7523 §3 item 7)', async () => {
    const jwt = await assertion(t, client.clientId, key);
    expect((await tokenWith(t, jwt)).status).toBe(200);
    await expectRefused(await tokenWith(t, jwt));
  });

  it.each([
    ['the token endpoint URL as aud (draft-ietf-oauth-rfc7523bis: the issuer alone)', () => ({ aud: `${ISSUER}/token` }), {}],
    ['aud listing the issuer and another audience', () => ({ aud: [ISSUER, 'https://other.example'] }), {}],
    ['an expired assertion', () => ({ iat: Math.floor(T0 / 1000) - 600, exp: Math.floor(T0 / 1000) - 120 }), {}],
    ['a lifetime over 5 minutes (exp - iat)', () => ({ exp: Math.floor(T0 / 1000) + 3600 }), {}],
    ['an exp too far ahead without iat', () => ({ iat: undefined, exp: Math.floor(T0 / 1000) + 1800 }), {}],
    ['no exp', () => ({ exp: undefined }), {}],
    ['no jti', () => ({ jti: undefined }), {}],
    ['sub not the client', () => ({ sub: 'someone-else' }), {}],
    ['iat in the future', () => ({ iat: Math.floor(T0 / 1000) + 120, exp: Math.floor(T0 / 1000) + 150 }), {}],
    ['a request object typ', () => ({}), { typ: 'oauth-authz-req+jwt' }],
    ['an untyped request object with sub and jti (RFC 8725 §2.8)', () => ({ response_type: 'code', client_id: client.clientId, scope: 'read' }), {}],
  ])('refuses %s', async (_name, claims, header) => {
    await expectRefused(await tokenWith(t, await assertion(t, client.clientId, key, claims(), header)));
  });

  it('refuses an assertion signed by another key, alg none, and HS256', async () => {
    const stranger = await clientKey('ES256', key.jwk.kid);
    await expectRefused(await tokenWith(t, await assertion(t, client.clientId, stranger)));
    const now = Math.floor(t.clock.now() / 1000);
    const claims = { iss: client.clientId, sub: client.clientId, aud: t.issuer, iat: now, exp: now + 60, jti: randomUUID() };
    const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.`;
    await expectRefused(await tokenWith(t, unsigned));
    const hmac = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode('x'.repeat(32)));
    await expectRefused(await tokenWith(t, hmac));
  });

  it('refuses an assertion of another client, and a client_id that does not match iss', async () => {
    const other = await registerKeyClient(t, { jwks: { keys: [(await clientKey()).jwk] } });
    // Signed with our key, claiming to be the other client: its keys do not verify it.
    await expectRefused(await tokenWith(t, await assertion(t, other.clientId, key)));
    await expectRefused(await tokenWith(t, await assertion(t, client.clientId, key), { client_id: other.clientId }));
  });

  it('holds a private_key_jwt client to its method: a secret (Basic or post) is refused, and a secret client cannot switch to an assertion', async () => {
    await expectRefused(await t.post('/token', { grant_type: 'client_credentials' }, { headers: { Authorization: basic(client.clientId, 'guess') } }));
    await expectRefused(await t.post('/token', { grant_type: 'client_credentials', client_id: client.clientId, client_secret: 'guess' }));
    const secretClient = await t.register();
    await expectRefused(await tokenWith(t, await assertion(t, secretClient.clientId, key)));
  });

  it('refuses two methods at once with invalid_request (RFC 6749 §2.3)', async () => {
    const response = await t.post(
      '/token',
      { grant_type: 'client_credentials', client_assertion_type: JWT_BEARER_ASSERTION, client_assertion: await assertion(t, client.clientId, key) },
      { headers: { Authorization: basic(client.clientId, 'x') } },
    );
    expect(response.status).toBe(400);
    expect((await errorBody(response)).error).toBe('invalid_request');
  });

  it('uses only the registered token_endpoint_auth_signing_alg when one is set', async () => {
    const rsa = await clientKey('PS256');
    const es = await clientKey('ES256');
    const pinned = await registerKeyClient(t, { jwks: { keys: [rsa.jwk, es.jwk] }, tokenEndpointAuthSigningAlg: 'PS256' });
    expect((await tokenWith(t, await assertion(t, pinned.clientId, rsa))).status).toBe(200);
    await expectRefused(await tokenWith(t, await assertion(t, pinned.clientId, es)));
  });
});

describe('client keys at registration', () => {
  it('dynamic registration (RFC 7591) of a private_key_jwt client: no secret issued, its assertions accepted', async () => {
    const t = await startServer({ registration: { policy: 'initial-access-token' } });
    const audit = createAuditLog({ store: t.store, secretKeys: t.secretKeys, logger: silentLogger(), clock: t.clock });
    const { token } = await issueInitialAccessToken(
      { store: t.store, clock: t.clock, secrets: t.secretKeys, audit },
      { maxUses: 1, clientTypes: ['confidential'] },
    );
    const key = await clientKey('EdDSA');
    const response = await t.server.fetch(
      new Request(`${t.issuer}/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ grant_types: ['client_credentials'], token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [key.jwk] } }),
      }),
    );
    expect(response.status).toBe(201);
    const registered = (await response.json()) as Record<string, unknown>;
    expect(registered).toMatchObject({ token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [key.jwk] } });
    expect(registered).not.toHaveProperty('client_secret');
    expect((await tokenWith(t, await assertion(t, registered.client_id as string, key))).status).toBe(200);
    await t.server.close();
  });

  it('refuses private keys, symmetric keys, jwks with jwks_uri, an http jwks_uri, and private_key_jwt without keys', async () => {
    const t = await startServer();
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const cases: Partial<NewClientInput>[] = [
      { jwks: { keys: [await exportJWK(privateKey)] } },
      { jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] } },
      { jwks: { keys: [(await clientKey()).jwk] }, jwksUri: 'https://client.example/jwks' },
      { jwksUri: 'http://client.example/jwks' },
      {},
    ];
    for (const input of cases) await expect(registerKeyClient(t, input), JSON.stringify(input)).rejects.toThrow(/jwks|private_key_jwt/);
    await t.server.close();
  });
});

describe('private_key_jwt with jwks_uri', () => {
  let documents: DocumentServer;
  beforeAll(async () => {
    documents = await startDocumentServer('http');
  });
  afterAll(() => documents.close());

  it('refuses keys on a private address (SSRF-safe fetch) and a set holding a private key: invalid_client', async () => {
    const t = await startServer();
    const key = await clientKey();
    documents.on('/private/jwks', json({ keys: [key.jwk] }));
    // Stored as it would be with an https URL: the fetcher refuses loopback and plain http alike.
    const client = await registerKeyClient(t, { jwksUri: 'https://127.0.0.1/jwks' });
    await t.store.clients.update({ ...client, jwksUri: `${documents.origin}/private/jwks` });
    await expectRefused(await tokenWith(t, await assertion(t, client.clientId, key)));
    expect(documents.received.filter((request) => request.path === '/private/jwks')).toHaveLength(0);
    // Once allowed (a test allowance), a key set that is not a public JWK Set is refused too, and not
    // fetched again for 30 seconds.
    const allowed = await startServer({ protection: { unsafeFetchAllowList: ['127.0.0.1'], unsafeFetchAllowHttp: true } });
    documents.on('/private/bad-jwks', json({ keys: [{ ...key.jwk, d: 'private' }] }));
    const leaky = await registerKeyClient(allowed, { jwksUri: 'https://127.0.0.1/jwks' });
    await allowed.store.clients.update({ ...leaky, jwksUri: `${documents.origin}/private/bad-jwks` });
    await expectRefused(await tokenWith(allowed, await assertion(allowed, leaky.clientId, key)));
    await expectRefused(await tokenWith(allowed, await assertion(allowed, leaky.clientId, key)));
    expect(documents.received.filter((request) => request.path === '/private/bad-jwks')).toHaveLength(1);
    await allowed.server.close();
    await t.server.close();
  });

  it('caches the key set, and fetches it again once for an unknown kid (rotation), at most once a minute', async () => {
    const t = await startServer({ protection: { unsafeFetchAllowList: ['127.0.0.1'], unsafeFetchAllowHttp: true } });
    const [first, second] = [await clientKey(), await clientKey()];
    let served = [first.jwk];
    documents.on('/rotating/jwks', (_request, response) => {
      response.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'max-age=3600' }).end(JSON.stringify({ keys: served }));
    });
    const client = await registerKeyClient(t, { jwksUri: 'https://client.example/jwks' });
    await t.store.clients.update({ ...client, jwksUri: `${documents.origin}/rotating/jwks` });
    const fetches = () => documents.received.filter((request) => request.path === '/rotating/jwks').length;

    expect((await tokenWith(t, await assertion(t, client.clientId, first))).status).toBe(200);
    expect((await tokenWith(t, await assertion(t, client.clientId, first))).status).toBe(200);
    expect(fetches()).toBe(1);

    served = [second.jwk];
    // Within the minute: the unknown kid does not make the server fetch again.
    await expectRefused(await tokenWith(t, await assertion(t, client.clientId, second)));
    expect(fetches()).toBe(1);
    t.clock.advance(61_000);
    expect((await tokenWith(t, await assertion(t, client.clientId, second))).status).toBe(200);
    expect(fetches()).toBe(2);
    await t.server.close();
  });
});

describe.each(BACKENDS)('private_key_jwt jti single use under concurrency, on $name', (backend) => {
  it('100 concurrent uses of one assertion: exactly one token', async () => {
    const clock = new FakeClock(T0);
    const opened = await backend.open(clock);
    const t = await startServer({ store: opened.store, clock, ...opened.serverOptions });
    try {
      const key = await clientKey();
      const client = await registerKeyClient(t, { jwks: { keys: [key.jwk] } });
      const jwt = await assertion(t, client.clientId, key);
      const statuses = (await Promise.all(Array.from({ length: 100 }, () => tokenWith(t, jwt)))).map((response) => response.status);
      expect(statuses.filter((status) => status === 200)).toHaveLength(1);
      expect(statuses.filter((status) => status === 401)).toHaveLength(99);
    } finally {
      await t.server.close();
      await opened.close();
    }
  });
});
