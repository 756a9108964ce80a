import type { Kysely } from 'kysely';
import type { Clock } from '../../core/clock.js';
import type { SqlDialectName } from './conflicts.js';
import type { Database } from './schema.js';

/** What every SQL repository works with. */
export interface SqlContext {
  db: Kysely<Database>;
  /** Judges artifact expiry. */
  clock: Clock;
  /** Decides how driver errors are read. */
  dialect: SqlDialectName;
}
