import type { Selectable } from 'kysely';
import type { ConsentRecord, ConsentRepository } from '../contract.js';
import { asConflict, primaryKeyField } from './conflicts.js';
import { toMillis, toMillisOrNull } from './column-values.js';
import type { SqlContext } from './context.js';
import type { GrantsTable } from './schema.js';
import { statement } from './statements.js';

type ConsentData = Pick<ConsentRecord, 'extra'>;

const COLUMNS = 'id, client_id, subject, scope, data, created_at, updated_at, revoked_at';
const BY_ID = statement<Selectable<GrantsTable>>('gatehouse_consent_by_id', `select ${COLUMNS} from grants where id = ?`);
const BY_SUBJECT = statement<Selectable<GrantsTable>>(
  'gatehouse_consents_by_subject',
  `select ${COLUMNS} from grants where subject = ? order by created_at desc, id desc`,
);

/**
 * Consents in the `grants` table (its name from before the rename, kept so that existing databases
 * need no migration).
 */
export class SqlConsentRepository implements ConsentRepository {
  readonly #ctx: SqlContext;

  constructor(ctx: SqlContext) {
    this.#ctx = ctx;
  }

  async create(consent: ConsentRecord): Promise<void> {
    try {
      await this.#ctx.db.insertInto('grants').values(toRow(consent)).execute();
    } catch (error) {
      throw asConflict(error, this.#ctx.dialect, primaryKeyField('id'));
    }
  }

  async get(id: string): Promise<ConsentRecord | undefined> {
    const row = await this.#ctx.statements.get(BY_ID, [id]);
    return row === undefined ? undefined : fromRow(row);
  }

  async update(consent: ConsentRecord): Promise<boolean> {
    const { id, ...changes } = toRow(consent);
    const result = await this.#ctx.db.updateTable('grants').set(changes).where('id', '=', id).executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async listBySubject(subject: string): Promise<ConsentRecord[]> {
    const rows = await this.#ctx.statements.all(BY_SUBJECT, [subject]);
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
      // Swept on every call, as the contract asks of every store (the hybrid store needs it to finish a failed sweep).
      await trx.deleteFrom('artifacts').where('grant_id', '=', id).execute();
      return result.numUpdatedRows > 0n;
    });
  }
}

function toRow(consent: ConsentRecord) {
  const data: ConsentData = { extra: consent.extra };
  return {
    id: consent.id,
    client_id: consent.clientId,
    subject: consent.subject,
    scope: consent.scope,
    data: JSON.stringify(data),
    created_at: consent.createdAt,
    updated_at: consent.updatedAt,
    revoked_at: consent.revokedAt,
  };
}

function fromRow(row: Selectable<GrantsTable>): ConsentRecord {
  const data = JSON.parse(row.data) as ConsentData;
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
