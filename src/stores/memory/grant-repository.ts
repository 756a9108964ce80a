import type { GrantRecord, GrantRepository } from '../contract.js';
import { RecordTable } from './record-table.js';

/** Grants held in a Map. */
export class MemoryGrantRepository implements GrantRepository {
  readonly #table = new RecordTable<GrantRecord>((grant) => grant.id);
  readonly #deleteArtifacts: (grantId: string) => number;

  /** @param deleteArtifacts drops the artifacts a revoked grant owns, synchronously. */
  constructor(deleteArtifacts: (grantId: string) => number) {
    this.#deleteArtifacts = deleteArtifacts;
  }

  async create(grant: GrantRecord): Promise<void> {
    this.#table.insert(grant, 'id');
  }

  async get(id: string): Promise<GrantRecord | undefined> {
    return this.#table.get(id);
  }

  async update(grant: GrantRecord): Promise<boolean> {
    return this.#table.replace(grant);
  }

  async listBySubject(subject: string): Promise<GrantRecord[]> {
    return this.#table.list({}, (grant) => grant.subject === subject).reverse();
  }

  async revoke(id: string, at: number): Promise<boolean> {
    const [grant] = this.#table.scan((candidate) => candidate.id === id && candidate.revokedAt === null);
    if (grant === undefined) return false;
    grant.revokedAt = at;
    grant.updatedAt = at;
    this.#deleteArtifacts(id);
    return true;
  }
}
