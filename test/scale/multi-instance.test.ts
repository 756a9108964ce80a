/**
 * Three `gatehouse start` processes over the machine's PostgreSQL and Redis: the scale-out
 * scenarios of multi-instance-scenarios.ts (also run on Redis Sentinel and Redis Cluster).
 */
import { deleteRedisKeys, REDIS_URL, redisKeys } from '../helpers/scale.js';
import { describeMultiInstance } from './multi-instance-scenarios.js';

describeMultiInstance('three instances over one PostgreSQL and one Redis', {
  url: () => REDIS_URL,
  keys: (pattern) => redisKeys(pattern),
  deleteKeys: (pattern) => deleteRedisKeys(pattern),
});
