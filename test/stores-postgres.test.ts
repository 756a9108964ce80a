import { createServer, type Socket } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../src/core/errors.js';
import type { Store } from '../src/stores/contract.js';
import { createPostgresStore } from '../src/stores/postgres/index.js';
import { openPostgresStore, type PostgresStoreOptions } from '../src/stores/postgres/postgres-store.js';
import { migrations } from '../src/stores/sql/index.js';
import { isStoreUnavailable } from '../src/stores/unavailable.js';
import { FakeClock, T0 } from './helpers/fake-clock.js';
import { adminQuery, dropSchema, POSTGRES_URL, postgresUnavailable, ReusedSchemas, tablesIn, uniqueSchema } from './helpers/postgres.js';
import { makeAuditEvent, makeClient, makeConsent, makeFactor, makeIdentity, makeKey, makeUser } from './helpers/records.js';
import { describeStoreContract } from './store-contract.js';
import { expectOneChainFromTwoStores } from './helpers/audit-chain.js';

// CI starts PostgreSQL, so there an unreachable server is a failure, never a skip.
const unavailable = process.env.CI ? undefined : await postgresUnavailable();
const describePostgres = unavailable === undefined ? describe : describe.skip;
const suffix = unavailable === undefined ? '' : ` (skipped: PostgreSQL at ${POSTGRES_URL} is not reachable: ${unavailable})`;

/** The tables migrations create, and the migrator's own two. */
const TABLES = [
  'artifacts',
  'audit_events',
  'client_resources',
  'clients',
  'gatehouse_migration',
  'gatehouse_migration_lock',
  'grants',
  'logout_deliveries',
  'mfa_factors',
  'signing_keys',
  'user_identities',
  'users',
];

