import type { SessionDPoPKey } from '../dpop.js';
import type { Profile } from '../profile.js';
import type { TokenSet } from '../token-set.js';
import type { SessionBinding } from './binding.js';

/** A signed-in user of the application: who they are and the provider's tokens. */
export interface ClientSession {
  /** Random id (256 bits). With a {@link TokenStore} only this id is in the browser's cookie. */
  id: string;
  provider: string;
  /** The provider's issuer, for matching back-channel logout tokens. */
  issuer: string;
  profile: Profile;
  tokens: TokenSet;
  /**
   * The client that made the session. Only a client with the same cookie prefix, client id and
   * provider issuer accepts it, so two applications sharing a secret or a token store never accept
   * each other's sessions.
   */
  boundTo: SessionBinding;
  /** The provider's session id (ID token `sid`), for back-channel logout. */
  sid: string | undefined;
  /** Milliseconds since the epoch. */
  createdAt: number;
  /** Milliseconds since the epoch: the session ends then, whatever the tokens say. */
  expiresAt: number;
  /**
   * The session's DPoP key (RFC 9449), when the client uses DPoP and the provider bound the tokens
   * to it: made at sign-in, used for every refresh, UserInfo and API call of the session, and gone
   * with it. Key material: a store keeps it as it keeps the tokens (see {@link TokenStore.keepsObjects}).
   */
  dpop?: SessionDPoPKey;
}

/** Releases a lock taken with {@link TokenStore.lock}. */
export type ReleaseLock = () => Promise<void>;

/**
 * Server-side session storage. With one, the browser's cookie carries only the session id and
 * tokens never leave the server. Implementations: `createMemoryTokenStore` (one process) and
 * `createRedisTokenStore` from `gatehouse/client/redis-store` (many instances; encrypted at rest;
 * cross-instance refresh lock).
 * Several clients may share one store: each checks the `boundTo` of every session it loads, so a
 * store keeps sessions by id alone and needs no notion of clients.
 */
export interface TokenStore {
  get(id: string): Promise<ClientSession | undefined>;
  /** Saves (or replaces) a session until its `expiresAt`. */
  set(session: ClientSession): Promise<void>;
  /**
   * Replaces a session that still exists (refreshed tokens). Writes nothing and returns false
   * when it was deleted or expired meanwhile: a refresh finishing after a logout must not sign
   * the user back in.
   */
  update(session: ClientSession): Promise<boolean>;
  delete(id: string): Promise<void>;
  /** Ends the sessions of a provider user (`sub`) or of a provider session (`sid`); returns how many. */
  deleteMatching(match: { issuer: string; sub?: string; sid?: string }): Promise<number>;
  /**
   * Takes a short exclusive lock shared by every instance, or `undefined` when another holder has
   * it. Used so that one refresh happens across instances. Absent: refreshes are single-flight
   * within a process only.
   */
  lock?(key: string, ttlMs: number): Promise<ReleaseLock | undefined>;
  /**
   * `true` when the store keeps sessions as objects in this process and never serializes them
   * (`createMemoryTokenStore`): a session's DPoP key is then a non-extractable `CryptoKey` the store
   * must keep by reference. Absent: the key is a private JWK inside the session, which the store
   * must protect at rest as it protects the tokens (the Redis store encrypts the whole session).
   */
  readonly keepsObjects?: boolean;
}
