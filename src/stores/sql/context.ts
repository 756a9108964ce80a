import type { Kysely } from 'kysely';
import type { Clock } from '../../core/clock.js';
import type { SqlDialectName } from './conflicts.js';
import type { Database } from './schema.js';
import type { StatementRunner } from './statements.js';

/** What every SQL repository works with. */
export interface SqlContext {
  /** Everything but the hot paths: migrations, listings, rare writes and their transactions. */
  db: Kysely<Database>;
  /** The hot paths: hand-written statements, prepared once (see statements.ts). */
  statements: StatementRunner;
  /** Judges artifact expiry. */
  clock: Clock;
  /** Decides how driver errors are read. */
  dialect: SqlDialectName;
}
