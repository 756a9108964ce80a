/**
 * Audit appends from several instances on one PostgreSQL schema: they queue for the schema's
 * advisory lock of appends instead of racing for the next sequence number. Racing, every loser's
 * INSERT failed on the primary key (a duplicate-key error in PostgreSQL's log, 10,626 of them in
 * two minutes in production) and was tried again.
 */
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import type { AuditEventRecord, Store } from '../src/stores/contract.js';
import { openPostgresStore } from '../src/stores/postgres/postgres-store.js';
import { observeQueryErrors } from '../src/stores/postgres/query-deadline.js';
import { schemaLockKey } from '../src/stores/postgres/schema-locks.js';
import { dropSchema, POSTGRES_URL, postgresUnavailable, uniqueSchema } from './helpers/postgres.js';
import { makeAuditEvent } from './helpers/records.js';

const unavailable = process.env.CI ? undefined : await postgresUnavailable();

const INSTANCES = 4;
const EVENTS_EACH = 200;
const chain = (prevHash: string, seq: number) => `${seq}:${prevHash.slice(0, 24)}`;

/**
 * Every error PostgreSQL answers a query of `pool` with, on any of its connections (`pool.query`
 * and connections checked out with `pool.connect()` alike); neither query nor answer is changed.
 */
function watchErrors(pool: pg.Pool): pg.DatabaseError[] {
  const errors: pg.DatabaseError[] = [];
  pool.on('connect', (client) =>
    observeQueryErrors(client, (error) => {
      if (error instanceof pg.DatabaseError) errors.push(error);
    }),
  );
  return errors;
}

/** `store`'s share of the events: single appends and batches of 2 to 5, all issued at once. */
function appendShare(store: Store, instance: number): Promise<AuditEventRecord[][]> {
  const calls: Promise<AuditEventRecord[]>[] = [];
  let n = 0;
  for (let call = 0; n < EVENTS_EACH; call += 1) {
    const size = Math.min(call % 3 === 0 ? 1 : 2 + (call % 4), EVENTS_EACH - n);
    const events = Array.from({ length: size }, (_, j) => makeAuditEvent({ requestId: `i${instance}-c${call}-e${j}` }));
    n += size;
    calls.push(size === 1 && call % 2 === 0 ? store.audit.append(events[0]!, chain).then((event) => [event]) : store.audit.appendMany(events, chain));
  }
  return Promise.all(calls);
}

describe.skipIf(unavailable)('PostgreSQL audit appends from several instances', () => {
  const schemas: string[] = [];
  const opened: Store[] = [];
  afterAll(async () => {
    await Promise.all(opened.map((store) => store.close()));
    for (const schema of schemas) await dropSchema(schema);
  });

  function open(schema: string) {
    if (!schemas.includes(schema)) schemas.push(schema);
    const opening = openPostgresStore({ connectionString: POSTGRES_URL, schema, poolSize: 4 });
    opened.push(opening.store);
    return opening;
  }

  it(`${INSTANCES} instances appending ${EVENTS_EACH} events each at once: no duplicate-key error, one gapless verified chain`, async () => {
    const schema = uniqueSchema();
    const instances = Array.from({ length: INSTANCES }, () => open(schema));
    await instances[0]!.store.migrate();
    const errors = instances.map(({ pool }) => watchErrors(pool));

    const results = await Promise.all(instances.map(({ store }, i) => appendShare(store, i)));

    // 23505 is unique_violation; no other error either (a lock wait past the statement timeout would be 57014).
    expect(errors.flat().map((error) => `${error.code} ${error.message}`)).toEqual([]);
    const events = await instances[0]!.store.audit.list({ limit: 10_000 });
    const total = INSTANCES * EVENTS_EACH;
    expect(events.map((event) => event.seq)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    events.forEach((event, i) => {
      expect(event.prevHash).toBe(i === 0 ? '' : events[i - 1]!.hash);
      expect(event.hash).toBe(chain(event.prevHash, event.seq));
    });
    expect(new Set(events.map((event) => event.requestId)).size).toBe(total);
    expect(results.flat(2).sort((a, b) => a.seq - b.seq)).toEqual(events);
    for (const batch of results.flat()) {
      // Every batch whole and consecutive, in the order given.
      expect(batch.map((event) => event.seq - batch[0]!.seq)).toEqual(batch.map((_, j) => j));
      expect(batch.map((event) => Number(event.requestId!.split('-e')[1]))).toEqual(batch.map((_, j) => j));
    }
  }, 60_000);

  it("waits for its own schema's lock of appends, never for another schema's", async () => {
    const [mine, other] = [uniqueSchema(), uniqueSchema()];
    const { store } = open(mine);
    const { store: elsewhere } = open(other);
    await Promise.all([store.migrate(), elsewhere.migrate()]);
    const holder = new pg.Client({ connectionString: POSTGRES_URL });
    await holder.connect();
    try {
      await holder.query('begin');
      await holder.query('select pg_advisory_xact_lock(hashtextextended($1, 0))', [schemaLockKey('audit appends', mine)]);
      let done = false;
      const waiting = store.audit.append(makeAuditEvent(), chain).then((event) => {
        done = true;
        return event;
      });
      expect(await elsewhere.audit.append(makeAuditEvent(), chain)).toMatchObject({ seq: 1 });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(done).toBe(false);
      await holder.query('commit');
      expect(await waiting).toMatchObject({ seq: 1, prevHash: '' });
    } finally {
      await holder.end();
    }
  });
});
