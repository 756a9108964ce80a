import { describe, expect, it } from 'vitest';
import { createMetrics, type Metrics } from '../../../src/server/observability/metrics.js';
import { instrumentStore, STORE_LATENCY_SAMPLE } from '../../../src/server/observability/instrument-store.js';
import { StoreConflictError, type Store } from '../../../src/stores/contract.js';
import { createMemoryStore } from '../../../src/stores/memory/index.js';
import { FakeClock, T0 } from '../../helpers/fake-clock.js';
import { makeClient } from '../../helpers/records.js';

/** How many observations `storeLatency` holds for `operation`. */
async function observations(metrics: Metrics, operation: string): Promise<number> {
  const { values } = await metrics.storeLatency.get();
  const count = values.find((value) => value.metricName?.endsWith('_count') && value.labels.operation === operation);
  return count?.value ?? 0;
}

function setUp(): { store: Store; raw: Store; metrics: Metrics } {
  const metrics = createMetrics({ defaultMetrics: false });
  const raw = createMemoryStore({ clock: new FakeClock() });
  return { store: instrumentStore(raw, metrics), raw, metrics };
}

describe('instrumentStore', () => {
  it('records latency per operation as <repository>.<method>, the first call and then one in STORE_LATENCY_SAMPLE', async () => {
    const { store, metrics } = setUp();
    await store.clients.create(makeClient());
    for (let i = 0; i < STORE_LATENCY_SAMPLE + 1; i += 1) await store.clients.get('client-1');
    await store.artifacts.put({ kind: 'code', id: 'a', value: { n: 1 }, ownerId: null, expiresAt: T0 + 60_000 });
    await store.artifacts.consume('code', 'a', T0);

    expect(await observations(metrics, 'clients.create')).toBe(1);
    expect(await observations(metrics, 'clients.get')).toBe(2);
    expect(await observations(metrics, 'artifacts.put')).toBe(1);
    expect(await observations(metrics, 'artifacts.consume')).toBe(1);
    const text = await metrics.registry.metrics();
    expect(text).toContain('gatehouse_store_operation_duration_seconds_count{operation="artifacts.consume"} 1');
  });

  it('counts every call exactly in gatehouse_store_operations_total, at scrape time', async () => {
    const { store, metrics } = setUp();
    await store.clients.create(makeClient());
    for (let i = 0; i < 3 * STORE_LATENCY_SAMPLE + 5; i += 1) await store.clients.get('client-1');
    await expect(store.clients.create(makeClient())).rejects.toBeInstanceOf(StoreConflictError);
    let text = await metrics.registry.metrics();
    expect(text).toContain(`gatehouse_store_operations_total{operation="clients.get"} ${3 * STORE_LATENCY_SAMPLE + 5}`);
    expect(text).toContain('gatehouse_store_operations_total{operation="clients.create"} 2');
    // A later scrape reports the running total, not the total added to the last one.
    await store.clients.get('client-1');
    text = await metrics.registry.metrics();
    expect(text).toContain(`gatehouse_store_operations_total{operation="clients.get"} ${3 * STORE_LATENCY_SAMPLE + 6}`);
  });

  it('passes results through unchanged, including single-use semantics', async () => {
    const { store, raw } = setUp();
    const client = makeClient();
    await store.clients.create(client);
    expect(await store.clients.get('client-1')).toEqual(client);
    expect(await store.clients.get('nobody')).toBeUndefined();
    await store.artifacts.put({ kind: 'code', id: 'a', value: { n: 1 }, ownerId: null, expiresAt: T0 + 60_000 });
    expect(await store.artifacts.consume('code', 'a', T0)).toMatchObject({ kind: 'code', id: 'a', value: { n: 1 }, consumedAt: T0 });
    expect(await store.artifacts.consume('code', 'a', T0)).toBeUndefined();
    // Writes went to the wrapped store itself.
    expect(await raw.clients.get('client-1')).toEqual(client);
  });

  it('passes rejections through unchanged and times failed calls too', async () => {
    const { store, raw, metrics } = setUp();
    await raw.clients.create(makeClient());
    // The first (sampled) call through the wrapper fails.
    const failure = store.clients.create(makeClient());
    await expect(failure).rejects.toBeInstanceOf(StoreConflictError);
    await expect(failure).rejects.toMatchObject({ code: 'ERR_STORE_CONFLICT', field: 'clientId' });
    expect(await observations(metrics, 'clients.create')).toBe(1);
    // Unsampled calls pass rejections through unchanged too.
    await expect(store.clients.create(makeClient())).rejects.toBeInstanceOf(StoreConflictError);
  });

  it('passes synchronous throws and sync results through unchanged', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const boom = new Error('boom');
    const fake = {
      ...createMemoryStore(),
      widgets: {
        explode(): never {
          throw boom;
        },
        count(): number {
          return 7;
        },
      },
    };
    const store = instrumentStore(fake, metrics);
    expect(() => store.widgets.explode()).toThrow(boom);
    expect(store.widgets.count()).toBe(7);
    expect(await observations(metrics, 'widgets.explode')).toBe(1);
    expect(await observations(metrics, 'widgets.count')).toBe(1);
  });

  it('wraps every repository generically, keeping `this` the real repository', async () => {
    const { store, metrics } = setUp();
    // Memory repositories keep state in private fields: a wrong `this` would throw here.
    await store.users.list();
    await store.keys.list();
    await store.consents.listBySubject('user-1');
    await store.factors.listByUser('user-1');
    await store.artifacts.purgeExpired(T0);
    await store.audit.tail(10);
    for (const operation of ['users.list', 'keys.list', 'consents.listBySubject', 'factors.listByUser', 'artifacts.purgeExpired', 'audit.tail']) {
      expect(await observations(metrics, operation), operation).toBe(1);
    }
    // eslint-disable-next-line @typescript-eslint/unbound-method -- compares the methods themselves: each read returns the same wrapper
    expect(store.clients.get).toBe(store.clients.get);
    expect(store.clients).toBe(store.clients);
  });

  it('keeps migrate, ping and close, untimed', async () => {
    const { store, metrics } = setUp();
    await expect(store.migrate()).resolves.toEqual([]);
    await expect(store.ping()).resolves.toBeUndefined();
    await expect(store.close()).resolves.toBeUndefined();
    const { values } = await metrics.storeLatency.get();
    expect(values).toEqual([]);
  });

  it('passes a failing ping through', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const down = new Error('connection refused');
    const store = instrumentStore({ ...createMemoryStore(), ping: () => Promise.reject(down) }, metrics);
    await expect(store.ping()).rejects.toBe(down);
  });
});
