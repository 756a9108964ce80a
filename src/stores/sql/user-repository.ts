import { sql, type Selectable } from 'kysely';
import type { ListOptions, UserRecord, UserRepository } from '../contract.js';
import { asConflict } from './conflicts.js';
import { pageOf, toMillis } from './column-values.js';
import type { SqlContext } from './context.js';
import type { UsersTable } from './schema.js';

type UserData = Pick<UserRecord, 'profile' | 'emailVerified' | 'disabled'>;

/** Users in the `users` table; usernames and emails are unique case-insensitively. */
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
    const row = await this.#ctx.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : fromRow(row);
  }

  async findByLogin(login: string): Promise<UserRecord | undefined> {
    const wanted = login.toLowerCase();
    // lower(...) exactly as in the unique indexes, so both lookups are index scans. A username
    // match wins over an email match.
    for (const column of ['username', 'email'] as const) {
      const row = await this.#ctx.db
        .selectFrom('users')
        .selectAll()
        .where(sql<string>`lower(${sql.ref(column)})`, '=', wanted)
        .executeTakeFirst();
      if (row !== undefined) return fromRow(row);
    }
    return undefined;
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
    const rows = await this.#ctx.db
      .selectFrom('users')
      .selectAll()
      .orderBy('created_at')
      .orderBy('id')
      .limit(limit)
      .offset(offset)
      .execute();
    return rows.map(fromRow);
  }
}

/** Maps the violated constraint (see the `users_*_unique` indexes in migrations.ts) to its field. */
function userField(constraint: string): string {
  if (constraint.includes('users_username_unique')) return 'username';
  if (constraint.includes('users_email_unique')) return 'email';
  return 'id';
}

function toRow(user: UserRecord) {
  const data: UserData = { profile: user.profile, emailVerified: user.emailVerified, disabled: user.disabled };
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

function fromRow(row: Selectable<UsersTable>): UserRecord {
  const data = JSON.parse(row.data) as UserData;
  return {
    id: row.id,
    username: row.username,
    email: row.email,
    emailVerified: data.emailVerified,
    passwordHash: row.password_hash,
    profile: data.profile,
    disabled: data.disabled,
    createdAt: toMillis(row.created_at),
    updatedAt: toMillis(row.updated_at),
  };
}
