/**
 * The storage contract every Gatehouse store implements.
 *
 * Two kinds of data live here, with different needs:
 * - **Durable entities** — clients, users, signing keys, consents. The system of record: never expire
 *   on their own, survive restarts, change through explicit calls.
 * - **Short-lived artifacts** — authorization codes, sessions, refresh tokens, revocation markers,
 *   replay caches. Each has a TTL (`expiresAt`, judged by the store's clock), an optional owner (a
 *   token family, or a user's sessions, so all of them can be dropped at once) and an atomic
 *   single-use {@link ArtifactRepository.consume}.
 *
 * All timestamps are milliseconds since the epoch. Implementations must pass the shared contract
 * suite, `describeStoreContract` of `gatehouse/stores/contract-suite` (src/stores/contract-suite),
 * including its concurrency cases.
 */

/** JSON-serialisable value. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json | undefined };

/**
 * Grant types a client may be registered for (`urn:ietf:params:oauth:grant-type:device_code`: RFC 8628
 * §3.4; `urn:ietf:params:oauth:grant-type:token-exchange`: RFC 8693 §2.1).
 */
export type GrantType =
  | 'client_credentials'
  | 'authorization_code'
  | 'refresh_token'
  | 'urn:ietf:params:oauth:grant-type:device_code'
  | 'urn:ietf:params:oauth:grant-type:token-exchange';

/** Client authentication methods at the token, introspection and revocation endpoints (RFC 7591 §2). */
export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'none' | 'private_key_jwt';

/** Asymmetric JWS algorithms Gatehouse signs with. */
export type SigningAlg = 'ES256' | 'RS256';

/** A registered OAuth client (RFC 7591 metadata, camelCased). */
export interface ClientRecord {
  clientId: string;
  /** Keyed hash of the client secret; `null` for public clients (`tokenEndpointAuthMethod: 'none'`). */
  clientSecretHash: string | null;
  clientName: string;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  grantTypes: GrantType[];
  /** Scopes the client may request, space-separated. */
  scope: string;
  tokenEndpointAuthMethod: ClientAuthMethod;
  idTokenSignedResponseAlg: SigningAlg;
  /**
   * Resource indicators (RFC 8707) the client may request tokens for. Empty: only the server's
   * default audience.
   */
  resources: string[];
  /** A resource server may introspect any token; other clients only tokens issued to themselves. */
  isResourceServer: boolean;
  /**
   * The resource identifiers (RFC 8707 §2; the `resource` of its RFC 9728 metadata) this client
   * serves as a resource server: the server knows them, so any client may ask for a token whose
   * audience is one of them. Each is served by at most one client. Empty for other clients.
   */
  servedResources: string[];
  /** Extension metadata (logo, policies, ...) kept verbatim. */
  extra: Record<string, Json>;
  /**
   * RFC 9449 §5.2 `dpop_bound_access_tokens`: the client must present a DPoP proof at the token
   * endpoint, and so always gets sender-constrained tokens. Absent: false.
   */
  dpopBoundAccessTokens?: boolean;
  /**
   * The security profile the client is held to, whatever else its record says (set by an operator
   * only): `fapi2`, the FAPI 2.0 Security Profile (server/clients/profiles.ts). Absent: none.
   */
  profile?: 'fapi2';
  /**
   * Present only on a client that registered itself (dynamic client registration, RFC 7591): how,
   * and the keyed hash of its registration access token (RFC 7592). Absent for clients an
   * operator registered.
   */
  registration?: ClientRegistration;
  /**
   * OAuth 2.1 §7.5.2: this confidential OpenID client may leave PKCE out of a request that has a
   * `nonce` (set by an operator only, never by registration metadata). Absent: PKCE for every request.
   */
  allowNonceWithoutPkce?: boolean;
  /**
   * The client must push its authorization requests (RFC 9126 §6,
   * `require_pushed_authorization_requests`): one sent straight to the authorization endpoint is
   * refused. Absent: as false (unless the server requires pushed requests of every client).
   */
  requirePushedAuthorizationRequests?: boolean;
  /**
   * Where the server POSTs logout tokens when a session the client took part in ends (OpenID
   * Connect Back-Channel Logout 1.0 §2.2, `backchannel_logout_uri`). Absent: no notification.
   */
  backchannelLogoutUri?: string;
  /** The client needs `sid` in logout tokens (§2.2, `backchannel_logout_session_required`); Gatehouse always sends it. */
  backchannelLogoutSessionRequired?: boolean;
  /**
   * The client's public keys inline (RFC 7591 §2 `jwks`, a JWK Set), for `private_key_jwt` (RFC 7523)
   * and signed request objects (RFC 9101). Never together with {@link jwksUri}.
   */
  jwks?: Json;
  /** Where the client publishes its public keys (RFC 7591 §2 `jwks_uri`, https), fetched SSRF-safe and cached. */
  jwksUri?: string;
  /** The one JWS algorithm of its client assertions (`token_endpoint_auth_signing_alg`); absent: any supported asymmetric one. */
  tokenEndpointAuthSigningAlg?: string;
  /** The one JWS algorithm of its request objects (`request_object_signing_alg`, OIDC Registration §2); absent: any supported asymmetric one. */
  requestObjectSigningAlg?: string;
  /** Its authorization requests must come as a signed request object (RFC 9101 §10.5 `require_signed_request_object`). */
  requireSignedRequestObject?: boolean;
  createdAt: number;
  updatedAt: number;
}

