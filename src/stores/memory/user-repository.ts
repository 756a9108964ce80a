import { StoreConflictError, type ListOptions, type UserIdentityRecord, type UserRecord, type UserRepository } from '../contract.js';
import { copyJson, RecordTable } from './record-table.js';

/**
 * Users held in a Map; usernames and emails are unique case-insensitively. Their upstream
 * identities sit in a second Map and go when the user does, as do their second factors, as the SQL
 * store's foreign keys do.
 */
export class MemoryUserRepository implements UserRepository {
  readonly #table = new RecordTable<UserRecord>((user) => user.id);
  readonly #identities = new RecordTable<UserIdentityRecord>((identity) => identityKey(identity.provider, identity.subject));
  readonly #deleteFactors: (userId: string) => number;

  /** @param deleteFactors drops a deleted user's second factors, synchronously. */
  constructor(deleteFactors: (userId: string) => number) {
    this.#deleteFactors = deleteFactors;
  }

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
    return found === undefined ? undefined : copyJson(found);
  }

  async update(user: UserRecord): Promise<boolean> {
    if (!this.#table.has(user.id)) return false;
    this.#assertLoginsFree(user);
    return this.#table.replace(user);
  }

  async delete(id: string): Promise<boolean> {
    if (!this.#table.delete(id)) return false;
    const linked = [...this.#identities.scan((identity) => identity.userId === id)];
    for (const identity of linked) this.#identities.delete(identityKey(identity.provider, identity.subject));
    this.#deleteFactors(id);
    return true;
  }

  /** Whether a user with this id exists, synchronously: for checks that must not yield. */
  existsNow(id: string): boolean {
    return this.#table.has(id);
  }

  async list(options?: ListOptions): Promise<UserRecord[]> {
    return this.#table.list(options);
  }

  async findByIdentity(provider: string, subject: string): Promise<UserRecord | undefined> {
    const identity = this.#identities.stored(identityKey(provider, subject));
    return identity === undefined ? undefined : this.#table.get(identity.userId);
  }

  async linkIdentity(identity: UserIdentityRecord): Promise<void> {
    // Check and write with no await in between, so exactly one of several racing links wins.
    const linked = this.#identities.stored(identityKey(identity.provider, identity.subject));
    if (linked === undefined) {
      // Mirrors the SQL store's foreign key: a link needs an existing user.
      if (!this.#table.has(identity.userId)) throw new Error(`no user with id ${identity.userId}`);
      this.#identities.insert(identity, 'identity');
      return;
    }
    if (linked.userId !== identity.userId) throw new StoreConflictError('identity');
    this.#identities.replace({
      ...linked,
      email: identity.email,
      encryptedTokens: identity.encryptedTokens,
      updatedAt: identity.updatedAt,
    });
  }

  async listIdentities(userId: string): Promise<UserIdentityRecord[]> {
    return this.#identities.list({}, (identity) => identity.userId === userId);
  }

  async unlinkIdentity(provider: string, subject: string): Promise<boolean> {
    return this.#identities.delete(identityKey(provider, subject));
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

/**
 * The table key of an identity. NUL sorts below every other character, so ties in
 * {@link RecordTable.list} fall in (provider, subject) order, as in the SQL store.
 */
function identityKey(provider: string, subject: string): string {
  return `${provider}\u0000${subject}`;
}
