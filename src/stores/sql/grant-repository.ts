import type { Selectable } from 'kysely';
import type { GrantRecord, GrantRepository } from '../contract.js';
import { asConflict, primaryKeyField } from './conflicts.js';
import { toMillis, toMillisOrNull } from './column-values.js';
import type { SqlContext } from './context.js';
import type { GrantsTable } from './schema.js';

type GrantData = Pick<GrantRecord, 'extra'>;

/** Grants in the `grants` table. */
export class SqlGrantRepository implements GrantRepository {
  readonly #ctx: SqlContext;

  constructor(ctx: SqlContext) {
    this.#ctx = ctx;
  }

  async create(grant: GrantRecord): Promise<void> {
    try {
      await this.#ctx.db.insertInto('grants').values(toRow(grant)).execute();
    } catch (error) {
      throw asConflict(error, this.#ctx.dialect, primaryKeyField('id'));
    }
  }

  async get(id: string): Promise<GrantRecord | undefined> {
    const row = await this.#ctx.db.selectFrom('grants').selectAll().where('id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : fromRow(row);
  }

  async update(grant: GrantRecord): Promise<boolean> {
    const { id, ...changes } = toRow(grant);
    const result = await this.#ctx.db.updateTable('grants').set(changes).where('id', '=', id).executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async listBySubject(subject: string): Promise<GrantRecord[]> {
    const rows = await this.#ctx.db
      .selectFrom('grants')
      .selectAll()
      .where('subject', '=', subject)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .execute();
    return rows.map(fromRow);
  }

  async revoke(id: string, at: number): Promise<boolean> {
    return this.#ctx.db.transaction().execute(async (trx) => {
      const result = await trx
        .updateTable('grants')
        .set({ revoked_at: at, updated_at: at })
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      if (result.numUpdatedRows === 0n) return false;
      await trx.deleteFrom('artifacts').where('grant_id', '=', id).execute();
      return true;
    });
  }
}

function toRow(grant: GrantRecord) {
  const data: GrantData = { extra: grant.extra };
  return {
    id: grant.id,
    client_id: grant.clientId,
    subject: grant.subject,
    scope: grant.scope,
    data: JSON.stringify(data),
    created_at: grant.createdAt,
    updated_at: grant.updatedAt,
    revoked_at: grant.revokedAt,
  };
}

function fromRow(row: Selectable<GrantsTable>): GrantRecord {
  const data = JSON.parse(row.data) as GrantData;
  return {
    id: row.id,
    clientId: row.client_id,
    subject: row.subject,
    scope: row.scope,
    extra: data.extra,
    createdAt: toMillis(row.created_at),
    updatedAt: toMillis(row.updated_at),
    revokedAt: toMillisOrNull(row.revoked_at),
  };
}
