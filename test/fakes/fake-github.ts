/**
 * A local stand-in for github.com and its REST API, behaving as GitHub documents:
 * - OAuth web flow: https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps
 * - token errors: .../troubleshooting-oauth-app-access-token-request-errors (HTTP 200 + `error`)
 * - expiring user tokens of GitHub Apps: .../refreshing-user-access-tokens
 * - users: /rest/users/users, /rest/users/emails
 * - revocation: /rest/apps/oauth-applications#delete-an-app-token
 *
 * The REST API answers both at the root (`/user`, as api.github.com does) and under `/api/v3`
 * (as GitHub Enterprise Server does), so `github({ baseUrl })` finds it with its default `apiUrl`.
 *
 * Where GitHub's documentation is silent, the fake's choice is marked "assumption" below.
 */
import { basicCredentials, bearerToken, jsonResponse, redirect, startFakeHttpServer, type FakeHttpServer, type RecordedRequest } from './http-server.js';
import { opaqueToken, pkceMatches } from './pkce.js';

export interface FakeGitHubEmail {
  email: string;
  primary: boolean;
  verified: boolean;
  visibility?: 'public' | 'private' | null;
}

export interface FakeGitHubUser {
  id: number;
  login: string;
  /** `null` when the user set no display name. */
  name: string | null;
  avatarUrl: string;
  /** The public profile email of `GET /user`; GitHub's default is `null` (hidden). */
  publicEmail: string | null;
  emails: FakeGitHubEmail[];
}

export interface FakeGitHubOptions {
  clientId?: string;
  clientSecret?: string;
  /** The registered "Authorization callback URL". */
  callbackUrl: string;
  /** The user who is signed in at GitHub and approves every authorization. */
  user?: Partial<FakeGitHubUser>;
  /**
   * GitHub App with "expire user authorization tokens" on: access tokens live 8 hours and come
   * with a rotating refresh token (6 months). Default false (an OAuth app: tokens do not expire).
   */
  expiringTokens?: boolean;
  /** Milliseconds since the epoch. Default `Date.now`. */
  now?: () => number;
}

interface CodeRecord {
  clientId: string;
  redirectUri: string;
  scopes: string[];
  codeChallenge: string | undefined;
  codeChallengeMethod: string;
  expiresAt: number;
}

interface TokenRecord {
  kind: 'access' | 'refresh';
  clientId: string;
  scopes: string[];
  expiresAt: number | undefined;
  /** The access token issued alongside a refresh token (rotation ends both). */
  pair: string | undefined;
}

export interface FakeGitHub extends FakeHttpServer {
  clientId: string;
  clientSecret: string;
  /** `{baseUrl}/api/v3`: where the REST API also answers (Enterprise Server layout). */
  apiUrl: string;
  user: FakeGitHubUser;
  /** Set to make the user click "Cancel" on the authorization page (`error=access_denied`). */
  denyAccess: boolean;
  /** Tokens that currently work, by value. */
  readonly tokens: ReadonlyMap<string, Readonly<TokenRecord>>;
  /** Access tokens deleted through `DELETE /applications/{client_id}/token`. */
  readonly revoked: string[];
  /** Whether `token` is a live access token. */
  isActive(token: string): boolean;
  /** Makes every refresh token unusable, as after six months or a revoked authorization. */
  expireRefreshTokens(): void;
  /** The requests that reached the token endpoint. */
  tokenRequests(): RecordedRequest[];
}

const DOCS = 'https://docs.github.com';
const CODE_TTL_MS = 10 * 60 * 1000;
const ACCESS_TTL_S = 28_800;
const REFRESH_TTL_S = 15_897_600;

