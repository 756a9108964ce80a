import type { ConsentRecord, Store } from '../../stores/contract.js';
import { dropSession, SESSION, type SessionState, type SignInContext } from '../session/sessions.js';
import { userOwner } from '../session/owner.js';
import { AdminNotFoundError } from './input-error.js';
import { findUser } from './users.js';

/** A sign-in session as the admin API shows it: where and how, never its key. */
export type UserSessionView = {
  /** The public session id (the ID token's `sid`). */
  sid: string;
  device: string | null;
  ip: string | null;
  /** RFC 8176 authentication methods. */
  methods: string[];
  created_at: string;
  expires_at: string;
};

/** A standing consent as the admin API shows it. */
export type UserConsentView = {
  id: string;
  client_id: string;
  client_name: string | null;
  scope: string;
  created_at: string;
  updated_at: string;
};

/** The user's sign-in sessions, newest sign-in first (`GET /users/{id}/sessions`). */
export async function listUserSessions(store: Store, id: string): Promise<{ sub: string; items: UserSessionView[] }> {
  const user = await findUser(store, id);
  const sessions = await store.artifacts.listByOwner<SessionState & SignInContext>(SESSION, userOwner(user.id));
  const items = sessions
    .sort((a, b) => b.value.authTime - a.value.authTime)
    .map((record) => ({
      sid: record.value.sid,
      device: record.value.device ?? null,
      ip: record.value.ip ?? null,
      methods: [...record.value.amr],
      created_at: new Date(record.value.authTime * 1000).toISOString(),
      expires_at: new Date(record.expiresAt).toISOString(),
    }));
  return { sub: user.id, items };
}

/** The user's standing (not revoked) consents (`GET /users/{id}/consents`). */
export async function listUserConsents(store: Store, id: string): Promise<{ sub: string; items: UserConsentView[] }> {
  const user = await findUser(store, id);
  const items: UserConsentView[] = [];
  for (const consent of await store.consents.listBySubject(user.id)) {
    if (consent.revokedAt !== null) continue;
    const client = await store.clients.get(consent.clientId);
    items.push({
      id: consent.id,
      client_id: consent.clientId,
      client_name: client?.clientName ?? null,
      scope: consent.scope,
      created_at: new Date(consent.createdAt).toISOString(),
      updated_at: new Date(consent.updatedAt).toISOString(),
    });
  }
  return { sub: user.id, items };
}

/**
 * Withdraws an application's access, as the account page's "Remove access": the consent is
 * revoked, so its refresh tokens stop working and its access tokens introspect inactive at once,
 * and the client must ask again. `undefined` when `consentId` is no standing consent of `sub`.
 */
export async function revokeConsentOf(store: Store, now: number, sub: string, consentId: string): Promise<ConsentRecord | undefined> {
  const consent = await store.consents.get(consentId);
  if (consent?.subject !== sub || consent.revokedAt !== null) return undefined;
  await store.consents.revoke(consent.id, now);
  return consent;
}

/** {@link revokeConsentOf} for a user by sub, username or email (`DELETE /users/{id}/consents/{consentId}`). */
export async function revokeUserConsent(store: Store, now: number, id: string, consentId: string): Promise<{ sub: string; consent: ConsentRecord }> {
  const user = await findUser(store, id);
  const consent = await revokeConsentOf(store, now, user.id, consentId);
  if (!consent) throw new AdminNotFoundError('consent', `no standing consent "${consentId}" of this user`);
  return { sub: user.id, consent };
}

/**
 * Ends one sign-in session of a user, named by its public `sid` (as listed by
 * {@link listUserSessions}; the session key itself is never shown): that browser is signed out.
 * Tokens already issued stay valid until they expire or their consent is revoked, as when the user
 * signs out there themselves.
 *
 * @throws {AdminNotFoundError} when no user matches, or the user has no live session with this `sid`.
 */
export async function revokeUserSession(store: Store, now: number, id: string, sid: string): Promise<{ sub: string; sid: string }> {
  const user = await findUser(store, id);
  const sessions = await store.artifacts.listByOwner<SessionState & SignInContext>(SESSION, userOwner(user.id));
  const session = sessions.find((record) => record.value.sid === sid);
  if (!session || !(await dropSession(store, now, session))) {
    throw new AdminNotFoundError('session', `no sign-in session "${sid}" of this user`);
  }
  return { sub: user.id, sid };
}
