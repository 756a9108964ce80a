import { systemClock } from '../../core/clock.js';
import { purgeDeletedAccounts, restoreDeletedAccount } from '../../server/accounts/account-deletion.js';
import { findUser, setUserPassword } from '../../server/admin/users.js';
import { openAdmin, REMOTE_OPTIONS, REMOTE_USAGE, serverOf } from '../admin-operations.js';
import { configFrom, parseCommand } from '../args.js';
import { printRecord, printTable, readAll, UsageError, type CliIo } from '../io.js';
import { openRuntime } from '../runtime.js';
import { invitationsCommand, inviteCommand } from './users-invitations.js';
import { usersMfaCommand } from './users-mfa.js';

const USERS_USAGE = `Usage:
  gatehouse users add --username U [--email E] [--email-verified] [--name "Full Name"] [--password-stdin] [--json]
  gatehouse users list [--json]
  gatehouse users show USER [--json]
  gatehouse users remove USER
  gatehouse users set-password USER --password-stdin
  gatehouse users revoke-sessions USER
  gatehouse users unlock USER
  gatehouse users grant-admin USER
  gatehouse users revoke-admin USER
  gatehouse users restore USER
  gatehouse users purge-deleted
  gatehouse users mfa list|reset|add-totp USER [--json]
  gatehouse users invite --email E [--name "Full Name"] [--print-link] [--json]
  gatehouse users invitations [--json]
  gatehouse users invitations revoke ID
USER is a username, an email or a sub. Passwords are read from standard input, never from arguments.
set-password and revoke-sessions sign the user out everywhere and end every token issued on their
behalf (refresh and access tokens); their consents to applications stay. remove does the same first.
invite emails a single-use link to set a password and create the account (address verified),
valid for GATEHOUSE_INVITATION_TTL; it needs an email sender (SMTP, the webhook, or --dev's
outbox) unless --print-link, which prints the link on standard output. Inviting an address again
replaces its earlier invitation; an address that has an account is refused.
unlock ends the user's sign-in lockouts and per-account throttling at once, on every running server
(the limit per address across accounts stays); their sessions and tokens are left as they are.
grant-admin gives the user the admin role: they may sign in to the admin console and get tokens for
the admin API (scopes admin, admin:read), always with a second factor. revoke-admin takes it away;
their admin tokens stop working at their next call. Revoking the last admin is allowed: grant-admin
here, on the server's database, is always the way back.
restore brings back an account its owner deleted, while its deletion grace period
(GATEHOUSE_DELETION_GRACE_DAYS) runs; it signs in again as before. purge-deleted removes at once the
accounts whose grace period is over (a running server does it every 10 minutes).
Every command takes --data DIR (default ./.gatehouse, or GATEHOUSE_DATA_DIR) and --dev (development mode).
${REMOTE_USAGE}
Through --server: add, list, show, remove, revoke-sessions, unlock, grant-admin, revoke-admin.`;

const OPTIONS = {
  username: { type: 'string' },
  email: { type: 'string' },
  'email-verified': { type: 'boolean', default: false },
  name: { type: 'string' },
  'password-stdin': { type: 'boolean', default: false },
  'print-link': { type: 'boolean', default: false },
  ...REMOTE_OPTIONS,
} as const;

/** The actions with no admin API operation: on the database only, never through `--server`. */
const DATABASE_ONLY = new Set(['set-password', 'restore', 'purge-deleted', 'mfa', 'invite', 'invitations']);

const ACTIONS = new Set([
  'add',
  'list',
  'show',
  'remove',
  'set-password',
  'revoke-sessions',
  'unlock',
  'grant-admin',
  'revoke-admin',
  'restore',
  'purge-deleted',
  'mfa',
  'invite',
  'invitations',
]);

