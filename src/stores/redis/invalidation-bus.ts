import type { Cluster, Redis } from 'ioredis';

/** Topics instances tell each other about: a client changed, or the signing keys did. */
export type InvalidationTopic = `client:${string}` | 'keys';

/**
 * Redis pub/sub between instances, so an instance's read-through caches drop what another one
 * changed, at once rather than when the entry expires.
 */
export interface InvalidationBus {
  publish(topic: InvalidationTopic): Promise<void>;
  subscribe(handler: (topic: InvalidationTopic) => void): Promise<void>;
  close(): Promise<void>;
}

export function createInvalidationBus(redis: Redis | Cluster, prefix = '{gatehouse}:'): InvalidationBus {
  const channel = `${prefix}invalidate`;
  const handlers: ((topic: InvalidationTopic) => void)[] = [];
  let subscribed: Promise<Redis | Cluster> | undefined;
  // One subscribed connection for every handler: a subscribed connection can do nothing else.
  const subscriber = (): Promise<Redis | Cluster> => {
    subscribed ??= (async () => {
      // Unlike fail-fast command connections, it queues: it subscribes (and re-subscribes after an
      // outage) once connected.
      const connection =
        'isCluster' in redis && redis.isCluster
          ? (redis as Cluster).duplicate(undefined, { enableOfflineQueue: true })
          : (redis as Redis).duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: null });
      connection.on('error', () => undefined);
      connection.on('message', (from: string, topic: string) => {
        if (from === channel) for (const handler of handlers) handler(topic as InvalidationTopic);
      });
      await connection.subscribe(channel);
      return connection;
    })();
    return subscribed;
  };
  return {
    async publish(topic) {
      await redis.publish(channel, topic);
    },
    async subscribe(handler) {
      handlers.push(handler);
      await subscriber();
    },
    async close() {
      if (!subscribed) return;
      const connection = await subscribed.catch(() => undefined);
      await connection?.quit().catch(() => connection.disconnect());
    },
  };
}
