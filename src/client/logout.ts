import * as oauth from 'oauth4webapi';
import { createRemoteJWKSet, customFetch, jwtVerify, type JWTVerifyGetKey } from 'jose';
import type { ClientContext } from './context.js';
import { OAuthValidationError } from './errors.js';
import type { ClientSession } from './sessions/session.js';
import type { SessionManager } from './sessions/session-manager.js';
import { OAuthError } from '../core/errors.js';

export interface LogoutOptions {
  /** Where the provider sends the browser afterwards. Default: the client's `postLogoutRedirectUri`. */
  postLogoutRedirectUri?: string;
  state?: string;
}

/**
 * Revokes the session's tokens where the provider supports it (RFC 7009 or the preset's own API;
 * the refresh token first, which ends the access token too at most providers) and builds the
 * RP-initiated logout URL (OpenID Connect RP-Initiated Logout 1.0 §2) when the provider has one.
 * Revocation failures do not stop the logout: the local session ends regardless.
 */
export async function revokeAndBuildLogoutUrl(
  ctx: ClientContext,
  session: ClientSession,
  options: LogoutOptions,
): Promise<{ redirectUrl: URL | undefined; revoked: boolean }> {
  const as = await ctx.server();
  let revoked = true;
  const tokens = [
    ['refresh_token', session.tokens.refreshToken],
    ['access_token', session.tokens.accessToken],
  ] as const;
  for (const [tokenType, token] of tokens) {
    if (!token) continue;
    try {
      if (ctx.preset.revoke) {
        await ctx.preset.revoke({ token, tokenType, clientId: ctx.options.clientId, clientSecret: ctx.options.clientSecret, fetch: ctx.fetch });
      } else if (as.revocation_endpoint) {
        const response = await oauth.revocationRequest(as, ctx.client, ctx.clientAuth, token, {
          ...ctx.requestOptions,
          additionalParameters: { token_type_hint: tokenType },
        });
        await oauth.processRevocationResponse(response);
      } else {
        revoked = false;
      }
    } catch (error) {
      // Some providers (Google) answer invalid_token for a token already revoked with its
      // refresh token, where RFC 7009 §2.2 would answer 200: the token is gone either way.
      if (!(error instanceof oauth.ResponseBodyError && error.error === 'invalid_token')) revoked = false;
    }
  }
  if (!as.end_session_endpoint) return { redirectUrl: undefined, revoked };
  const url = new URL(as.end_session_endpoint);
  url.searchParams.set('client_id', ctx.options.clientId);
  if (session.tokens.idToken) url.searchParams.set('id_token_hint', session.tokens.idToken);
  const postLogout = options.postLogoutRedirectUri ?? ctx.options.postLogoutRedirectUri;
  if (postLogout) url.searchParams.set('post_logout_redirect_uri', postLogout);
  if (options.state) url.searchParams.set('state', options.state);
  return { redirectUrl: url, revoked };
}

const BACKCHANNEL_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
/** How old a logout token may be (by `iat`): it is sent the moment the user signs out. */
const MAX_LOGOUT_TOKEN_AGE_SECONDS = 300;

/**
 * Receives OpenID Connect Back-Channel Logout requests (§2.5): validates the `logout_token` (§2.6)
 * and ends the sessions it names. Answers 200, or 400 with an error body (§2.8).
 */
export class BackchannelLogoutReceiver {
  readonly #ctx: ClientContext;
  readonly #sessions: SessionManager;
  /** `jti`s seen within the token age limit: a replayed logout token is refused (§2.6 step 9 SHOULD). */
  readonly #seen = new Map<string, number>();
  #jwks: JWTVerifyGetKey | undefined;

  constructor(ctx: ClientContext, sessions: SessionManager) {
    this.#ctx = ctx;
    this.#sessions = sessions;
  }

  async handle(request: Request): Promise<Response> {
    if (request.method !== 'POST') return new OAuthError('invalid_request', 'use POST', { status: 405, headers: { Allow: 'POST' } }).toResponse();
    try {
      const form = new URLSearchParams(await request.text());
      const token = form.get('logout_token');
      if (!token) throw new OAuthValidationError('logout_token_invalid', 'logout_token is required');
      const { issuer, sub, sid } = await this.#validate(token);
      await this.#sessions.endMatching({ issuer, ...(sub ? { sub } : {}), ...(sid ? { sid } : {}) }, this.#ctx.now());
      return new Response(null, { status: 200, headers: { 'Cache-Control': 'no-store' } });
    } catch (error) {
      // Which check failed helps the provider's operators; the text is ours or jose's, never the token's.
      return new OAuthError('invalid_request', OAuthError.describe(error instanceof Error ? error.message : '', 'invalid logout token')).toResponse();
    }
  }

  async #validate(token: string): Promise<{ issuer: string; sub?: string; sid?: string }> {
    const as = await this.#ctx.server();
    if (!as.jwks_uri) throw new OAuthValidationError('logout_token_invalid', 'the provider publishes no keys');
    this.#jwks ??= createRemoteJWKSet(new URL(as.jwks_uri), { [customFetch]: this.#ctx.fetch, timeoutDuration: this.#ctx.timeoutMs });
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, this.#jwks, {
        issuer: as.issuer,
        audience: this.#ctx.options.clientId,
        requiredClaims: ['iat', 'jti'],
        maxTokenAge: MAX_LOGOUT_TOKEN_AGE_SECONDS,
        clockTolerance: 30,
        currentDate: new Date(this.#ctx.now()),
      }));
    } catch (cause) {
      throw new OAuthValidationError('logout_token_invalid', `logout_token is not valid: ${(cause as Error).message}`, { cause });
    }
    const events = payload.events as Record<string, unknown> | undefined;
    if (typeof events?.[BACKCHANNEL_EVENT] !== 'object' || events[BACKCHANNEL_EVENT] === null) {
      throw new OAuthValidationError('logout_token_invalid', 'logout_token has no back-channel logout event');
    }
    if ('nonce' in payload) throw new OAuthValidationError('logout_token_invalid', 'logout_token must not contain a nonce');
    const sub = typeof payload.sub === 'string' ? payload.sub : undefined;
    const sid = typeof payload.sid === 'string' ? payload.sid : undefined;
    if (!sub && !sid) throw new OAuthValidationError('logout_token_invalid', 'logout_token names neither sub nor sid');
    const jti = String(payload.jti);
    const now = this.#ctx.now();
    for (const [seen, until] of this.#seen) if (until < now) this.#seen.delete(seen);
    if (this.#seen.has(jti)) throw new OAuthValidationError('logout_token_invalid', 'logout_token was already used');
    this.#seen.set(jti, now + MAX_LOGOUT_TOKEN_AGE_SECONDS * 1000);
    return { issuer: as.issuer, ...(sub ? { sub } : {}), ...(sid ? { sid } : {}) };
  }
}
