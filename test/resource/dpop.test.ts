/**
 * The resource guard and DPoP (RFC 9449 §7): a DPoP-bound token from an independent authorization
 * server, panva's oidc-provider v9 (DPoP on, as by default, JWT access tokens for the API through
 * resource indicators), presented with proofs made by openid-client v6: accepted with its proof,
 * refused as a Bearer token, with a replayed or misdirected proof, or without the guard's nonce.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';
import * as client from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createResourceGuard, type ResourceGuard, type ResourceGuardOptions } from '../../src/resource/index.js';
import { startIssuer, type RunningIssuer } from './support.js';

const API = 'https://api.example';
const CLIENT_ID = 'api-caller';
const CLIENT_SECRET = 'api-caller-secret-0123456789';

let providerServer: Server;
let issuer: string;
let provider: client.Configuration;
let providerDpop: client.DPoPHandle;
let providerToken: string;

beforeAll(async () => {
  providerServer = createServer();
  await new Promise<void>((resolve) => providerServer.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(providerServer.address() as AddressInfo).port}`;
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const oidc = new Provider(issuer, {
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        scope: 'notes:read',
        id_token_signed_response_alg: 'ES256',
      },
    ],
    scopes: ['notes:read'],
    features: {
      clientCredentials: { enabled: true },
      dPoP: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => API,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({ scope: 'notes:read', audience: API, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'ES256' } } }),
      },
    },
    ttl: { ClientCredentials: 600 },
    jwks: { keys: [{ ...(await exportJWK(privateKey)), kid: 'test-es256', alg: 'ES256', use: 'sig' }] },
    cookies: { keys: ['oidc-provider-test-cookie-key-0123456789'] },
  });
  providerServer.on('request', oidc.callback());

  provider = await client.discovery(new URL(issuer), CLIENT_ID, CLIENT_SECRET, client.ClientSecretBasic(CLIENT_SECRET), {
    execute: [client.allowInsecureRequests],
  });
  providerDpop = client.getDPoPHandle(provider, await client.randomDPoPKeyPair('ES256'));
  const tokens = await client.clientCredentialsGrant(provider, { scope: 'notes:read', resource: API }, { DPoP: providerDpop });
  expect(tokens.token_type.toLowerCase()).toBe('dpop');
  providerToken = tokens.access_token;
});

afterAll(async () => {
  providerServer?.closeAllConnections();
  await new Promise((resolve) => providerServer?.close(resolve));
});

function guardWith(options: Partial<ResourceGuardOptions> = {}): ResourceGuard {
  return createResourceGuard({ issuer, audience: API, allowInsecureRequests: true, ...options });
}

/**
 * openid-client calls the API (`fetchProtectedResource`, its proof made for the URL and token)
 * and the guard answers in process; every request and response is kept.
 */
function callApi(
  guard: ResourceGuard,
  options: { url?: string; dpop?: client.DPoPHandle | undefined; as?: { config: client.Configuration; token: string; dpop: client.DPoPHandle } } = {},
) {
  const { config, token, dpop } = options.as ?? { config: provider, token: providerToken, dpop: providerDpop };
  const exchanges: { request: Request; response: Response }[] = [];
  const api = guard.protect((_request, verified) => Response.json({ sub: verified.sub, jkt: (verified.claims.cnf as { jkt: string }).jkt }));
  config[client.customFetch] = async (url, init) => {
    if (!url.startsWith(API)) return fetch(url, init as RequestInit);
    const request = new Request(url, { method: init.method, headers: init.headers });
    const response = await api(request.clone());
    exchanges.push({ request, response: response.clone() });
    return response;
  };
  const response = client.fetchProtectedResource(config, token, new URL(options.url ?? `${API}/notes`), 'GET', undefined, undefined, {
    DPoP: 'dpop' in options ? options.dpop : dpop,
  });
  return { response, exchanges };
}

