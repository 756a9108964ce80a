import { StoreConflictError, type SigningKeyRecord, type SigningKeyRepository } from '../contract.js';
import { RecordTable } from './record-table.js';

/** Signing keys held in a Map. */
export class MemorySigningKeyRepository implements SigningKeyRepository {
  readonly #table = new RecordTable<SigningKeyRecord>((key) => key.kid);

  async list(): Promise<SigningKeyRecord[]> {
    return this.#table.list();
  }

  async rotate(keys: SigningKeyRecord[], at: number): Promise<void> {
    // Validate everything before changing anything: rotation is all or nothing.
    const kids = new Set<string>();
    for (const key of keys) {
      if (kids.has(key.kid) || this.#table.has(key.kid)) throw new StoreConflictError('kid');
      kids.add(key.kid);
    }
    const algs = new Set(keys.map((key) => key.alg));
    for (const key of this.#table.scan((stored) => stored.status === 'active' && algs.has(stored.alg))) {
      key.status = 'retired';
      key.retiredAt = at;
    }
    for (const key of keys) this.#table.insert({ ...key, status: 'active', retiredAt: null }, 'kid');
  }

  async delete(kid: string): Promise<boolean> {
    return this.#table.delete(kid);
  }
}
