import { ConfigError } from '../core/errors.js';
import { AdminInputError } from '../server/admin/input-error.js';
import { StoreConflictError } from '../stores/contract.js';
import { auditCommand } from './commands/audit.js';
import { clientsCommand } from './commands/clients.js';
import { keysCommand } from './commands/keys.js';
import { migrateCommand } from './commands/migrate.js';
import { startCommand } from './commands/start.js';
import { usersCommand } from './commands/users.js';
import { UsageError, type CliIo } from './io.js';

const USAGE = `gatehouse: OAuth 2.1 and OpenID Connect server

Usage: gatehouse <command> [options]

Commands:
  start      serve the authorization server
  clients    add | list | show | remove | rotate-secret
  users      add | list | show | remove | set-password | mfa
  keys       list | rotate
  migrate    apply pending database migrations
  audit      verify | tail   (the tamper-evident audit log)

Every command takes --data DIR (default ./.gatehouse, or GATEHOUSE_DATA_DIR), --config FILE
(default ./gatehouse.config.json if present), --dev and --json where it prints.
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
};

/** Runs the CLI; resolves to the exit status. */
export async function main(argv: string[], io: CliIo = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env }): Promise<number> {
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
  const command = COMMANDS[name];
  if (!command) {
    io.stderr.write(`error: unknown command "${name}"\n\n${USAGE}\n`);
    return 2;
  }
  try {
    return await command(args, io, warn);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`error: ${error.message}\nRun "gatehouse ${name} --help" for usage.\n`);
      return 2;
    }
    if (error instanceof ConfigError || error instanceof AdminInputError || error instanceof StoreConflictError) {
      io.stderr.write(`error: ${error.message}\n`);
      return 1;
    }
    io.stderr.write(`error: ${(error as Error).message ?? String(error)}\n`);
    return 1;
  }
}
