/**
 * The fetch glue with `Request` objects, against a fake OAuth 2.0 provider (endpoints given
 * directly, token and UserInfo answered by a stub `fetch`): the branches a browser journey rarely
 * reaches — provider errors, forged callbacks, refresh during a handler, misconfiguration.
 */
import { describe, expect, it } from 'vitest';
import {
  authRoutes,
  callbackHandler,
  createOAuthClient,
  OAuthProviderError,
  OAuthValidationError,
  oauth2,
  requireUser,
  SessionExpiredError,
  signInHandler,
  signInRequired,
  signOutHandler,
  withSession,
  type OAuthClient,
} from '../../../src/client/index.js';

const AS = 'https://as.example';
const APP = 'https://app.example';

interface Fake {
  client: OAuthClient;
  /** Grant types the token endpoint received, in order. */
  grants: string[];
}

/** A client of a stub provider. `tokenEndpoint: 'down'` makes the token endpoint unreachable. */
function fakeClient(options: { refreshLeeway?: number; endSession?: boolean; tokenEndpoint?: 'down' } = {}): Fake {
  const grants: string[] = [];
  const stub: typeof fetch = async (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    if (url === `${AS}/token`) {
      if (options.tokenEndpoint === 'down') throw new TypeError('fetch failed');
      const grant = new URLSearchParams(await new Response(init?.body).text()).get('grant_type')!;
      grants.push(grant);
      const n = grants.length;
      return Response.json({ access_token: `at-${n}`, token_type: 'Bearer', expires_in: 3600, refresh_token: `rt-${n}` });
    }
    if (url === `${AS}/userinfo`) return Response.json({ sub: 'user-1', email: 'ada@example.com', name: 'Ada' });
    return new Response('not found', { status: 404 });
  };
  const preset = oauth2({ issuer: AS, authorizationEndpoint: `${AS}/authorize`, tokenEndpoint: `${AS}/token`, userinfoEndpoint: `${AS}/userinfo` });
  const provider = options.endSession ? { ...preset, metadata: { ...preset.metadata!, end_session_endpoint: `${AS}/logout` } } : preset;
  const client = createOAuthClient({
    provider,
    clientId: 'app',
    clientSecret: 'app-secret',
    redirectUri: `${APP}/authorize`,
    secret: 'k'.repeat(40),
    fetch: stub,
    ...(options.refreshLeeway === undefined ? {} : { refreshLeeway: options.refreshLeeway }),
  });
  return { client, grants };
}

/** `name=value` pairs of `Set-Cookie` headers that set (not clear) a cookie, as a `Cookie` header. */
function cookieHeader(response: Response): string {
  return response.headers
    .getSetCookie()
    .filter((header) => !header.includes('Max-Age=0'))
    .map((header) => header.split(';')[0])
    .join('; ');
}

/** Starts sign-in; the callback URL (with `query`) and the sign-in cookie. */
async function startSignIn(client: OAuthClient, loginQuery = '') {
  const start = await signInHandler(client)(new Request(`${APP}/login${loginQuery}`));
  const state = new URL(start.headers.get('location')!).searchParams.get('state')!;
  return { start, state, cookie: cookieHeader(start) };
}

async function callback(client: OAuthClient, query: string, cookie: string, options: Parameters<typeof callbackHandler>[1] = {}) {
  return callbackHandler(client, options)(new Request(`${APP}/authorize?${query}`, { headers: { cookie } }));
}

/** A signed-in browser's `Cookie` header. */
async function signedIn(client: OAuthClient): Promise<string> {
  const { state, cookie } = await startSignIn(client);
  return cookieHeader(await callback(client, `code=c&state=${state}`, cookie));
}