/** `gatehouse users ...`: manage end users. */
export async function usersCommand(args: string[], io: CliIo, warn: (message: string) => void): Promise<number> {
  const [first, ...rest] = args;
  // `gatehouse <command> --help` as well as `gatehouse <command> <action> --help`.
  const action = first === '--help' || first === '-h' ? undefined : first;
  if (action === undefined && first !== undefined) rest.unshift('--help');
  const { values, positionals } = parseCommand(rest, OPTIONS);
  if (values.help || action === undefined) {
    io.stdout.write(`${USERS_USAGE}\n`);
    // Asked for help: success. No action at all: a usage error.
    return values.help ? 0 : 2;
  }
  if (!ACTIONS.has(action)) throw new UsageError(`unknown users command "${action}"`);
  const password = values['password-stdin'] ? await readPassword(io) : undefined;
  if (!DATABASE_ONLY.has(action)) return await adminAction(action, values, positionals, password, io, warn);
  if (serverOf(values, io) !== undefined) {
    throw new UsageError(`users ${action} works on the database only, not through --server (the admin API has no such operation)`);
  }
  const config = configFrom(values, io);
  const runtime = await openRuntime(config, warn);
  const { store } = runtime;
  try {
    switch (action) {
      case 'set-password': {
        if (password === undefined) throw new UsageError('--password-stdin is required');
        const { user, revoked } = await setUserPassword(store, systemClock, requiredUser(positionals), password);
        await runtime.audit('user.password_set', { sub: user.id, sessions_revoked: true, sessions_ended: revoked.sessions });
        io.stderr.write(`password set for ${user.username}; signed out everywhere (${revoked.sessions} session(s)) and their tokens revoked\n`);
        return 0;
      }
      case 'restore': {
        const user = await findUser(store, requiredUser(positionals));
        await restoreDeletedAccount(store, systemClock, user);
        await runtime.audit('user.restored', { sub: user.id });
        io.stderr.write(`restored ${user.username}: the account is no longer waiting for deletion and can sign in again\n`);
        return 0;
      }
      case 'purge-deleted': {
        const removed = await purgeDeletedAccounts(store, systemClock, runtime.auditLog);
        io.stderr.write(`removed ${removed.length} deleted account(s) whose grace period is over\n`);
        return 0;
      }
      case 'mfa':
        return await usersMfaCommand(positionals, runtime, values.json, config.productName, io);
      case 'invite':
        return await inviteCommand(values, config, runtime, io);
      case 'invitations':
        return await invitationsCommand(positionals, values.json, config, runtime, io);
      default:
        throw new UsageError(`unknown users command "${action}"`);
    }
  } finally {
    await runtime.close();
  }
}

/** The users actions the admin API has too: run on the database or through `--server` alike ({@link openAdmin}). */
async function adminAction(
  action: string,
  values: ReturnType<typeof parseCommand<typeof OPTIONS>>['values'],
  positionals: string[],
  password: string | undefined,
  io: CliIo,
  warn: (message: string) => void,
): Promise<number> {
  const admin = await openAdmin(values, io, warn);
  try {
    switch (action) {
      case 'add': {
        if (values.username === undefined) throw new UsageError('--username is required');
        const input = { username: values.username, email: values.email, emailVerified: values['email-verified'], name: values.name, password };
        printRecord(io, values.json, await admin.createUser(input));
        return 0;
      }
      case 'list': {
        printTable(io, values.json, await admin.listUsers(), ['sub', 'username', 'email', 'name', 'has_password', 'roles']);
        return 0;
      }
      case 'show': {
        printRecord(io, values.json, await admin.getUser(requiredUser(positionals)));
        return 0;
      }
      case 'remove': {
        const login = requiredUser(positionals);
        await admin.removeUser(login);
        io.stderr.write(`removed user ${login}\n`);
        return 0;
      }
      case 'revoke-sessions': {
        const login = requiredUser(positionals);
        const { sessions_ended: sessions } = await admin.revokeUserSessions(login);
        io.stderr.write(`signed ${login} out everywhere (${sessions} session(s)) and revoked their tokens\n`);
        return 0;
      }
      case 'unlock': {
        const user = await admin.unlockUser(requiredUser(positionals));
        io.stderr.write(`unlocked ${String(user.username)}: earlier failed sign-ins no longer count, on every server\n`);
        return 0;
      }
      case 'grant-admin': {
        const user = await admin.grantAdminRole(requiredUser(positionals));
        io.stderr.write(`${String(user.username)} holds the admin role\n`);
        return 0;
      }
      case 'revoke-admin': {
        const user = await admin.revokeAdminRole(requiredUser(positionals));
        io.stderr.write(`${String(user.username)} no longer holds the admin role; their admin tokens are refused from their next call\n`);
        return 0;
      }
      default:
        throw new UsageError(`unknown users command "${action}"`);
    }
  } finally {
    await admin.close();
  }
}

/** The password from standard input, without the trailing newline `echo` adds. */
async function readPassword(io: CliIo): Promise<string> {
  const text = await readAll(io.stdin);
  return text.replace(/\r?\n$/, '');
}

function requiredUser(positionals: string[]): string {
  const [user] = positionals;
  if (user === undefined) throw new UsageError('a USER (username, email or sub) is required');
  return user;
}
