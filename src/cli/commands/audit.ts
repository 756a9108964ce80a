import { auditEventToJson } from '../../server/audit/audit-log.js';
import { verifyAuditLog } from '../../server/audit/chain.js';
import { configFrom, parseCommand } from '../args.js';
import { printTable, UsageError, type CliIo } from '../io.js';
import { openRuntime } from '../runtime.js';

/** Help text of `gatehouse audit`. */
export const AUDIT_USAGE = `Usage:
  gatehouse audit verify [--json]
  gatehouse audit tail [--type TYPE] [--limit N] [--json]
verify recomputes the hash chain over every stored event and exits 1 naming the first event that
was edited, removed or reordered. It needs the server's GATEHOUSE_SECRET: the chain is keyed with it.
tail shows the newest N events (default 20), oldest of them first, optionally of one type.`;

/** Most events `tail` prints at once. */
const MAX_TAIL_LIMIT = 10_000;
const DEFAULT_TAIL_LIMIT = 20;

/** `gatehouse audit ...`: verify the audit log's hash chain and show recent events. */
export async function auditCommand(args: string[], io: CliIo, warn: (message: string) => void): Promise<number> {
  const [first, ...rest] = args;
  const action = first === '--help' || first === '-h' ? undefined : first;
  if (action === undefined && first !== undefined) rest.unshift('--help');
  const { values } = parseCommand(rest, { type: { type: 'string' }, limit: { type: 'string' } });
  if (values.help || action === undefined) {
    io.stdout.write(`${AUDIT_USAGE}\n`);
    return values.help ? 0 : 2;
  }
  if (action !== 'verify' && action !== 'tail') throw new UsageError(`unknown audit command "${action}"`);
  if (action === 'verify' && (values.type !== undefined || values.limit !== undefined)) {
    throw new UsageError('audit verify checks the whole log: it takes no --type or --limit');
  }
  const limit = tailLimit(values.limit);
  const runtime = await openRuntime(configFrom(values, io), warn);
  try {
    if (action === 'verify') {
      const result = await verifyAuditLog(runtime.store.audit, runtime.secretKeys);
      if (values.json) {
        const { ok, count } = result;
        const body = result.ok
          ? { ok, count, last_seq: result.lastSeq, last_hash: result.lastHash }
          : { ok, count, seq: result.seq, problem: result.problem, message: result.message };
        io.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
      } else if (result.ok) {
        io.stdout.write(`audit log intact: ${result.count} events\n`);
        // Cutting events off the end leaves a valid chain: compare this with a copy kept elsewhere.
        if (result.count > 0) io.stdout.write(`last event: #${result.lastSeq} ${result.lastHash}\n`);
      } else {
        io.stdout.write(`audit log broken at event #${result.seq} (${result.problem}): ${result.message}\n`);
      }
      return result.ok ? 0 : 1;
    }
    // Newest first from the store; printed oldest first, like tail(1).
    const events = (await runtime.store.audit.tail(limit, values.type)).reverse().map((event) => ({ ...auditEventToJson(event) }));
    printTable(io, values.json, events, ['seq', 'time', 'type', 'outcome', 'client_id', 'subject', 'ip', 'request_id']);
    return 0;
  } finally {
    await runtime.close();
  }
}

/** `--limit` as a count of events. */
function tailLimit(value: string | undefined): number {
  if (value === undefined) return DEFAULT_TAIL_LIMIT;
  const limit = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_TAIL_LIMIT) {
    throw new UsageError(`--limit must be a whole number from 1 to ${MAX_TAIL_LIMIT}, got "${value}"`);
  }
  return limit;
}