describePostgres(`postgres${suffix}`, () => {
  // Every test gets a store of its own on an empty schema: the one the test before emptied, or a new
  // one the store creates on migrate.
  const contractSchemas = new ReusedSchemas();
  afterAll(() => contractSchemas.dropAll());
  describeStoreContract('postgres', async (clock) => {
    const schema = contractSchemas.take();
    const store = createPostgresStore({ connectionString: POSTGRES_URL, schema, clock });
    return {
      store,
      cleanup: async () => {
        await store.close();
        await contractSchemas.giveBack(schema);
      },
    };
  });

  describe('postgres store', () => {
    const schemas: string[] = [];
    const opened: Store[] = [];

    /** A store on a fresh schema (or `schema`), closed and dropped after the test. */
    function open(options: Partial<PostgresStoreOptions> = {}): ReturnType<typeof openPostgresStore> & { schema: string } {
      const schema = options.schema ?? uniqueSchema();
      if (!schemas.includes(schema)) schemas.push(schema);
      const opening = openPostgresStore({ connectionString: POSTGRES_URL, ...options, schema });
      opened.push(opening.store);
      return { ...opening, schema };
    }

    afterEach(async () => {
      // close() twice is harmless, so tests may close their stores themselves.
      await Promise.all(opened.splice(0).map((store) => store.close()));
      for (const schema of schemas.splice(0)) await dropSchema(schema);
    });

    it('keeps data across close and reopen, without re-applying migrations, all in its own schema', async () => {
      const clock = new FakeClock(T0);
      const { store: first, schema } = open({ clock });
      expect(await first.migrate()).toEqual(migrations.map((migration) => migration.name));
      const user = makeUser({ profile: { name: 'Zoë', address: { locality: '東京' } } });
      await first.clients.create(makeClient());
      await first.users.create(user);
      await first.users.linkIdentity(makeIdentity());
      await first.factors.create(makeFactor({ lastUsedAt: T0 + 3 }));
      await first.consents.create(makeConsent({ revokedAt: T0 + 2 }));
      await first.keys.rotate([makeKey()], T0);
      // Beyond 2^32 and up to 2^53 - 1: int8 comes back from pg as text and must read as the same number.
      const far = Number.MAX_SAFE_INTEGER;
      await first.artifacts.put({ kind: 'refresh_token', id: 'rt', value: { n: 1 }, ownerId: 'family-1', expiresAt: far });
      await first.artifacts.consume('refresh_token', 'rt', T0 + 1);
      const event = await first.audit.append(makeAuditEvent({ time: far - 1 }), (prev, seq) => `${seq}:${prev}`);
      await first.close();

      const { store: second } = open({ clock, schema });
      expect(await second.migrate()).toEqual([]);
      expect(await second.clients.get('client-1')).toEqual(makeClient());
      expect(await second.users.findByLogin('alice')).toEqual(user);
      expect(await second.users.listIdentities('user-1')).toEqual([makeIdentity()]);
      expect(await second.factors.get('factor-1')).toEqual(makeFactor({ lastUsedAt: T0 + 3 }));
      expect(await second.consents.get('consent-1')).toEqual(makeConsent({ revokedAt: T0 + 2 }));
      expect(await second.keys.list()).toEqual([makeKey()]);
      expect(await second.artifacts.get('refresh_token', 'rt')).toEqual({
        kind: 'refresh_token',
        id: 'rt',
        value: { n: 1 },
        ownerId: 'family-1',
        expiresAt: far,
        consumedAt: T0 + 1,
      });
      expect(await second.audit.list()).toEqual([event]);
      expect(event).toMatchObject({ seq: 1, time: far - 1 });

      // Everything went into the schema, none of it into `public`.
      expect(await tablesIn(schema)).toEqual(TABLES);
      const leaked = await adminQuery("select table_name from information_schema.tables where table_schema = 'public' and table_name = any($1)", [TABLES]);
      expect(leaked).toEqual([]);
    });

    it('3 stores migrating one new schema at once: all succeed, each migration applied once', async () => {
      // Three pools are three sessions, to PostgreSQL the same as three processes.
      const schema = uniqueSchema();
      const stores = [open({ schema }), open({ schema }), open({ schema })].map((opening) => opening.store);
      const applied = await Promise.all(stores.map((store) => store.migrate()));
      const names = migrations.map((migration) => migration.name);
      expect(applied.filter((list) => list.length > 0)).toEqual([names]);
      expect(applied.flat()).toEqual(names);
      const rows = await adminQuery<{ name: string }>(`select name from ${schema}.gatehouse_migration order by name`);
      expect(rows.map((row) => row.name)).toEqual([...names].sort());
      expect(await tablesIn(schema)).toEqual(TABLES);
      await Promise.all(stores.map(async (store) => expect(await store.migrate()).toEqual([])));
      await stores[2]!.users.create(makeUser());
      expect(await stores[0]!.users.get('user-1')).toEqual(makeUser());
    });

    it('migrates while other schemas of the database are created and dropped (other tenants, other test runs)', async () => {
      let churning = true;
      const churn = (async () => {
        const admin = new pg.Client({ connectionString: POSTGRES_URL });
        await admin.connect();
        try {
          for (let round = 0; churning && round < 400; round += 1) {
            const other = uniqueSchema();
            await admin.query(`create schema ${other}`);
            await admin.query(`create table ${other}.t (a int, b text, c text)`);
            await admin.query(`drop schema ${other} cascade`);
          }
        } finally {
          await admin.end();
        }
      })();
      try {
        for (let round = 0; round < 8; round += 1) {
          const results = await Promise.all(Array.from({ length: 3 }, () => open().store.migrate()));
          for (const applied of results) expect(applied).toEqual(migrations.map((migration) => migration.name));
        }
      } finally {
        churning = false;
        await churn;
      }
    }, 60_000);

    it('migrates a schema next to one already migrated in the same database', async () => {
      // kysely looks for its migration table in every schema unless told which one is ours.
      const { store: first } = open();
      await first.migrate();
      const { store: second, schema } = open();
      expect(await second.migrate()).toEqual(migrations.map((migration) => migration.name));
      expect(await tablesIn(schema)).toEqual(TABLES);
    });

    it('two stores on one schema appending audit events at once keep one gapless chain', async () => {
      const { store: first, schema } = open();
      await first.migrate();
      const { store: second } = open({ schema });
      const chain = (prevHash: string, seq: number) => `${seq}:${prevHash.slice(0, 20)}`;
      await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? first : second).audit.append(makeAuditEvent({ requestId: `req-${i}` }), chain)));
      const events = await second.audit.list();
      expect(events.map((event) => event.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
      events.forEach((event, i) => {
        expect(event.prevHash).toBe(i === 0 ? '' : events[i - 1]!.hash);
        expect(event.hash).toBe(chain(event.prevHash, event.seq));
      });
      expect(new Set(events.map((event) => event.requestId)).size).toBe(40);
    });

    it('two stores on one schema appending batches and single events at once keep one gapless chain, each batch whole', async () => {
      const { store: first, schema } = open();
      await first.migrate();
      const { store: second } = open({ schema });
      await expectOneChainFromTwoStores(first, second, { calls: 40, batchEvery: 4 });
    });

    it('runs the hot paths as named prepared statements: parsed once per connection, then only executed', async () => {
      const { store, db } = open({ poolSize: 1 });
      await store.migrate();
      await store.clients.create(makeClient());
      for (let i = 0; i < 3; i += 1) expect(await store.clients.get('client-1')).toEqual(makeClient());
      await store.artifacts.put({ kind: 'code', id: 'c-1', value: { n: 1 }, ownerId: null, expiresAt: Date.now() + 60_000 });
      expect(await store.artifacts.consume('code', 'c-1', T0)).toMatchObject({ value: { n: 1 }, consumedAt: T0 });
      // The pool's one connection is the one Kysely reads the session's statements on.
      const { rows } = await sql<{ name: string; plans: number }>`
        select name, (generic_plans + custom_plans)::int as plans from pg_prepared_statements where not from_sql order by name`.execute(db);
      expect(rows).toEqual([
        { name: 'gatehouse_artifact_consume', plans: 1 },
        { name: 'gatehouse_artifact_put', plans: 1 },
        { name: 'gatehouse_client_by_id', plans: 3 },
      ]);
    });

    it('named statements of stores on different schemas read their own schema (search_path per connection)', async () => {
      const { store: first } = open();
      const { store: second } = open();
      await Promise.all([first.migrate(), second.migrate()]);
      await first.clients.create(makeClient({ clientName: 'First' }));
      await second.clients.create(makeClient({ clientName: 'Second' }));
      for (let i = 0; i < 3; i += 1) {
        const [a, b] = await Promise.all([first.clients.get('client-1'), second.clients.get('client-1')]);
        expect([a?.clientName, b?.clientName]).toEqual(['First', 'Second']);
      }
    });

    it('prepares its statements again on a new connection after the server ended the old one', async () => {
      const applicationName = `gatehouse-terminated-${Date.now()}`;
      const { store } = open({ poolSize: 1, applicationName });
      await store.migrate();
      await store.clients.create(makeClient());
      expect(await store.clients.get('client-1')).toEqual(makeClient());
      await adminQuery('select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1', [applicationName]);
      // The ended connection may fail one query, as unavailable (57P01, or the socket closed), never otherwise.
      const first = await store.clients.get('client-1').catch((error: unknown) => error);
      if (first instanceof Error) expect(isStoreUnavailable(first)).toBe(true);
      else expect(first).toEqual(makeClient());
      expect(await store.clients.get('client-1')).toEqual(makeClient());
    });

    it('starts every connection with the schema, the timeouts and the application name', async () => {
      const applicationName = `gatehouse-test-${Date.now()}`;
      const { db, schema } = open({ statementTimeoutMs: 1500, applicationName });
      const { rows } = await sql<Record<string, string>>`
        select current_setting('search_path') as search_path,
               current_setting('statement_timeout') as statement_timeout,
               current_setting('idle_in_transaction_session_timeout') as idle_timeout,
               current_setting('application_name') as application_name`.execute(db);
      expect(rows).toEqual([{ search_path: schema, statement_timeout: '1500ms', idle_timeout: '1500ms', application_name: applicationName }]);
    });

    it('keeps options from the URL, but not over its own settings', async () => {
      const url = new URL(POSTGRES_URL);
      url.searchParams.set('options', '-c work_mem=8MB -c search_path=elsewhere -c statement_timeout=0');
      const { db, schema } = open({ connectionString: url.href });
      const { rows } = await sql<Record<string, string>>`
        select current_setting('work_mem') as work_mem,
               current_setting('search_path') as search_path,
               current_setting('statement_timeout') as statement_timeout`.execute(db);
      expect(rows).toEqual([{ work_mem: '8MB', search_path: schema, statement_timeout: '5s' }]);
    });

    it('never opens more connections than poolSize', async () => {
      const applicationName = `gatehouse-pool-${Date.now()}`;
      const { db } = open({ poolSize: 3, applicationName });
      await Promise.all(Array.from({ length: 12 }, () => sql`select pg_sleep(0.05)`.execute(db)));
      const [row] = await adminQuery<{ n: number }>('select count(*)::int as n from pg_stat_activity where application_name = $1', [applicationName]);
      expect(row!.n).toBe(3);
    });

    it('cancels a statement that runs past statementTimeoutMs, and stays usable', async () => {
      const { db, store } = open({ statementTimeoutMs: 200 });
      const started = Date.now();
      // 57014: query_canceled.
      await expect(sql`select pg_sleep(2)`.execute(db)).rejects.toMatchObject({
        code: '57014',
        message: expect.stringMatching(/statement timeout/),
      });
      expect(Date.now() - started).toBeLessThan(1500);
      await expect(store.ping()).resolves.toBeUndefined();
    });

    it('ends a transaction left idle past statementTimeoutMs; the pool recovers and the process survives', async () => {
      const { db, store } = open({ statementTimeoutMs: 200, poolSize: 2 });
      await store.migrate();
      await expect(
        db.transaction().execute(async (trx) => {
          await trx.insertInto('clients').values({ client_id: 'c', client_secret_hash: null, data: '{}', created_at: T0, updated_at: T0 }).execute();
          await delay(600);
          await sql`select 1`.execute(trx);
        }),
      ).rejects.toThrow();
      // The session was ended, so nothing was committed; every pooled connection still works.
      await Promise.all(Array.from({ length: 6 }, () => store.ping()));
      expect(await store.clients.get('c')).toBeUndefined();
    });

    it('migrations are not bound by statementTimeoutMs: they wait for a lock the queries may not', async () => {
      const { store: first, schema } = open();
      await first.migrate();
      const { store, db } = open({ schema, statementTimeoutMs: 200 });
      // Another session holds the migration table for 800 ms, as a long migration elsewhere would.
      const holder = new pg.Client({ connectionString: POSTGRES_URL });
      await holder.connect();
      try {
        await holder.query('begin');
        await holder.query(`lock table ${schema}.gatehouse_migration in access exclusive mode`);
        const released = delay(800).then(() => holder.query('commit'));
        await expect(sql`select count(*) from gatehouse_migration`.execute(db)).rejects.toMatchObject({ code: '57014' });
        const started = Date.now();
        expect(await store.migrate()).toEqual([]);
        expect(Date.now() - started).toBeGreaterThanOrEqual(300);
        await released;
      } finally {
        await holder.end();
      }
    });

    it('rejects ping() quickly when nothing listens on the port', async () => {
      const store = createPostgresStore({ connectionString: 'postgres://postgres@127.0.0.1:1/test' });
      opened.push(store);
      const started = Date.now();
      await expect(store.ping()).rejects.toMatchObject({ code: 'ECONNREFUSED' });
      expect(Date.now() - started).toBeLessThan(5000);
      // The prepared statements of the hot paths fail the same way, and are read as "unavailable" (503).
      const error = await store.artifacts.get('code', 'c-1').catch((caught: unknown) => caught);
      expect(error).toMatchObject({ code: 'ECONNREFUSED' });
      expect(isStoreUnavailable(error)).toBe(true);
    });

    it('rejects ping() after connectionTimeoutMs when the server accepts but never answers', async () => {
      const sockets: Socket[] = [];
      const silent = createServer((socket) => sockets.push(socket));
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      const { port } = silent.address() as { port: number };
      try {
        const store = createPostgresStore({ connectionString: `postgres://postgres@127.0.0.1:${port}/test`, connectionTimeoutMs: 300 });
        opened.push(store);
        const started = Date.now();
        await expect(store.ping()).rejects.toThrow(/timeout/i);
        expect(Date.now() - started).toBeLessThan(3000);
        const error = await store.clients.get('client-1').catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(Error);
        expect(isStoreUnavailable(error)).toBe(true);
      } finally {
        for (const socket of sockets) socket.destroy();
        await new Promise((resolve) => silent.close(resolve));
      }
    });
  });
});

