/**
 * OpenID Connect Back-Channel Logout 1.0, the sender's side: which clients took part in a session,
 * the queue of notifications when it ends, and the logout token (§2.4).
 *
 * A client takes part in a session when a code (or a device's tokens) is issued to it under that
 * session; only clients registered with a `backchannel_logout_uri` are recorded, so the others
 * cost nothing. Tokens issued later by refresh belong to the same client, so they add no one. When
 * the session ends, by whatever path (`session/sessions.ts` ends every session through one
 * function), each recorded client gets a record in the durable queue
 * ({@link LogoutDeliveryRecord}: claims only, no token), which `delivery.ts` sends.
 */
import { randomToken } from '../../core/encoding.js';
import { StoreConflictError, type ClientRecord, type LogoutDeliveryRecord, type Store } from '../../stores/contract.js';
import type { ServerContext } from '../context.js';
import { signJwt } from '../keys/jwt-signer.js';

/** Artifact kind of "this client took part in this session", owned by the session ({@link sessionOwner}). */
const SESSION_CLIENT = 'session_client';

/** The logout event's URI (§2.4: `events` holds it with an empty object). */
const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

/** How long a logout token is valid: it is signed the moment it is sent. */
const LOGOUT_TOKEN_TTL_SECONDS = 120;

function sessionOwner(sid: string): string {
  return `session:${sid}`;
}

/** A client that took part in a session, and the `sid` its ID tokens carry (the session's, or one it replaced). */
type SessionClient = { clientId: string; sid: string };

async function putSessionClient(ctx: Pick<ServerContext, 'clock' | 'config' | 'store'>, sessionSid: string, participant: SessionClient): Promise<void> {
  try {
    await ctx.store.artifacts.put({
      kind: SESSION_CLIENT,
      id: `${sessionSid} ${participant.clientId} ${participant.sid}`,
      value: participant,
      ownerId: sessionOwner(sessionSid),
      expiresAt: ctx.clock.now() + ctx.config.sessions.ttl * 1000,
    });
  } catch (error) {
    // Already recorded by an earlier code of this session.
    if (!(error instanceof StoreConflictError)) throw error;
  }
}

/**
 * Records that `client` took part in the session `sid` (a code or a device's tokens were issued to
 * it under the session), when the client has a `backchannel_logout_uri`; kept as long as a session lives.
 */
export async function recordSessionClient(ctx: Pick<ServerContext, 'clock' | 'config' | 'store'>, sid: string, client: ClientRecord): Promise<void> {
  if (client.backchannelLogoutUri === undefined) return;
  await putSessionClient(ctx, sid, { clientId: client.clientId, sid });
}

/**
 * Hands the clients of session `fromSid` over to `toSid`, which replaces it (the same user signed in
 * again in the same browser): they are told when the new session ends, with the `sid` they know.
 */
export async function moveSessionClients(ctx: Pick<ServerContext, 'clock' | 'config' | 'store'>, fromSid: string, toSid: string): Promise<void> {
  const participants = await ctx.store.artifacts.listByOwner<SessionClient>(SESSION_CLIENT, sessionOwner(fromSid));
  for (const participant of participants) await putSessionClient(ctx, toSid, participant.value);
  if (participants.length > 0) await ctx.store.artifacts.deleteByOwner(sessionOwner(fromSid));
}

/**
 * Queues a logout notification for every client that took part in the ended session `sid` of
 * `sub`, and forgets who took part. Called once per session that ended (by whoever deleted it).
 */
export async function queueBackchannelLogout(store: Store, now: number, session: { sid: string; sub: string }): Promise<number> {
  const owner = sessionOwner(session.sid);
  const participants = await store.artifacts.listByOwner<SessionClient>(SESSION_CLIENT, owner);
  if (participants.length === 0) return 0;
  const records: LogoutDeliveryRecord[] = participants.map((participant) => ({
    id: randomToken(16),
    clientId: participant.value.clientId,
    sub: session.sub,
    sid: participant.value.sid,
    createdAt: now,
    dueAt: now,
    attempts: 0,
    lease: null,
  }));
  await store.logoutDeliveries.enqueue(records);
  await store.artifacts.deleteByOwner(owner);
  return records.length;
}

/**
 * The logout token (§2.4) for a queued notification, signed now with the key of the client's ID
 * token algorithm: `iss`, `aud`, `iat`, a short `exp`, a fresh `jti`, the logout event, `sub` and
 * `sid` (always: every Gatehouse session has one, so `backchannel_logout_session_required` holds
 * for every client), never `nonce` (§2.4 forbids it, so a logout token is never taken for an ID
 * token). Typed `logout+jwt`, as §2.4 recommends (and draft-ietf-secevent-token's explicit typing).
 */
export function logoutToken(ctx: Pick<ServerContext, 'clock' | 'config' | 'keys'>, client: ClientRecord, record: LogoutDeliveryRecord): Promise<string> {
  const now = Math.floor(ctx.clock.now() / 1000);
  return signJwt(ctx.keys.signingKey(client.idTokenSignedResponseAlg), 'logout+jwt', {
    iss: ctx.config.issuer,
    sub: record.sub,
    aud: client.clientId,
    iat: now,
    exp: now + LOGOUT_TOKEN_TTL_SECONDS,
    jti: randomToken(16),
    events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
    ...(record.sid !== null ? { sid: record.sid } : {}),
  });
}