/** How a client registered itself (RFC 7591), kept on its {@link ClientRecord}. */
export interface ClientRegistration {
  /** The policy it came in under: open registration (native public clients), or an initial access token. */
  via: 'open' | 'initial-access-token';
  /** The public id of the initial access token it presented, `null` for open registration. */
  initialAccessTokenId: string | null;
  /** Keyed hash of the registration access token (RFC 7592 §1.1): the token itself is never stored. */
  accessTokenHash: string;
  /**
   * What the registration may set, kept so that an update (RFC 7592 §2.2) is held to the same
   * rules: the client types (`public`, `confidential`) and grant types it was allowed.
   */
  allowed: { clientTypes: ('public' | 'confidential')[]; grantTypes: GrantType[]; redirectUris: 'any' | 'native' };
}

/** Standard OpenID Connect claims kept for a user (OIDC Core §5.1), other than `sub` and email. */
export interface UserProfile {
  name?: string;
  given_name?: string;
  family_name?: string;
  middle_name?: string;
  nickname?: string;
  preferred_username?: string;
  profile?: string;
  picture?: string;
  website?: string;
  gender?: string;
  birthdate?: string;
  zoneinfo?: string;
  locale?: string;
  phone_number?: string;
  phone_number_verified?: boolean;
  address?: {
    formatted?: string;
    street_address?: string;
    locality?: string;
    region?: string;
    postal_code?: string;
    country?: string;
  };
}

/** An end user. `id` is the OIDC `sub`: stable and never reassigned. */
export interface UserRecord {
  id: string;
  /** Unique, stored lower-cased. */
  username: string;
  /** Unique when present, stored lower-cased. */
  email: string | null;
  emailVerified: boolean;
  /** argon2id PHC string; `null` for users who cannot sign in with a password. */
  passwordHash: string | null;
  profile: UserProfile;
  disabled: boolean;
  /**
   * What the user may administer, beyond their own account: `admin` opens the admin console and
   * lets the user obtain `admin`/`admin:read` tokens for the admin API (granted with `gatehouse users
   * grant-admin`). Empty for everyone else.
   */
  roles: UserRole[];
  createdAt: number;
  updatedAt: number;
}

/** Roles a user can hold (see {@link UserRecord.roles}). */
export type UserRole = 'admin';

/**
 * A link between a user and an account at an upstream provider (Google, GitHub, any OpenID
 * provider), made at the first upstream sign-in or from the account page.
 */
export interface UserIdentityRecord {
  /** The upstream's configured id, e.g. `github`. */
  provider: string;
  /** The user's stable id at the provider (OIDC `sub`, GitHub's numeric id). */
  subject: string;
  userId: string;
  /** The email the provider reported at the last sign-in, for display. */
  email: string | null;
  /** The provider's tokens (AES-GCM envelope), kept only when configured; `null` otherwise. */
  encryptedTokens: string | null;
  createdAt: number;
  updatedAt: number;
}

/** Kinds of second factor. */
export type MfaFactorType = 'totp' | 'webauthn' | 'sms' | 'email' | 'recovery_codes';

/**
 * A user's second factor (or, for a passkey, also a passwordless credential). Secrets inside
 * `data` are AES-GCM envelopes or keyed hashes, never plain values.
 */
