import { StoreConflictError, type ListOptions, type UserRecord, type UserRepository } from '../contract.js';
import { RecordTable } from './record-table.js';

/** Users held in a Map; usernames and emails are unique case-insensitively. */
export class MemoryUserRepository implements UserRepository {
  readonly #table = new RecordTable<UserRecord>((user) => user.id);

  async create(user: UserRecord): Promise<void> {
    this.#assertLoginsFree(user);
    this.#table.insert(user, 'id');
  }

  async get(id: string): Promise<UserRecord | undefined> {
    return this.#table.get(id);
  }

  async findByLogin(login: string): Promise<UserRecord | undefined> {
    const wanted = login.toLowerCase();
    // A username match wins over an email match, as in the SQL store.
    const [byUsername] = this.#table.scan((user) => user.username.toLowerCase() === wanted);
    const [byEmail] = this.#table.scan((user) => user.email?.toLowerCase() === wanted);
    const found = byUsername ?? byEmail;
    return found === undefined ? undefined : structuredClone(found);
  }

  async update(user: UserRecord): Promise<boolean> {
    if (this.#table.get(user.id) === undefined) return false;
    this.#assertLoginsFree(user);
    return this.#table.replace(user);
  }

  async delete(id: string): Promise<boolean> {
    return this.#table.delete(id);
  }

  async list(options?: ListOptions): Promise<UserRecord[]> {
    return this.#table.list(options);
  }

  /** Throws when another user already has `user`'s username or email. */
  #assertLoginsFree(user: UserRecord): void {
    const username = user.username.toLowerCase();
    const email = user.email?.toLowerCase();
    for (const other of this.#table.scan((candidate) => candidate.id !== user.id)) {
      if (other.username.toLowerCase() === username) throw new StoreConflictError('username');
      if (email !== undefined && other.email?.toLowerCase() === email) throw new StoreConflictError('email');
    }
  }
}
