import { StoreConflictError, type ClientRecord, type ClientRepository, type ListOptions } from '../contract.js';
import { RecordTable } from './record-table.js';

/** Clients held in a Map, with an index of the resources each serves. */
export class MemoryClientRepository implements ClientRepository {
  readonly #table = new RecordTable<ClientRecord>((client) => client.clientId);
  /** Resource identifier → the client that serves it. */
  readonly #servers = new Map<string, string>();

  async create(client: ClientRecord): Promise<void> {
    if (this.#table.has(client.clientId)) throw new StoreConflictError('clientId');
    this.#claimResources(client);
    this.#table.insert(client, 'clientId');
  }

  async get(clientId: string): Promise<ClientRecord | undefined> {
    return this.#table.get(clientId);
  }

  async update(client: ClientRecord): Promise<boolean> {
    if (!this.#table.has(client.clientId)) return false;
    this.#claimResources(client);
    return this.#table.replace(client);
  }

  async delete(clientId: string): Promise<boolean> {
    this.#releaseResources(clientId);
    return this.#table.delete(clientId);
  }

  async list(options?: ListOptions): Promise<ClientRecord[]> {
    return this.#table.list(options);
  }

  async findByServedResource(resource: string): Promise<ClientRecord | undefined> {
    const clientId = this.#servers.get(resource);
    return clientId === undefined ? undefined : this.#table.get(clientId);
  }

  /** Indexes the client's served resources, replacing its old ones; all or nothing. */
  #claimResources(client: ClientRecord): void {
    const taken = client.servedResources.some((resource) => (this.#servers.get(resource) ?? client.clientId) !== client.clientId);
    if (taken) throw new StoreConflictError('servedResources');
    this.#releaseResources(client.clientId);
    for (const resource of client.servedResources) this.#servers.set(resource, client.clientId);
  }

  #releaseResources(clientId: string): void {
    for (const [resource, server] of this.#servers) if (server === clientId) this.#servers.delete(resource);
  }
}