export interface MfaFactorRecord {
  id: string;
  userId: string;
  type: MfaFactorType;
  /** Shown to the user: "Authenticator app", "YubiKey", "+44 ••• 123". */
  label: string;
  /**
   * A value the factor is found by, unique per type when set: a passkey's credential id. `null`
   * for factors found through their user.
   */
  lookup: string | null;
  /** Type-specific state (encrypted secret, public key and counter, phone number, code hashes). */
  data: Record<string, Json>;
  createdAt: number;
  updatedAt: number;
  lastUsedAt: number | null;
}

/** One security-relevant event, as stored in the tamper-evident audit log. */
export interface AuditEventRecord {
  /** 1, 2, 3, ... with no gaps: a missing number means a removed event. */
  seq: number;
  /** Milliseconds since the epoch. */
  time: number;
  type: string;
  outcome: 'success' | 'failure';
  requestId: string | null;
  clientId: string | null;
  subject: string | null;
  ip: string | null;
  userAgent: string | null;
  /** Event-specific fields (a reason, a scope, a grant type); never a secret. */
  details: Record<string, Json>;
  /** `hash` of the previous event (`''` for the first). */
  prevHash: string;
  /** Keyed hash over `prevHash` and every field above: editing, removing or reordering breaks the chain. */
  hash: string;
}

/** A signing key. The private half is encrypted at rest with a key derived from the installation secret. */
export interface SigningKeyRecord {
  kid: string;
  alg: SigningAlg;
  /** `active`: signs new tokens. `retired`: still published until tokens it signed have expired. */
  status: 'active' | 'retired';
  /** Public JWK including `kid`, `alg`, `use`. */
  publicJwk: Record<string, Json>;
  /** AES-GCM envelope of the private JWK (JSON). */
  encryptedPrivateJwk: string;
  createdAt: number;
  retiredAt: number | null;
}

/**
 * A user's consent to a client: the scopes they allowed, remembered so they are not asked again,
 * and revocable as a whole (every token resting on it stops working). Not an OAuth grant type; the
 * SQL table keeps its original name, `grants`.
 */
export interface ConsentRecord {
  id: string;
  clientId: string;
  /** The user's `sub`. */
  subject: string;
  scope: string;
  extra: Record<string, Json>;
  createdAt: number;
  updatedAt: number;
  revokedAt: number | null;
}

/** A short-lived, possibly single-use artifact. */
export interface ArtifactRecord<T extends Json = Json> {
  /** Namespace, e.g. `authorization_code`, `refresh_token`, `revoked_jti`. */
  kind: string;
  /** Unique within `kind`. For secrets this is a keyed hash, never the secret itself. */
  id: string;
  value: T;
  /**
   * What owns the artifact, so {@link ArtifactRepository.deleteByOwner} drops all of its artifacts
   * at once: a token family id for codes and tokens, `user:<sub>` for a user's sessions and the
   * like; `null` for none. Stored as `grant_id` (SQL) and `g` (Redis), names kept from before.
   */
  ownerId: string | null;
  expiresAt: number;
  /** Set once by {@link ArtifactRepository.consume}; a consumed artifact is kept until it expires so replays can be told apart from unknown ids. */
  consumedAt: number | null;
}

/** Thrown when a create would violate a uniqueness rule (a taken username, a duplicate id). */
export class StoreConflictError extends Error {
  readonly code = 'ERR_STORE_CONFLICT';
  /** The field that clashed, e.g. `username`, `email`, `clientId`. */
  readonly field: string;
  constructor(field: string, message = `${field} is already taken`) {
    super(message);
    this.name = 'StoreConflictError';
    this.field = field;
  }
}

export interface ListOptions {
  limit?: number;
  offset?: number;
}

export interface ClientRepository {
  /**
   * Throws {@link StoreConflictError} with `field: 'clientId'` when the id is taken, or
   * `'servedResources'` when another client serves one of its resources (so does `update`).
   */
  create(client: ClientRecord): Promise<void>;
  get(clientId: string): Promise<ClientRecord | undefined>;
  /** Replaces the stored record (matched by `clientId`); returns false when it does not exist. */
  update(client: ClientRecord): Promise<boolean>;
  delete(clientId: string): Promise<boolean>;
  /** Ordered by creation time, oldest first. */
  list(options?: ListOptions): Promise<ClientRecord[]>;
  /** The resource server that serves `resource` (one of its {@link ClientRecord.servedResources}). */
  findByServedResource(resource: string): Promise<ClientRecord | undefined>;
}

