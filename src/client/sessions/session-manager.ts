import type { ClientContext } from '../context.js';
import { clearChunkedCookie, parseCookies, readChunkedCookie, setChunkedCookie, setCookie } from './cookies.js';
import type { ClientSession, TokenStore } from './session.js';

const COOKIE_CONTEXT = 'gatehouse-client/session';
/** Sessions changed in this process and not yet written back to the browser's cookie. */
const unsaved = new WeakSet<ClientSession>();

/**
 * Where sessions live: in the browser's cookies (encrypted, AES-256-GCM; the default), or in a
 * {@link TokenStore} with only the session id in the cookie.
 */
export interface SessionManager {
  load(request: Request): Promise<ClientSession | undefined>;
  /** Persists a new or changed session; returns the `Set-Cookie` values to send. */
  save(session: ClientSession, request?: Request): Promise<string[]>;
  /** Marks a session changed in place (refreshed tokens), for {@link commit}. */
  touch(session: ClientSession): Promise<void>;
  /** `Set-Cookie` values for changes not yet sent (cookie sessions after a refresh). */
  commit(session: ClientSession, request?: Request): Promise<string[]>;
  /** Ends the session; returns the `Set-Cookie` values that clear it. */
  destroy(request: Request, session?: ClientSession): Promise<string[]>;
  /** Ends sessions matching a back-channel logout. */
  endMatching(match: { issuer: string; sub?: string; sid?: string }, at: number): Promise<void>;
  readonly store: TokenStore | undefined;
}

export function createSessionManager(ctx: ClientContext, store: TokenStore | undefined): SessionManager {
  const idCookie = `${ctx.cookiePrefix}_sid`;
  const dataCookie = `${ctx.cookiePrefix}_session`;
  const maxAge = ctx.sessionTtl;
  const attributes = { secure: ctx.secureCookies, maxAge };
  const cleared = { secure: ctx.secureCookies, maxAge: 0 };
  // Cookie sessions cannot be deleted from the server: a back-channel logout is remembered here and
  // checked at load. One process only; use a TokenStore when running several instances.
  const logouts = new Map<string, number>();
  const loggedOut = (session: ClientSession) =>
    [`sub|${session.issuer}|${session.profile.sub}`, session.sid ? `sid|${session.issuer}|${session.sid}` : ''].some(
      (key) => (logouts.get(key) ?? 0) >= session.createdAt,
    );

  const encode = (session: ClientSession) => ctx.secretKeys.encrypt(JSON.stringify(session), COOKIE_CONTEXT);
  const decode = (value: string): ClientSession | undefined => {
    try {
      return JSON.parse(ctx.secretKeys.decrypt(value, COOKIE_CONTEXT)) as ClientSession;
    } catch {
      return undefined;
    }
  };

  return {
    store,
    async load(request) {
      if (store) {
        const id = parseCookies(request).get(idCookie);
        return id && /^[A-Za-z0-9_-]{43}$/.test(id) ? store.get(id) : undefined;
      }
      const value = readChunkedCookie(request, dataCookie);
      const session = value === undefined ? undefined : decode(value);
      if (!session || session.expiresAt <= ctx.now() || loggedOut(session)) return undefined;
      return session;
    },
    async save(session, request) {
      unsaved.delete(session);
      if (store) {
        await store.set(session);
        return [setCookie(idCookie, session.id, attributes)];
      }
      return setChunkedCookie(request, dataCookie, encode(session), attributes);
    },
    async touch(session) {
      if (store) await store.set(session);
      else unsaved.add(session);
    },
    async commit(session, request) {
      if (store || !unsaved.has(session)) return [];
      unsaved.delete(session);
      return setChunkedCookie(request, dataCookie, encode(session), attributes);
    },
    async destroy(request, session) {
      if (store) {
        const id = session?.id ?? parseCookies(request).get(idCookie);
        if (id) await store.delete(id);
        return [setCookie(idCookie, '', cleared)];
      }
      return clearChunkedCookie(request, dataCookie, cleared);
    },
    async endMatching(match, at) {
      if (store) {
        await store.deleteMatching(match);
        return;
      }
      if (match.sub !== undefined) logouts.set(`sub|${match.issuer}|${match.sub}`, at);
      if (match.sid !== undefined) logouts.set(`sid|${match.issuer}|${match.sid}`, at);
    },
  };
}
