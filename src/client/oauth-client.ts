import { createClientContext, type OAuthClientOptions } from './context.js';
import { fetchProtectedResource } from './dpop.js';
import { BackchannelLogoutReceiver, revokeAndBuildLogoutUrl, type LogoutOptions } from './logout.js';
import { Refresher } from './refresh.js';
import type { ClientSession } from './sessions/session.js';
import { createSessionManager } from './sessions/session-manager.js';
import { completeSignIn, createAuthorizationUrl, requestUserInfo, type AuthorizationUrlOptions, type SignInResult } from './sign-in.js';

/** An OAuth / OpenID Connect client (relying party) for one provider. */
export interface OAuthClient {
  /** The provider preset's id. */
  readonly provider: string;
  /** Where to send the browser to sign in, and the cookie to set with that redirect. */
  authorizationUrl(options?: AuthorizationUrlOptions): Promise<{ url: URL; setCookie: string }>;
  /**
   * Completes sign-in at the redirect URI and starts a session.
   * `setCookies`: send them all with the response (they clear the sign-in cookie and set the session).
   */
  handleCallback(request: Request): Promise<SignInResult & { setCookies: string[] }>;
  /**
   * Completes sign-in without starting a session, for servers that keep their own (Gatehouse's
   * upstream sign-in). `clearCookie` ends the sign-in cookie.
   */
  exchangeCallback(request: Request): Promise<Omit<SignInResult, 'session'> & { clearCookie: string }>;
  /** The request's session, if signed in. */
  getSession(request: Request): Promise<ClientSession | undefined>;
  /** A valid access token for the session, refreshed first when it is about to expire (single-flight). */
  getAccessToken(session: ClientSession, options?: { forceRefresh?: boolean }): Promise<string>;
  /**
   * Ends the session locally, without revoking anything or visiting the provider (after a
   * `SessionExpiredError`, say). Returns the `Set-Cookie` values that clear it.
   */
  clearSession(request: Request): Promise<string[]>;
  /** `Set-Cookie` values for session changes not sent yet (cookie sessions after a refresh). */
  commitSession(session: ClientSession, request?: Request): Promise<string[]>;
  /** Claims from the provider's UserInfo endpoint (OpenID providers). */
  fetchUserInfo(session: ClientSession): Promise<Record<string, unknown>>;
  /**
   * Calls a protected API with the session's access token (refreshed first when it is about to
   * expire): `Authorization: Bearer`, or for a DPoP-bound session `Authorization: DPoP` with a proof
   * of the session's key (`ath`, RFC 9449 §7.1), retried once when the API answers
   * `use_dpop_nonce` (§9). Any other answer, a `401` included, is returned as `fetch` would.
   * Requests do not follow redirects (a proof names one URL). Like `fetch`, no deadline of its own:
   * pass `init.signal`. After a refresh, send {@link commitSession}'s cookies with your response.
   *
   * @example
   * const response = await client.fetch(session, 'https://api.example/notes');
   */
  fetch(session: ClientSession, input: string | URL, init?: RequestInit): Promise<Response>;
  /**
   * Ends the session: revokes its tokens where possible, clears it, and returns the provider's
   * RP-initiated logout URL to redirect to, when it has one.
   */
  logout(request: Request, options?: LogoutOptions): Promise<{ redirectUrl: URL | undefined; setCookies: string[]; revoked: boolean }>;
  /** The back-channel logout endpoint (OIDC Back-Channel Logout 1.0): mount at the URI registered with the provider. */
  backchannelLogout(request: Request): Promise<Response>;
}

/**
 * Creates a client for one provider.
 *
 * @example
 * const github = createOAuthClient({
 *   provider: github(), clientId, clientSecret, redirectUri: 'https://app.example/auth/github/callback',
 *   secret: process.env.SESSION_SECRET!,
 * });
 * const { url, setCookie } = await github.authorizationUrl({ returnTo: '/profile' });
 */
export function createOAuthClient(options: OAuthClientOptions): OAuthClient {
  const ctx = createClientContext(options);
  const sessions = createSessionManager(ctx, options.tokenStore);
  const refresher = new Refresher(ctx, sessions);
  const backchannel = new BackchannelLogoutReceiver(ctx, sessions);

  return {
    provider: ctx.preset.id,
    authorizationUrl: (urlOptions) => createAuthorizationUrl(ctx, urlOptions),
    async handleCallback(request) {
      const { result, clearTransaction } = await completeSignIn(ctx, request);
      const sessionCookies = await sessions.save(result.session, request);
      return { ...result, setCookies: [clearTransaction, ...sessionCookies] };
    },
    async exchangeCallback(request) {
      const { result, clearTransaction } = await completeSignIn(ctx, request);
      const { session, ...rest } = result;
      // No session is kept: nor is its DPoP key.
      ctx.dpopHandles.forget(session.id);
      return { ...rest, clearCookie: clearTransaction };
    },
    getSession: (request) => sessions.load(request),
    getAccessToken: (session, tokenOptions) => refresher.accessToken(session, tokenOptions),
    commitSession: (session, request) => sessions.commit(session, request),
    clearSession: (request) => sessions.destroy(request),
    async fetchUserInfo(session) {
      const as = await ctx.server();
      const accessToken = await refresher.accessToken(session);
      return requestUserInfo(ctx, as, accessToken, session.profile.sub, await ctx.dpopHandles.forSession(session));
    },
    async fetch(session, input, init = {}) {
      const accessToken = await refresher.accessToken(session);
      return fetchProtectedResource(accessToken, await ctx.dpopHandles.forSession(session), input, init, ctx.resourceRequestOptions);
    },
    async logout(request, logoutOptions = {}) {
      const session = await sessions.load(request);
      const setCookies = await sessions.destroy(request, session);
      if (!session) return { redirectUrl: undefined, setCookies, revoked: false };
      ctx.dpopHandles.forget(session.id);
      const { redirectUrl, revoked } = await revokeAndBuildLogoutUrl(ctx, session, logoutOptions);
      return { redirectUrl, setCookies, revoked };
    },
    backchannelLogout: (request) => backchannel.handle(request),
  };
}
