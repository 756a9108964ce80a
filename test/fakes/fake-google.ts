/**
 * A local stand-in for Google's OpenID provider, behaving as Google documents
 * (https://developers.google.com/identity/openid-connect/openid-connect and
 * https://developers.google.com/identity/protocols/oauth2/web-server):
 * discovery with `issuer` = the fake's base URL, a JWKS (RS256 and ES256 keys), an authorization
 * endpoint that auto-approves a configured user and redirects with `code`, `state`, `scope`,
 * `authuser`, `prompt` and `iss`, a token endpoint (client_secret_basic and client_secret_post)
 * returning a signed ID token, UserInfo, and RFC 7009-style revocation.
 *
 * Simplification: Google issues a refresh token for `access_type=offline` on the user's first
 * consent and, after that, only when `prompt=consent` forces consent again. This fake has no
 * memory of earlier consent and issues one only when the request has BOTH `access_type=offline`
 * and `prompt=consent` (what a client must send to be sure of getting one).
 *
 * For negative tests, {@link FakeGoogle.misbehave} makes it break the protocol in one chosen way.
 * All endpoints live on one origin (Google spreads them over several hosts).
 */
import { createHash, randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { basicCredentials, bearerToken, jsonResponse, redirect, startFakeHttpServer, type FakeHttpServer, type RecordedRequest } from './http-server.js';
import { opaqueToken, pkceMatches } from './pkce.js';

export interface FakeGoogleUser {
  sub: string;
  email: string;
  email_verified: boolean;
  name: string;
  given_name: string;
  family_name: string;
  picture: string;
  /** Google Workspace domain (`hd` claim); absent for consumer accounts. */
  hd?: string;
}

export interface FakeGoogleOptions {
  clientId?: string;
  clientSecret?: string;
  /** Authorized redirect URIs (Google matches them exactly). */
  redirectUris: string[];
  user?: Partial<FakeGoogleUser>;
  /** Algorithm of the ID tokens. Default RS256, as Google signs. */
  signingAlg?: 'RS256' | 'ES256';
  /** Access token lifetime in seconds. Default 3599. */
  accessTokenTtl?: number;
  /** Milliseconds since the epoch. Default `Date.now`. */
  now?: () => number;
}

/** Ways to break the protocol, one per negative test. */
export interface GoogleMisbehaviour {
  /** Redirect back with this `error` (e.g. `access_denied`) instead of a code. */
  authorizationError?: string;
  /** The `error_description` sent with {@link authorizationError}. */
  authorizationErrorDescription?: string;
  /** `iss` of the authorization response (RFC 9207): another issuer, as in a mix-up attack. */
  authorizationResponseIss?: string;
  /** Leave `iss` out of the authorization response. */
  omitAuthorizationResponseIss?: boolean;
  /** `nonce` of the ID token instead of the one the client sent. */
  idTokenNonce?: string;
  /** `aud` (and `azp`) of the ID token instead of the client's id. */
  idTokenAud?: string;
  /** `iss` of the ID token instead of the issuer. */
  idTokenIss?: string;
  /** An unsecured ID token: `alg: none`, no signature. */
  idTokenAlgNone?: boolean;
  /**
   * Sign the ID token with a key the JWKS does not publish: under its own `kid` (`unknown-kid`), or
   * under the `kid` of a published key (`forged-kid`).
   */
  idTokenKey?: 'unknown-kid' | 'forged-kid';
  /** Answer the token endpoint with this error instead of tokens. */
  tokenError?: { status: number; error: string; error_description?: string };
  /**
   * Answer the token endpoint with this raw response before anything else (no client
   * authentication): an HTML 500 page, a proxy's 502, a bare 401 challenge.
   */
  tokenAnswer?: { status: number; body: string; headers?: Record<string, string> };
}

interface AuthorizationRecord {
  clientId: string;
  redirectUri: string;
  scopes: string[];
  nonce: string | undefined;
  codeChallenge: string | undefined;
  codeChallengeMethod: string;
  offline: boolean;
  expiresAt: number;
}

interface GrantRecord {
  clientId: string;
  scopes: string[];
  accessTokens: Set<string>;
  refreshToken: string | undefined;
}

export interface FakeGoogle extends FakeHttpServer {
  /** The issuer: the fake's base URL. */
  issuer: string;
  clientId: string;
  clientSecret: string;
  user: FakeGoogleUser;
  /** How the next responses misbehave; `{}` for a well-behaved provider. Tests may reassign it. */
  misbehave: GoogleMisbehaviour;
  /** Parameters of every authorization request, in order. */
  readonly authorizationRequests: URLSearchParams[];
  /** Tokens revoked through `/revoke` (and the tokens of their grant). */
  readonly revoked: string[];
  /** Whether an access or refresh token still works. */
  isActive(token: string): boolean;
  /** The published JWKS. */
  jwks: { keys: JWK[] };
  tokenRequests(): RecordedRequest[];
  userinfoRequests(): RecordedRequest[];
}

const PATHS = {
  discovery: '/.well-known/openid-configuration',
  authorization: '/o/oauth2/v2/auth',
  token: '/token',
  userinfo: '/v1/userinfo',
  revocation: '/revoke',
  jwks: '/oauth2/v3/certs',
};

/** Google reports granted scopes by their long names. */
const SCOPE_NAMES: Record<string, string> = {
  email: 'https://www.googleapis.com/auth/userinfo.email',
  profile: 'https://www.googleapis.com/auth/userinfo.profile',
};

interface SigningKey {
  kid: string;
  alg: 'RS256' | 'ES256';
  privateKey: CryptoKey;
}

interface KeyMaterial {
  published: SigningKey[];
  jwks: { keys: JWK[] };
  /** Keys the JWKS does not publish, by algorithm. */
  attackers: Record<'RS256' | 'ES256', { privateKey: CryptoKey }>;
}

let keyMaterial: Promise<KeyMaterial> | undefined;

/** Signing keys, generated once per worker (RSA generation is slow). */
function keys(): Promise<KeyMaterial> {
  keyMaterial ??= (async () => {
    const published: SigningKey[] = [];
    const jwks: { keys: JWK[] } = { keys: [] };
    for (const alg of ['RS256', 'ES256'] as const) {
      const { privateKey, publicKey } = await generateKeyPair(alg);
      const kid = `${alg.toLowerCase()}-${randomUUID().slice(0, 8)}`;
      published.push({ kid, alg, privateKey });
      jwks.keys.push({ ...(await exportJWK(publicKey)), kid, alg, use: 'sig' });
    }
    const attackers = { RS256: await generateKeyPair('RS256'), ES256: await generateKeyPair('ES256') };
    return { published, jwks, attackers };
  })();
  return keyMaterial;
}

/** Starts the fake on 127.0.0.1 (random port). */
export async function startFakeGoogle(options: FakeGoogleOptions): Promise<FakeGoogle> {
  const now = options.now ?? Date.now;
  const clientId = options.clientId ?? '123456789012-fake.apps.googleusercontent.com';
  const clientSecret = options.clientSecret ?? 'GOCSPX-fake-google-client-secret';
  const accessTokenTtl = options.accessTokenTtl ?? 3599;
  const user: FakeGoogleUser = {
    sub: '110169484474386276334',
    email: 'ada@gmail.com',
    email_verified: true,
    name: 'Ada Lovelace',
    given_name: 'Ada',
    family_name: 'Lovelace',
    picture: 'https://lh3.googleusercontent.com/a/fake-picture=s96-c',
    ...options.user,
  };

  const { published, jwks, attackers } = await keys();
  const signingAlg = options.signingAlg ?? 'RS256';
  const attacker = attackers[signingAlg];

  const codes = new Map<string, AuthorizationRecord>();
  const grants = new Map<string, GrantRecord>();
  /** token -> grant */
  const tokenIndex = new Map<string, { grant: GrantRecord; kind: 'access' | 'refresh'; expiresAt: number | undefined }>();
  const authorizationRequests: URLSearchParams[] = [];
  const revoked: string[] = [];
  /** Known once the server listens (before any request arrives). */
  let issuer = '';

  const fake = {
    misbehave: {} as GoogleMisbehaviour,
  };

  const handler = async (request: RecordedRequest, baseUrl: string): Promise<Response> => {
    const { method, path } = request;
    if (method === 'GET' && path === PATHS.discovery) return discovery(baseUrl);
    if (method === 'GET' && path === PATHS.jwks) return jsonResponse(jwks, 200, { 'Cache-Control': 'public, max-age=3600' });
    if (method === 'GET' && path === PATHS.authorization) return authorize(request, baseUrl);
    if (method === 'POST' && path === PATHS.token) return token(request);
    if ((method === 'GET' || method === 'POST') && path === PATHS.userinfo) return userinfo(request);
    if (method === 'POST' && path === PATHS.revocation) return revoke(request);
    return new Response('Not Found', { status: 404 });
  };

  function discovery(baseUrl: string): Response {
    return jsonResponse(
      {
        issuer: baseUrl,
        authorization_endpoint: `${baseUrl}${PATHS.authorization}`,
        token_endpoint: `${baseUrl}${PATHS.token}`,
        userinfo_endpoint: `${baseUrl}${PATHS.userinfo}`,
        revocation_endpoint: `${baseUrl}${PATHS.revocation}`,
        jwks_uri: `${baseUrl}${PATHS.jwks}`,
        response_types_supported: ['code', 'token', 'id_token', 'code token', 'code id_token', 'token id_token', 'code token id_token', 'none'],
        subject_types_supported: ['public'],
        // Google lists RS256 only; this fake can sign with ES256 too.
        id_token_signing_alg_values_supported: ['RS256', 'ES256'],
        scopes_supported: ['openid', 'email', 'profile'],
        token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
        claims_supported: ['aud', 'email', 'email_verified', 'exp', 'family_name', 'given_name', 'iat', 'iss', 'name', 'picture', 'sub'],
        code_challenge_methods_supported: ['plain', 'S256'],
        grant_types_supported: [
          'authorization_code',
          'refresh_token',
          'urn:ietf:params:oauth:grant-type:device_code',
          'urn:ietf:params:oauth:grant-type:jwt-bearer',
        ],
      },
      200,
      { 'Cache-Control': 'public, max-age=3600' },
    );
  }

  /** GET /o/oauth2/v2/auth: the user is signed in and consents at once. */
  function authorize(request: RecordedRequest, baseUrl: string): Response {
    const q = request.query;
    authorizationRequests.push(new URLSearchParams(q));
    // Google shows an error page (no redirect) for an unknown client or an unregistered redirect URI.
    if (q.get('client_id') !== clientId) return errorPage(401, 'invalid_client', 'The OAuth client was not found.');
    const redirectUri = q.get('redirect_uri') ?? '';
    if (!options.redirectUris.includes(redirectUri)) return errorPage(400, 'redirect_uri_mismatch', `redirect_uri=${redirectUri}`);
    const scopes = (q.get('scope') ?? '').split(' ').filter(Boolean);
    if (q.get('response_type') !== 'code' || scopes.length === 0) return errorPage(400, 'invalid_request', 'response_type and scope are required');
    const stateParam = q.get('state');
    const misbehave = fake.misbehave;
    const location = new URL(redirectUri);
    const finish = () => {
      if (stateParam !== null) location.searchParams.set('state', stateParam);
      if (!misbehave.omitAuthorizationResponseIss) location.searchParams.set('iss', misbehave.authorizationResponseIss ?? baseUrl);
      return redirect(location);
    };
    if (misbehave.authorizationError) {
      location.searchParams.set('error', misbehave.authorizationError);
      if (misbehave.authorizationErrorDescription) location.searchParams.set('error_description', misbehave.authorizationErrorDescription);
      return finish();
    }
    const challenge = q.get('code_challenge') ?? undefined;
    const code = `4/0A${opaqueToken('', 30)}`;
    codes.set(code, {
      clientId,
      redirectUri,
      scopes,
      nonce: q.get('nonce') ?? undefined,
      codeChallenge: challenge,
      codeChallengeMethod: q.get('code_challenge_method') ?? 'plain',
      offline: q.get('access_type') === 'offline' && (q.get('prompt') ?? '').split(' ').includes('consent'),
      expiresAt: now() + 10 * 60 * 1000,
    });
    location.searchParams.set('code', code);
    location.searchParams.set('scope', grantedScope(scopes));
    location.searchParams.set('authuser', '0');
    location.searchParams.set('prompt', q.get('prompt') ?? 'none');
    return finish();
  }

  async function token(request: RecordedRequest): Promise<Response> {
    const answer = fake.misbehave.tokenAnswer;
    if (answer) return new Response(answer.body, { status: answer.status, headers: answer.headers ?? {} });
    const form = request.form ?? new URLSearchParams();
    const basic = basicCredentials(request.headers);
    if (basic && form.has('client_secret')) return oauthError(400, 'invalid_request', 'client authenticated more than once');
    const id = basic?.id ?? form.get('client_id');
    const secret = basic?.secret ?? form.get('client_secret');
    if (id !== clientId) return oauthError(401, 'invalid_client', 'The OAuth client was not found.');
    if (secret !== clientSecret) return oauthError(401, 'invalid_client', 'Unauthorized');
    const misbehave = fake.misbehave;
    if (misbehave.tokenError) return oauthError(misbehave.tokenError.status, misbehave.tokenError.error, misbehave.tokenError.error_description);

    const grantType = form.get('grant_type');
    if (grantType === 'authorization_code') {
      const code = form.get('code') ?? '';
      const record = codes.get(code);
      codes.delete(code);
      if (!record || record.expiresAt <= now() || record.clientId !== id) return oauthError(400, 'invalid_grant', 'Bad Request');
      if (form.get('redirect_uri') !== record.redirectUri) return oauthError(400, 'redirect_uri_mismatch', 'Bad Request');
      if (record.codeChallenge !== undefined) {
        if (!form.get('code_verifier')) return oauthError(400, 'invalid_grant', 'Missing code verifier.');
        if (!pkceMatches(record.codeChallenge, record.codeChallengeMethod, form.get('code_verifier')))
          return oauthError(400, 'invalid_grant', 'Invalid code verifier.');
      }
      const grant: GrantRecord = { clientId, scopes: record.scopes, accessTokens: new Set(), refreshToken: undefined };
      grants.set(randomUUID(), grant);
      if (record.offline) {
        grant.refreshToken = `1//0${opaqueToken('', 40)}`;
        tokenIndex.set(grant.refreshToken, { grant, kind: 'refresh', expiresAt: undefined });
      }
      return tokenResponse(grant, record.nonce, grant.refreshToken);
    }
    if (grantType === 'refresh_token') {
      const entry = tokenIndex.get(form.get('refresh_token') ?? '');
      if (entry?.kind !== 'refresh' || entry.grant.clientId !== id) return oauthError(400, 'invalid_grant', 'Token has been expired or revoked.');
      // Google does not rotate refresh tokens: the response has none.
      return tokenResponse(entry.grant, undefined, undefined);
    }
    return oauthError(400, 'unsupported_grant_type', `Invalid grant_type: ${grantType ?? ''}`);
  }

  async function tokenResponse(grant: GrantRecord, nonce: string | undefined, refreshToken: string | undefined): Promise<Response> {
    const accessToken = `ya29.${opaqueToken('', 48)}`;
    grant.accessTokens.add(accessToken);
    tokenIndex.set(accessToken, { grant, kind: 'access', expiresAt: now() + accessTokenTtl * 1000 });
    const body: Record<string, unknown> = {
      access_token: accessToken,
      expires_in: accessTokenTtl,
      scope: grantedScope(grant.scopes),
      token_type: 'Bearer',
      ...(grant.scopes.includes('openid') ? { id_token: await idToken(grant.scopes, accessToken, nonce) } : {}),
      ...(refreshToken ? { refresh_token: refreshToken } : {}),
    };
    return jsonResponse(body, 200, { Pragma: 'no-cache' });
  }

  async function idToken(scopes: string[], accessToken: string, nonce: string | undefined): Promise<string> {
    const misbehave = fake.misbehave;
    const iat = Math.floor(now() / 1000);
    const aud = misbehave.idTokenAud ?? clientId;
    const claims: Record<string, unknown> = {
      iss: misbehave.idTokenIss ?? issuer,
      azp: aud,
      aud,
      sub: user.sub,
      at_hash: createHash('sha256').update(accessToken).digest().subarray(0, 16).toString('base64url'),
      iat,
      exp: iat + 3600,
      ...(scopes.includes('email') ? { email: user.email, email_verified: user.email_verified } : {}),
      ...(scopes.includes('profile') ? { name: user.name, picture: user.picture, given_name: user.given_name, family_name: user.family_name } : {}),
      ...(user.hd ? { hd: user.hd } : {}),
    };
    const effectiveNonce = misbehave.idTokenNonce ?? nonce;
    if (effectiveNonce !== undefined) claims.nonce = effectiveNonce;
    if (misbehave.idTokenAlgNone) {
      const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
      return `${encode({ alg: 'none', typ: 'JWT' })}.${encode(claims)}.`;
    }
    const key = published.find((candidate) => candidate.alg === signingAlg)!;
    let kid = key.kid;
    let privateKey = key.privateKey;
    if (misbehave.idTokenKey) {
      privateKey = attacker.privateKey;
      kid = misbehave.idTokenKey === 'forged-kid' ? key.kid : 'not-in-the-jwks';
    }
    return new SignJWT(claims).setProtectedHeader({ alg: signingAlg, kid, typ: 'JWT' }).sign(privateKey);
  }

  function userinfo(request: RecordedRequest): Response {
    const accessToken = bearerToken(request.headers) ?? request.form?.get('access_token') ?? undefined;
    const entry = accessToken ? tokenIndex.get(accessToken) : undefined;
    if (entry?.kind !== 'access' || (entry.expiresAt ?? Infinity) <= now()) {
      return jsonResponse({ error: 'invalid_request', error_description: 'Invalid Credentials' }, 401, {
        'WWW-Authenticate': `Bearer realm="${issuer}", error="invalid_token"`,
      });
    }
    const scopes = entry.grant.scopes;
    return jsonResponse({
      sub: user.sub,
      ...(scopes.includes('profile') ? { name: user.name, given_name: user.given_name, family_name: user.family_name, picture: user.picture } : {}),
      ...(scopes.includes('email') ? { email: user.email, email_verified: user.email_verified } : {}),
      ...(user.hd ? { hd: user.hd } : {}),
    });
  }

  /** POST /revoke: an access token or a refresh token; either ends the whole grant. */
  function revoke(request: RecordedRequest): Response {
    const value = request.form?.get('token') ?? request.query.get('token') ?? '';
    const entry = tokenIndex.get(value);
    if (!entry) return oauthError(400, 'invalid_token', 'Token expired or revoked');
    const { grant } = entry;
    for (const accessToken of grant.accessTokens) {
      tokenIndex.delete(accessToken);
      revoked.push(accessToken);
    }
    grant.accessTokens.clear();
    if (grant.refreshToken) {
      tokenIndex.delete(grant.refreshToken);
      revoked.push(grant.refreshToken);
      grant.refreshToken = undefined;
    }
    return jsonResponse({}, 200);
  }

  const server = await startFakeHttpServer(handler);
  issuer = server.baseUrl;
  return {
    ...server,
    issuer: server.baseUrl,
    clientId,
    clientSecret,
    user,
    get misbehave() {
      return fake.misbehave;
    },
    set misbehave(value: GoogleMisbehaviour) {
      fake.misbehave = value;
    },
    authorizationRequests,
    revoked,
    isActive: (value) => {
      const entry = tokenIndex.get(value);
      return entry !== undefined && (entry.expiresAt ?? Infinity) > now();
    },
    jwks,
    tokenRequests: () => server.requests.filter((request) => request.path === PATHS.token),
    userinfoRequests: () => server.requests.filter((request) => request.path === PATHS.userinfo),
  };
}

function grantedScope(scopes: string[]): string {
  return scopes.map((scope) => SCOPE_NAMES[scope] ?? scope).join(' ');
}

function oauthError(status: number, error: string, description?: string): Response {
  return jsonResponse({ error, ...(description ? { error_description: description } : {}) }, status);
}

function errorPage(status: number, error: string, detail: string): Response {
  return new Response(`<!doctype html><title>Error ${status}: ${error}</title><p>Access blocked: ${error}</p><p>${detail.replace(/[<>&"]/g, '')}</p>`, {
    status,
    headers: { 'Content-Type': 'text/html; charset=utf-8' },
  });
}
