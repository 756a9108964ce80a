import * as oauth from 'oauth4webapi';
import type { ClientContext } from './context.js';
import { checkTokenBinding, retryOnNonce } from './dpop.js';
import { OAuthProviderError, OAuthValidationError, translateError } from './errors.js';
import type { ClientSession } from './sessions/session.js';
import type { SessionManager } from './sessions/session-manager.js';
import { tokenSetFrom, type TokenSet } from './token-set.js';

/** The session can no longer produce an access token: the user must sign in again. */
export class SessionExpiredError extends Error {
  readonly code = 'ERR_SESSION_EXPIRED';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SessionExpiredError';
  }
}

/** How long a refresh may hold the cross-instance lock, and how long others wait for its result. */
const LOCK_TTL_MS = 10_000;
const WAIT_POLL_MS = 50;

/**
 * Keeps sessions' access tokens fresh. Refreshing shortly before expiry with single-flight: all
 * concurrent callers for one session share one refresh request — within a process always, and
 * across instances when the token store offers a lock. A provider that rotates refresh tokens
 * would otherwise see the second request as reuse and revoke the session (RFC 9700 §4.14.2).
 */
export class Refresher {
  readonly #ctx: ClientContext;
  readonly #sessions: SessionManager;
  readonly #inFlight = new Map<string, Promise<TokenSet>>();

  constructor(ctx: ClientContext, sessions: SessionManager) {
    this.#ctx = ctx;
    this.#sessions = sessions;
  }

  /** The session's access token, refreshed first when it expires within the leeway. */
  async accessToken(session: ClientSession, options: { forceRefresh?: boolean } = {}): Promise<string> {
    if (!options.forceRefresh && this.#fresh(session.tokens)) return session.tokens.accessToken;
    let pending = this.#inFlight.get(session.id);
    if (!pending) {
      pending = this.#refreshAcrossInstances(session).finally(() => this.#inFlight.delete(session.id));
      this.#inFlight.set(session.id, pending);
    }
    session.tokens = await pending;
    return session.tokens.accessToken;
  }

  #fresh(tokens: TokenSet): boolean {
    return tokens.expiresAt === undefined || tokens.expiresAt - this.#ctx.refreshLeeway * 1000 > this.#ctx.now();
  }

  async #refreshAcrossInstances(session: ClientSession): Promise<TokenSet> {
    const store = this.#sessions.store;
    if (!store?.lock) return this.#refresh(session, session.tokens);
    const deadline = Date.now() + LOCK_TTL_MS;
    for (;;) {
      const release = await store.lock(`refresh:${session.id}`, LOCK_TTL_MS);
      if (release) {
        try {
          // Another instance may have refreshed while we waited for the lock.
          const stored = await store.get(session.id);
          if (!stored) throw new SessionExpiredError('the session ended');
          if (stored.tokens.accessToken !== session.tokens.accessToken && this.#fresh(stored.tokens)) return stored.tokens;
          return await this.#refresh(session, stored.tokens);
        } finally {
          await release();
        }
      }
      const stored = await store.get(session.id);
      if (!stored) throw new SessionExpiredError('the session ended');
      if (stored.tokens.accessToken !== session.tokens.accessToken && this.#fresh(stored.tokens)) return stored.tokens;
      if (Date.now() > deadline) throw new Error('timed out waiting for another instance to refresh the session');
      await new Promise((resolve) => setTimeout(resolve, WAIT_POLL_MS));
    }
  }

  async #refresh(session: ClientSession, current: TokenSet): Promise<TokenSet> {
    if (!current.refreshToken) {
      throw new SessionExpiredError('the access token expired and the provider gave no refresh token: sign in again');
    }
    const as = await this.#ctx.server();
    // The session's DPoP key, if it has one: a bound session stays bound to the same key (RFC 9449
    // §5: a public client's refresh token is bound to it, and the new access token is too).
    const dpop = await this.#ctx.dpopHandles.forSession(session);
    const options = dpop ? { ...this.#ctx.tokenRequestOptions, DPoP: dpop } : this.#ctx.tokenRequestOptions;
    let tokens: TokenSet;
    try {
      let response!: Response;
      const result = await retryOnNonce(dpop, async () => {
        response = await oauth.refreshTokenGrantRequest(as, this.#ctx.client, this.#ctx.clientAuth, current.refreshToken!, options);
        return oauth.processRefreshTokenResponse(as, this.#ctx.client, response);
      });
      // A bound session's token must stay bound, whatever `dpop.required` says: its key is what
      // its later calls prove possession of.
      if (dpop) checkTokenBinding(true, result.token_type);
      if (result.id_token) await oauth.validateApplicationLevelSignature(as, response, this.#ctx.signatureOptions);
      const claims = oauth.getValidatedIdTokenClaims(result);
      // OIDC Core §12.2: a refreshed ID token must be about the same user.
      if (claims && claims.sub !== session.profile.sub) {
        throw new OAuthValidationError('id_token_invalid', 'the refreshed ID token is about another user');
      }
      tokens = tokenSetFrom(result, this.#ctx.now(), current);
    } catch (error) {
      const translated = await translateError(error);
      const dead = ['invalid_grant', ...(this.#ctx.preset.refreshRejectedErrors ?? [])];
      if (translated instanceof OAuthProviderError && dead.includes(translated.error)) {
        await this.#sessions.store?.delete(session.id);
        throw new SessionExpiredError('the provider no longer accepts the refresh token: sign in again', { cause: translated });
      }
      throw translated;
    }
    session.tokens = tokens;
    // Saved before anyone else can read the session, so a rotated refresh token is never lost —
    // unless the session ended while we refreshed (a logout): then it stays ended.
    if (!(await this.#sessions.touch(session))) throw new SessionExpiredError('the session ended');
    return tokens;
  }
}
