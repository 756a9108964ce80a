import type { Selectable } from 'kysely';
import { StoreConflictError, type ArtifactRecord, type ArtifactRepository, type Json } from '../contract.js';
import { asConflict, primaryKeyField } from './conflicts.js';
import { checkedLimit, toMillis, toMillisOrNull } from './column-values.js';
import type { SqlContext } from './context.js';
import type { ArtifactsTable } from './schema.js';

/**
 * Short-lived artifacts in the `artifacts` table; expiry is judged by the store's clock. The owner
 * ({@link ArtifactRecord.ownerId}) lives in the column `grant_id`, its name from before the rename:
 * kept so that existing databases need no migration.
 */
export class SqlArtifactRepository implements ArtifactRepository {
  readonly #ctx: SqlContext;

  constructor(ctx: SqlContext) {
    this.#ctx = ctx;
  }

  async put(record: Omit<ArtifactRecord, 'consumedAt'>): Promise<void> {
    const values = { value: JSON.stringify(record.value), grant_id: record.ownerId, expires_at: record.expiresAt, consumed_at: null };
    let result;
    try {
      // One statement: a live row conflicts; a row past its expiry (not yet purged) is replaced.
      result = await this.#ctx.db
        .insertInto('artifacts')
        .values({ kind: record.kind, id: record.id, ...values })
        .onConflict((conflict) => conflict.columns(['kind', 'id']).doUpdateSet(values).where('artifacts.expires_at', '<=', this.#ctx.clock.now()))
        .executeTakeFirst();
    } catch (error) {
      throw asConflict(error, this.#ctx.dialect, primaryKeyField('id'));
    }
    if (result.numInsertedOrUpdatedRows === 0n) throw new StoreConflictError('id');
  }

  async get<T extends Json = Json>(kind: string, id: string): Promise<ArtifactRecord<T> | undefined> {
    const row = await this.#ctx.db
      .selectFrom('artifacts')
      .selectAll()
      .where('kind', '=', kind)
      .where('id', '=', id)
      .where('expires_at', '>', this.#ctx.clock.now())
      .executeTakeFirst();
    return row === undefined ? undefined : fromRow<T>(row);
  }

  async consume<T extends Json = Json>(kind: string, id: string, at: number): Promise<ArtifactRecord<T> | undefined> {
    // One conditional UPDATE ... RETURNING: the database lets exactly one racing caller match.
    const row = await this.#ctx.db
      .updateTable('artifacts')
      .set({ consumed_at: at })
      .where('kind', '=', kind)
      .where('id', '=', id)
      .where('consumed_at', 'is', null)
      .where('expires_at', '>', this.#ctx.clock.now())
      .returningAll()
      .executeTakeFirst();
    return row === undefined ? undefined : fromRow<T>(row);
  }

  async delete(kind: string, id: string): Promise<boolean> {
    const result = await this.#ctx.db.deleteFrom('artifacts').where('kind', '=', kind).where('id', '=', id).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async deleteByOwner(ownerId: string): Promise<number> {
    const result = await this.#ctx.db.deleteFrom('artifacts').where('grant_id', '=', ownerId).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async listByOwner<T extends Json = Json>(kind: string, ownerId: string, limit = 100): Promise<ArtifactRecord<T>[]> {
    const rows = await this.#ctx.db
      .selectFrom('artifacts')
      .selectAll()
      .where('kind', '=', kind)
      .where('grant_id', '=', ownerId)
      .where('expires_at', '>', this.#ctx.clock.now())
      .orderBy('expires_at', 'desc')
      .orderBy('id', 'desc')
      .limit(checkedLimit(limit))
      .execute();
    return rows.map((row) => fromRow<T>(row));
  }

  async purgeExpired(now: number): Promise<number> {
    const result = await this.#ctx.db.deleteFrom('artifacts').where('expires_at', '<=', now).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}

function fromRow<T extends Json>(row: Selectable<ArtifactsTable>): ArtifactRecord<T> {
  return {
    kind: row.kind,
    id: row.id,
    value: JSON.parse(row.value) as T,
    ownerId: row.grant_id,
    expiresAt: toMillis(row.expires_at),
    consumedAt: toMillisOrNull(row.consumed_at),
  };
}
