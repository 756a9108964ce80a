/**
 * What `gatehouse clients`, `gatehouse users`, `gatehouse keys` and `gatehouse audit` do, as one interface with two
 * implementations: on the database ({@link localAdmin}: the service functions of
 * `src/server/admin/` over the store, as the admin API calls them) or through a running server's
 * admin API (`--server URL`: {@link remoteAdmin}, an HTTP client of `/admin/api/v1`). The commands
 * parse their arguments and format what comes back once, whichever it is.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { AuditSearch, AuditVerificationJson } from '../server/admin/audit.js';
import type { ClientUpdate, NewClientInput } from '../server/admin/clients.js';
import type { SigningKeyView } from '../server/admin/keys.js';
import type { NewUserInput } from '../server/admin/users.js';
import type { AuditEventJson } from '../server/audit/audit-log.js';
import { configFrom } from './args.js';
import { UsageError, type CliIo } from './io.js';
import { localAdmin } from './admin-local.js';
import { remoteAdmin, remoteTarget } from './admin-remote.js';
import { openRuntime } from './runtime.js';

/** A client or user as `describeClient`/`describeUser` show it, and the admin API answers it. */
export type Described = Record<string, unknown>;

/** The operations the command runs on the database or through the admin API alike. */
export interface AdminOperations {
  listClients(): Promise<Described[]>;
  getClient(clientId: string): Promise<Described>;
  /** The client with its `client_secret`, shown this once (`null` for a public client). */
  registerClient(input: NewClientInput): Promise<Described>;
  updateClient(clientId: string, changes: ClientUpdate): Promise<Described>;
  removeClient(clientId: string): Promise<void>;
  rotateClientSecret(clientId: string): Promise<{ client_id: string; client_secret: string | null }>;
  listUsers(): Promise<Described[]>;
  getUser(login: string): Promise<Described>;
  createUser(input: NewUserInput): Promise<Described>;
  removeUser(login: string): Promise<void>;
  revokeUserSessions(login: string): Promise<{ sessions_ended: number }>;
  unlockUser(login: string): Promise<Described>;
  grantAdminRole(login: string): Promise<Described>;
  revokeAdminRole(login: string): Promise<Described>;
  listKeys(): Promise<SigningKeyView[]>;
  rotateKeys(): Promise<SigningKeyView[]>;
  /**
   * The newest `search.limit` audit events matching `search` (read by `readAuditSearch`), newest
   * first; `user` (a sub, username or email, as typed) narrows them to that user's. Through the
   * API, as many pages of `GET /audit/events` as it takes.
   */
  auditEvents(search: AuditSearch, user: string | undefined): Promise<AuditEventJson[]>;
  /** The audit chain recomputed over every stored event (`POST /audit/verify` through the API). */
  verifyAudit(): Promise<AuditVerificationJson>;
  close(): Promise<void>;
}

/** The flags that send a command to a running server instead of the database. */
export const REMOTE_OPTIONS = {
  server: { type: 'string' },
  token: { type: 'string' },
  'token-file': { type: 'string' },
} as const;

/** Help text of the remote flags, for the usage of each command that takes them. */
export const REMOTE_USAGE = `--server URL (or GATEHOUSE_SERVER) runs the command through that server's admin API instead of the
database, with an admin token: GATEHOUSE_ADMIN_TOKEN (best: a --token on the command line is seen
by everyone who can list processes), --token-file FILE, or --token TOKEN. https only (plain http
for a loopback address). admin:read tokens may list and show.`;

interface RemoteValues {
  server?: string | undefined;
  token?: string | undefined;
  'token-file'?: string | undefined;
}

/** An environment variable; set but empty counts as unset. */
function envValue(io: CliIo, name: string): string | undefined {
  const value = io.env[name];
  return value === undefined || value === '' ? undefined : value;
}

/**
 * Whether the command runs through a server: `--server` or `GATEHOUSE_SERVER`. A token without a
 * server is a usage error rather than silently going to the database.
 */
export function serverOf(values: RemoteValues, io: CliIo): string | undefined {
  const server = values.server ?? envValue(io, 'GATEHOUSE_SERVER');
  if (server === undefined && (values.token !== undefined || values['token-file'] !== undefined)) {
    throw new UsageError('--token and --token-file go with --server URL (or GATEHOUSE_SERVER)');
  }
  return server;
}

/** The admin token: `--token`, `--token-file` (first line), or `GATEHOUSE_ADMIN_TOKEN`. */
function tokenOf(values: RemoteValues, io: CliIo): string {
  if (values.token !== undefined && values['token-file'] !== undefined) throw new UsageError('give --token or --token-file, not both');
  const fromFile = values['token-file'] === undefined ? undefined : readTokenFile(resolve(io.cwd ?? process.cwd(), values['token-file']));
  const token = values.token ?? fromFile ?? envValue(io, 'GATEHOUSE_ADMIN_TOKEN');
  if (token === undefined) {
    throw new UsageError('--server needs an admin token: set GATEHOUSE_ADMIN_TOKEN, or give --token-file FILE (or --token, visible to other users in ps)');
  }
  return token.trim();
}

function readTokenFile(path: string): string {
  try {
    return readFileSync(path, 'utf8').split(/\r?\n/, 1)[0]!;
  } catch (error) {
    throw new UsageError(`cannot read the token file ${path}: ${(error as NodeJS.ErrnoException).code ?? 'unreadable'}`);
  }
}

/**
 * The operations for a command's flags: through the server's admin API with `--server` (or
 * `GATEHOUSE_SERVER`), else on the database of `--data`/`--config` (opened and migrated as every
 * command opens it).
 */
export async function openAdmin(
  values: RemoteValues & { data?: string | undefined; config?: string | undefined; dev?: boolean | undefined },
  io: CliIo,
  warn: (message: string) => void,
): Promise<AdminOperations> {
  const server = serverOf(values, io);
  if (server !== undefined) return remoteAdmin(remoteTarget(server, tokenOf(values, io), io.env));
  const config = configFrom(values, io);
  return localAdmin(await openRuntime(config, warn), config);
}