/** Starts the fake on 127.0.0.1 (random port). */
export async function startFakeGitHub(options: FakeGitHubOptions): Promise<FakeGitHub> {
  const now = options.now ?? Date.now;
  const clientId = options.clientId ?? 'Iv1.fakegithubclient';
  const clientSecret = options.clientSecret ?? 'fake-github-client-secret-0123456789abcdef';
  const user: FakeGitHubUser = {
    id: 1_234_567,
    login: 'octocat',
    name: 'The Octocat',
    avatarUrl: 'https://avatars.githubusercontent.com/u/1234567?v=4',
    publicEmail: null,
    emails: [
      { email: 'octocat@users.noreply.github.com', primary: false, verified: true, visibility: null },
      { email: 'octocat@github.com', primary: true, verified: true, visibility: 'private' },
    ],
    ...options.user,
  };
  const codes = new Map<string, CodeRecord>();
  const tokens = new Map<string, TokenRecord>();
  const revoked: string[] = [];
  const state = { denyAccess: false };

  const handler = (request: RecordedRequest): Response => {
    const { method, path } = request;
    if (method === 'GET' && path === '/login/oauth/authorize') return authorize(request);
    if (method === 'POST' && path === '/login/oauth/access_token') return accessToken(request);
    const apiPath = path.startsWith('/api/v3/') ? path.slice('/api/v3'.length) : path;
    if (method === 'GET' && apiPath === '/user') return getUser(request);
    if (method === 'GET' && apiPath === '/user/emails') return getEmails(request);
    const deleteMatch = /^\/applications\/([^/]+)\/token$/.exec(apiPath);
    if (method === 'DELETE' && deleteMatch) return deleteToken(request, decodeURIComponent(deleteMatch[1]!));
    return apiError(404, 'Not Found');
  };

  /** GET /login/oauth/authorize: the user is signed in and approves at once. */
  function authorize(request: RecordedRequest): Response {
    const q = request.query;
    // GitHub shows an HTML 404 page for an unknown client_id: nothing to redirect to.
    if (q.get('client_id') !== clientId) return new Response('<h1>404 Not Found</h1>', { status: 404, headers: { 'Content-Type': 'text/html' } });
    const stateParam = q.get('state');
    const registered = options.callbackUrl;
    const redirectUri = q.get('redirect_uri') ?? registered;
    if (!redirectUriAllowed(registered, redirectUri)) {
      // Documented: a mismatched redirect_uri sends the user to the registered callback with the error.
      return redirect(
        errorLocation(
          registered,
          'redirect_uri_mismatch',
          'The redirect_uri MUST match the registered callback URL for this application.',
          '#redirect-uri-mismatch',
          stateParam,
        ),
      );
    }
    const challenge = q.get('code_challenge') ?? undefined;
    const challengeMethod = q.get('code_challenge_method') ?? 'S256';
    // Assumption: GitHub accepts S256 only (its documentation says "Must be S256").
    if (challenge !== undefined && challengeMethod !== 'S256') {
      return redirect(errorLocation(redirectUri, 'invalid_request', 'code_challenge_method must be S256', '', stateParam));
    }
    if (state.denyAccess) {
      return redirect(errorLocation(redirectUri, 'access_denied', 'The user has denied your application access.', '#access-denied', stateParam));
    }
    const code = opaqueToken('', 10);
    codes.set(code, {
      clientId,
      redirectUri,
      scopes: (q.get('scope') ?? '').split(/[\s,]+/).filter(Boolean),
      codeChallenge: challenge,
      codeChallengeMethod: challengeMethod,
      expiresAt: now() + CODE_TTL_MS,
    });
    const location = new URL(redirectUri);
    location.searchParams.set('code', code);
    if (stateParam !== null) location.searchParams.set('state', stateParam);
    return redirect(location);
  }

  /** POST /login/oauth/access_token: code exchange and (expiring tokens) refresh. */
  function accessToken(request: RecordedRequest): Response {
    // GitHub documents query parameters; it also takes them as a form body, as OAuth clients send.
    const params = new URLSearchParams(request.query);
    for (const [name, value] of request.form ?? []) params.set(name, value);
    const wantsJson = (request.headers.get('accept') ?? '').includes('application/json');
    const answer = (body: Record<string, unknown>) => tokenEndpointResponse(body, wantsJson);
    const fail = (error: string, description: string, anchor: string) =>
      answer({
        error,
        error_description: description,
        error_uri: `${DOCS}/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/${anchor}`,
      });

    // Assumption: HTTP Basic is accepted as well as the documented client_id/client_secret
    // parameters (GitHub does in practice; RFC 6749 §2.3.1 clients default to it).
    const basic = basicCredentials(request.headers);
    const id = basic?.id ?? params.get('client_id');
    const secret = basic?.secret ?? params.get('client_secret');
    if (id !== clientId || secret !== clientSecret) {
      return fail('incorrect_client_credentials', 'The client_id and/or client_secret passed are incorrect.', '#incorrect-client-credentials');
    }

    if (params.get('grant_type') === 'refresh_token') {
      const refreshToken = params.get('refresh_token') ?? '';
      const record = tokens.get(refreshToken);
      if (record?.kind !== 'refresh' || record.clientId !== id || (record.expiresAt !== undefined && record.expiresAt <= now())) {
        return fail('bad_refresh_token', 'The refresh token passed is incorrect or expired.', '#bad-refresh-token');
      }
      // Documented: once used, the refresh token and the old access token no longer work.
      tokens.delete(refreshToken);
      if (record.pair) tokens.delete(record.pair);
      return answer(issueTokens(record.scopes));
    }

    const code = params.get('code') ?? '';
    const record = codes.get(code);
    codes.delete(code);
    if (!record || record.expiresAt <= now() || record.clientId !== id) {
      return fail('bad_verification_code', 'The code passed is incorrect or expired.', '#bad-verification-code');
    }
    const redirectUri = params.get('redirect_uri');
    if (redirectUri !== null && redirectUri !== record.redirectUri) {
      return fail('redirect_uri_mismatch', 'The redirect_uri MUST match the registered callback URL for this application.', '#redirect-uri-mismatch2');
    }
    // Assumption: GitHub's error code for a PKCE failure is not documented; bad_verification_code
    // is what it reports for every other problem with the code.
    if (record.codeChallenge !== undefined && !pkceMatches(record.codeChallenge, record.codeChallengeMethod, params.get('code_verifier'))) {
      return fail('bad_verification_code', 'The code_verifier does not match the code_challenge.', '#bad-verification-code');
    }
    return answer(issueTokens(record.scopes));
  }

  function issueTokens(scopes: string[]): Record<string, unknown> {
    if (!options.expiringTokens) {
      const accessToken = opaqueToken('gho_');
      tokens.set(accessToken, { kind: 'access', clientId, scopes, expiresAt: undefined, pair: undefined });
      // GitHub lists granted scopes comma-separated.
      return { access_token: accessToken, token_type: 'bearer', scope: scopes.join(',') };
    }
    const accessToken = opaqueToken('ghu_');
    const refreshToken = opaqueToken('ghr_');
    tokens.set(accessToken, { kind: 'access', clientId, scopes, expiresAt: now() + ACCESS_TTL_S * 1000, pair: undefined });
    tokens.set(refreshToken, { kind: 'refresh', clientId, scopes, expiresAt: now() + REFRESH_TTL_S * 1000, pair: accessToken });
    // GitHub App user tokens carry the app's permissions, not scopes: `scope` is empty.
    return {
      access_token: accessToken,
      expires_in: ACCESS_TTL_S,
      refresh_token: refreshToken,
      refresh_token_expires_in: REFRESH_TTL_S,
      scope: '',
      token_type: 'bearer',
    };
  }

  function authenticated(request: RecordedRequest): TokenRecord | Response {
    const token = bearerToken(request.headers);
    const record = token ? tokens.get(token) : undefined;
    if (record?.kind !== 'access' || (record.expiresAt !== undefined && record.expiresAt <= now())) {
      return apiError(401, 'Bad credentials');
    }
    return record;
  }

  function getUser(request: RecordedRequest): Response {
    const record = authenticated(request);
    if (record instanceof Response) return record;
    return jsonResponse(
      {
        login: user.login,
        id: user.id,
        node_id: `MDQ6VXNlcj${user.id}`,
        avatar_url: user.avatarUrl,
        html_url: `https://github.com/${user.login}`,
        type: 'User',
        site_admin: false,
        name: user.name,
        company: null,
        blog: '',
        location: null,
        email: user.publicEmail,
        bio: null,
        created_at: '2011-01-25T18:44:36Z',
      },
      200,
      scopeHeaders(record, ''),
    );
  }

  function getEmails(request: RecordedRequest): Response {
    const record = authenticated(request);
    if (record instanceof Response) return record;
    // OAuth app tokens need `user:email` (or `user`); GitHub answers 404 without it.
    // GitHub App user tokens (the expiring mode) are granted the "email addresses" permission here.
    const allowed = options.expiringTokens === true || record.scopes.includes('user:email') || record.scopes.includes('user');
    if (!allowed) return apiError(404, 'Not Found', scopeHeaders(record, 'user, user:email'));
    return jsonResponse(
      user.emails.map((entry) => ({ email: entry.email, primary: entry.primary, verified: entry.verified, visibility: entry.visibility ?? null })),
      200,
      scopeHeaders(record, 'user, user:email'),
    );
  }

  /** DELETE /applications/{client_id}/token: Basic auth with the app's own credentials. */
  function deleteToken(request: RecordedRequest, pathClientId: string): Response {
    // Plain `id:secret` here: this is GitHub's REST API, not an RFC 6749 token endpoint.
    const basic = basicCredentials(request.headers, { formEncoded: false });
    if (basic?.id !== clientId || basic.secret !== clientSecret) return apiError(401, 'Requires authentication');
    if (pathClientId !== clientId) return apiError(404, 'Not Found');
    const body = request.json as { access_token?: unknown } | undefined;
    if (typeof body?.access_token !== 'string' || body.access_token === '') return apiError(422, 'Validation Failed');
    const record = tokens.get(body.access_token);
    // Assumption: an unknown (or non-access) token answers 404, as other GitHub API lookups do.
    if (record?.kind !== 'access') return apiError(404, 'Not Found');
    tokens.delete(body.access_token);
    revoked.push(body.access_token);
    return new Response(null, { status: 204 });
  }

  const server = await startFakeHttpServer(handler);
  return {
    ...server,
    clientId,
    clientSecret,
    apiUrl: `${server.baseUrl}/api/v3`,
    user,
    get denyAccess() {
      return state.denyAccess;
    },
    set denyAccess(value: boolean) {
      state.denyAccess = value;
    },
    tokens,
    revoked,
    isActive: (token) => {
      const record = tokens.get(token);
      return record?.kind === 'access' && (record.expiresAt === undefined || record.expiresAt > now());
    },
    expireRefreshTokens: () => {
      for (const [token, record] of tokens) if (record.kind === 'refresh') tokens.delete(token);
    },
    tokenRequests: () => server.requests.filter((request) => request.path === '/login/oauth/access_token'),
  };
}