export interface UserRepository {
  create(user: UserRecord): Promise<void>;
  get(id: string): Promise<UserRecord | undefined>;
  /** Finds a user by username or email, case-insensitively. */
  findByLogin(login: string): Promise<UserRecord | undefined>;
  /** Replaces the stored record (matched by `id`); returns false when it does not exist. */
  update(user: UserRecord): Promise<boolean>;
  delete(id: string): Promise<boolean>;
  /** Ordered by creation time, oldest first. */
  list(options?: ListOptions): Promise<UserRecord[]>;
  /** The user linked to an upstream account. */
  findByIdentity(provider: string, subject: string): Promise<UserRecord | undefined>;
  /**
   * Links an upstream account to a user, or updates the link (email, tokens, `updatedAt`) when this
   * provider+subject is already linked to the same user. Throws {@link StoreConflictError}
   * (`field: 'identity'`) when it is linked to another user.
   */
  linkIdentity(identity: UserIdentityRecord): Promise<void>;
  /** The upstream accounts linked to a user, oldest first. */
  listIdentities(userId: string): Promise<UserIdentityRecord[]>;
  unlinkIdentity(provider: string, subject: string): Promise<boolean>;
}

export interface SigningKeyRepository {
  /** All keys, active and retired, oldest first. */
  list(): Promise<SigningKeyRecord[]>;
  /**
   * Atomically adds `keys` as active and retires (at `at`) every other active key that has the
   * same `alg` as one of them. Used on first start and by key rotation.
   */
  rotate(keys: SigningKeyRecord[], at: number): Promise<void>;
  /** Removes a key for good (after it is no longer published). */
  delete(kid: string): Promise<boolean>;
}

export interface MfaFactorRepository {
  /** Throws {@link StoreConflictError} (`field: 'lookup'`) when type+lookup is taken, (`field: 'id'`) for a taken id. */
  create(factor: MfaFactorRecord): Promise<void>;
  get(id: string): Promise<MfaFactorRecord | undefined>;
  findByLookup(type: MfaFactorType, lookup: string): Promise<MfaFactorRecord | undefined>;
  /** A user's factors, oldest first. */
  listByUser(userId: string): Promise<MfaFactorRecord[]>;
  /**
   * Replaces the stored record (matched by `id`). With `expectedUpdatedAt`, only if the stored
   * record still has that `updatedAt` (optimistic concurrency: a signature counter or a used
   * recovery code is never overwritten by a stale copy). Returns false when nothing was replaced.
   */
  update(factor: MfaFactorRecord, expectedUpdatedAt?: number): Promise<boolean>;
  delete(id: string): Promise<boolean>;
  /** Removes all of a user's factors (support reset); returns how many. */
  deleteByUser(userId: string): Promise<number>;
}

/**
 * What {@link AuditRepository.query} looks for: events matching every filter given (an absent
 * filter matches every event), newest first.
 */
export interface AuditQuery {
  /** Only events at or after this time (ms since the epoch). */
  from?: number;
  /** Only events before this time (ms since the epoch, exclusive). */
  to?: number;
  /** Only events of any of these types; an empty list matches nothing. */
  types?: readonly string[];
  /** Only events about this subject (a user's `sub`). */
  subject?: string;
  /** Only events of this client. */
  clientId?: string;
  /** Only events from this client address, as stored. */
  ip?: string;
  outcome?: AuditEventRecord['outcome'];
  /** The keyset cursor: only events with a `seq` below it (the last `seq` of the previous page). */
  beforeSeq?: number;
  /**
   * The keyset cursor backwards: only events with a `seq` above it, and of those the `limit`
   * oldest (the page just newer than the one whose first `seq` it is), still returned newest first.
   */
  afterSeq?: number;
  /** At most this many events: a count, checked as `list`'s is. */
  limit: number;
}

/** What {@link AuditRepository.counts} counts: events of `types` in `[from, to)`, in buckets of `bucketMs` from `from`. */
export interface AuditCountsQuery {
  from: number;
  to: number;
  /** A positive whole number of milliseconds. */
  bucketMs: number;
  /** The types counted, each apart; an empty list counts nothing. */
  types: readonly string[];
}

/** How many events of `type` fell in the bucket `[bucket, bucket + bucketMs)`. */
export interface AuditCount {
  type: string;
  /** The bucket's start: `from + k * bucketMs`. */
  bucket: number;
  count: number;
}

/**
 * Throws unless `query` describes buckets: `from` and `to` whole numbers, `bucketMs` a positive whole
 * number. For stores implementing {@link AuditRepository.counts}, so each refuses the same values.
 *
 * @throws {TypeError} naming the member at fault.
 */
