import type { ClientSession, TokenStore } from './session.js';

/**
 * A copy of a session, so callers never share the stored object. A DPoP `CryptoKeyPair` is kept by
 * reference (keys are immutable, and Node 20's `structuredClone` cannot copy a `CryptoKey`).
 */
function copy(session: ClientSession): ClientSession {
  const { dpop, ...rest } = session;
  if (!dpop) return structuredClone(rest);
  const { keyPair, ...serializable } = dpop;
  return { ...structuredClone(rest), dpop: { ...structuredClone(serializable), ...(keyPair ? { keyPair } : {}) } };
}

/**
 * Sessions in this process's memory: for development, tests and single-instance apps. Sessions are
 * lost on restart. A session's DPoP key stays a non-extractable `CryptoKey` (`keepsObjects`).
 */
export function createMemoryTokenStore(options: { now?: () => number } = {}): TokenStore {
  const now = options.now ?? Date.now;
  const sessions = new Map<string, ClientSession>();
  const live = (session: ClientSession | undefined) => (session && session.expiresAt > now() ? session : undefined);
  return {
    keepsObjects: true,
    async get(id) {
      const session = live(sessions.get(id));
      if (!session) sessions.delete(id);
      return session && copy(session);
    },
    async set(session) {
      sessions.set(session.id, copy(session));
    },
    async update(session) {
      if (!live(sessions.get(session.id))) return false;
      sessions.set(session.id, copy(session));
      return true;
    },
    async delete(id) {
      sessions.delete(id);
    },
    async deleteMatching({ issuer, sub, sid }) {
      let count = 0;
      for (const [id, session] of sessions) {
        const matches = session.issuer === issuer && (sub === undefined || session.profile.sub === sub) && (sid === undefined || session.sid === sid);
        if (matches && (sub !== undefined || sid !== undefined)) {
          sessions.delete(id);
          count += 1;
        }
      }
      return count;
    },
  };
}
