import type { Kysely, Selectable } from 'kysely';
import type { ClientRecord, ClientRepository, ListOptions } from '../contract.js';
import { asConflict } from './conflicts.js';
import { pageOf, toMillis } from './column-values.js';
import type { SqlContext } from './context.js';
import type { ClientsTable, Database } from './schema.js';
import { statement } from './statements.js';

type ClientData = Omit<ClientRecord, 'clientId' | 'clientSecretHash' | 'createdAt' | 'updatedAt'>;
/** `data` as read: rows written before migration 0008 have no `servedResources`. */
type StoredClientData = Omit<ClientData, 'servedResources'> & Partial<Pick<ClientData, 'servedResources'>>;

/** A clash on `client_resources`' key is a served resource taken; any other, the client id. */
const conflictField = (constraint: string): string => (constraint.includes('client_resources') ? 'servedResources' : 'clientId');

const BY_ID = statement<Selectable<ClientsTable>>(
  'gatehouse_client_by_id',
  'select client_id, client_secret_hash, data, created_at, updated_at from clients where client_id = ?',
);

const BY_SERVED_RESOURCE = statement<Selectable<ClientsTable>>(
  'gatehouse_client_by_served_resource',
  'select c.client_id, c.client_secret_hash, c.data, c.created_at, c.updated_at from client_resources r join clients c on c.client_id = r.client_id where r.resource = ?',
);

/** Clients in the `clients` table; the resources they serve in `client_resources`. */
export class SqlClientRepository implements ClientRepository {
  readonly #ctx: SqlContext;

  constructor(ctx: SqlContext) {
    this.#ctx = ctx;
  }

  async create(client: ClientRecord): Promise<void> {
    try {
      await this.#ctx.db.transaction().execute(async (trx) => {
        await trx.insertInto('clients').values(toRow(client)).execute();
        await insertServedResources(trx, client);
      });
    } catch (error) {
      throw asConflict(error, this.#ctx.dialect, conflictField);
    }
  }

  async get(clientId: string): Promise<ClientRecord | undefined> {
    const row = await this.#ctx.statements.get(BY_ID, [clientId]);
    return row === undefined ? undefined : fromRow(row);
  }

  async update(client: ClientRecord): Promise<boolean> {
    const { client_id, ...changes } = toRow(client);
    try {
      return await this.#ctx.db.transaction().execute(async (trx) => {
        const result = await trx.updateTable('clients').set(changes).where('client_id', '=', client_id).executeTakeFirst();
        if (result.numUpdatedRows === 0n) return false;
        await trx.deleteFrom('client_resources').where('client_id', '=', client_id).execute();
        await insertServedResources(trx, client);
        return true;
      });
    } catch (error) {
      throw asConflict(error, this.#ctx.dialect, conflictField);
    }
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

  async findByServedResource(resource: string): Promise<ClientRecord | undefined> {
    const row = await this.#ctx.statements.get(BY_SERVED_RESOURCE, [resource]);
    return row === undefined ? undefined : fromRow(row);
  }
}

async function insertServedResources(db: Kysely<Database>, client: ClientRecord): Promise<void> {
  if (client.servedResources.length === 0) return;
  await db
    .insertInto('client_resources')
    .values(client.servedResources.map((resource) => ({ resource, client_id: client.clientId })))
    .execute();
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
  const data = JSON.parse(row.data) as StoredClientData;
  return {
    clientId: row.client_id,
    clientSecretHash: row.client_secret_hash,
    ...data,
    // Rows written before 0008 have none.
    servedResources: data.servedResources ?? [],
    createdAt: toMillis(row.created_at),
    updatedAt: toMillis(row.updated_at),
  };
}