export function checkAuditCountsQuery(query: AuditCountsQuery): void {
  for (const member of ['from', 'to'] as const) {
    if (!Number.isSafeInteger(query[member])) throw new TypeError(`${member} must be a whole number of milliseconds, got ${query[member]}`);
  }
  if (!Number.isSafeInteger(query.bucketMs) || query.bucketMs < 1) throw new TypeError(`bucketMs must be a positive whole number, got ${query.bucketMs}`);
}

/** An audit event as handed to the store: everything but what the chain adds (`seq`, `prevHash`, `hash`). */
export type NewAuditEvent = Omit<AuditEventRecord, 'seq' | 'prevHash' | 'hash'>;

export interface AuditRepository {
  /**
   * Appends an event after the current last one: the store assigns `seq` (last + 1) and calls
   * `chain(prevHash, seq)` to get the hash, atomically — concurrent appends from any number of
   * processes never fork or skip the chain. The same as `appendMany([event], chain)`.
   */
  append(event: NewAuditEvent, chain: (prevHash: string, seq: number) => string): Promise<AuditEventRecord>;
  /**
   * Appends `events`, in their order, after the current last event, atomically: all of them or
   * none (when `chain` throws or the write fails, nothing of the batch is stored). The store
   * assigns consecutive numbers (last + 1, last + 2, ...) and calls `chain(prevHash, seq, index)`
   * for each event in turn, `prevHash` being the hash of the event just before it, and `index` its
   * place in `events`. Concurrent `append` and `appendMany` calls from any number of processes never
   * fork or skip the chain, nor interleave with a batch. An empty batch stores nothing.
   *
   * @returns the events as stored, in order.
   */
  appendMany(events: readonly NewAuditEvent[], chain: (prevHash: string, seq: number, index: number) => string): Promise<AuditEventRecord[]>;
  /** Events in `seq` order after `afterSeq` (default 0), at most `limit` (default 1000), optionally of one type. */
  list(options?: { afterSeq?: number; limit?: number; type?: string }): Promise<AuditEventRecord[]>;
  /** The newest events, newest first. */
  tail(limit: number, type?: string): Promise<AuditEventRecord[]>;
  /**
   * The events matching every filter of `query`, newest first (`seq` descending), at most
   * `query.limit`: the audit log's search. Page on with `beforeSeq` set to the last `seq` returned.
   *
   * @throws {TypeError} when `limit` is not a count.
   */
  query(query: AuditQuery): Promise<AuditEventRecord[]>;
  /**
   * How many events of each of `types` fell in each bucket `[from + k * bucketMs, from + (k + 1) *
   * bucketMs)` of `[from, to)`, counted by the store (a SQL `GROUP BY`), not by loading the events.
   * Buckets without events are left out; the order is unspecified.
   *
   * @throws {TypeError} when `bucketMs` is not a positive whole number, or `from` or `to` not a whole number.
   */
  counts(query: AuditCountsQuery): Promise<AuditCount[]>;
  /**
   * Only for a store that keeps just the newest events (the memory store): the `seq` of the newest
   * event it dropped to stay within its bound, `0` while it dropped none. `list` and `tail` then
   * start after it, and verifying the chain starts there too (see `verifyAuditLog`). A durable store
   * keeps every event and leaves this out, so a log there that does not start at #1 is reported as
   * tampered with.
   */
  droppedThrough?(): Promise<number>;
}

export interface ConsentRepository {
  create(consent: ConsentRecord): Promise<void>;
  get(id: string): Promise<ConsentRecord | undefined>;
  /** Replaces the stored record (matched by `id`); returns false when it does not exist. */
  update(consent: ConsentRecord): Promise<boolean>;
  /** Consents of one subject, newest first, including revoked ones. */
  listBySubject(subject: string): Promise<ConsentRecord[]>;
  /**
   * Marks the consent revoked at `at`, and deletes every artifact whose `ownerId` is the consent's
   * `id`. Returns false when no unrevoked consent had that id; the artifacts are deleted on every
   * call all the same, so retrying a revoke finishes a sweep that failed.
   *
   * The SQL and memory stores do both in one transaction; the hybrid store marks the consent in the
   * durable store first, then deletes in Redis (see `createHybridStore`). Gatehouse's own codes,
   * tokens and sessions are owned by token families and users, not by consents: they stop working
   * because every use checks that the consent still stands, not through this sweep.
   */
  revoke(id: string, at: number): Promise<boolean>;
}

