import type { Selectable } from 'kysely';
import { StoreConflictError, type ListOptions, type UserIdentityRecord, type UserRecord, type UserRepository } from '../contract.js';
import { asConflict } from './conflicts.js';
import { pageOf, toMillis } from './column-values.js';
import type { SqlContext } from './context.js';
import type { UserIdentitiesTable, UsersTable } from './schema.js';
import { statement } from './statements.js';

/** The `data` column; `roles` is absent from rows written before roles existed. */
type UserData = Pick<UserRecord, 'profile' | 'emailVerified' | 'disabled'> & { roles?: UserRecord['roles'] };

type UserRow = Selectable<UsersTable>;
const COLUMNS = 'id, username, email, password_hash, data, created_at, updated_at';
const BY_ID = statement<UserRow>('gatehouse_user_by_id', `select ${COLUMNS} from users where id = ?`);
// lower(...) exactly as in the unique indexes, so both lookups are index scans.
const BY_USERNAME = statement<UserRow>('gatehouse_user_by_username', `select ${COLUMNS} from users where lower(username) = ?`);
const BY_EMAIL = statement<UserRow>('gatehouse_user_by_email', `select ${COLUMNS} from users where lower(email) = ?`);

/**
 * Users in the `users` table; usernames and emails are unique case-insensitively. Their upstream
 * identities live in `user_identities`, which the database clears when a user is deleted.
 */
export class SqlUserRepository implements UserRepository {
  readonly #ctx: SqlContext;

  constructor(ctx: SqlContext) {
    this.#ctx = ctx;
  }

  async create(user: UserRecord): Promise<void> {
    try {
      await this.#ctx.db.insertInto('users').values(toRow(user)).execute();
    } catch (error) {
      throw asConflict(error, this.#ctx.dialect, userField);
    }
  }

  async get(id: string): Promise<UserRecord | undefined> {
    const row = await this.#ctx.statements.get(BY_ID, [id]);
    return row === undefined ? undefined : fromRow(row);
  }

  async findByLogin(login: string): Promise<UserRecord | undefined> {
    const wanted = login.toLowerCase();
    // A username match wins over an email match.
    const row = (await this.#ctx.statements.get(BY_USERNAME, [wanted])) ?? (await this.#ctx.statements.get(BY_EMAIL, [wanted]));
    return row === undefined ? undefined : fromRow(row);
  }

  async update(user: UserRecord): Promise<boolean> {
    const { id, ...changes } = toRow(user);
    try {
      const result = await this.#ctx.db.updateTable('users').set(changes).where('id', '=', id).executeTakeFirst();
      return result.numUpdatedRows > 0n;
    } catch (error) {
      throw asConflict(error, this.#ctx.dialect, userField);
    }
  }

  async delete(id: string): Promise<boolean> {
    const result = await this.#ctx.db.deleteFrom('users').where('id', '=', id).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async list(options?: ListOptions): Promise<UserRecord[]> {
    const { limit, offset } = pageOf(options);
    const rows = await this.#ctx.db.selectFrom('users').selectAll().orderBy('created_at').orderBy('id').limit(limit).offset(offset).execute();
    return rows.map(fromRow);
  }

  async findByIdentity(provider: string, subject: string): Promise<UserRecord | undefined> {
    const row = await this.#ctx.db
      .selectFrom('user_identities')
      .innerJoin('users', 'users.id', 'user_identities.user_id')
      .selectAll('users')
      .where('user_identities.provider', '=', provider)
      .where('user_identities.subject', '=', subject)
      .executeTakeFirst();
    return row === undefined ? undefined : fromRow(row);
  }

  async linkIdentity(identity: UserIdentityRecord): Promise<void> {
    // One statement, so racing links cannot both win: the insert, or else the update guarded by
    // `user_id = excluded.user_id`. A row linked to another user matches neither, and nothing is
    // returned. (A user that does not exist fails the foreign key instead.)
    const linked = await this.#ctx.db
      .insertInto('user_identities')
      .values(toIdentityRow(identity))
      .onConflict((conflict) =>
        conflict
          .columns(['provider', 'subject'])
          .doUpdateSet((eb) => ({
            email: eb.ref('excluded.email'),
            encrypted_tokens: eb.ref('excluded.encrypted_tokens'),
            updated_at: eb.ref('excluded.updated_at'),
          }))
          .whereRef('user_identities.user_id', '=', 'excluded.user_id'),
      )
      .returning('user_id')
      .executeTakeFirst();
    if (linked === undefined) throw new StoreConflictError('identity');
  }

  async listIdentities(userId: string): Promise<UserIdentityRecord[]> {
    const rows = await this.#ctx.db
      .selectFrom('user_identities')
      .selectAll()
      .where('user_id', '=', userId)
      .orderBy('created_at')
      .orderBy('provider')
      .orderBy('subject')
      .execute();
    return rows.map(fromIdentityRow);
  }

  async unlinkIdentity(provider: string, subject: string): Promise<boolean> {
    const result = await this.#ctx.db.deleteFrom('user_identities').where('provider', '=', provider).where('subject', '=', subject).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }
}

/** Maps the violated constraint (see the `users_*_unique` indexes in migrations.ts) to its field. */
function userField(constraint: string): string {
  if (constraint.includes('users_username_unique')) return 'username';
  if (constraint.includes('users_email_unique')) return 'email';
  return 'id';
}

function toRow(user: UserRecord) {
  const data: UserData = { profile: user.profile, emailVerified: user.emailVerified, disabled: user.disabled, roles: user.roles };
  return {
    id: user.id,
    username: user.username,
    email: user.email,
    password_hash: user.passwordHash,
    data: JSON.stringify(data),
    created_at: user.createdAt,
    updated_at: user.updatedAt,
  };
}

function fromRow(row: UserRow): UserRecord {
  const data = JSON.parse(row.data) as UserData;
  return {
    id: row.id,
    username: row.username,
    email: row.email,
    emailVerified: data.emailVerified,
    passwordHash: row.password_hash,
    profile: data.profile,
    disabled: data.disabled,
    roles: data.roles ?? [],
    createdAt: toMillis(row.created_at),
    updatedAt: toMillis(row.updated_at),
  };
}

function toIdentityRow(identity: UserIdentityRecord) {
  return {
    provider: identity.provider,
    subject: identity.subject,
    user_id: identity.userId,
    email: identity.email,
    encrypted_tokens: identity.encryptedTokens,
    created_at: identity.createdAt,
    updated_at: identity.updatedAt,
  };
}

function fromIdentityRow(row: Selectable<UserIdentitiesTable>): UserIdentityRecord {
  return {
    provider: row.provider,
    subject: row.subject,
    userId: row.user_id,
    email: row.email,
    encryptedTokens: row.encrypted_tokens,
    createdAt: toMillis(row.created_at),
    updatedAt: toMillis(row.updated_at),
  };
}
