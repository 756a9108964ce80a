import type { Selectable } from 'kysely';
import { StoreConflictError, type ArtifactRecord, type ArtifactRepository, type Json } from '../contract.js';
import { asConflict, primaryKeyField } from './conflicts.js';
import { checkedLimit, toMillis, toMillisOrNull } from './column-values.js';
import type { SqlContext } from './context.js';
import type { ArtifactsTable } from './schema.js';
import { statement } from './statements.js';

type ArtifactRow = Selectable<ArtifactsTable>;
const COLUMNS = 'kind, id, value, grant_id, expires_at, consumed_at';

// One statement: a live row conflicts (nothing changes); a row past its expiry, not yet purged, is replaced.
const PUT = statement(
  'gatehouse_artifact_put',
  `insert into artifacts (kind, id, value, grant_id, expires_at, consumed_at) values (?, ?, ?, ?, ?, null)
   on conflict (kind, id) do update set value = excluded.value, grant_id = excluded.grant_id, expires_at = excluded.expires_at, consumed_at = null
   where artifacts.expires_at <= ?`,
);
const GET = statement<ArtifactRow>('gatehouse_artifact_get', `select ${COLUMNS} from artifacts where kind = ? and id = ? and expires_at > ?`);
// One conditional UPDATE ... RETURNING: the database lets exactly one racing caller match.
const CONSUME = statement<ArtifactRow>(
  'gatehouse_artifact_consume',
  `update artifacts set consumed_at = ? where kind = ? and id = ? and consumed_at is null and expires_at > ? returning ${COLUMNS}`,
);
const DELETE = statement('gatehouse_artifact_delete', 'delete from artifacts where kind = ? and id = ?');

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
    const { kind, id, value, ownerId, expiresAt } = record;
    let changed;
    try {
      changed = await this.#ctx.statements.run(PUT, [kind, id, JSON.stringify(value), ownerId ?? null, expiresAt, this.#ctx.clock.now()]);
    } catch (error) {
      throw asConflict(error, this.#ctx.dialect, primaryKeyField('id'));
    }
    if (changed === 0) throw new StoreConflictError('id');
  }

  async get<T extends Json = Json>(kind: string, id: string): Promise<ArtifactRecord<T> | undefined> {
    const row = await this.#ctx.statements.get(GET, [kind, id, this.#ctx.clock.now()]);
    return row === undefined ? undefined : fromRow<T>(row);
  }

  async consume<T extends Json = Json>(kind: string, id: string, at: number): Promise<ArtifactRecord<T> | undefined> {
    const row = await this.#ctx.statements.get(CONSUME, [at, kind, id, this.#ctx.clock.now()]);
    return row === undefined ? undefined : fromRow<T>(row);
  }

  async delete(kind: string, id: string): Promise<boolean> {
    return (await this.#ctx.statements.run(DELETE, [kind, id])) > 0;
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

function fromRow<T extends Json>(row: ArtifactRow): ArtifactRecord<T> {
  return {
    kind: row.kind,
    id: row.id,
    value: JSON.parse(row.value) as T,
    ownerId: row.grant_id,
    expiresAt: toMillis(row.expires_at),
    consumedAt: toMillisOrNull(row.consumed_at),
  };
}
