import type { Cluster, Redis } from 'ioredis';
import { clearStaleSocketTimers } from './connect.js';

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
      // Unlike fail-fast command connections, it queues and waits: it subscribes (and re-subscribes
      // after an outage) once connected, and no request waits on it. Without a command timeout, a
      // SUBSCRIBE cut off by a closed connection must be sent again on the next one.
      const waiting = { commandTimeout: undefined, autoResendUnfulfilledCommands: true };
      const connection =
        'isCluster' in redis && redis.isCluster
          ? (redis as Cluster).duplicate(undefined, { enableOfflineQueue: true, redisOptions: { ...(redis as Cluster).options.redisOptions, ...waiting } })
          : (redis as Redis).duplicate({ ...waiting, enableOfflineQueue: true, maxRetriesPerRequest: null });
      clearStaleSocketTimers(connection);
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
