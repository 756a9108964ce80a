import type { ClientContext } from '../context.js';
import { boundContext, isBoundTo } from './binding.js';
import { clearChunkedCookie, parseCookies, readChunkedCookie, setChunkedCookie, setCookie } from '../../core/cookies.js';
import type { ClientSession, TokenStore } from './session.js';

const COOKIE_PURPOSE = 'gatehouse-client/session';
/** Sessions changed in this process and not yet written back to the browser's cookie. */
const unsaved = new WeakSet<ClientSession>();

/**
 * Where sessions live: in the browser's cookies (encrypted, AES-256-GCM; the default), or in a
 * {@link TokenStore} with only the session id in the cookie. Either way a session is bound to the
 * client that made it (cookie prefix, client id, provider issuer): applications sharing a secret or
 * a token store never accept each other's sessions.
 */
export interface SessionManager {
  load(request: Request): Promise<ClientSession | undefined>;
  /** Persists a new or changed session; returns the `Set-Cookie` values to send. */
  save(session: ClientSession, request?: Request): Promise<string[]>;
  /**
   * Records a session changed in place (refreshed tokens): written to the store (only if it still
   * exists), or marked for {@link commit} to the cookie. False when the session ended meanwhile.
   */
  touch(session: ClientSession): Promise<boolean>;
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
  // checked at load. One process only; use a TokenStore when running several instances. A logout
  // naming both sub and sid ends only that provider session (Back-Channel Logout §2.4).
  const logouts: { issuer: string; sub?: string; sid?: string; at: number }[] = [];
  const loggedOut = (session: ClientSession) =>
    logouts.some(
      (logout) =>
        logout.issuer === session.issuer &&
        (logout.sub === undefined || logout.sub === session.profile.sub) &&
        (logout.sid === undefined || logout.sid === session.sid) &&
        logout.at >= session.createdAt,
    );

  // The cookie is sealed to this client: another client's cookie (same secret, renamed to our
  // name or not), or one from before bindings existed, does not decrypt.
  const cookieContext = boundContext(COOKIE_PURPOSE, ctx.binding);
  const encode = (session: ClientSession) => ctx.secretKeys.encrypt(JSON.stringify(session), cookieContext);
  const decode = (value: string): ClientSession | undefined => {
    try {
      return JSON.parse(ctx.secretKeys.decrypt(value, cookieContext)) as ClientSession;
    } catch {
      return undefined;
    }
  };

  const load = async (request: Request): Promise<ClientSession | undefined> => {
    if (store) {
      const id = parseCookies(request).get(idCookie);
      const session = id && /^[A-Za-z0-9_-]{43}$/.test(id) ? await store.get(id) : undefined;
      // A valid id is not enough: a store shared with another client holds its sessions too.
      return session && isBoundTo(session, ctx.binding) ? session : undefined;
    }
    const value = readChunkedCookie(request, dataCookie);
    const session = value === undefined ? undefined : decode(value);
    if (!session || !isBoundTo(session, ctx.binding) || session.expiresAt <= ctx.now() || loggedOut(session)) return undefined;
    return session;
  };

  return {
    store,
    load,
    async save(session, request) {
      unsaved.delete(session);
      if (store) {
        await store.set(session);
        return [setCookie(idCookie, session.id, attributes)];
      }
      return setChunkedCookie(request, dataCookie, encode(session), attributes);
    },
    async touch(session) {
      if (store) return store.update(session);
      unsaved.add(session);
      return true;
    },
    async commit(session, request) {
      if (store || !unsaved.has(session)) return [];
      unsaved.delete(session);
      return setChunkedCookie(request, dataCookie, encode(session), attributes);
    },
    async destroy(request, session) {
      if (store) {
        // Only a session of this client is deleted: a request carrying another client's session id
        // must not end that client's session.
        const own = session ?? (await load(request));
        if (own) await store.delete(own.id);
        return [setCookie(idCookie, '', cleared)];
      }
      return clearChunkedCookie(request, dataCookie, cleared);
    },
    async endMatching(match, at) {
      if (store) {
        await store.deleteMatching(match);
        return;
      }
      // Sessions older than the session lifetime are gone anyway: forget their logouts.
      const horizon = ctx.now() - ctx.sessionTtl * 1000;
      for (let i = logouts.length - 1; i >= 0; i -= 1) if (logouts[i]!.at < horizon) logouts.splice(i, 1);
      logouts.push({ ...match, at });
    },
  };
}