export interface ArtifactRepository {
  /** Stores a new artifact; throws {@link StoreConflictError} (`field: 'id'`) if `kind`+`id` exists. */
  put(record: Omit<ArtifactRecord, 'consumedAt'>): Promise<void>;
  /** The artifact, consumed or not; `undefined` when unknown or expired. */
  get<T extends Json = Json>(kind: string, id: string): Promise<ArtifactRecord<T> | undefined>;
  /**
   * Atomic single use: marks the artifact consumed at `at` and returns it — to exactly one caller,
   * however many race. Returns `undefined` when it is unknown, expired or already consumed.
   */
  consume<T extends Json = Json>(kind: string, id: string, at: number): Promise<ArtifactRecord<T> | undefined>;
  delete(kind: string, id: string): Promise<boolean>;
  /** Deletes all artifacts owned by `ownerId`; returns how many. */
  deleteByOwner(ownerId: string): Promise<number>;
  /**
   * Unexpired artifacts of one kind owned by `ownerId` (e.g. a user's sessions), newest `expiresAt`
   * first, at most `limit` (default 100).
   */
  listByOwner<T extends Json = Json>(kind: string, ownerId: string, limit?: number): Promise<ArtifactRecord<T>[]>;
  /** Deletes artifacts that expired before `now`; returns how many. */
  purgeExpired(now: number): Promise<number>;
}

/**
 * A back-channel logout notification waiting to be delivered (OpenID Connect Back-Channel Logout
 * 1.0): the claims of the logout token, never the token itself, which is signed when it is sent.
 * Kept in the durable store, so an instance that stops loses none.
 */
export interface LogoutDeliveryRecord {
  /** Unique; chosen by the caller (a random id). */
  id: string;
  /** The client to notify; its `backchannelLogoutUri` is read when the notification is sent. */
  clientId: string;
  /** The user who signed out (the logout token's `sub`). */
  sub: string;
  /** The ended session's public id (the logout token's `sid`), `null` when none is known. */
  sid: string | null;
  /** When it was queued. */
  createdAt: number;
  /**
   * The earliest time it may be claimed: the queue time at first, then, while claimed, the end of
   * the claim (a worker that dies mid-delivery leaves it to be claimed again then), then the time
   * of the next attempt.
   */
  dueAt: number;
  /** Attempts started so far (each claim counts one). */
  attempts: number;
  /** The current claim's token, `null` before the first claim. */
  lease: string | null;
}

/**
 * The durable queue of back-channel logout notifications. Delivery is at least once per claim
 * holder and never by two holders at once: {@link LogoutDeliveryRepository.claim} hands each due
 * record to exactly one caller, however many instances race, until its claim expires.
 */
export interface LogoutDeliveryRepository {
  /** Queues records; throws {@link StoreConflictError} (`field: 'id'`) when an id is taken (none stored then). */
  enqueue(records: readonly LogoutDeliveryRecord[]): Promise<void>;
  /**
   * Atomically claims at most `limit` records due at `now` (`dueAt <= now`), oldest due first:
   * each gets `attempts + 1`, a new `lease` and `dueAt = now + leaseMs`, and is returned (as
   * updated) to this caller only; concurrent callers get other records or none.
   */
  claim(now: number, leaseMs: number, limit: number): Promise<LogoutDeliveryRecord[]>;
  /** Deletes a delivered (or abandoned) record, if `lease` still holds it; returns whether it did. */
  complete(id: string, lease: string): Promise<boolean>;
  /** Sets the next attempt's time of a record `lease` still holds; returns whether it did. */
  retryAt(id: string, lease: string, dueAt: number): Promise<boolean>;
  /** The queued records, due first, at most `limit` (default 100): for operators and tests. */
  list(limit?: number): Promise<LogoutDeliveryRecord[]>;
}

/** A complete store. */
export interface Store {
  readonly clients: ClientRepository;
  readonly users: UserRepository;
  readonly keys: SigningKeyRepository;
  /** Users' consents to clients (not grant types). */
  readonly consents: ConsentRepository;
  readonly factors: MfaFactorRepository;
  readonly audit: AuditRepository;
  readonly artifacts: ArtifactRepository;
  /** Back-channel logout notifications waiting to be sent (durable). */
  readonly logoutDeliveries: LogoutDeliveryRepository;
  /** Applies pending schema migrations; idempotent. Returns the names of the migrations applied now. */
  migrate(): Promise<string[]>;
  /** Resolves when the backing service answers; rejects otherwise (readiness checks). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
