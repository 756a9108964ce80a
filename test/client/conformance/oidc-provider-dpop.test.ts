/**
 * DPoP (RFC 9449) in our client and machine client, against panva's oidc-provider v9 with
 * `features.dPoP` on: once as it ships (nonces neither issued nor required), once with
 * `nonceSecret` and `requireNonce`, so every first proof to the token endpoint, UserInfo and the
 * API is refused with `use_dpop_nonce` and retried. A third provider has DPoP off: it issues bearer
 * tokens, which a client that requires DPoP must refuse (§5).
 *
 * The protected API is a few lines here (on `https://api.example`, reached through the client's
 * `fetch` option): it checks the proof with jose (`typ`, signature over the embedded key, `htm`,
 * `htu`, `ath`), demands its own nonce first (§9), and asks oidc-provider's introspection whether
 * the token is bound to that key (`cnf.jkt`, §6.2).
 */
import { createServer, type Server } from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import { calculateJwkThumbprint, decodeJwt, EmbeddedJWK, exportJWK, generateKeyPair, jwtVerify } from 'jose';
import Provider from 'oidc-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createMachineClient,
  createMemoryTokenStore,
  createOAuthClient,
  oidc,
  OAuthValidationError,
  type ClientSession,
  type OAuthClient,
  type TokenStore,
} from '../../../src/client/index.js';
import { UserAgent } from '../../helpers/user-agent.js';
import { CookieJar } from '../../fakes/browser.js';
import { close, listen, signInAtProvider } from './oidc-provider-helpers.js';

const REDIRECT_URI = 'https://app.example/auth/callback';
const API = 'https://api.example';
const WEB = { id: 'dpop-rp', secret: 'web client secret 0123456789' };
const MACHINE = { id: 'dpop-machine', secret: 'machine client secret 0123456789' };
const PUBLIC_ID = 'dpop-public-rp';
const SECRET = 'y'.repeat(40);
const toApp = (location: string) => location.startsWith(REDIRECT_URI);

interface RunningProvider {
  issuer: string;
  server: Server;
  /** Token endpoint and UserInfo requests: whether their proof had a nonce, and the status. */
  log: { path: string; nonce: boolean; status: number }[];
}

async function startProvider(dpop: 'nonces' | 'no nonces' | 'off'): Promise<RunningProvider> {
  const server = createServer();
  const issuer = await listen(server);
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: WEB.id,
        client_secret: WEB.secret,
        redirect_uris: [REDIRECT_URI],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
      {
        client_id: PUBLIC_ID,
        redirect_uris: [REDIRECT_URI],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'none',
      },
      { client_id: MACHINE.id, client_secret: MACHINE.secret, redirect_uris: [], response_types: [], grant_types: ['client_credentials'] },
    ],
    findAccount: (_ctx, sub) => ({ accountId: sub, claims: () => ({ sub, email: `${sub}@example.com`, name: `User ${sub}` }) }),
    claims: { openid: ['sub'], email: ['email'], profile: ['name'] },
    features: {
      devInteractions: { enabled: true },
      clientCredentials: { enabled: true },
      introspection: { enabled: true, allowedPolicy: () => true },
      dPoP: dpop === 'off' ? { enabled: false } : { enabled: true, ...(dpop === 'nonces' ? { nonceSecret: randomBytes(32), requireNonce: () => true } : {}) },
    },
    ttl: {
      AccessToken: 3600,
      ClientCredentials: 600,
      IdToken: 3600,
      RefreshToken: 86_400,
      Grant: 86_400,
      Session: 86_400,
      Interaction: 600,
      AuthorizationCode: 60,
    },
    jwks: { keys: [{ ...(await exportJWK(privateKey)), kid: 'dpop-test', alg: 'RS256', use: 'sig' }] },
    cookies: { keys: ['oidc-provider-dpop-test-cookie-key-01234'] },
    rotateRefreshToken: true,
  });
  const log: RunningProvider['log'] = [];
  const handle = provider.callback();
  server.on('request', (request, response) => {
    const proof = request.headers.dpop;
    if (typeof proof === 'string') {
      const entry = { path: new URL(request.url ?? '/', issuer).pathname, nonce: decodeJwt(proof).nonce !== undefined, status: 0 };
      log.push(entry);
      response.on('finish', () => (entry.status = response.statusCode));
    }
    handle(request, response);
  });
  return { issuer, server, log };
}

