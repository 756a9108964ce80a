import { randomUUID } from 'node:crypto';
import type { Selectable } from 'kysely';
import type { LogoutDeliveryRecord, LogoutDeliveryRepository } from '../contract.js';
import { asConflict, primaryKeyField } from './conflicts.js';
import { checkedLimit, toMillis } from './column-values.js';
import type { SqlContext } from './context.js';
import type { LogoutDeliveriesTable } from './schema.js';

type DeliveryRow = Selectable<LogoutDeliveriesTable>;

/**
 * The back-channel logout queue in `logout_deliveries`. A claim is a compare-and-set per row
 * (`update ... where id = ? and due_at <= now`): of instances racing for a row, the database lets
 * one update match (PostgreSQL re-checks the condition on the row another transaction just
 * updated; SQLite writes one at a time), so no row is delivered by two holders at once, without
 * `FOR UPDATE SKIP LOCKED`, which SQLite lacks.
 */
export class SqlLogoutDeliveryRepository implements LogoutDeliveryRepository {
  readonly #ctx: SqlContext;

  constructor(ctx: SqlContext) {
    this.#ctx = ctx;
  }

  async enqueue(records: readonly LogoutDeliveryRecord[]): Promise<void> {
    if (records.length === 0) return;
    try {
      await this.#ctx.db
        .insertInto('logout_deliveries')
        .values(
          records.map((record) => ({
            id: record.id,
            client_id: record.clientId,
            sub: record.sub,
            sid: record.sid,
            created_at: record.createdAt,
            due_at: record.dueAt,
            attempts: record.attempts,
            lease: record.lease,
          })),
        )
        .execute();
    } catch (error) {
      throw asConflict(error, this.#ctx.dialect, primaryKeyField('id'));
    }
  }

  async claim(now: number, leaseMs: number, limit: number): Promise<LogoutDeliveryRecord[]> {
    const candidates = await this.#ctx.db
      .selectFrom('logout_deliveries')
      .select(['id'])
      .where('due_at', '<=', now)
      .orderBy('due_at')
      .orderBy('id')
      .limit(checkedLimit(limit))
      .execute();
    const claimed: LogoutDeliveryRecord[] = [];
    for (const { id } of candidates) {
      const row = await this.#ctx.db
        .updateTable('logout_deliveries')
        .set((eb) => ({ attempts: eb('attempts', '+', 1), lease: randomUUID(), due_at: now + leaseMs }))
        .where('id', '=', id)
        .where('due_at', '<=', now)
        .returningAll()
        .executeTakeFirst();
      if (row !== undefined) claimed.push(fromRow(row));
    }
    return claimed;
  }

  async complete(id: string, lease: string): Promise<boolean> {
    const result = await this.#ctx.db.deleteFrom('logout_deliveries').where('id', '=', id).where('lease', '=', lease).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async retryAt(id: string, lease: string, dueAt: number): Promise<boolean> {
    const result = await this.#ctx.db
      .updateTable('logout_deliveries')
      .set({ due_at: dueAt })
      .where('id', '=', id)
      .where('lease', '=', lease)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async list(limit = 100): Promise<LogoutDeliveryRecord[]> {
    const rows = await this.#ctx.db.selectFrom('logout_deliveries').selectAll().orderBy('due_at').orderBy('id').limit(checkedLimit(limit)).execute();
    return rows.map(fromRow);
  }
}

function fromRow(row: DeliveryRow): LogoutDeliveryRecord {
  return {
    id: row.id,
    clientId: row.client_id,
    sub: row.sub,
    sid: row.sid,
    createdAt: toMillis(row.created_at),
    dueAt: toMillis(row.due_at),
    attempts: row.attempts,
    lease: row.lease,
  };
}
