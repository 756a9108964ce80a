import type { Selectable } from 'kysely';
import type { ClientRecord, ClientRepository, ListOptions } from '../contract.js';
import { asConflict, primaryKeyField } from './conflicts.js';
import { pageOf, toMillis } from './column-values.js';
import type { SqlContext } from './context.js';
import type { ClientsTable } from './schema.js';
import { statement } from './statements.js';

type ClientData = Omit<ClientRecord, 'clientId' | 'clientSecretHash' | 'createdAt' | 'updatedAt'>;

const BY_ID = statement<Selectable<ClientsTable>>(
  'gatehouse_client_by_id',
  'select client_id, client_secret_hash, data, created_at, updated_at from clients where client_id = ?',
);

/** Clients in the `clients` table. */
export class SqlClientRepository implements ClientRepository {
  readonly #ctx: SqlContext;

  constructor(ctx: SqlContext) {
    this.#ctx = ctx;
  }

  async create(client: ClientRecord): Promise<void> {
    try {
      await this.#ctx.db.insertInto('clients').values(toRow(client)).execute();
    } catch (error) {
      throw asConflict(error, this.#ctx.dialect, primaryKeyField('clientId'));
    }
  }

  async get(clientId: string): Promise<ClientRecord | undefined> {
    const row = await this.#ctx.statements.get(BY_ID, [clientId]);
    return row === undefined ? undefined : fromRow(row);
  }

  async update(client: ClientRecord): Promise<boolean> {
    const { client_id, ...changes } = toRow(client);
    const result = await this.#ctx.db.updateTable('clients').set(changes).where('client_id', '=', client_id).executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async delete(clientId: string): Promise<boolean> {
    const result = await this.#ctx.db.deleteFrom('clients').where('client_id', '=', clientId).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async list(options?: ListOptions): Promise<ClientRecord[]> {
    const { limit, offset } = pageOf(options);
    const rows = await this.#ctx.db.selectFrom('clients').selectAll().orderBy('created_at').orderBy('client_id').limit(limit).offset(offset).execute();
    return rows.map(fromRow);
  }
}

function toRow(client: ClientRecord) {
  const { clientId, clientSecretHash, createdAt, updatedAt, ...data } = client;
  return {
    client_id: clientId,
    client_secret_hash: clientSecretHash,
    data: JSON.stringify(data satisfies ClientData),
    created_at: createdAt,
    updated_at: updatedAt,
  };
}

function fromRow(row: Selectable<ClientsTable>): ClientRecord {
  return {
    clientId: row.client_id,
    clientSecretHash: row.client_secret_hash,
    ...(JSON.parse(row.data) as ClientData),
    createdAt: toMillis(row.created_at),
    updatedAt: toMillis(row.updated_at),
  };
}