/** What the API does with a token: oidc-provider's introspection, with the machine client's credentials. */
async function introspect(issuer: string, token: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${issuer}/token/introspection`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${MACHINE.id}:${MACHINE.secret}`).toString('base64')}` },
    body: new URLSearchParams({ token }),
  });
  return (await response.json()) as Record<string, unknown>;
}

/**
 * The protected API: RFC 9449 §7 and §9, checked with jose. Records what each request carried.
 */
function protectedApi(issuer: () => string) {
  const nonce = randomBytes(16).toString('base64url');
  const seen: { status: number; nonce: unknown }[] = [];
  const challenge = (error: string, extra: Record<string, string> = {}) =>
    new Response(null, { status: 401, headers: { 'www-authenticate': `DPoP error="${error}", algs="ES256 EdDSA"`, ...extra } });
  const answer = async (request: Request): Promise<Response> => {
    const [scheme, token] = (request.headers.get('authorization') ?? '').split(' ');
    const proof = request.headers.get('dpop');
    if (scheme !== 'DPoP' || !token || !proof) return challenge('invalid_token');
    const { payload, protectedHeader } = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: ['ES256', 'EdDSA'], maxTokenAge: 60 });
    const url = new URL(request.url);
    const ath = createHash('sha256').update(token).digest('base64url');
    if (payload.htm !== request.method || payload.htu !== `${url.origin}${url.pathname}` || payload.ath !== ath) return challenge('invalid_dpop_proof');
    if (payload.nonce !== nonce) return challenge('use_dpop_nonce', { 'dpop-nonce': nonce });
    const introspection = await introspect(issuer(), token);
    const jkt = await calculateJwkThumbprint(protectedHeader.jwk!);
    if (introspection.active !== true || (introspection.cnf as { jkt?: string } | undefined)?.jkt !== jkt) return challenge('invalid_token');
    return Response.json({ sub: introspection.sub ?? introspection.client_id, jkt });
  };
  const fetchThrough = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    if (!request.url.startsWith(API)) return globalThis.fetch(input, init);
    const response = await answer(request);
    seen.push({ status: response.status, nonce: decodeJwt(request.headers.get('dpop') ?? 'e30.e30.').nonce });
    return response;
  }) as typeof fetch;
  return { fetch: fetchThrough, seen };
}

function thumbprintOf(session: ClientSession): Promise<string> {
  const key = session.dpop!;
  if (key.keyPair) return exportJWK(key.keyPair.publicKey).then((jwk) => calculateJwkThumbprint(jwk));
  const { d: _private, ...publicJwk } = key.jwk!;
  return calculateJwkThumbprint(publicJwk);
}

describe.each(['no nonces', 'nonces'] as const)('DPoP against oidc-provider (%s)', (mode) => {
  let provider: RunningProvider;
  const api = protectedApi(() => provider.issuer);
  beforeAll(async () => {
    provider = await startProvider(mode);
  });
  afterAll(() => close(provider.server));

  function makeClient(tokenStore: TokenStore | undefined): OAuthClient {
    return createOAuthClient({
      provider: oidc(provider.issuer, { scopes: ['openid', 'email', 'profile', 'offline_access'] }),
      clientId: WEB.id,
      clientSecret: WEB.secret,
      redirectUri: REDIRECT_URI,
      secret: SECRET,
      allowInsecureRequests: true,
      // oidc-provider's access tokens live an hour: a leeway of two hours refreshes at each use.
      refreshLeeway: 7200,
      dpop: true,
      fetch: api.fetch,
      ...(tokenStore ? { tokenStore } : {}),
    });
  }

  it.each([
    ['cookie sessions', () => undefined],
    ['a memory token store', () => createMemoryTokenStore()],
  ])('signs in, refreshes, calls UserInfo and an API with tokens bound to the session key (%s)', async (_label, store) => {
    const tokenStore = store();
    const client = makeClient(tokenStore);
    provider.log.length = 0;
    const { url, setCookie } = await client.authorizationUrl({ prompt: 'consent' });
    const { callback } = await signInAtProvider(new UserAgent(), url, 'alice', toApp);
    const signedIn = await client.handleCallback(new Request(callback, { headers: { cookie: setCookie.split(';')[0]! } }));

    expect(signedIn.tokens.tokenType).toBe('dpop');
    const jkt = signedIn.session.dpop!.jkt;
    expect(await thumbprintOf(signedIn.session)).toBe(jkt);
    expect(await introspect(provider.issuer, signedIn.tokens.accessToken)).toMatchObject({ active: true, sub: 'alice', cnf: { jkt } });
    if (tokenStore) {
      // Kept in memory as a key nothing can export.
      expect(signedIn.session.dpop!.keyPair!.privateKey.extractable).toBe(false);
      expect(signedIn.session.dpop!.jwk).toBeUndefined();
    } else {
      // Serialized with the session, and only inside its encrypted cookie.
      const d = signedIn.session.dpop!.jwk!.d!;
      expect(signedIn.setCookies.join('\n')).not.toContain(d);
      expect(signedIn.setCookies.join('\n')).not.toContain(jkt);
    }
    if (mode === 'nonces') {
      // The code exchange: refused for want of a nonce, then accepted with the one it was given.
      expect(provider.log.filter((entry) => entry.path === '/token').map(({ nonce, status }) => ({ nonce, status }))).toEqual([
        { nonce: false, status: 400 },
        { nonce: true, status: 200 },
      ]);
    }

    // A later request: the session (and its key) as the store or the cookie gives it back.
    const jar = new CookieJar().set(signedIn.setCookies);
    const session = (await client.getSession(jar.request(REDIRECT_URI)))!;
    expect(session.dpop!.jkt).toBe(jkt);
    const refreshed = await client.getAccessToken(session);
    expect(refreshed).not.toBe(signedIn.tokens.accessToken);
    expect(session.tokens.tokenType).toBe('dpop');
    expect(await introspect(provider.issuer, refreshed)).toMatchObject({ active: true, cnf: { jkt } });

    await expect(client.fetchUserInfo(session)).resolves.toMatchObject({ sub: 'alice', email: 'alice@example.com' });
    if (mode === 'nonces') expect(provider.log.filter((entry) => entry.path === '/me').every((entry) => entry.nonce && entry.status === 200)).toBe(true);

    api.seen.length = 0;
    const response = await client.fetch(session, `${API}/notes?page=2`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ sub: 'alice', jkt });
    // The API's own nonce: the first proof is refused, the retry carries it.
    expect(api.seen.map((entry) => entry.status)).toEqual([401, 200]);
    expect(api.seen[1]!.nonce).toEqual(expect.any(String));
    // Its nonce is remembered for the API's origin: the next call needs no second try.
    api.seen.length = 0;
    const again = await client.fetch(session, `${API}/notes`, { method: 'POST', body: 'x' });
    expect(again.status).toBe(200);
    expect(api.seen.map((entry) => entry.status)).toEqual([200]);

    // Stolen without the key, the token is useless: as Bearer, or as DPoP without a proof.
    const me = `${provider.issuer}/me`;
    expect((await fetch(me, { headers: { authorization: `Bearer ${session.tokens.accessToken}` } })).status).toBe(401);
    // (RFC 9449 §7.1 leaves the status to the server: oidc-provider answers 400 invalid_request.)
    expect((await fetch(me, { headers: { authorization: `DPoP ${session.tokens.accessToken}` } })).status).toBe(400);
    // Nor with a valid proof of another key: the token's cnf.jkt names the session's.
    const stolen: ClientSession = {
      ...session,
      id: 'thief',
      dpop: { jkt: 'thief', keyPair: await generateKeyPair('ES256') },
      tokens: { ...session.tokens, expiresAt: undefined },
    };
    api.seen.length = 0;
    const forged = await client.fetch(stolen, `${API}/notes`);
    expect(forged.status).toBe(401);
  });

  it('a public client: its refresh token is bound to the session key too, and refreshes with it alone', async () => {
    const client = createOAuthClient({
      provider: oidc(provider.issuer, { scopes: ['openid', 'offline_access'] }),
      clientId: PUBLIC_ID,
      redirectUri: REDIRECT_URI,
      secret: SECRET,
      allowInsecureRequests: true,
      refreshLeeway: 7200,
      dpop: true,
    });
    const { url, setCookie } = await client.authorizationUrl({ prompt: 'consent' });
    const { callback } = await signInAtProvider(new UserAgent(), url, 'carol', toApp);
    const { session } = await client.handleCallback(new Request(callback, { headers: { cookie: setCookie.split(';')[0]! } }));
    expect(session.tokens.refreshToken).toEqual(expect.any(String));
    // The refresh token, presented with a proof of another key, is refused (RFC 9449 §5).
    const other = await generateKeyPair('ES256');
    const thief = { ...session, id: 'thief', dpop: { jkt: 'other', keyPair: other } };
    await expect(client.getAccessToken(thief)).rejects.toMatchObject({ name: 'SessionExpiredError' });
    // With the session's own key it works.
    const token = await client.getAccessToken(session);
    expect(await introspect(provider.issuer, token)).toMatchObject({ active: true, cnf: { jkt: session.dpop!.jkt } });
  });

  it('the machine client gets a DPoP-bound client_credentials token and calls the API with proofs', async () => {
    const keyPair = await generateKeyPair('ES256');
    const jkt = await calculateJwkThumbprint(await exportJWK(keyPair.publicKey));
    provider.log.length = 0;
    const machine = createMachineClient({
      issuer: provider.issuer,
      clientId: MACHINE.id,
      clientSecret: MACHINE.secret,
      allowInsecureRequests: true,
      dpop: { keyPair },
      fetch: api.fetch,
    });
    const token = await machine.getAccessToken();
    expect(await introspect(provider.issuer, token)).toMatchObject({ active: true, client_id: MACHINE.id, cnf: { jkt } });
    if (mode === 'nonces')
      expect(provider.log.map(({ nonce, status }) => ({ nonce, status }))).toEqual([
        { nonce: false, status: 400 },
        { nonce: true, status: 200 },
      ]);

    api.seen.length = 0;
    const response = await machine.fetch(`${API}/jobs`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ sub: MACHINE.id, jkt });
    expect(api.seen.map((entry) => entry.status)).toEqual([401, 200]);

    // A key of its own (EdDSA, generated per instance) works as well.
    const own = createMachineClient({
      issuer: provider.issuer,
      clientId: MACHINE.id,
      clientSecret: MACHINE.secret,
      allowInsecureRequests: true,
      dpop: { alg: 'EdDSA' },
      fetch: api.fetch,
    });
    const ownToken = await own.getAccessToken();
    const cnf = (await introspect(provider.issuer, ownToken)).cnf as { jkt: string };
    expect(cnf.jkt).not.toBe(jkt);
    expect((await own.fetch(`${API}/jobs`)).status).toBe(200);
  });
});

describe('a provider that issues bearer tokens (DPoP off)', () => {
  let provider: RunningProvider;
  beforeAll(async () => {
    provider = await startProvider('off');
  });
  afterAll(() => close(provider.server));
  const machine = (dpop: boolean | { required: false }) =>
    createMachineClient({ issuer: provider.issuer, clientId: MACHINE.id, clientSecret: MACHINE.secret, allowInsecureRequests: true, dpop });

  it('the web client that requires DPoP refuses the bearer token at the callback (RFC 9449 §5)', async () => {
    const client = createOAuthClient({
      issuer: provider.issuer,
      clientId: WEB.id,
      clientSecret: WEB.secret,
      redirectUri: REDIRECT_URI,
      secret: SECRET,
      allowInsecureRequests: true,
      dpop: true,
    });
    const { url, setCookie } = await client.authorizationUrl();
    const { callback } = await signInAtProvider(new UserAgent(), url, 'bob', toApp);
    const failure = await client.handleCallback(new Request(callback, { headers: { cookie: setCookie.split(';')[0]! } })).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(OAuthValidationError);
    expect(failure).toMatchObject({ reason: 'dpop_not_bound' });
    // The failed sign-in's cookie is cleared with the error, as for any other failure.
    expect((failure as OAuthValidationError).setCookies).toHaveLength(1);
  });

  it('the machine client refuses it too, unless DPoP is optional: then it is a bearer token', async () => {
    await expect(machine(true).getAccessToken()).rejects.toMatchObject({ name: 'OAuthValidationError', reason: 'dpop_not_bound' });
    const optional = machine({ required: false });
    const token = await optional.getAccessToken();
    const introspection = await introspect(provider.issuer, token);
    expect(introspection).toMatchObject({ active: true, client_id: MACHINE.id });
    expect(introspection.cnf).toBeUndefined();
  });
});