describe('signInHandler', () => {
  it('redirects to the provider (302) with PKCE S256 and state, and sets the sign-in cookie', async () => {
    const { start } = await startSignIn(fakeClient().client);
    expect(start.status).toBe(302);
    const location = new URL(start.headers.get('location')!);
    expect(`${location.origin}${location.pathname}`).toBe(`${AS}/authorize`);
    expect(Object.fromEntries(location.searchParams)).toMatchObject({
      client_id: 'app',
      redirect_uri: `${APP}/authorize`,
      response_type: 'code',
      code_challenge_method: 'S256',
      state: expect.any(String),
    });
    expect(start.headers.getSetCookie()).toEqual([expect.stringMatching(/^gh_tx_[\w-]+=.+; HttpOnly; SameSite=Lax; Secure; Max-Age=600$/)]);
    expect(start.headers.get('cache-control')).toBe('no-store');
  });

  it.each([
    ['/settings?tab=keys', '/settings?tab=keys'],
    ['https://evil.example/', '/'],
    ['//evil.example/', '/'],
    // A browser drops the tab and reads the backslash as a slash: both would be //evil.example.
    ['/\t/evil.example/', '/'],
    ['/\\evil.example/', '/'],
  ])('takes ?returnTo=%j and returns to %s after sign-in (only local paths)', async (returnTo, expected) => {
    const { client } = fakeClient();
    const { state, cookie } = await startSignIn(client, `?returnTo=${encodeURIComponent(returnTo)}`);
    const done = await callback(client, `code=c&state=${state}`, cookie);
    expect(done.status).toBe(302);
    expect(done.headers.get('location')).toBe(expected);
  });

  it('takes returnTo from the option when given', async () => {
    const { client } = fakeClient();
    const start = await signInHandler(client, { returnTo: (request) => new URL(request.url).searchParams.get('next') ?? undefined })(
      new Request(`${APP}/login?next=/billing&returnTo=/ignored`),
    );
    const state = new URL(start.headers.get('location')!).searchParams.get('state')!;
    const done = await callback(client, `code=c&state=${state}`, cookieHeader(start));
    expect(done.headers.get('location')).toBe('/billing');
  });
});

