import type { Logger } from 'pino';
import type { KeyRing } from '../core/signing-keys.js';
import type { SecretKeys } from '../core/secret.js';
import type { ResolvedOptions } from './options.js';
import type { Upstream } from './upstream/upstreams.js';
import type { RateLimits } from './protection/rate-limits.js';
import type { IpRanges } from './protection/ip-ranges.js';
import type { ForwardedHeader } from './protection/client-ip.js';
import type { Metrics } from './observability/metrics.js';
import type { AuditLog } from './audit/audit-log.js';

/** What every endpoint works with, built once per server. */
export interface ServerContext {
  options: ResolvedOptions;
  secretKeys: SecretKeys;
  keyRing: KeyRing;
  logger: Logger;
  /** Absolute endpoint URLs, derived from the issuer (never from the request's Host header). */
  endpoints: EndpointUrls;
  /** Upstream providers by id, in configured order. */
  upstreams: Map<string, Upstream>;
  protection: {
    rateLimits: RateLimits;
    trustedProxies: IpRanges;
    /** The one header family read for the client address behind {@link trustedProxies}. */
    forwardedHeader: ForwardedHeader;
    operatorAllowList: IpRanges;
    /** Required as a bearer token on `/metrics` when set. */
    metricsToken: string | undefined;
  };
  metrics: Metrics;
  /** The tamper-evident audit log: every security-relevant action. */
  audit: AuditLog;
}

export interface EndpointUrls {
  authorization: string;
  userinfo: string;
  endSession: string;
  token: string;
  jwks: string;
  introspection: string;
  revocation: string;
}

/** Endpoint paths relative to the issuer's path. */
export const ENDPOINT_PATHS = {
  authorization: '/authorize',
  userinfo: '/userinfo',
  endSession: '/logout',
  token: '/token',
  jwks: '/jwks',
  introspection: '/introspect',
  revocation: '/revoke',
} as const satisfies Record<keyof EndpointUrls, string>;

/** Builds absolute endpoint URLs below the issuer. */
export function endpointUrls(issuer: string): EndpointUrls {
  const entries = Object.entries(ENDPOINT_PATHS).map(([name, path]) => [name, `${issuer}${path}`]);
  return Object.fromEntries(entries) as unknown as EndpointUrls;
}
