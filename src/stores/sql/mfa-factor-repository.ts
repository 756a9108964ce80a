import type { Selectable } from 'kysely';
import type { Json, MfaFactorRecord, MfaFactorRepository, MfaFactorType } from '../contract.js';
import { asConflict } from './conflicts.js';
import { toMillis, toMillisOrNull } from './column-values.js';
import type { SqlContext } from './context.js';
import type { MfaFactorsTable } from './schema.js';
import { statement } from './statements.js';

type FactorRow = Selectable<MfaFactorsTable>;
const COLUMNS = 'id, user_id, type, label, lookup, data, created_at, updated_at, last_used_at';
const BY_ID = statement<FactorRow>('gatehouse_factor_by_id', `select ${COLUMNS} from mfa_factors where id = ?`);
// Every sign-in and authorization asks whether the user has a second factor.
const BY_USER = statement<FactorRow>('gatehouse_factors_by_user', `select ${COLUMNS} from mfa_factors where user_id = ? order by created_at, id`);

/**
 * Second factors in the `mfa_factors` table; the database drops a user's factors when the user is
 * deleted.
 */
export class SqlMfaFactorRepository implements MfaFactorRepository {
  readonly #ctx: SqlContext;

  constructor(ctx: SqlContext) {
    this.#ctx = ctx;
  }

  async create(factor: MfaFactorRecord): Promise<void> {
    try {
      await this.#ctx.db.insertInto('mfa_factors').values(toRow(factor)).execute();
    } catch (error) {
      throw asConflict(error, this.#ctx.dialect, factorField);
    }
  }

  async get(id: string): Promise<MfaFactorRecord | undefined> {
    const row = await this.#ctx.statements.get(BY_ID, [id]);
    return row === undefined ? undefined : fromRow(row);
  }

  async findByLookup(type: MfaFactorType, lookup: string): Promise<MfaFactorRecord | undefined> {
    const row = await this.#ctx.db.selectFrom('mfa_factors').selectAll().where('type', '=', type).where('lookup', '=', lookup).executeTakeFirst();
    return row === undefined ? undefined : fromRow(row);
  }

  async listByUser(userId: string): Promise<MfaFactorRecord[]> {
    const rows = await this.#ctx.statements.all(BY_USER, [userId]);
    return rows.map(fromRow);
  }

  async update(factor: MfaFactorRecord, expectedUpdatedAt?: number): Promise<boolean> {
    const { id, ...changes } = toRow(factor);
    // With `expectedUpdatedAt`, one conditional UPDATE: the database lets exactly one of several
    // updates expecting the same `updated_at` match, and a stale copy matches nothing.
    let query = this.#ctx.db.updateTable('mfa_factors').set(changes).where('id', '=', id);
    if (expectedUpdatedAt !== undefined) query = query.where('updated_at', '=', expectedUpdatedAt);
    try {
      const result = await query.executeTakeFirst();
      return result.numUpdatedRows > 0n;
    } catch (error) {
      throw asConflict(error, this.#ctx.dialect, factorField);
    }
  }

  async delete(id: string): Promise<boolean> {
    const result = await this.#ctx.db.deleteFrom('mfa_factors').where('id', '=', id).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async deleteByUser(userId: string): Promise<number> {
    const result = await this.#ctx.db.deleteFrom('mfa_factors').where('user_id', '=', userId).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}

/**
 * Maps the violated constraint to its field. PostgreSQL names the index
 * (`mfa_factors_type_lookup_unique`, see migrations.ts); SQLite names the columns of a plain
 * unique index (`UNIQUE constraint failed: mfa_factors.type, mfa_factors.lookup`).
 */
function factorField(constraint: string): string {
  if (constraint.includes('mfa_factors_type_lookup_unique') || constraint.includes('mfa_factors.lookup')) {
    return 'lookup';
  }
  return 'id';
}

function toRow(factor: MfaFactorRecord) {
  return {
    id: factor.id,
    user_id: factor.userId,
    type: factor.type,
    label: factor.label,
    lookup: factor.lookup,
    data: JSON.stringify(factor.data),
    created_at: factor.createdAt,
    updated_at: factor.updatedAt,
    last_used_at: factor.lastUsedAt,
  };
}

function fromRow(row: FactorRow): MfaFactorRecord {
  return {
    id: row.id,
    userId: row.user_id,
    type: row.type as MfaFactorType,
    label: row.label,
    lookup: row.lookup,
    data: JSON.parse(row.data) as Record<string, Json>,
    createdAt: toMillis(row.created_at),
    updatedAt: toMillis(row.updated_at),
    lastUsedAt: toMillisOrNull(row.last_used_at),
  };
}