describe('callbackHandler', () => {
  it('starts the session: 302 to / with every cookie (sign-in cookie cleared, session set)', async () => {
    const { client, grants } = fakeClient();
    const { state, cookie } = await startSignIn(client);
    const done = await callback(client, `code=c&state=${state}`, cookie);
    expect(grants).toEqual(['authorization_code']);
    expect(done.status).toBe(302);
    expect(done.headers.get('location')).toBe('/');
    const cookies = done.headers.getSetCookie();
    expect(cookies).toEqual([expect.stringMatching(/^gh_tx_[\w-]+=; .*Max-Age=0$/), expect.stringMatching(/^gh_session\.0=.+/)]);
    const session = await client.getSession(new Request(APP, { headers: { cookie: cookieHeader(done) } }));
    expect(session?.profile.email).toBe('ada@example.com');
  });

  it('adds the session cookies to the response of onSuccess, even one with immutable headers', async () => {
    const { client } = fakeClient();
    const { state, cookie } = await startSignIn(client);
    const done = await callback(client, `code=c&state=${state}`, cookie, {
      onSuccess: (result) => Response.redirect(`${APP}/welcome?name=${result.profile.name}`, 303),
    });
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe(`${APP}/welcome?name=Ada`);
    expect(done.headers.getSetCookie()).toHaveLength(2);
  });

  it('answers 400 naming a provider error (access_denied), without its free text or a stack', async () => {
    const { client } = fakeClient();
    const { state, cookie } = await startSignIn(client);
    const denied = await callback(client, `error=access_denied&error_description=${encodeURIComponent('<b>Call 555-0100</b>')}&state=${state}`, cookie);
    expect(denied.status).toBe(400);
    expect(denied.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    const text = await denied.text();
    expect(text).toMatch(/provider answered with an error \(access_denied\)/);
    expect(text).not.toMatch(/555|<b>|\bat \S+:\d+/);
  });

  it('answers 400 naming a validation failure when the state was tampered with', async () => {
    const { client } = fakeClient();
    const { state, cookie } = await startSignIn(client);
    const forged = await callback(client, `code=c&state=${state}x`, cookie);
    expect(forged.status).toBe(400);
    const text = await forged.text();
    expect(text).toMatch(/did not pass validation \(missing_transaction\)/);
    expect(text).not.toMatch(/\bat \S+:\d+/);
  });

  it('answers 400 naming a validation failure for a tampered sign-in cookie', async () => {
    const { client } = fakeClient();
    const { state, cookie } = await startSignIn(client);
    const tampered = cookie.replace(/=v1\.(.)/, (_, c: string) => `=v1.${c === 'A' ? 'B' : 'A'}`);
    const forged = await callback(client, `code=c&state=${state}`, tampered);
    expect(forged.status).toBe(400);
    expect(await forged.text()).toMatch(/validation/);
  });

  it('passes both error families to onError, typed', async () => {
    const { client } = fakeClient();
    const seen: unknown[] = [];
    const onError = (error: OAuthProviderError | OAuthValidationError) => {
      seen.push(error);
      return new Response('custom', { status: 418 });
    };
    const { state, cookie } = await startSignIn(client);
    expect((await callback(client, `error=access_denied&state=${state}`, cookie, { onError })).status).toBe(418);
    expect((await callback(client, 'code=c', '', { onError })).status).toBe(418);
    expect(seen[0]).toBeInstanceOf(OAuthProviderError);
    expect((seen[0] as OAuthProviderError).error).toBe('access_denied');
    expect(seen[1]).toBeInstanceOf(OAuthValidationError);
    expect((seen[1] as OAuthValidationError).reason).toBe('state_mismatch');
  });

  it('throws other failures (the provider unreachable) for the framework to log as a 500', async () => {
    const { client } = fakeClient({ tokenEndpoint: 'down' });
    const { state, cookie } = await startSignIn(client);
    await expect(callback(client, `code=c&state=${state}`, cookie)).rejects.toThrow(/fetch failed/);
  });
});

describe('signInRequired and requireUser', () => {
  it('answers 401 JSON to API calls and non-GET requests, 302 with returnTo to a browser', async () => {
    const api = signInRequired(new Request(`${APP}/api/me`, { headers: { accept: 'application/json' } }));
    expect(api.status).toBe(401);
    expect(api.headers.get('cache-control')).toBe('no-store');
    expect(await api.json()).toEqual({ error: 'login_required', error_description: 'sign in first' });
    expect(signInRequired(new Request(`${APP}/items`, { method: 'POST' })).status).toBe(401);
    expect(signInRequired(new Request(`${APP}/items`, { method: 'DELETE' })).status).toBe(401);

    const page = signInRequired(new Request(`${APP}/docs/a b?x=1&y=2`, { headers: { accept: 'text/html,*/*;q=0.8' } }));
    expect(page.status).toBe(302);
    expect(page.headers.get('location')).toBe(`/login?returnTo=${encodeURIComponent('/docs/a%20b?x=1&y=2')}`);
    expect(signInRequired(new Request(`${APP}/x`), { signInPath: '/auth/sign-in' }).headers.get('location')).toBe('/auth/sign-in?returnTo=%2Fx');
  });

  it('requireUser: the session when signed in, else the response to send', async () => {
    const { client } = fakeClient();
    const anonymous = await requireUser(client, new Request(`${APP}/profile`));
    expect('response' in anonymous && anonymous.response.status).toBe(302);
    const cookie = await signedIn(client);
    const user = await requireUser(client, new Request(`${APP}/profile`, { headers: { cookie } }));
    expect('session' in user && user.session.profile.email).toBe('ada@example.com');
  });
});

describe('withSession', () => {
  it('passes the session (or undefined) and extra arguments, and leaves an unchanged session’s response alone', async () => {
    const { client } = fakeClient();
    const handler = withSession(client, async (_request, session, context: { params: { id: string } }) =>
      Response.json({ email: session?.profile.email ?? null, id: context.params.id }),
    );
    const anonymous = await handler(new Request(`${APP}/x`), { params: { id: '1' } });
    expect(await anonymous.json()).toEqual({ email: null, id: '1' });
    const cookie = await signedIn(client);
    const known = await handler(new Request(`${APP}/x`, { headers: { cookie } }), { params: { id: '2' } });
    expect(await known.json()).toEqual({ email: 'ada@example.com', id: '2' });
    expect(known.headers.getSetCookie()).toEqual([]);
  });

  it('sends a cookie session refreshed during the handler back to the browser', async () => {
    const { client, grants } = fakeClient({ refreshLeeway: 7200 });
    const cookie = await signedIn(client);
    const handler = withSession(client, async (_request, session) => Response.redirect(`${APP}/done?token=${await client.getAccessToken(session)}`), {
      required: true,
    });
    const response = await handler(new Request(`${APP}/x`, { headers: { cookie } }));
    expect(grants).toEqual(['authorization_code', 'refresh_token']);
    expect(response.headers.get('location')).toBe(`${APP}/done?token=at-2`);
    expect(response.headers.getSetCookie()).toEqual([expect.stringMatching(/^gh_session\.0=/)]);
    const refreshed = await client.getSession(new Request(APP, { headers: { cookie: cookieHeader(response) } }));
    expect(refreshed?.tokens).toMatchObject({ accessToken: 'at-2', refreshToken: 'rt-2' });
  });

  it('required: answers signInRequired without calling the handler', async () => {
    const { client } = fakeClient();
    let called = false;
    const handler = withSession(client, () => ((called = true), new Response('secret')), { required: true, signInPath: '/auth/login' });
    const response = await handler(new Request(`${APP}/secret`));
    expect(called).toBe(false);
    expect(response.headers.get('location')).toBe('/auth/login?returnTo=%2Fsecret');
  });

  it('answers signInRequired when the handler hits SessionExpiredError, and rethrows other errors', async () => {
    const { client } = fakeClient();
    const cookie = await signedIn(client);
    const expired = withSession(client, () => {
      throw new SessionExpiredError('the provider no longer accepts the refresh token');
    });
    const response = await expired(new Request(`${APP}/api`, { headers: { cookie, accept: 'application/json' } }));
    expect(response.status).toBe(401);
    const broken = withSession(client, () => {
      throw new Error('bug');
    });
    await expect(broken(new Request(`${APP}/api`, { headers: { cookie } }))).rejects.toThrow('bug');
  });
});

describe('signOutHandler', () => {
  it('clears the session and goes to redirectTo when the provider has no logout endpoint', async () => {
    const { client } = fakeClient();
    const cookie = await signedIn(client);
    const out = await signOutHandler(client, { redirectTo: '/bye' })(new Request(`${APP}/logout`, { method: 'POST', headers: { cookie } }));
    expect(out.status).toBe(302);
    expect(out.headers.get('location')).toBe('/bye');
    expect(out.headers.getSetCookie()).toEqual([expect.stringMatching(/^gh_session\.0=; .*Max-Age=0$/)]);
    expect(await client.getSession(new Request(APP, { headers: { cookie: cookieHeader(out) } }))).toBeUndefined();
  });

  it('goes to the provider’s logout endpoint with postLogoutRedirectUri', async () => {
    const { client } = fakeClient({ endSession: true });
    const cookie = await signedIn(client);
    const out = await signOutHandler(client, { postLogoutRedirectUri: `${APP}/signed-out` })(new Request(`${APP}/logout`, { headers: { cookie } }));
    const location = new URL(out.headers.get('location')!);
    expect(`${location.origin}${location.pathname}`).toBe(`${AS}/logout`);
    expect(location.searchParams.get('post_logout_redirect_uri')).toBe(`${APP}/signed-out`);
  });

  it('without a session: straight to redirectTo (default /)', async () => {
    const out = await signOutHandler(fakeClient().client)(new Request(`${APP}/logout`));
    expect(out.headers.get('location')).toBe('/');
  });
});

describe('authRoutes', () => {
  it('routes by path and method, and answers undefined for anything else', async () => {
    const routes = authRoutes(fakeClient().client, { signInPath: '/auth/login', backchannelLogoutPath: '/auth/backchannel' });
    expect((await routes(new Request(`${APP}/auth/login`)))?.status).toBe(302);
    expect(routes(new Request(`${APP}/auth/login`, { method: 'POST' }))).toBeUndefined();
    expect(routes(new Request(`${APP}/login`))).toBeUndefined();
    expect((await routes(new Request(`${APP}/logout`, { method: 'POST' })))?.status).toBe(302);
    expect((await routes(new Request(`${APP}/authorize?state=x`)))?.status).toBe(400);
    const backchannel = await routes(new Request(`${APP}/auth/backchannel`, { method: 'POST', body: new URLSearchParams() }));
    expect(backchannel?.status).toBe(400);
    expect(((await backchannel!.json()) as { error_description?: string }).error_description).toBe('logout_token is required');
    expect((await routes(new Request(`${APP}/auth/backchannel`)))?.status).toBe(405);
    expect(authRoutes(fakeClient().client)(new Request(`${APP}/auth/backchannel`, { method: 'POST' }))).toBeUndefined();
  });

  it('refuses bad paths at construction, naming the option', () => {
    const { client } = fakeClient();
    expect(() => authRoutes(client, { callbackPath: 'authorize' })).toThrow(
      expect.objectContaining({ name: 'ConfigError', code: 'ERR_INVALID_OPTION', option: 'callbackPath' }),
    );
    expect(() => authRoutes(client, { signOutPath: '/out?x=1' })).toThrow(/signOutPath/);
    expect(() => authRoutes(client, { signInPath: '/auth', callbackPath: '/auth' })).toThrow(/must differ/);
  });
});
