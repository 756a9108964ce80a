import { listSigningKeys, retentionFor, rotateKeys } from '../../server/admin/keys.js';
import { configFrom, parseCommand } from '../args.js';
import { printTable, UsageError, type CliIo } from '../io.js';
import { openRuntime } from '../runtime.js';

const KEYS_USAGE = `Usage:
  gatehouse keys list [--json]
  gatehouse keys rotate [--json]
rotate makes new ES256 and RS256 keys active; earlier keys stay published until tokens they signed
have expired. Running servers pick the new keys up within GATEHOUSE_KEY_REFRESH_INTERVAL seconds.`;

/** `gatehouse keys ...`: list and rotate signing keys. */
export async function keysCommand(args: string[], io: CliIo, warn: (message: string) => void): Promise<number> {
  const [first, ...rest] = args;
  // `gatehouse <command> --help` as well as `gatehouse <command> <action> --help`.
  const action = first === '--help' || first === '-h' ? undefined : first;
  if (action === undefined && first !== undefined) rest.unshift('--help');
  const { values } = parseCommand(rest, {});
  if (values.help || action === undefined) {
    io.stdout.write(`${KEYS_USAGE}\n`);
    // Asked for help: success. No action at all: a usage error.
    return values.help ? 0 : 2;
  }
  if (action !== 'list' && action !== 'rotate') throw new UsageError(`unknown keys command "${action}"`);
  const config = configFrom(values, io);
  const runtime = await openRuntime(config, warn);
  const now = Date.now();
  const retentionMs = retentionFor(config.accessTokenTtl, config.idTokenTtl);
  try {
    switch (action) {
      case 'list': {
        printTable(io, values.json, await listSigningKeys(runtime.store, now, retentionMs), ['kid', 'alg', 'status', 'published', 'created_at', 'retired_at']);
        return 0;
      }
      case 'rotate': {
        const fresh = await rotateKeys(runtime.store, runtime.secretKeys, now, retentionMs);
        await runtime.audit('keys.rotated', { kids: fresh.map((key) => key.kid) });
        printTable(io, values.json, fresh, ['kid', 'alg', 'status', 'created_at']);
        return 0;
      }
    }
  } finally {
    await runtime.close();
  }
}
