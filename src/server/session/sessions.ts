import { randomToken } from '../../core/encoding.js';
import type { ArtifactRecord, Store, UserRecord } from '../../stores/contract.js';
import type { ServerContext } from '../context.js';
import { cookieName, readCookie, setCookie } from '../../core/cookies.js';
import { existingBrowserId } from './browser.js';
import { deviceName } from './device-name.js';
import { rememberBrowser } from './known-browsers.js';
import { moveSessionClients, queueBackchannelLogout } from '../logout/backchannel-logout.js';
import { userOwner } from './owner.js';

/** Artifact kind of SSO sessions, keyed by a hash of the cookie value. */
export const SESSION = 'session';
/** Artifact kind of recorded sign-ins (the account page's "recent sign-ins"), kept 90 days. */
export const SIGN_IN_EVENT = 'sign_in_event';
const SIGN_IN_EVENT_TTL_MS = 90 * 86_400_000;
const SESSION_PURPOSE = 'session-cookie';

export { userOwner } from './owner.js';

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

/**
 * Where and how a sign-in happened, as the account page shows it (kept with the session and the
 * sign-in record). Only what is shown is stored: the parsed "Chrome on macOS", never the raw
 * user agent. (A type, not an interface: it is stored as JSON.)
 */
export type SignInContext = {
  /** Browser and system, such as "Chrome on macOS" (see `deviceName`). */
  device?: string;
  /** The client address the sign-in came from (see `clientIp`). */
  ip?: string;
  /** The upstream provider's id (`github`) of a `fed` sign-in. */
  provider?: string;
  /** Which kind of one-time code an `otp` sign-in used: `totp`, `recovery` or `email`. */
  code?: 'totp' | 'recovery' | 'email';
};

/** Where a sign-in came from: the browser's name and the client address (the router resolved it behind trusted proxies). */
function signInContext(ctx: Pick<ServerContext, 'request'>, request: Request): SignInContext {
  const context: SignInContext = {};
  const device = deviceName(request.headers.get('user-agent'));
  if (device) context.device = device;
  const ip = ctx.request.ip;
  if (ip) context.ip = ip;
  return context;
}

/**
 * How a user signed in: the methods (RFC 8176 `amr`) and `acr`, and for the account page the
 * detail `amr` does not carry: which upstream provider (`fed`), which kind of one-time code (`otp`).
 */
export interface Authentication {
  amr: string[];
  acr: string;
  provider?: string;
  code?: SignInContext['code'];
}

export interface Session {
  state: SessionState;
  user: UserRecord;
}

function sessionCookieName(ctx: Pick<ServerContext, 'config'>): string {
  return cookieName('gh_session', ctx.config.secureCookies);
}

/** The session of the request's cookie, when it exists, has not expired and its user may still sign in. */
export async function loadSession(ctx: Pick<ServerContext, 'config' | 'secrets' | 'store'>, request: Request): Promise<Session | undefined> {
  const cookie = readCookie(request, sessionCookieName(ctx));
  if (!cookie) return undefined;
  const record = await ctx.store.artifacts.get<SessionState>(SESSION, ctx.secrets.hash(cookie, SESSION_PURPOSE));
  if (!record) return undefined;
  const user = await ctx.store.users.get(record.value.sub);
  if (!user || user.disabled) return undefined;
  return { state: record.value, user };
}

/**
 * Starts a session after a successful sign-in. A new opaque id every time (session fixation
 * defence); the previous session of this browser, if any, is ended. The cookie holds only the id,
 * the store only its keyed hash. The session and the sign-in record keep where and how it
 * happened ({@link SignInContext}) for the account page.
 */
export async function startSession(
  ctx: Pick<
    ServerContext,
    'audit' | 'clock' | 'config' | 'keys' | 'limits' | 'logger' | 'metrics' | 'network' | 'request' | 'secrets' | 'store' | 'upstreams' | 'urls'
  >,
  request: Request,
  user: UserRecord,
  authentication: Authentication,
  clientId?: string,
): Promise<{ state: SessionState; setCookie: string }> {
  const now = ctx.clock.now();
  const sid = randomToken(16);
  const previous = await currentSessionRecord(ctx, request);
  if (previous?.value.sub === user.id) {
    // The same user signing in again (prompt=login, max_age): a new session, but the clients of
    // the one it replaces stay signed in, to be told when this one ends (with the sid they know).
    if (await ctx.store.artifacts.delete(SESSION, previous.id)) await moveSessionClients(ctx, previous.value.sid, sid);
  } else if (previous) {
    await dropSession(ctx.store, now, previous);
  }
  const cookie = randomToken(32);
  const where = {
    ...signInContext(ctx, request),
    ...(authentication.provider ? { provider: authentication.provider } : {}),
    ...(authentication.code ? { code: authentication.code } : {}),
  };
  const state: SessionState = {
    sid,
    sub: user.id,
    authTime: Math.floor(now / 1000),
    amr: authentication.amr,
    acr: authentication.acr,
    ...where,
  };
  const { store } = ctx;
  await store.artifacts.put({
    kind: SESSION,
    id: ctx.secrets.hash(cookie, SESSION_PURPOSE),
    value: state,
    ownerId: userOwner(user.id),
    expiresAt: now + ctx.config.sessions.ttl * 1000,
  });
  await store.artifacts.put({
    kind: SIGN_IN_EVENT,
    id: randomToken(16),
    value: { at: now, amr: authentication.amr, clientId: clientId ?? null, ...where },
    ownerId: userOwner(user.id),
    expiresAt: now + SIGN_IN_EVENT_TTL_MS,
  });
  await rememberBrowser(ctx, existingBrowserId(ctx, request), user.id);
  return {
    state,
    setCookie: setCookie(sessionCookieName(ctx), cookie, { secure: ctx.config.secureCookies, maxAge: ctx.config.sessions.ttl }),
  };
}

