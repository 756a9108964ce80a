import { auditCommand } from './commands/audit.js';
import { clientsCommand } from './commands/clients.js';
import { keysCommand } from './commands/keys.js';
import { migrateCommand } from './commands/migrate.js';
import { registrationCommand } from './commands/registration.js';
import { startCommand } from './commands/start.js';
import { usersCommand } from './commands/users.js';
import { UsageError, type CliIo } from './io.js';

const USAGE = `gatehouse: OAuth 2.1 and OpenID Connect server

Usage: gatehouse <command> [options]

Commands:
  start      serve the authorization server
  clients    add | list | show | update | remove | rotate-secret
  users      add | list | show | remove | set-password | revoke-sessions | unlock | grant-admin | revoke-admin | mfa | invite | invitations
  keys       list | rotate
  registration  tokens create | list | revoke   (initial access tokens of dynamic client registration)
  migrate    apply pending database migrations
  audit      verify | tail   (the tamper-evident audit log)

Every command takes --data DIR (default ./.gatehouse, or GATEHOUSE_DATA_DIR), --config FILE
(default ./gatehouse.config.json if present), --dev and --json where it prints. Only start and
migrate set up a new installation; the others refuse a data directory (or database) without one.
Commands run in production mode, which requires GATEHOUSE_SECRET. For local use add --dev (or set
GATEHOUSE_ENV=development): a secret is generated into the data directory. NODE_ENV is not read.
Run "gatehouse <command> --help".`;

type Command = (args: string[], io: CliIo, warn: (message: string) => void) => Promise<number>;

const COMMANDS: Record<string, Command> = {
  start: startCommand,
  clients: clientsCommand,
  users: usersCommand,
  keys: keysCommand,
  migrate: migrateCommand,
  audit: auditCommand,
  registration: registrationCommand,
};

/** Runs the CLI; resolves to the exit status. */
export async function main(
  argv: string[],
  io: CliIo = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env },
): Promise<number> {
  const [name, ...args] = argv;
  const warn = (message: string) => io.stderr.write(`warning: ${message}\n`);
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(`${USAGE}\n`);
    return name === undefined ? 2 : 0;
  }
  if (name === '--version') {
    io.stdout.write('gatehouse 0.1.0\n');
    return 0;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  const fail = (message: string) => io.stderr.write(`error: ${oneLine(message)}\n`);
  if (!command) {
    fail(`unknown command "${name}" (run "gatehouse --help" for the list)`);
    return 2;
  }
  try {
    return await command(args, io, warn);
  } catch (error) {
    if (error instanceof UsageError) {
      fail(`${error.message} (run "gatehouse ${name} --help" for usage)`);
      return 2;
    }
    fail(errorText(error));
    return 1;
  }
}

/**
 * An error as one line: its lines joined, without a leading `error:` of its own (ours is added
 * once). Never a stack trace.
 */
export function oneLine(message: string): string {
  const joined = message
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter(Boolean)
    .join(' ');
  return joined.replace(/^(error:\s*)+/i, '') || 'unexpected failure';
}

/** What to say about a failure: its message, or for one that has none (an AggregateError of connection attempts) its parts' or its code. */
function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.message) return error.message;
  if (error instanceof AggregateError && error.errors.length > 0) return [...new Set(error.errors.map(errorText))].join('; ');
  const code = (error as NodeJS.ErrnoException).code;
  return code ?? error.name;
}
