import { isPublished, keyRetentionMs, rotateSigningKeys } from '../../server/keys/signing-keys.js';
import type { SigningKeyRecord } from '../../stores/contract.js';
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
  const describe = (record: SigningKeyRecord) => ({
    kid: record.kid,
    alg: record.alg,
    status: record.status,
    published: isPublished(record, now, keyRetentionMs(Math.max(config.accessTokenTtl, config.idTokenTtl))),
    created_at: new Date(record.createdAt).toISOString(),
    retired_at: record.retiredAt === null ? null : new Date(record.retiredAt).toISOString(),
  });
  try {
    switch (action) {
      case 'list': {
        printTable(io, values.json, (await runtime.store.keys.list()).map(describe), ['kid', 'alg', 'status', 'published', 'created_at', 'retired_at']);
        return 0;
      }
      case 'rotate': {
        const fresh = await rotateSigningKeys(runtime.store, runtime.secretKeys, now);
        await runtime.audit('keys.rotated', { kids: fresh.map((key) => key.kid) });
        printTable(io, values.json, fresh.map(describe), ['kid', 'alg', 'status', 'created_at']);
        return 0;
      }
    }
  } finally {
    await runtime.close();
  }
}
