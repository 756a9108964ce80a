import { configFrom, parseCommand } from '../args.js';
import type { CliIo } from '../io.js';
import { openRuntime } from '../runtime.js';

const MIGRATE_USAGE = `Usage:
  gatehouse migrate [--data DIR] [--dev] [--json]
Applies pending database migrations (gatehouse start also applies them). On a data directory (or
database) without Gatehouse data it sets up a new installation, as gatehouse start does; the other
commands refuse one.`;

/** `gatehouse migrate`: applies pending schema migrations and says which. */
export async function migrateCommand(args: string[], io: CliIo, warn: (message: string) => void): Promise<number> {
  const { values } = parseCommand(args, {});
  if (values.help) {
    io.stdout.write(`${MIGRATE_USAGE}\n`);
    return 0;
  }
  const runtime = await openRuntime(configFrom(values, io), warn, { create: true });
  try {
    // openRuntime has migrated already; a second call reports nothing new, so ask the store once here.
    const applied = await runtime.store.migrate();
    if (values.json) io.stdout.write(`${JSON.stringify({ applied: runtime.applied.concat(applied) })}\n`);
    else
      io.stdout.write(runtime.applied.length + applied.length === 0 ? 'database is up to date\n' : `applied: ${runtime.applied.concat(applied).join(', ')}\n`);
    return 0;
  } finally {
    await runtime.close();
  }
}
