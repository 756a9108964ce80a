import { readAuditSearch } from '../../server/admin/audit.js';
import { openAdmin, REMOTE_OPTIONS, REMOTE_USAGE } from '../admin-operations.js';
import { parseCommand } from '../args.js';
import { printTable, UsageError, type CliIo } from '../io.js';

/** Help text of `gatehouse audit`. */
export const AUDIT_USAGE = `Usage:
  gatehouse audit verify [--json]
  gatehouse audit tail [--from TIME] [--to TIME] [--type TYPE]... [--user USER] [--client ID]
                       [--address IP] [--outcome success|failure] [--limit N] [--json]
verify recomputes the hash chain over every stored event and exits 1 naming the first event that
was edited, removed or reordered. On the database it needs the server's GATEHOUSE_SECRET: the chain
is keyed with it.
tail shows the newest N events (default 20) matching every filter given, oldest of them first:
--from and --to are RFC 3339 date-times (2026-01-31T09:00:00Z; --to excluded), --type may be
repeated (any of them), --user is a sub, username or email, --address a client IP address.
${REMOTE_USAGE}`;

/** Most events `tail` prints at once. */
const MAX_TAIL_LIMIT = 10_000;
const DEFAULT_TAIL_LIMIT = 20;

/** `gatehouse audit ...`: verify the audit log's hash chain and show recent events, on the database or through `--server`. */
export async function auditCommand(args: string[], io: CliIo, warn: (message: string) => void): Promise<number> {
  const [first, ...rest] = args;
  const action = first === '--help' || first === '-h' ? undefined : first;
  if (action === undefined && first !== undefined) rest.unshift('--help');
  const { values } = parseCommand(rest, {
    type: { type: 'string', multiple: true },
    limit: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    user: { type: 'string' },
    client: { type: 'string' },
    address: { type: 'string' },
    outcome: { type: 'string' },
    ...REMOTE_OPTIONS,
  });
  if (values.help || action === undefined) {
    io.stdout.write(`${AUDIT_USAGE}\n`);
    return values.help ? 0 : 2;
  }
  if (action !== 'verify' && action !== 'tail') throw new UsageError(`unknown audit command "${action}"`);
  const { type: types, limit, from, to, user, client, address, outcome } = values;
  const filters = { types, limit, from, to, user, client, address, outcome };
  if (action === 'verify' && Object.values(filters).some((value) => value !== undefined)) {
    throw new UsageError('audit verify checks the whole log: it takes no filter, --type or --limit');
  }
  // The same reading of the filters as the admin API's GET /audit/events.
  const read = readAuditSearch(filters, { defaultLimit: DEFAULT_TAIL_LIMIT, maxLimit: MAX_TAIL_LIMIT });
  if (!read.ok) throw new UsageError(read.problems.map(({ field, message }) => `--${field === 'types' ? 'type' : field} ${message}`).join('; '));
  const admin = await openAdmin(values, io, warn);
  try {
    if (action === 'verify') {
      const result = await admin.verifyAudit();
      if (values.json) {
        io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      } else if (result.ok) {
        io.stdout.write(`audit log intact: ${result.count} events\n`);
        // Cutting events off the end leaves a valid chain: compare this with a copy kept elsewhere.
        if (result.count > 0) io.stdout.write(`last event: #${result.last_seq} ${result.last_hash}\n`);
      } else {
        io.stdout.write(`audit log broken at event #${result.seq} (${result.problem}): ${result.message}\n`);
      }
      return result.ok ? 0 : 1;
    }
    // Newest first from the store or the API; printed oldest first, like tail(1).
    const events = (await admin.auditEvents(read.search, read.user)).reverse().map((event) => ({ ...event }));
    printTable(io, values.json, events, ['seq', 'time', 'type', 'outcome', 'client_id', 'subject', 'ip', 'request_id']);
    return 0;
  } finally {
    await admin.close();
  }
}
