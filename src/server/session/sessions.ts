import { randomToken } from '../../core/encoding.js';
import type { UserRecord } from '../../stores/contract.js';
import type { ServerContext } from '../context.js';
import { cookieName, readCookie, serializeCookie } from '../http/cookies.js';

/** Artifact kind of SSO sessions, keyed by a hash of the cookie value. */
export const SESSION = 'session';
const SESSION_PURPOSE = 'session-cookie';

/** What the server remembers about a signed-in browser. */
export interface SessionState {
  /** Public session id, the ID token's `sid` claim (OIDC Front/Back-Channel Logout). */
  sid: string;
  sub: string;
  /** Seconds since the epoch of the last authentication (the ID token's `auth_time`). */
  authTime: number;
  /** Authentication methods (RFC 8176). */
  amr: string[];
  acr: string;
  [key: string]: string | number | string[];
}

export interface Session {
  state: SessionState;
  user: UserRecord;
}

export function sessionCookieName(ctx: ServerContext): string {
  return cookieName('gh_session', ctx.options.secureCookies);
}

/** The session of the request's cookie, when it exists, has not expired and its user may still sign in. */
export async function loadSession(ctx: ServerContext, request: Request): Promise<Session | undefined> {
  const cookie = readCookie(request, sessionCookieName(ctx));
  if (!cookie) return undefined;
  const record = await ctx.options.store.artifacts.get<SessionState>(SESSION, ctx.secretKeys.hash(cookie, SESSION_PURPOSE));
  if (!record) return undefined;
  const user = await ctx.options.store.users.get(record.value.sub);
  if (!user || user.disabled) return undefined;
  return { state: record.value, user };
}

/**
 * Starts a session after a successful sign-in. A new opaque id every time (session fixation
 * defence); the previous session of this browser, if any, is ended. The cookie holds only the id,
 * the store only its keyed hash.
 */
export async function startSession(
  ctx: ServerContext,
  request: Request,
  user: UserRecord,
  authentication: { amr: string[]; acr: string },
): Promise<{ state: SessionState; setCookie: string }> {
  await endSession(ctx, request);
  const cookie = randomToken(32);
  const now = ctx.options.clock.now();
  const state: SessionState = { sid: randomToken(16), sub: user.id, authTime: Math.floor(now / 1000), ...authentication };
  await ctx.options.store.artifacts.put({
    kind: SESSION,
    id: ctx.secretKeys.hash(cookie, SESSION_PURPOSE),
    value: state,
    grantId: null,
    expiresAt: now + ctx.options.sessions.ttl * 1000,
  });
  return {
    state,
    setCookie: serializeCookie(sessionCookieName(ctx), cookie, { secure: ctx.options.secureCookies, maxAge: ctx.options.sessions.ttl }),
  };
}

/** Ends the request's session, if any, and returns the `Set-Cookie` value that clears the cookie. */
export async function endSession(ctx: ServerContext, request: Request): Promise<string> {
  const cookie = readCookie(request, sessionCookieName(ctx));
  if (cookie) await ctx.options.store.artifacts.delete(SESSION, ctx.secretKeys.hash(cookie, SESSION_PURPOSE));
  return serializeCookie(sessionCookieName(ctx), '', { secure: ctx.options.secureCookies, maxAge: 0 });
}
