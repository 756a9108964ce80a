import { StoreConflictError, type MfaFactorRecord, type MfaFactorRepository, type MfaFactorType } from '../contract.js';
import { copyJson, RecordTable } from './record-table.js';

/**
 * A user's second factors held in a Map. Mirrors the SQL store's constraints: ids are unique,
 * type+lookup is unique when lookup is set, and a factor needs an existing user.
 */
export class MemoryMfaFactorRepository implements MfaFactorRepository {
  readonly #table = new RecordTable<MfaFactorRecord>((factor) => factor.id);
  readonly #userExists: (userId: string) => boolean;

  /** @param userExists tells, synchronously, whether a user exists (the SQL store's foreign key). */
  constructor(userExists: (userId: string) => boolean) {
    this.#userExists = userExists;
  }

  async create(factor: MfaFactorRecord): Promise<void> {
    // Check and insert with no await in between, so exactly one of several racing creates wins.
    if (this.#table.has(factor.id)) throw new StoreConflictError('id');
    this.#assertLookupFree(factor);
    this.#assertUserExists(factor.userId);
    this.#table.insert(factor, 'id');
  }

  async get(id: string): Promise<MfaFactorRecord | undefined> {
    return this.#table.get(id);
  }

  async findByLookup(type: MfaFactorType, lookup: string): Promise<MfaFactorRecord | undefined> {
    const [found] = this.#table.scan((factor) => factor.type === type && factor.lookup === lookup);
    return found === undefined ? undefined : copyJson(found);
  }

  async listByUser(userId: string): Promise<MfaFactorRecord[]> {
    return this.#table.list({}, (factor) => factor.userId === userId);
  }

  async update(factor: MfaFactorRecord, expectedUpdatedAt?: number): Promise<boolean> {
    // Compare and replace with no await in between: of several updates expecting the same
    // `updatedAt`, exactly one wins.
    const stored = this.#table.stored(factor.id);
    if (stored === undefined) return false;
    if (expectedUpdatedAt !== undefined && stored.updatedAt !== expectedUpdatedAt) return false;
    this.#assertLookupFree(factor);
    if (factor.userId !== stored.userId) this.#assertUserExists(factor.userId);
    return this.#table.replace(factor);
  }

  async delete(id: string): Promise<boolean> {
    return this.#table.delete(id);
  }

  async deleteByUser(userId: string): Promise<number> {
    return this.deleteByUserNow(userId);
  }

  /** Synchronous {@link deleteByUser}, so deleting a user and their factors stays atomic. */
  deleteByUserNow(userId: string): number {
    const owned = [...this.#table.scan((factor) => factor.userId === userId)];
    for (const factor of owned) this.#table.delete(factor.id);
    return owned.length;
  }

  /** Throws when another factor of the same type already has `factor`'s lookup. */
  #assertLookupFree(factor: MfaFactorRecord): void {
    if (factor.lookup === null) return;
    const [other] = this.#table.scan((candidate) => candidate.id !== factor.id && candidate.type === factor.type && candidate.lookup === factor.lookup);
    if (other !== undefined) throw new StoreConflictError('lookup');
  }

  #assertUserExists(userId: string): void {
    if (!this.#userExists(userId)) throw new Error(`no user with id ${userId}`);
  }
}
