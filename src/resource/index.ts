export {
  createResourceGuard,
  ResourceGuardUnavailableError,
  type ResourceGuard,
  type ResourceGuardOptions,
  type VerifiedAccessToken,
} from './resource-guard.js';
export { BearerTokenError } from './errors.js';
export { createMemoryIntrospectionCache, createRedisIntrospectionCache, type IntrospectionCache, type CachedIntrospection } from './introspection-cache.js';
export { requireToken, expressRequireToken } from './glue.js';
