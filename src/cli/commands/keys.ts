import { openAdmin, REMOTE_OPTIONS, REMOTE_USAGE } from '../admin-operations.js';
import { parseCommand } from '../args.js';
import { printTable, UsageError, type CliIo } from '../io.js';

const KEYS_USAGE = `Usage:
  gatehouse keys list [--json]
  gatehouse keys rotate [--json]
rotate makes new ES256 and RS256 keys active; earlier keys stay published until tokens they signed
have expired. Running servers pick the new keys up within GATEHOUSE_KEY_REFRESH_INTERVAL seconds (with
--server, the server that answered at once).
${REMOTE_USAGE}`;

/** `gatehouse keys ...`: list and rotate signing keys. */
export async function keysCommand(args: string[], io: CliIo, warn: (message: string) => void): Promise<number> {
  const [first, ...rest] = args;
  // `gatehouse <command> --help` as well as `gatehouse <command> <action> --help`.
  const action = first === '--help' || first === '-h' ? undefined : first;
  if (action === undefined && first !== undefined) rest.unshift('--help');
  const { values } = parseCommand(rest, REMOTE_OPTIONS);
  if (values.help || action === undefined) {
    io.stdout.write(`${KEYS_USAGE}\n`);
    // Asked for help: success. No action at all: a usage error.
    return values.help ? 0 : 2;
  }
  if (action !== 'list' && action !== 'rotate') throw new UsageError(`unknown keys command "${action}"`);
  const admin = await openAdmin(values, io, warn);
  try {
    switch (action) {
      case 'list': {
        printTable(io, values.json, await admin.listKeys(), ['kid', 'alg', 'status', 'published', 'created_at', 'retired_at']);
        return 0;
      }
      case 'rotate': {
        printTable(io, values.json, await admin.rotateKeys(), ['kid', 'alg', 'status', 'created_at']);
        return 0;
      }
    }
  } finally {
    await admin.close();
  }
}
