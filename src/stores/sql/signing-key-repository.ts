import type { Selectable } from 'kysely';
import type { SigningKeyRecord, SigningKeyRepository } from '../contract.js';
import { asConflict, primaryKeyField } from './conflicts.js';
import { toMillis, toMillisOrNull } from './column-values.js';
import type { SqlContext } from './context.js';
import type { SigningKeysTable } from './schema.js';

/** Signing keys in the `signing_keys` table. */
export class SqlSigningKeyRepository implements SigningKeyRepository {
  readonly #ctx: SqlContext;

  constructor(ctx: SqlContext) {
    this.#ctx = ctx;
  }

  async list(): Promise<SigningKeyRecord[]> {
    const rows = await this.#ctx.db.selectFrom('signing_keys').selectAll().orderBy('created_at').orderBy('kid').execute();
    return rows.map(fromRow);
  }

  async rotate(keys: SigningKeyRecord[], at: number): Promise<void> {
    if (keys.length === 0) return;
    const algs = [...new Set(keys.map((key) => key.alg))];
    try {
      await this.#ctx.db.transaction().execute(async (trx) => {
        // Retire first: the new keys share the alg and must stay active.
        await trx.updateTable('signing_keys').set({ status: 'retired', retired_at: at }).where('status', '=', 'active').where('alg', 'in', algs).execute();
        await trx
          .insertInto('signing_keys')
          .values(keys.map((key) => toRow({ ...key, status: 'active', retiredAt: null })))
          .execute();
      });
    } catch (error) {
      throw asConflict(error, this.#ctx.dialect, primaryKeyField('kid'));
    }
  }

  async delete(kid: string): Promise<boolean> {
    const result = await this.#ctx.db.deleteFrom('signing_keys').where('kid', '=', kid).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }
}

function toRow(key: SigningKeyRecord) {
  return {
    kid: key.kid,
    alg: key.alg,
    status: key.status,
    public_jwk: JSON.stringify(key.publicJwk),
    encrypted_private_jwk: key.encryptedPrivateJwk,
    created_at: key.createdAt,
    retired_at: key.retiredAt,
  };
}

function fromRow(row: Selectable<SigningKeysTable>): SigningKeyRecord {
  return {
    kid: row.kid,
    alg: row.alg as SigningKeyRecord['alg'],
    status: row.status as SigningKeyRecord['status'],
    publicJwk: JSON.parse(row.public_jwk) as SigningKeyRecord['publicJwk'],
    encryptedPrivateJwk: row.encrypted_private_jwk,
    createdAt: toMillis(row.created_at),
    retiredAt: toMillisOrNull(row.retired_at),
  };
}
