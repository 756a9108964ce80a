import type { ClientRecord, Store } from '../contract.js';
import type { InvalidationBus } from './invalidation-bus.js';

/**
 * A store whose clients are read through a short in-process cache (they are read on every token
 * request). Changes made through any instance's cached store are published on the bus, and every
 * instance drops the entry at once; `ttlMs` bounds staleness if a message is missed. Signing-key
 * rotations are published too, for the key rings to reload.
 */
export function withClientCache(store: Store, bus: InvalidationBus, ttlMs = 30_000, now: () => number = Date.now): Store {
  const cache = new Map<string, { client: ClientRecord | undefined; until: number }>();
  bus
    .subscribe((topic) => {
      if (topic.startsWith('client:')) cache.delete(topic.slice('client:'.length));
    })
    // Without the subscription, entries still expire after ttlMs.
    .catch(() => undefined);
  const changed = async (clientId: string) => {
    cache.delete(clientId);
    await bus.publish(`client:${clientId}`);
  };
  const clients: Store['clients'] = {
    ...store.clients,
    async get(clientId) {
      const hit = cache.get(clientId);
      if (hit && hit.until > now()) return hit.client && structuredClone(hit.client);
      const client = await store.clients.get(clientId);
      cache.set(clientId, { client, until: now() + ttlMs });
      return client && structuredClone(client);
    },
    async create(client) {
      await store.clients.create(client);
      await changed(client.clientId);
    },
    async update(client) {
      const updated = await store.clients.update(client);
      await changed(client.clientId);
      return updated;
    },
    async delete(clientId) {
      const deleted = await store.clients.delete(clientId);
      await changed(clientId);
      return deleted;
    },
    list: (options) => store.clients.list(options),
    findByServedResource: (resource) => store.clients.findByServedResource(resource),
  };
  const keys: Store['keys'] = {
    ...store.keys,
    async rotate(records, at) {
      await store.keys.rotate(records, at);
      await bus.publish('keys');
    },
    list: () => store.keys.list(),
    delete: (kid) => store.keys.delete(kid),
  };
  return {
    clients,
    keys,
    users: store.users,
    consents: store.consents,
    factors: store.factors,
    audit: store.audit,
    artifacts: store.artifacts,
    logoutDeliveries: store.logoutDeliveries,
    migrate: () => store.migrate(),
    ping: () => store.ping(),
    async close() {
      await bus.close();
      await store.close();
    },
  };
}
