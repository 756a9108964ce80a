import type { ConsentRecord, ConsentRepository } from '../contract.js';
import { RecordTable } from './record-table.js';

/** Consents held in a Map. */
export class MemoryConsentRepository implements ConsentRepository {
  readonly #table = new RecordTable<ConsentRecord>((consent) => consent.id);
  readonly #deleteArtifacts: (ownerId: string) => number;

  /** @param deleteArtifacts drops the artifacts owned by an id, synchronously. */
  constructor(deleteArtifacts: (ownerId: string) => number) {
    this.#deleteArtifacts = deleteArtifacts;
  }

  async create(consent: ConsentRecord): Promise<void> {
    this.#table.insert(consent, 'id');
  }

  async get(id: string): Promise<ConsentRecord | undefined> {
    return this.#table.get(id);
  }

  async update(consent: ConsentRecord): Promise<boolean> {
    return this.#table.replace(consent);
  }

  async listBySubject(subject: string): Promise<ConsentRecord[]> {
    return this.#table.list({}, (consent) => consent.subject === subject).reverse();
  }

  async revoke(id: string, at: number): Promise<boolean> {
    const stored = this.#table.stored(id);
    const consent = stored?.revokedAt === null ? stored : undefined;
    if (consent !== undefined) {
      consent.revokedAt = at;
      consent.updatedAt = at;
    }
    // Swept on every call, as the contract asks of every store (the hybrid store needs it to finish a failed sweep).
    this.#deleteArtifacts(id);
    return consent !== undefined;
  }
}