/**
 * A new session cookie for a browser whose session just ended with all the user's others (a
 * password change ends every session, then keeps the one it was made from): the same sign-in
 * (time, methods, where), a new id and cookie, and no new entry in the sign-in history, since no
 * one signed in.
 */
export async function renewSession(
  ctx: Pick<ServerContext, 'clock' | 'config' | 'secrets' | 'store'>,
  state: SessionState,
): Promise<{ state: SessionState; setCookie: string }> {
  const cookie = randomToken(32);
  const renewed: SessionState = { ...state, sid: randomToken(16) };
  await ctx.store.artifacts.put({
    kind: SESSION,
    id: ctx.secrets.hash(cookie, SESSION_PURPOSE),
    value: renewed,
    ownerId: userOwner(state.sub),
    expiresAt: ctx.clock.now() + ctx.config.sessions.ttl * 1000,
  });
  return {
    state: renewed,
    setCookie: setCookie(sessionCookieName(ctx), cookie, { secure: ctx.config.secureCookies, maxAge: ctx.config.sessions.ttl }),
  };
}

/** The keyed hash a session is stored under, for telling the current one apart in lists. */
export function sessionKeyOf(ctx: Pick<ServerContext, 'config' | 'secrets'>, request: Request): string | undefined {
  const cookie = readCookie(request, sessionCookieName(ctx));
  return cookie ? ctx.secrets.hash(cookie, SESSION_PURPOSE) : undefined;
}

/**
 * Ends one session: the one place a session ends (sign-out, the account page, an operator, a
 * password change, a new sign-in in the same browser). Of callers racing to end it, the one whose
 * delete removed it queues the back-channel logout notifications of the clients that took part
 * (OpenID Connect Back-Channel Logout 1.0), so each is sent once. Returns whether it ended it.
 */
export async function dropSession(store: Store, now: number, record: Pick<ArtifactRecord<SessionState>, 'id' | 'value'>): Promise<boolean> {
  if (!(await store.artifacts.delete(SESSION, record.id))) return false;
  await queueBackchannelLogout(store, now, record.value);
  return true;
}

/** The stored session of the request's cookie, expired or not yet purged aside. */
async function currentSessionRecord(
  ctx: Pick<ServerContext, 'config' | 'secrets' | 'store'>,
  request: Request,
): Promise<ArtifactRecord<SessionState> | undefined> {
  const cookie = readCookie(request, sessionCookieName(ctx));
  return cookie ? ctx.store.artifacts.get<SessionState>(SESSION, ctx.secrets.hash(cookie, SESSION_PURPOSE)) : undefined;
}

/** Ends the request's session, if any, and returns the `Set-Cookie` value that clears the cookie. */
export async function endSession(ctx: Pick<ServerContext, 'clock' | 'config' | 'secrets' | 'store'>, request: Request): Promise<string> {
  const record = await currentSessionRecord(ctx, request);
  if (record) await dropSession(ctx.store, ctx.clock.now(), record);
  return setCookie(sessionCookieName(ctx), '', { secure: ctx.config.secureCookies, maxAge: 0 });
}

/**
 * Ends every sign-in session of a user (all browsers), keeping the record of past sign-ins.
 * Returns how many sessions ended. Used when an operator resets the password or revokes access.
 */
export async function endUserSessions(store: Store, now: number, sub: string): Promise<number> {
  let ended = 0;
  for (;;) {
    const sessions = await store.artifacts.listByOwner<SessionState>(SESSION, userOwner(sub));
    let deleted = 0;
    for (const session of sessions) if (await dropSession(store, now, session)) deleted += 1;
    ended += deleted;
    // Lists come in pages; a page with nothing left to delete (or an empty one) is the last.
    if (deleted === 0) return ended;
  }
}
