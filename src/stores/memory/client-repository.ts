import type { ClientRecord, ClientRepository, ListOptions } from '../contract.js';
import { RecordTable } from './record-table.js';

/** Clients held in a Map. */
export class MemoryClientRepository implements ClientRepository {
  readonly #table = new RecordTable<ClientRecord>((client) => client.clientId);

  async create(client: ClientRecord): Promise<void> {
    this.#table.insert(client, 'clientId');
  }

  async get(clientId: string): Promise<ClientRecord | undefined> {
    return this.#table.get(clientId);
  }

  async update(client: ClientRecord): Promise<boolean> {
    return this.#table.replace(client);
  }

  async delete(clientId: string): Promise<boolean> {
    return this.#table.delete(clientId);
  }

  async list(options?: ListOptions): Promise<ClientRecord[]> {
    return this.#table.list(options);
  }
}