/**
 * GitHub's rule: same host and port as the registered callback URL, and a path at or below its
 * path. (Loopback redirect URIs may also vary the port; not modelled.)
 */
function redirectUriAllowed(registered: string, requested: string): boolean {
  if (!URL.canParse(requested)) return false;
  const a = new URL(registered);
  const b = new URL(requested);
  if (a.protocol !== b.protocol || a.host !== b.host) return false;
  const base = a.pathname.endsWith('/') ? a.pathname : `${a.pathname}/`;
  return b.pathname === a.pathname || b.pathname.startsWith(base);
}

function errorLocation(redirectUri: string, error: string, description: string, anchor: string, state: string | null): URL {
  const location = new URL(redirectUri);
  location.searchParams.set('error', error);
  location.searchParams.set('error_description', description);
  location.searchParams.set('error_uri', `${DOCS}/apps/managing-oauth-apps/troubleshooting-authorization-request-errors/${anchor}`);
  if (state !== null) location.searchParams.set('state', state);
  return location;
}

/**
 * The token endpoint answers `application/x-www-form-urlencoded` unless asked for JSON, and
 * always with HTTP 200, errors included.
 */
function tokenEndpointResponse(body: Record<string, unknown>, json: boolean): Response {
  if (json) return jsonResponse(body, 200);
  const form = new URLSearchParams();
  for (const [name, value] of Object.entries(body)) form.set(name, String(value));
  return new Response(form.toString(), {
    status: 200,
    headers: { 'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8', 'Cache-Control': 'no-store' },
  });
}

function apiError(status: number, message: string, headers: Record<string, string> = {}): Response {
  return jsonResponse({ message, documentation_url: `${DOCS}/rest`, status: String(status) }, status, headers);
}

function scopeHeaders(record: TokenRecord, accepted: string): Record<string, string> {
  return { 'X-OAuth-Scopes': record.scopes.join(', '), 'X-Accepted-OAuth-Scopes': accepted, 'X-GitHub-Media-Type': 'github.v3; format=json' };
}
