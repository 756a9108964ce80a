export {
  createResourceGuard,
  ResourceGuardUnavailableError,
  type ResourceGuard,
  type ResourceGuardOptions,
  type ResourceGuardDpopOptions,
  type VerifiedAccessToken,
} from './resource-guard.js';
export { BearerTokenError } from './errors.js';
export { createMemoryIntrospectionCache, createRedisIntrospectionCache, type IntrospectionCache, type CachedIntrospection } from './introspection-cache.js';
export { requireToken, expressRequireToken, resourceMetadata, expressResourceMetadata } from './glue.js';
export { RESOURCE_METADATA_WELL_KNOWN, resourceMetadataUrl, type ProtectedResourceMetadataOptions } from './protected-resource-metadata.js';
export { createMemoryDpopReplayCache, DPOP_ALGORITHMS, type DpopReplayCache } from '../core/dpop.js';
export { createRedisDpopReplayCache, type RedisSetNx } from './dpop-replay-cache.js';
