import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMemoryStore } from '../src/stores/memory/index.js';
import { createSqlStore, migrateToLatest, migrations, type Database } from '../src/stores/sql/index.js';
import { createSqliteStore } from '../src/stores/sqlite/index.js';
import { FakeClock, T0 } from './helpers/fake-clock.js';
import { makeAuditEvent, makeClient, makeConsent, makeFactor, makeIdentity, makeKey, makeUser } from './helpers/records.js';
import { describeStoreContract } from './store-contract.js';

/** A fresh temporary directory, removed by the returned function. */
async function tempDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-store-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

describeStoreContract('memory', async (clock) => {
  const store = createMemoryStore({ clock });
  return { store, cleanup: () => store.close() };
});

describeStoreContract('sqlite :memory:', async (clock) => {
  const store = createSqliteStore({ filename: ':memory:', clock });
  return { store, cleanup: () => store.close() };
});

describeStoreContract('sqlite file', async (clock) => {
  const { dir, remove } = await tempDir();
  const store = createSqliteStore({ filename: join(dir, 'gatehouse.db'), clock });
  return {
    store,
    cleanup: async () => {
      await store.close();
      await remove();
    },
  };
});

describe('sqlite file store', () => {
  let dir: string;
  let remove: () => Promise<void>;

  beforeEach(async () => {
    ({ dir, remove } = await tempDir());
  });

  afterEach(async () => {
    await remove();
  });

  it('keeps data across close and reopen, without re-applying migrations', async () => {
    // A directory that does not exist yet: the store creates it.
    const filename = join(dir, 'nested', 'data', 'gatehouse.db');
    const clock = new FakeClock(T0);
    const first = createSqliteStore({ filename, clock });
    expect(await first.migrate()).toEqual(migrations.map((migration) => migration.name));
    const user = makeUser({ profile: { name: 'Zoë', address: { locality: '東京' } } });
    await first.clients.create(makeClient());
    await first.users.create(user);
    await first.consents.create(makeConsent());
    await first.keys.rotate([makeKey()], T0);
    await first.artifacts.put({ kind: 'refresh_token', id: 'rt', value: { n: 1 }, ownerId: 'family-1', expiresAt: T0 + 1000 });
    await first.artifacts.consume('refresh_token', 'rt', T0 + 1);
    await first.close();

    const second = createSqliteStore({ filename, clock });
    try {
      expect(await second.migrate()).toEqual([]);
      expect(await second.clients.get('client-1')).toEqual(makeClient());
      expect(await second.users.findByLogin('alice')).toEqual(user);
      expect(await second.consents.get('consent-1')).toEqual(makeConsent());
      expect(await second.keys.list()).toEqual([makeKey()]);
      expect(await second.artifacts.get('refresh_token', 'rt')).toMatchObject({ value: { n: 1 }, consumedAt: T0 + 1 });
    } finally {
      await second.close();
    }
  });

  it('upgrades a database left at 0001: applies 0002 onwards, keeps the data, cascades deletes', async () => {
    const filename = join(dir, 'gatehouse.db');
    // The file as the release before user identities left it: only 0001 applied, some data in it.
    const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: new BetterSqlite3(filename) }) });
    const old = createSqlStore(db, { dialect: 'sqlite' });
    expect(await migrateToLatest(db, migrations.slice(0, 1))).toEqual(['0001_initial_schema']);
    const user = makeUser();
    await old.users.create(user);
    await old.users.create(makeUser({ id: 'user-2', username: 'bob', email: null }));
    await old.clients.create(makeClient());
    await old.consents.create(makeConsent());
    await old.close();

    const store = createSqliteStore({ filename });
    try {
      expect(await store.migrate()).toEqual(migrations.slice(1).map((migration) => migration.name));
      expect(await store.migrate()).toEqual([]);
      expect(await store.users.get('user-1')).toEqual(user);
      expect(await store.clients.get('client-1')).toEqual(makeClient());
      expect(await store.consents.get('consent-1')).toEqual(makeConsent());

      await store.users.linkIdentity(makeIdentity());
      await store.users.linkIdentity(makeIdentity({ provider: 'google', subject: 'g-2', userId: 'user-2' }));
      expect(await store.users.findByIdentity('github', '583231')).toEqual(user);
      await store.users.delete('user-1');
      expect(await store.users.findByIdentity('github', '583231')).toBeUndefined();
      expect((await store.users.findByIdentity('google', 'g-2'))!.id).toBe('user-2');
    } finally {
      await store.close();
    }

    // The cascade is declared in the schema itself, not done by the store.
    const raw = new BetterSqlite3(filename, { readonly: true });
    try {
      expect(raw.pragma('foreign_key_list(user_identities)')).toEqual([
        expect.objectContaining({ table: 'users', from: 'user_id', to: 'id', on_delete: 'CASCADE' }),
      ]);
      expect(raw.pragma('index_list(user_identities)')).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'user_identities_user_id_idx' })]));
      expect(raw.prepare('select count(*) as n from user_identities').get()).toEqual({ n: 1 });
    } finally {
      raw.close();
    }
  });

  it('upgrades a database left at 0002: applies 0003 onwards, keeps the data, cascades deletes', async () => {
    const filename = join(dir, 'gatehouse.db');
    // The file as the release before second factors left it: 0001 and 0002 applied, data in it.
    const clock = new FakeClock(T0);
    const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: new BetterSqlite3(filename) }) });
    const old = createSqlStore(db, { dialect: 'sqlite', clock });
    expect(await migrateToLatest(db, migrations.slice(0, 2))).toEqual(['0001_initial_schema', '0002_user_identities']);
    const user = makeUser();
    await old.users.create(user);
    await old.users.create(makeUser({ id: 'user-2', username: 'bob', email: null }));
    await old.users.linkIdentity(makeIdentity());
    await old.clients.create(makeClient());
    await old.consents.create(makeConsent());
    await old.artifacts.put({ kind: 'session', id: 's-1', value: { n: 1 }, ownerId: 'user:user-1', expiresAt: T0 + 1000 });
    await old.artifacts.put({ kind: 'session', id: 's-2', value: { n: 2 }, ownerId: 'user:user-1', expiresAt: T0 + 2000 });
    await old.close();

    const store = createSqliteStore({ filename, clock });
    try {
      expect(await store.migrate()).toEqual(migrations.slice(2).map((migration) => migration.name));
      expect(await store.migrate()).toEqual([]);
      expect(await store.users.get('user-1')).toEqual(user);
      expect(await store.users.findByIdentity('github', '583231')).toEqual(user);
      expect(await store.clients.get('client-1')).toEqual(makeClient());
      expect(await store.consents.get('consent-1')).toEqual(makeConsent());
      expect((await store.artifacts.listByOwner('session', 'user:user-1')).map((record) => record.id)).toEqual(['s-2', 's-1']);

      await store.factors.create(makeFactor());
      await store.factors.create(makeFactor({ id: 'totp-1', type: 'totp', lookup: null }));
      await store.factors.create(makeFactor({ id: 'factor-2', userId: 'user-2', lookup: 'credential-2' }));
      expect(await store.factors.findByLookup('webauthn', 'credential-1')).toEqual(makeFactor());
      await store.users.delete('user-1');
      expect(await store.factors.listByUser('user-1')).toEqual([]);
      expect((await store.factors.get('factor-2'))!.userId).toBe('user-2');
    } finally {
      await store.close();
    }

    // The cascade and the indexes are declared in the schema itself, not done by the store.
    const raw = new BetterSqlite3(filename, { readonly: true });
    try {
      expect(raw.pragma('foreign_key_list(mfa_factors)')).toEqual([
        expect.objectContaining({ table: 'users', from: 'user_id', to: 'id', on_delete: 'CASCADE' }),
      ]);
      expect(raw.pragma('index_list(mfa_factors)')).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ name: 'mfa_factors_type_lookup_unique', unique: 1 }),
          expect.objectContaining({ name: 'mfa_factors_user_id_idx', unique: 0 }),
        ]),
      );
      expect(raw.pragma('index_info(mfa_factors_type_lookup_unique)')).toEqual([
        expect.objectContaining({ name: 'type' }),
        expect.objectContaining({ name: 'lookup' }),
      ]);
      expect(raw.pragma('index_list(artifacts)')).toEqual(
        expect.arrayContaining([expect.objectContaining({ name: 'artifacts_kind_grant_id_expires_at_idx' })]),
      );
      expect(raw.prepare('select count(*) as n from mfa_factors').get()).toEqual({ n: 1 });
      expect(raw.prepare('select count(*) as n from artifacts').get()).toEqual({ n: 2 });
    } finally {
      raw.close();
    }
  });

  it('upgrades a database left at 0003: applies only 0004, keeps the data, starts the audit log at seq 1', async () => {
    const filename = join(dir, 'gatehouse.db');
    // The file as the release before the audit log left it: 0001 to 0003 applied, data in it.
    const clock = new FakeClock(T0);
    const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: new BetterSqlite3(filename) }) });
    const old = createSqlStore(db, { dialect: 'sqlite', clock });
    expect(await migrateToLatest(db, migrations.slice(0, 3))).toEqual(['0001_initial_schema', '0002_user_identities', '0003_mfa_factors']);
    const user = makeUser();
    await old.users.create(user);
    await old.users.linkIdentity(makeIdentity());
    await old.factors.create(makeFactor());
    await old.clients.create(makeClient());
    await old.consents.create(makeConsent());
    await old.close();

    const store = createSqliteStore({ filename, clock });
    try {
      expect(await store.migrate()).toEqual(['0004_audit_events']);
      expect(await store.migrate()).toEqual([]);
      expect(await store.users.get('user-1')).toEqual(user);
      expect(await store.users.findByIdentity('github', '583231')).toEqual(user);
      expect(await store.factors.get('factor-1')).toEqual(makeFactor());
      expect(await store.clients.get('client-1')).toEqual(makeClient());
      expect(await store.consents.get('consent-1')).toEqual(makeConsent());

      const chain = (prevHash: string, seq: number) => `${seq}:${prevHash}`;
      const first = await store.audit.append(makeAuditEvent(), chain);
      const second = await store.audit.append(makeAuditEvent({ type: 'login' }), chain);
      expect([first.seq, second.seq]).toEqual([1, 2]);
      expect(second.prevHash).toBe(first.hash);
      expect(await store.audit.tail(5, 'login')).toEqual([second]);
    } finally {
      await store.close();
    }

    const raw = new BetterSqlite3(filename, { readonly: true });
    try {
      // Declared types as written (kysely spells `text` in capitals), compared case-blind.
      const columns = (raw.pragma('table_info(audit_events)') as { name: string; type: string; notnull: number; pk: number }[]).map((column) => [
        column.name,
        column.type.toLowerCase(),
        column.pk === 1 ? 'pk' : column.notnull === 1 ? 'not null' : 'null',
      ]);
      expect(columns).toEqual([
        ['seq', 'bigint', 'pk'],
        ['time', 'bigint', 'not null'],
        ['type', 'text', 'not null'],
        ['outcome', 'text', 'not null'],
        ['request_id', 'text', 'null'],
        ['client_id', 'text', 'null'],
        ['subject', 'text', 'null'],
        ['ip', 'text', 'null'],
        ['user_agent', 'text', 'null'],
        ['details', 'text', 'not null'],
        ['prev_hash', 'text', 'not null'],
        ['hash', 'text', 'not null'],
      ]);
      expect(raw.pragma('index_info(audit_events_type_seq_idx)')).toEqual([
        expect.objectContaining({ name: 'type' }),
        expect.objectContaining({ name: 'seq' }),
      ]);
      expect(raw.prepare('select count(*) as n from audit_events').get()).toEqual({ n: 2 });
    } finally {
      raw.close();
    }
  });

  it('two connections to one file (as two processes) appending audit events at once keep one gapless chain', async () => {
    const filename = join(dir, 'gatehouse.db');
    const first = createSqliteStore({ filename });
    await first.migrate();
    const second = createSqliteStore({ filename });
    const chain = (prevHash: string, seq: number) => `${seq}:${prevHash.slice(0, 20)}`;
    try {
      // Each connection queues its own appends, so these collide only across the two: the
      // primary key on seq turns a lost race into a retry.
      await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? first : second).audit.append(makeAuditEvent({ requestId: `req-${i}` }), chain)));
      const events = await first.audit.list();
      expect(events.map((event) => event.seq)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
      events.forEach((event, i) => {
        expect(event.prevHash).toBe(i === 0 ? '' : events[i - 1]!.hash);
        expect(event.hash).toBe(chain(event.prevHash, event.seq));
      });
      expect(new Set(events.map((event) => event.requestId)).size).toBe(30);
    } finally {
      await first.close();
      await second.close();
    }
  });

  it('opens the file in WAL mode', async () => {
    const filename = join(dir, 'gatehouse.db');
    const store = createSqliteStore({ filename });
    await store.migrate();
    await store.close();
    const raw = new BetterSqlite3(filename, { readonly: true });
    try {
      expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      raw.close();
    }
  });

  it('does not migrate on construction', async () => {
    const store = createSqliteStore({ filename: ':memory:' });
    try {
      await expect(store.clients.list()).rejects.toThrow(/no such table/);
      await expect(store.ping()).resolves.toBeUndefined();
    } finally {
      await store.close();
    }
  });
});
