import type { Logger } from 'pino';
import type { KeyRing } from './keys/signing-keys.js';
import type { SecretKeys } from '../core/secret.js';
import type { ResolvedOptions } from './options.js';
import type { Clock } from '../core/clock.js';
import type { Store } from '../stores/contract.js';
import type { Upstream } from './upstream/upstreams.js';
import type { RateLimits } from './protection/rate-limits.js';
import type { IpRanges } from './protection/ip-ranges.js';
import type { ForwardedHeader } from './protection/client-ip.js';
import type { Metrics } from './observability/metrics.js';
import type { AuditLog } from './audit/audit-log.js';
import type { ClientDocuments } from './clients/client-documents.js';
import type { ClientKeys } from './clients/client-keys.js';
import { ROUTES } from './routes.js';
import { traceLogFields, type RequestTrace } from '../core/tracing.js';

/**
 * What the server's steps work with: a typed set of capabilities built once by
 * `createAuthorizationServer`. A step takes the ones it uses (`Pick<Capabilities, 'store' | 'clock'>`),
 * never the user's options object; the store and the clock are capabilities, not options.
 */
export interface Capabilities {
  /** Durable records and short-lived artifacts. */
  store: Store;
  /** The time source (a fixed clock in tests). */
  clock: Clock;
  /** The resolved configuration: issuer, lifetimes, branding, policies (no store, clock or logger). */
  config: ServerConfig;
  /** Keys derived from the installation secret: encryption and keyed hashes. */
  secrets: SecretKeys;
  /** The signing keys (active and published). */
  keys: KeyRing;
  logger: Logger;
  /** Absolute endpoint URLs, derived from the issuer (never from the request's Host header). */
  urls: EndpointUrls;
  /** Upstream providers by id, in configured order. */
  upstreams: Map<string, Upstream>;
  /** Rate limits (spend, then check). */
  limits: RateLimits;
  /** Who may be believed about client addresses, and who may read `/metrics`. */
  network: {
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
  /** Client metadata documents, fetched and kept; `undefined` unless `clientMetadataDocuments.enabled`. */
  clientDocuments?: ClientDocuments | undefined;
  /** Client key sets registered by `jwks_uri`, fetched SSRF-safe and cached (`private_key_jwt`, request objects). */
  clientKeys?: ClientKeys | undefined;
}

/** The configuration part of the resolved options: everything but the store, the clock and the logger. */
export type ServerConfig = Omit<ResolvedOptions, 'store' | 'clock' | 'logger'>;

/**
 * Who is asking: the request id, the client's address (resolved behind trusted proxies, `null`
 * when the host gave none) and user agent. Built by the router for each request and passed
 * explicitly (no `AsyncLocalStorage`).
 */
export interface RequestInfo {
  id: string;
  ip: string | null;
  userAgent: string | null;
  /** Forwarding headers arrived from a peer that is not a trusted proxy. */
  unvouchedForwarding: boolean;
  /** The request's OpenTelemetry span and context, when an SDK is registered (see `core/tracing.ts`). */
  trace?: RequestTrace | undefined;
  /**
   * What the pages' language is chosen from besides `ui_locales` (`http/page-language.ts`): the
   * `Accept-Language` header and the language switcher's cookie. Absent: the default language.
   */
  languages?: { accept: string | null; remembered: string | undefined } | undefined;
}

/**
 * The capabilities as one request sees them: its {@link RequestInfo}, and an audit log that
 * records it with every event. What endpoints and their steps receive.
 */
export interface ServerContext extends Capabilities {
  request: RequestInfo;
}

/** The request's client address, or `unknown` (as rate-limit keys and logs need a string). */
export function clientAddress(ctx: Pick<ServerContext, 'request'>): string {
  return ctx.request.ip ?? 'unknown';
}

/**
 * The scope of one request: the capabilities with its info, and the audit log bound to it. A traced
 * request's log lines carry `trace_id` and `span_id`, and its audit events `trace_id`.
 */
export function scopeFor(capabilities: Capabilities, request: RequestInfo): ServerContext {
  const { trace } = request;
  const audit = capabilities.audit.forRequest({
    requestId: request.id,
    ip: request.ip,
    userAgent: request.userAgent,
    ...(trace ? { traceId: trace.traceId } : {}),
  });
  return { ...capabilities, request, audit, ...(trace ? { logger: capabilities.logger.child(traceLogFields(trace)) } : {}) };
}

export interface EndpointUrls {
  authorization: string;
  userinfo: string;
  endSession: string;
  token: string;
  jwks: string;
  introspection: string;
  revocation: string;
  deviceAuthorization: string;
}

/** Builds the absolute URLs of the protocol endpoints below the issuer (see {@link ROUTES}). */
export function endpointUrls(issuer: string): EndpointUrls {
  const names = ['authorization', 'userinfo', 'endSession', 'token', 'jwks', 'introspection', 'revocation', 'deviceAuthorization'] as const;
  return Object.fromEntries(names.map((name) => [name, `${issuer}${ROUTES[name]}`])) as unknown as EndpointUrls;
}
