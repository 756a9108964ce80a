import type { ColumnType } from 'kysely';

/**
 * Milliseconds since the epoch in a `bigint` column. Read back as `number` (SQLite) or `string`
 * (PostgreSQL's driver returns int8 as text), so always pass reads through `Number`.
 */
export type Millis = ColumnType<number | string, number, number>;

/** `clients`: `data` is the JSON of every {@link ClientRecord} field without a column of its own. */
export interface ClientsTable {
  client_id: string;
  client_secret_hash: string | null;
  data: string;
  created_at: Millis;
  updated_at: Millis;
}

/** `client_resources`: the resources a client serves as a resource server, each by one client. */
export interface ClientResourcesTable {
  resource: string;
  client_id: string;
}

/** `users`: `data` is the JSON of `profile`, `emailVerified` and `disabled`. */
export interface UsersTable {
  id: string;
  username: string;
  email: string | null;
  password_hash: string | null;
  data: string;
  created_at: Millis;
  updated_at: Millis;
}

/** `user_identities`: upstream accounts linked to a user, keyed by `provider` + `subject`. */
export interface UserIdentitiesTable {
  provider: string;
  subject: string;
  user_id: string;
  email: string | null;
  encrypted_tokens: string | null;
  created_at: Millis;
  updated_at: Millis;
}

/**
 * `mfa_factors`: a user's second factors; `data` is the JSON of the type-specific state. Unique on
 * (`type`, `lookup`) where `lookup` is not null.
 */
export interface MfaFactorsTable {
  id: string;
  user_id: string;
  type: string;
  label: string;
  lookup: string | null;
  data: string;
  created_at: Millis;
  updated_at: Millis;
  last_used_at: Millis | null;
}

/** `signing_keys`: `public_jwk` is JSON; the private JWK stays encrypted. */
export interface SigningKeysTable {
  kid: string;
  alg: string;
  status: string;
  public_jwk: string;
  encrypted_private_jwk: string;
  created_at: Millis;
  retired_at: Millis | null;
}

/**
 * `grants`: users' consents (`ConsentRecord` in the store contract); `data` is the JSON of
 * `{ extra }`. The table keeps the name it was created with: renaming it would need a migration for
 * no gain, and existing installations keep their data where it is.
 */
export interface GrantsTable {
  id: string;
  client_id: string;
  subject: string;
  scope: string;
  data: string;
  created_at: Millis;
  updated_at: Millis;
  revoked_at: Millis | null;
}

/** `artifacts`: keyed by `kind` + `id`; `value` is JSON. */
export interface ArtifactsTable {
  kind: string;
  id: string;
  value: string;
  /**
   * `ArtifactRecord.ownerId`. The column keeps its original name (no migration; data stays
   * where it is).
   */
  grant_id: string | null;
  expires_at: Millis;
  consumed_at: Millis | null;
}

/**
 * `audit_events`: the tamper-evident audit log, one row per event, keyed by `seq` (1, 2, 3, ...).
 * `details` is JSON; `hash` chains each row to the one before it (`prev_hash`).
 */
export interface AuditEventsTable {
  /** Read back as `number` (SQLite) or `string` (PostgreSQL int8), like {@link Millis}. */
  seq: ColumnType<number | string, number, number>;
  time: Millis;
  type: string;
  outcome: string;
  request_id: string | null;
  client_id: string | null;
  subject: string | null;
  ip: string | null;
  user_agent: string | null;
  details: string;
  prev_hash: string;
  hash: string;
}

/**
 * `logout_deliveries`: back-channel logout notifications waiting to be sent (`LogoutDeliveryRecord`),
 * claimed by `due_at`.
 */
export interface LogoutDeliveriesTable {
  id: string;
  client_id: string;
  sub: string;
  sid: string | null;
  created_at: Millis;
  due_at: Millis;
  attempts: number;
  lease: string | null;
}

/** The kysely database type shared by the SQLite and PostgreSQL stores. */
export interface Database {
  clients: ClientsTable;
  client_resources: ClientResourcesTable;
  users: UsersTable;
  user_identities: UserIdentitiesTable;
  signing_keys: SigningKeysTable;
  grants: GrantsTable;
  mfa_factors: MfaFactorsTable;
  artifacts: ArtifactsTable;
  audit_events: AuditEventsTable;
  logout_deliveries: LogoutDeliveriesTable;
}
