import { existsSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, sql, SqliteDialect } from 'kysely';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AuditEventRecord, ClientRecord } from '../src/stores/contract.js';
import { createMemoryStore } from '../src/stores/memory/index.js';
import { createSqlStore, migrateToLatest, migrations, type Database } from '../src/stores/sql/index.js';
import { createSqliteStore } from '../src/stores/sqlite/index.js';
import { statement } from '../src/stores/sql/statements.js';
import { sqliteStatements } from '../src/stores/sqlite/sqlite-statements.js';
import { openSqliteStore } from '../src/stores/sqlite/sqlite-store.js';
import { startWalCheckpoints } from '../src/stores/sqlite/wal-checkpoints.js';
import { FakeClock, T0 } from './helpers/fake-clock.js';
import { makeAuditEvent, makeClient, makeConsent, makeFactor, makeIdentity, makeKey, makeUser } from './helpers/records.js';
import { describeStoreContract } from './store-contract.js';
import { expectOneChainFromTwoStores } from './helpers/audit-chain.js';

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

describe('memory store audit log: only the newest events are kept', () => {
  const chain = (prevHash: string, seq: number) => `${seq}:${prevHash.slice(0, 20)}`;

  it('keeps at most maxAuditEvents, dropping the oldest; list, tail and the chain go on from what is kept', async () => {
    const store = createMemoryStore({ maxAuditEvents: 3 });
    expect(await store.audit.droppedThrough!()).toBe(0);
    let last: AuditEventRecord | undefined;
    for (let i = 0; i < 5; i += 1) last = await store.audit.append(makeAuditEvent({ type: i % 2 === 0 ? 'login' : 'logout' }), chain);
    expect(await store.audit.droppedThrough!()).toBe(2);
    expect((await store.audit.list()).map((event) => event.seq)).toEqual([3, 4, 5]);
    expect((await store.audit.list({ afterSeq: 1 })).map((event) => event.seq)).toEqual([3, 4, 5]);
    expect((await store.audit.list({ afterSeq: 3, limit: 1 })).map((event) => event.seq)).toEqual([4]);
    expect((await store.audit.list({ type: 'login' })).map((event) => event.seq)).toEqual([3, 5]);
    expect((await store.audit.tail(10)).map((event) => event.seq)).toEqual([5, 4, 3]);
    expect((await store.audit.tail(10, 'logout')).map((event) => event.seq)).toEqual([4]);

    const batch = await store.audit.appendMany(
      Array.from({ length: 4 }, () => makeAuditEvent()),
      chain,
    );
    expect(batch.map((event) => event.seq)).toEqual([6, 7, 8, 9]);
    expect(batch[0]!.prevHash).toBe(last!.hash);
    expect(await store.audit.droppedThrough!()).toBe(6);
    const kept = await store.audit.list();
    expect(kept.map((event) => event.seq)).toEqual([7, 8, 9]);
    expect(kept[1]!.prevHash).toBe(kept[0]!.hash);
    expect((await store.audit.append(makeAuditEvent(), chain)).prevHash).toBe(kept[2]!.hash);
  });

  it('searches and counts only the kept events', async () => {
    const store = createMemoryStore({ maxAuditEvents: 3 });
    await store.audit.appendMany(
      Array.from({ length: 5 }, (_, i) => makeAuditEvent({ type: i % 2 === 0 ? 'login' : 'logout', time: T0 + i })),
      chain,
    );
    expect((await store.audit.query({ limit: 10 })).map((event) => event.seq)).toEqual([5, 4, 3]);
    expect((await store.audit.query({ limit: 10, beforeSeq: 4 })).map((event) => event.seq)).toEqual([3]);
    expect(await store.audit.query({ limit: 10, beforeSeq: 3 })).toEqual([]);
    expect((await store.audit.query({ limit: 10, types: ['login'] })).map((event) => event.seq)).toEqual([5, 3]);
    expect(await store.audit.counts({ from: T0, to: T0 + 5, bucketMs: 5, types: ['login'] })).toEqual([{ type: 'login', bucket: T0, count: 2 }]);
  });

  it('keeps 10,000 by default, and every event with Infinity', async () => {
    const bounded = createMemoryStore();
    const all = createMemoryStore({ maxAuditEvents: Number.POSITIVE_INFINITY });
    const events = Array.from({ length: 10_005 }, (_, i) => makeAuditEvent({ requestId: `req-${i}` }));
    await bounded.audit.appendMany(events, chain);
    await all.audit.appendMany(events, chain);
    expect(await bounded.audit.droppedThrough!()).toBe(5);
    expect((await bounded.audit.list({ limit: 1 }))[0]).toMatchObject({ seq: 6, requestId: 'req-5' });
    expect((await bounded.audit.tail(1))[0]).toMatchObject({ seq: 10_005 });
    expect(await all.audit.droppedThrough!()).toBe(0);
    expect((await all.audit.list({ limit: 1 }))[0]).toMatchObject({ seq: 1 });
  });

  it('refuses a bound that is not a positive count', () => {
    for (const maxAuditEvents of [0, -1, 2.5, Number.NaN]) {
      expect(() => createMemoryStore({ maxAuditEvents })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION', option: 'maxAuditEvents' }));
    }
  });
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

  it('upgrades a database left at 0003: applies 0004 on, keeps the data, starts the audit log at seq 1', async () => {
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
      expect(await store.migrate()).toEqual(migrations.slice(3).map((migration) => migration.name));
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
      // 0005's indexes of the audit search and the dashboard's counts.
      for (const [index, columns] of [
        ['audit_events_time_idx', ['time']],
        ['audit_events_subject_seq_idx', ['subject', 'seq']],
        ['audit_events_client_id_seq_idx', ['client_id', 'seq']],
        ['audit_events_ip_seq_idx', ['ip', 'seq']],
      ] as const) {
        expect((raw.pragma(`index_info(${index})`) as { name: string }[]).map((column) => column.name)).toEqual(columns);
      }
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

  it('two connections to one file appending batches and single events at once keep one gapless chain, each batch whole', async () => {
    const filename = join(dir, 'gatehouse.db');
    const first = createSqliteStore({ filename });
    await first.migrate();
    const second = createSqliteStore({ filename });
    try {
      await expectOneChainFromTwoStores(first, second, { calls: 30, batchEvery: 3 });
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

describe('sqlite store: prepared statements beside Kysely, checkpoints in a thread', () => {
  let dir: string;
  let remove: () => Promise<void>;

  beforeEach(async () => {
    ({ dir, remove } = await tempDir());
  });

  afterEach(async () => {
    await remove();
  });

  it('a statement issued inside an open Kysely transaction waits for it: a rollback keeps its write, and it reads no uncommitted row', async () => {
    // One connection serves both; run in the transaction's gap, the statements would join it.
    const { store, db } = openSqliteStore({ filename: join(dir, 'gatehouse.db'), clock: new FakeClock(T0) });
    try {
      await store.migrate();
      let read: Promise<ClientRecord | undefined> | undefined;
      let put: Promise<void> | undefined;
      await expect(
        db.transaction().execute(async (trx) => {
          await trx.insertInto('clients').values({ client_id: 'client-1', client_secret_hash: null, data: '{}', created_at: T0, updated_at: T0 }).execute();
          // Issued, not awaited: awaiting here would wait for this very transaction.
          read = store.clients.get('client-1');
          put = store.artifacts.put({ kind: 'code', id: 'c-1', value: { n: 1 }, ownerId: null, expiresAt: T0 + 1000 });
          await trx.selectFrom('clients').select('client_id').execute();
          throw new Error('rolled back');
        }),
      ).rejects.toThrow('rolled back');
      await put;
      expect(await read).toBeUndefined();
      expect(await store.artifacts.get('code', 'c-1')).toMatchObject({ value: { n: 1 }, consumedAt: null });
      expect(await store.clients.get('client-1')).toBeUndefined();
    } finally {
      await store.close();
    }
  });

  describe('writes issued in one turn commit together, each caller told its own outcome after the commit', () => {
    const INSERT = statement('test_group_insert', 'insert into t (id) values (?)');
    let database: BetterSqlite3.Database;
    let db: Kysely<Database>;
    let filename: string;
    const ids = () => (database.prepare('select id from t order by id').all() as { id: number }[]).map((row) => row.id);

    beforeEach(() => {
      filename = join(dir, 'group.db');
      database = new BetterSqlite3(filename);
      database.pragma('journal_mode = WAL');
      // 666 ends the whole transaction (SQLite rolls it back); 13 fails its own statement only.
      database.exec(`create table t (id integer primary key);
        create trigger t_rollback before insert on t when new.id = 666 begin select raise(rollback, 'rolled back by trigger'); end;
        create trigger t_abort before insert on t when new.id = 13 begin select raise(abort, 'refused by trigger'); end;`);
      db = new Kysely<Database>({ dialect: new SqliteDialect({ database }) });
    });

    afterEach(async () => {
      await db.destroy();
    });

    it('a constraint error goes to its caller alone; the others are stored, and committed when told', async () => {
      const statements = sqliteStatements(database, db);
      const other = new BetterSqlite3(filename, { readonly: true });
      try {
        const seenByOther: number[][] = [];
        const outcomes = await Promise.allSettled(
          [1, 1, 13, 2].map((id) =>
            statements.run(INSERT, [id]).then((changes) => {
              // Another connection sees only what is committed: the whole group, or the caller was told too early.
              seenByOther.push((other.prepare('select id from t order by id').all() as { id: number }[]).map((row) => row.id));
              return changes;
            }),
          ),
        );
        expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
        expect(outcomes[1]).toMatchObject({ reason: { code: 'SQLITE_CONSTRAINT_PRIMARYKEY' } });
        expect(outcomes[2]).toMatchObject({ reason: { message: 'refused by trigger' } });
        expect(seenByOther).toEqual([
          [1, 2],
          [1, 2],
        ]);
        expect(ids()).toEqual([1, 2]);
        expect(database.inTransaction).toBe(false);
      } finally {
        other.close();
      }
    });

    it('an error that ends the transaction goes to every caller of the group: none of their writes is kept', async () => {
      const statements = sqliteStatements(database, db);
      const outcomes = await Promise.allSettled([1, 2, 666, 3].map((id) => statements.run(INSERT, [id])));
      for (const outcome of outcomes) expect(outcome).toMatchObject({ status: 'rejected', reason: { message: 'rolled back by trigger' } });
      expect(ids()).toEqual([]);
      // The next turn's writes form a group of their own.
      await expect(Promise.all([statements.run(INSERT, [4]), statements.run(INSERT, [5])])).resolves.toEqual([1, 1]);
      expect(ids()).toEqual([4, 5]);
    });

    it('a group that cannot take the write lock rejects every caller; a write alone needs no transaction', async () => {
      const statements = sqliteStatements(database, db);
      database.pragma('busy_timeout = 20');
      const holder = new BetterSqlite3(filename);
      try {
        holder.exec('begin immediate');
        const outcomes = await Promise.allSettled([1, 2].map((id) => statements.run(INSERT, [id])));
        for (const outcome of outcomes) expect(outcome).toMatchObject({ status: 'rejected', reason: { code: 'SQLITE_BUSY' } });
        holder.exec('rollback');
        await expect(statements.run(INSERT, [7])).resolves.toBe(1);
        expect(ids()).toEqual([7]);
      } finally {
        holder.close();
      }
    });
  });

  it('checkpoints off the store connection: the WAL stays bounded under a write loop, and close() leaves no WAL behind', async () => {
    const filename = join(dir, 'gatehouse.db');
    const { store, db } = openSqliteStore({ filename, clock: new FakeClock(T0) }, { checkpoints: { intervalMs: 20, walLimitBytes: 1024 * 1024 } });
    const walBytes = () => statSync(`${filename}-wal`, { throwIfNoEntry: false })?.size ?? 0;
    let largest = 0;
    try {
      await store.migrate();
      // The store's own connection never checkpoints: its commits never wait for an fsync.
      expect((await sql<{ wal_autocheckpoint: number }>`pragma wal_autocheckpoint`.execute(db)).rows).toEqual([{ wal_autocheckpoint: 0 }]);
      const value = 'x'.repeat(1000);
      for (let i = 0; i < 6000; i += 1) {
        await store.artifacts.put({ kind: 'blob', id: `b-${i}`, value, ownerId: `owner-${i % 97}`, expiresAt: T0 + 60_000 });
        if (i % 20 === 19) {
          largest = Math.max(largest, walBytes());
          await delay(1);
        }
      }
    } finally {
      await store.close();
    }
    // Without checkpoints this loop leaves about 150 MiB of WAL; with them, the bound (1 MiB) and
    // what is written while a checkpoint syncs.
    expect(largest).toBeLessThan(48 * 1024 * 1024);
    // The thread's connection closed last: the final checkpoint ran there and removed the WAL.
    expect(existsSync(`${filename}-wal`)).toBe(false);
    const raw = new BetterSqlite3(filename, { readonly: true });
    try {
      expect(raw.prepare('select count(*) as n from artifacts').get()).toEqual({ n: 6000 });
    } finally {
      raw.close();
    }
  });

  it('stores opened and closed together share the thread, and each closes cleanly', async () => {
    const filenames = [0, 1, 2].map((i) => join(dir, `store-${i}.db`));
    const stores = filenames.map((filename) => createSqliteStore({ filename }));
    await Promise.all(stores.map((store) => store.migrate()));
    await Promise.all(stores.map((store, i) => store.clients.create(makeClient({ clientId: `client-${i}` }))));
    await Promise.all(stores.map((store) => store.close()));
    // close() twice is harmless.
    await stores[0]!.close();
    for (const filename of filenames) expect(existsSync(`${filename}-wal`)).toBe(false);
    const reopened = createSqliteStore({ filename: filenames[2]! });
    try {
      expect(await reopened.clients.get('client-2')).toEqual(makeClient({ clientId: 'client-2' }));
    } finally {
      await reopened.close();
    }
  });

  it('the checkpoint thread never keeps the process alive: a store left open does not hold it', async () => {
    const store = createSqliteStore({ filename: join(dir, 'gatehouse.db') });
    try {
      await store.migrate();
      await store.artifacts.put({ kind: 'code', id: 'c-1', value: null, ownerId: null, expiresAt: Date.now() + 60_000 });
      // A referenced worker, or its message port, would be listed here and keep the event loop alive.
      expect(process.getActiveResourcesInfo().filter((resource) => resource === 'Worker' || resource === 'MessagePort')).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it('gives checkpoints back to SQLite when the thread cannot checkpoint the file', async () => {
    const database = new BetterSqlite3(join(dir, 'gatehouse.db'));
    database.pragma('journal_mode = WAL');
    // A file the thread cannot open: it answers that it failed.
    const stop = startWalCheckpoints(database, join(dir, 'missing', 'gatehouse.db'));
    try {
      expect(database.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
      await vi.waitFor(() => expect(database.pragma('wal_autocheckpoint', { simple: true })).toBe(1000));
    } finally {
      database.close();
      await stop();
    }
  });
});