describe('postgres store options', () => {
  const connectionString = 'postgres://gatehouse:s3cret-password@db.internal:5432/gatehouse';

  it.each([
    [{ connectionString: 'mysql://db/gatehouse' }, 'connectionString'],
    [{ connectionString: 'not a url' }, 'connectionString'],
    [{ connectionString, poolSize: 0 }, 'poolSize'],
    [{ connectionString, poolSize: 2.5 }, 'poolSize'],
    [{ connectionString, statementTimeoutMs: -1 }, 'statementTimeoutMs'],
    [{ connectionString, connectionTimeoutMs: 0 }, 'connectionTimeoutMs'],
    [{ connectionString, schema: 'Gatehouse' }, 'schema'],
    [{ connectionString, schema: 'gh; drop schema public' }, 'schema'],
    [{ connectionString, schema: '"quoted"' }, 'schema'],
    [{ connectionString, schema: 'a'.repeat(64) }, 'schema'],
    [{ connectionString, schema: 'pg_gatehouse' }, 'schema'],
    [{ connectionString, schema: '' }, 'schema'],
  ] as [PostgresStoreOptions, string][])('rejects %o at construction, naming %s', (options, name) => {
    let error: unknown;
    try {
      createPostgresStore(options);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toBeInstanceOf(TypeError);
    expect(error).toMatchObject({ code: 'ERR_INVALID_OPTION', option: name });
  });

  it('never puts the connection string in an error', () => {
    let message = '';
    try {
      createPostgresStore({ connectionString: 'mysql://root:s3cret-password@db/gatehouse' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toBe('option "connectionString" must be a postgres:// URL');
  });

  it('accepts the longest schema name and postgresql:// URLs, without connecting', async () => {
    const store = createPostgresStore({ connectionString: connectionString.replace('postgres:', 'postgresql:'), schema: `_${'a'.repeat(62)}` });
    await store.close();
  });
});
