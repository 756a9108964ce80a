import { systemClock } from '../../core/clock.js';
import {
  INITIAL_ACCESS_TOKEN_LIMITS,
  initialAccessTokenJson,
  issueInitialAccessToken,
  listInitialAccessTokens,
  revokeInitialAccessToken,
  type ClientType,
} from '../../server/clients/initial-access-tokens.js';
import type { GrantType } from '../../stores/contract.js';
import { configFrom, parseCommand } from '../args.js';
import { printRecord, printTable, UsageError, type CliIo } from '../io.js';
import { openRuntime } from '../runtime.js';

const REGISTRATION_USAGE = `Usage:
  gatehouse registration tokens create [--label TEXT] [--max-uses N] [--ttl SECONDS]
                                       [--client-type public|confidential]... [--grant TYPE]... [--json]
  gatehouse registration tokens list [--json]
  gatehouse registration tokens revoke ID
Initial access tokens for dynamic client registration (RFC 7591, GATEHOUSE_REGISTRATION): a client
presents one as a Bearer token to POST /register. create prints the token once on standard output
(only its keyed hash is stored); it registers at most --max-uses clients (default 1, at most ${INITIAL_ACCESS_TOKEN_LIMITS.maxUses}), until
--ttl seconds from now (default ${INITIAL_ACCESS_TOKEN_LIMITS.defaultTtlSeconds}, 7 days), of the given client types (default both) using
only the given grant types (default every grant the server supports). A used-up token disappears
from the list. revoke ends a token at once; the clients it registered stay (remove them with
gatehouse clients remove).
Every command takes --data DIR (default ./.gatehouse, or GATEHOUSE_DATA_DIR) and --dev (development
mode); they work on the database (the admin API has the same operations: /registration/tokens).`;

const OPTIONS = {
  label: { type: 'string' },
  'max-uses': { type: 'string' },
  ttl: { type: 'string' },
  'client-type': { type: 'string', multiple: true },
  grant: { type: 'string', multiple: true },
} as const;

/** A whole number from a flag, or a usage error naming it. */
function wholeNumber(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^[0-9]{1,10}$/.test(value)) throw new UsageError(`--${flag} must be a whole number`);
  return Number(value);
}

/** `gatehouse registration tokens ...`: initial access tokens of dynamic client registration. */
export async function registrationCommand(args: string[], io: CliIo, warn: (message: string) => void): Promise<number> {
  const [group, action, ...rest] = args;
  const isHelp = (arg: string | undefined) => arg === '--help' || arg === '-h';
  if (group === undefined || isHelp(group) || (group === 'tokens' && (action === undefined || isHelp(action)))) {
    io.stdout.write(`${REGISTRATION_USAGE}\n`);
    // Asked for help: success. No action at all: a usage error.
    return isHelp(group) || isHelp(action) ? 0 : 2;
  }
  if (group !== 'tokens') throw new UsageError(`unknown registration command "${group}"`);
  const { values, positionals } = parseCommand(rest, OPTIONS);
  if (values.help) {
    io.stdout.write(`${REGISTRATION_USAGE}\n`);
    return 0;
  }
  if (action !== 'create' && action !== 'list' && action !== 'revoke') throw new UsageError(`unknown registration tokens command "${action}"`);
  const config = configFrom(values, io);
  const runtime = await openRuntime(config, warn);
  const ctx = { store: runtime.store, clock: systemClock, secrets: runtime.secretKeys, audit: runtime.auditLog };
  try {
    switch (action) {
      case 'create': {
        const { token, info } = await issueInitialAccessToken(ctx, {
          label: values.label,
          maxUses: wholeNumber('max-uses', values['max-uses']),
          ttlSeconds: wholeNumber('ttl', values.ttl),
          clientTypes: values['client-type'] as ClientType[] | undefined,
          grantTypes: values.grant as GrantType[] | undefined,
        });
        if (values.json) {
          printRecord(io, true, { ...initialAccessTokenJson(info), token });
        } else {
          io.stdout.write(`${token}\n`);
          io.stderr.write(
            `initial access token ${info.id}: ${info.maxUses} registration(s) of ${info.clientTypes.join(' or ')} clients (${info.grantTypes.join(', ')}) until ${new Date(info.expiresAt).toISOString()}; shown once\n`,
          );
        }
        return 0;
      }
      case 'list': {
        const rows = (await listInitialAccessTokens(ctx)).map(initialAccessTokenJson);
        printTable(io, values.json, rows, ['id', 'label', 'uses', 'max_uses', 'client_types', 'grant_types', 'expires_at']);
        return 0;
      }
      default: {
        const id = positionals[0];
        if (id === undefined) throw new UsageError('a token ID is required (see "gatehouse registration tokens list")');
        const info = await revokeInitialAccessToken(ctx, id);
        io.stderr.write(`revoked initial access token ${info.id} (used ${info.uses} of ${info.maxUses} times)\n`);
        return 0;
      }
    }
  } finally {
    await runtime.close();
  }
}