describe('the resource guard with DPoP tokens from oidc-provider', () => {
  it('accepts the bound token with its proof, and refuses a replay of that proof', async () => {
    const guard = guardWith();
    const { response, exchanges } = callApi(guard);
    const answered = await response;
    expect(answered.status).toBe(200);
    expect(await answered.json()).toMatchObject({ sub: CLIENT_ID, jkt: expect.any(String) });

    const replay = await guard.protect(() => new Response('reached'))(exchanges[0]!.request.clone());
    expect(replay.status).toBe(401);
    expect(replay.headers.get('www-authenticate')).toContain('DPoP realm="api", error="invalid_dpop_proof"');
  });

  it('refuses the bound token as a Bearer token, offering both schemes (RFC 9449 §7.1, §7.2)', async () => {
    const guard = guardWith();
    const response = await guard.protect(() => new Response('reached'))(new Request(`${API}/notes`, { headers: { Authorization: `Bearer ${providerToken}` } }));
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer realm="api", error="invalid_token".*, DPoP realm="api", algs="ES256 EdDSA RS256 PS256"$/);
  });

  it('refuses a proof for another URL (htu) and the DPoP scheme without a proof', async () => {
    const guard = guardWith();
    // A proof openid-client made for /other (which the guard accepts there), presented at /notes.
    const other = callApi(guard, { url: `${API}/other` });
    expect((await other.response).status).toBe(200);
    const proof = other.exchanges[0]!.request.headers.get('dpop')!;
    const misdirected = await guard.protect(() => new Response('reached'))(
      new Request(`${API}/notes`, { headers: { Authorization: `DPoP ${providerToken}`, DPoP: proof } }),
    );
    expect(misdirected.status).toBe(401);
    expect(misdirected.headers.get('www-authenticate')).toContain('error="invalid_dpop_proof"');

    const noProof = await guard.protect(() => new Response('reached'))(new Request(`${API}/notes`, { headers: { Authorization: `DPoP ${providerToken}` } }));
    expect(noProof.status).toBe(401);
  });

  it('with a nonce secret, asks for its nonce (401 use_dpop_nonce, DPoP-Nonce) and accepts the retry (§9)', async () => {
    const guard = guardWith({ dpop: { nonceSecret: 'guard-nonce-secret-0123456789-abcdef' } });
    const { response, exchanges } = callApi(guard);
    expect((await response).status).toBe(200);
    expect(exchanges.map((exchange) => exchange.response.status)).toEqual([401, 200]);
    expect(exchanges[0]!.response.headers.get('www-authenticate')).toContain('error="use_dpop_nonce"');
    expect(exchanges[0]!.response.headers.get('dpop-nonce')).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('with dpop.required, refuses Bearer tokens outright, and its metadata says so (RFC 9728 §2)', async () => {
    const guard = guardWith({ dpop: { required: true }, resourceMetadata: { resource: API } });
    const metadata = guard.serveMetadata(new Request(`${API}/.well-known/oauth-protected-resource`));
    expect(await metadata?.json()).toMatchObject({
      dpop_signing_alg_values_supported: ['ES256', 'EdDSA', 'RS256', 'PS256'],
      dpop_bound_access_tokens_required: true,
    });
    const response = await guard.protect(() => new Response('reached'))(new Request(`${API}/notes`, { headers: { Authorization: `Bearer ${providerToken}` } }));
    expect(response.status).toBe(401);
    // Only the DPoP scheme is offered.
    expect(response.headers.get('www-authenticate')).toMatch(/^DPoP realm="api", error="invalid_token"/);
    const bare = await guard.protect(() => new Response('reached'))(new Request(`${API}/notes`));
    expect(bare.headers.get('www-authenticate')).toBe(
      `DPoP realm="api", resource_metadata="${API}/.well-known/oauth-protected-resource", algs="ES256 EdDSA RS256 PS256"`,
    );
  });
});

describe('the resource guard in introspection mode with DPoP tokens from Gatehouse', () => {
  let as: RunningIssuer;

  beforeAll(async () => {
    as = await startIssuer();
  });

  afterAll(async () => {
    await as?.close();
  });

  it('reads cnf from the introspection answer: the token works with its proof, not as Bearer (RFC 9449 §6.2)', async () => {
    const config = await client.discovery(new URL(as.issuer), as.machine.clientId, as.machine.clientSecret, client.ClientSecretBasic(as.machine.clientSecret), {
      execute: [client.allowInsecureRequests],
    });
    const dpop = client.getDPoPHandle(config, await client.randomDPoPKeyPair('ES256'));
    const tokens = await client.clientCredentialsGrant(config, { scope: 'notes:read', resource: API }, { DPoP: dpop });
    expect(tokens.token_type.toLowerCase()).toBe('dpop');
    const guard = guardWith({
      issuer: as.issuer,
      introspection: { clientId: as.resourceServer.clientId, clientSecret: as.resourceServer.clientSecret },
    });
    const { response } = callApi(guard, { as: { config, token: tokens.access_token, dpop } });
    expect((await response).status).toBe(200);
    const asBearer = await guard.protect(() => new Response('reached'))(
      new Request(`${API}/notes`, { headers: { Authorization: `Bearer ${tokens.access_token}` } }),
    );
    expect(asBearer.status).toBe(401);
  });
});
