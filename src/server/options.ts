import { z } from 'zod';
import type { Logger } from 'pino';
import type { Clock } from '../core/clock.js';
import { systemClock } from '../core/clock.js';
import { ConfigError } from '../core/errors.js';
import { isLoopbackHost } from '../core/urls.js';
import type { ProviderPreset } from '../client/providers/preset.js';
import type { Sender } from './mfa/senders/sender.js';
import type { Cluster, Redis } from 'ioredis';
import { DEFAULT_RATE_LIMITS, type RateLimitSettings } from './protection/rate-limits.js';
import { LOOPBACK_RANGES } from './protection/ip-ranges.js';
import { FORWARDED_HEADERS, type ForwardedHeader } from './protection/client-ip.js';
import type { SigningAlg, Store } from '../stores/contract.js';

/**
 * Options of {@link createAuthorizationServer}. Every default is listed here and in the
 * configuration reference (docs/configuration.md).
 */
export interface AuthorizationServerOptions {
  /**
   * The issuer identifier (RFC 8414 §2): an https URL without query or fragment. Plain http is
   * accepted for loopback hosts, or for any host in development mode. Endpoints live below it.
   */
  issuer: string;
  /** Where clients, users, keys, consents and short-lived artifacts are kept. */
  store: Store;
  /**
   * The installation secret (at least 32 characters). Encryption keys for private signing keys and
   * the key of the client-secret hash are derived from it. Changing it makes stored keys unreadable.
   */
  secret: string;
  /** `production` refuses a non-loopback http issuer. Default `production`. */
  mode?: 'development' | 'production';
  tokens?: {
    /** Access-token lifetime in seconds. Default 3600. */
    accessTokenTtl?: number;
    /** Algorithm of JWT access tokens. Default `ES256`. */
    accessTokenSigningAlg?: SigningAlg;
    /**
     * Audience (`aud`) of access tokens when the client names no `resource` (RFC 8707).
     * Default: the issuer.
     */
    defaultAudience?: string;
    /** ID-token lifetime in seconds. Default 3600. */
    idTokenTtl?: number;
    /** Authorization-code lifetime in seconds, at most 60. Default 60. */
    authorizationCodeTtl?: number;
    /** Refresh-token lifetime in seconds; each rotation starts a new period. Default 2592000 (30 days). */
    refreshTokenTtl?: number;
    /**
     * Seconds after a rotation during which the same client presenting the old refresh token again
     * gets the same successor instead of its token family being revoked. Default 0: any reuse revokes (RFC 9700 §4.14.2).
     */
    refreshTokenReuseGrace?: number;
  };
  sessions?: {
    /** Lifetime of a sign-in (SSO) session in seconds. Default 1209600 (14 days). */
    ttl?: number;
    /** Time a user has to finish signing in and consenting, in seconds. Default 1800. */
    interactionTtl?: number;
  };
  /** The audit log. Events always go to the store (chained) and the logger. */
  audit?: {
    /** Also append each event as a JSON line to this file (mode 0600). */
    file?: string;
  };
  /** Rate limits, IP allow-lists and proxies. */
  protection?: {
    /**
     * Proxies (addresses or CIDR ranges) whose `forwardedHeader` is believed. List only
     * proxies: a client inside a trusted range can claim any address. Default: none — the
     * connection's peer is the client.
     */
    trustedProxies?: string[];
    /**
     * The one header your trusted proxies maintain, read for the client address (walked from the
     * right, RFC 7239 §8.1): `'x-forwarded-for'` (default; nginx `$proxy_add_x_forwarded_for`, most
     * load balancers) or `'forwarded'` (RFC 7239). The other header is ignored entirely — a client
     * can send it and proxies usually pass it on — so pick the one your proxy overwrites or appends to.
     */
    forwardedHeader?: ForwardedHeader;
    /** Who may read `/metrics`. Default: loopback only. */
    operatorAllowList?: string[];
    /**
     * Also require `Authorization: Bearer <metricsToken>` on `/metrics` (at least 16 characters). An
     * allowed address without it gets 401; any other address still gets 404. Default: none.
     */
    metricsToken?: string;
    /** Overrides of the default rate limits. */
    rateLimits?: Partial<RateLimitSettings>;
    /** Keep rate-limit counters in Redis, shared by every instance. Default: in memory. */
    redis?: Redis | Cluster;
    /** Key prefix of those counters (the installation's Redis prefix). Default `{gatehouse}:`. */
    redisPrefix?: string;
  };
  /**
   * Messages from other instances (`gatehouse/stores/redis` `createInvalidationBus`): on `keys`
   * the signing keys are reloaded at once instead of at the next refresh interval.
   */
  invalidation?: { subscribe(handler: (topic: string) => void): Promise<void> };
  /** Multi-factor authentication. */
  mfa?: {
    /**
     * `off`: never asked. `optional` (default): users who set up a second factor are asked for it;
     * clients registered with `require_mfa` and requests with `acr_values=2` demand it.
     * `required`: every user, enrolling during sign-in when they have no factor.
     */
    policy?: 'off' | 'optional' | 'required';
    /** Where one-time codes go. Without a sender for a channel, that factor type is unavailable. */
    senders?: { email?: Sender; sms?: Sender };
    /** Removing a factor needs a sign-in at most this many seconds old. Default 600. */
    recentAuthSeconds?: number;
  };
  /** Product name, logo and primary colour of the sign-in pages. */
  branding?: {
    productName?: string;
    logoUrl?: string;
    /** `#rrggbb`. */
    primaryColor?: string;
  };
  /**
   * Upstream providers offered on the login page ("Continue with GitHub"). Each one's redirect URI
   * to register at the provider is `{issuer}/upstream/{id}/callback`.
   */
  upstreams?: UpstreamOptions[];
  /** Scopes advertised in discovery as `scopes_supported`. Default: none advertised. */
  scopes?: string[];
  keys?: {
    /** How often (seconds) to look for keys rotated by another process. Default 60. */
    refreshInterval?: number;
  };
  limits?: {
    /** Largest accepted request body in bytes. Default 65536 (64 KiB). */
    maxBodyBytes?: number;
  };
  /** Apply pending store migrations on start. Default true. */
  migrate?: boolean;
  /** A pino logger; default: JSON lines on stdout at level `info`. `false` silences logging. */
  logger?: Logger | false;
  /** The time source; tests pass a fixed clock. */
  clock?: Clock;
}

/** One upstream provider users may sign in with. */
export interface UpstreamOptions {
  /** Lowercase id used in URLs and links, e.g. `github`. */
  id: string;
  /** Shown as "Continue with {label}". Default: the id, capitalised. */
  label?: string;
  /** A preset from `gatehouse/client`: `github()`, `google()`, `oidc(issuer)`, ... */
  provider: ProviderPreset;
  clientId: string;
  clientSecret?: string;
  scopes?: string[];
  /** Keep the provider's tokens (encrypted) with the linked account, for calling its API. Default false. */
  keepTokens?: boolean;
  /** Allows a plain-http provider (local development and tests only). */
  allowInsecureRequests?: boolean;
  /** `fetch` for requests to the provider. */
  fetch?: typeof fetch;
}

/** Options after defaults are merged: what the server works with. */
export interface ResolvedOptions {
  issuer: string;
  issuerUrl: URL;
  store: Store;
  secret: string;
  mode: 'development' | 'production';
  tokens: {
    accessTokenTtl: number;
    accessTokenSigningAlg: SigningAlg;
    defaultAudience: string;
    idTokenTtl: number;
    authorizationCodeTtl: number;
    refreshTokenTtl: number;
    refreshTokenReuseGrace: number;
  };
  sessions: { ttl: number; interactionTtl: number };
  branding: { productName: string; logoUrl: string | undefined; primaryColor: string };
  mfa: { policy: 'off' | 'optional' | 'required'; senders: { email?: Sender; sms?: Sender }; recentAuthSeconds: number };
  protection: {
    trustedProxies: string[];
    forwardedHeader: ForwardedHeader;
    operatorAllowList: string[];
    metricsToken: string | undefined;
    rateLimits: RateLimitSettings;
    redis: Redis | Cluster | undefined;
    redisPrefix: string | undefined;
  };
  invalidation: { subscribe(handler: (topic: string) => void): Promise<void> } | undefined;
  audit: { file: string | undefined };
  /** Cookies are `Secure` and `__Host-` prefixed when the issuer is https. */
  secureCookies: boolean;
  scopes: string[];
  upstreams: UpstreamOptions[];
  keys: { refreshInterval: number };
  limits: { maxBodyBytes: number };
  migrate: boolean;
  logger: Logger | false | undefined;
  clock: Clock;
}

const absoluteUrl = z.string().refine((value) => URL.canParse(value), 'must be an absolute URL');
const positiveSeconds = z.number().int().positive();

const schema = z
  .object({
    issuer: absoluteUrl,
    store: z.custom<Store>(
      (value) =>
        typeof value === 'object' && value !== null && 'clients' in value && 'artifacts' in value && 'migrate' in value,
      'must implement the Store contract (gatehouse/stores/contract)',
    ),
    secret: z.string().min(32, 'must be at least 32 characters'),
    mode: z.enum(['development', 'production']).optional(),
    tokens: z
      .object({
        accessTokenTtl: positiveSeconds.max(86_400).optional(),
        accessTokenSigningAlg: z.enum(['ES256', 'RS256']).optional(),
        defaultAudience: absoluteUrl.optional(),
        idTokenTtl: positiveSeconds.max(86_400).optional(),
        authorizationCodeTtl: positiveSeconds.max(60).optional(),
        refreshTokenTtl: positiveSeconds.optional(),
        refreshTokenReuseGrace: z.number().int().min(0).max(300).optional(),
      })
      .strict()
      .optional(),
    sessions: z
      .object({ ttl: positiveSeconds.optional(), interactionTtl: positiveSeconds.max(86_400).optional() })
      .strict()
      .optional(),
    audit: z.object({ file: z.string().min(1).optional() }).strict().optional(),
    invalidation: z.custom<{ subscribe(handler: (topic: string) => void): Promise<void> }>((value) => typeof (value as { subscribe?: unknown })?.subscribe === 'function', 'must have a subscribe() method').optional(),
    protection: z
      .object({
        trustedProxies: z.array(z.string()).optional(),
        forwardedHeader: z.enum(FORWARDED_HEADERS).optional(),
        operatorAllowList: z.array(z.string()).optional(),
        metricsToken: z
          .string()
          .min(16, 'must be at least 16 characters')
          .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces')
          .optional(),
        rateLimits: z.record(z.string(), z.any()).optional(),
        redis: z.any().optional(),
        redisPrefix: z.string().min(1).optional(),
      })
      .strict()
      .optional(),
    mfa: z
      .object({
        policy: z.enum(['off', 'optional', 'required']).optional(),
        senders: z
          .object({
            email: z.custom<Sender>((value) => typeof (value as Sender)?.send === 'function', 'must have a send() method').optional(),
            sms: z.custom<Sender>((value) => typeof (value as Sender)?.send === 'function', 'must have a send() method').optional(),
          })
          .strict()
          .optional(),
        recentAuthSeconds: positiveSeconds.optional(),
      })
      .strict()
      .optional(),
    branding: z
      .object({
        productName: z.string().min(1).max(100).optional(),
        logoUrl: absoluteUrl.optional(),
        primaryColor: z.string().regex(/^#[0-9a-fA-F]{6}$/, 'must be a colour like #2f5bea').optional(),
      })
      .strict()
      .optional(),
    upstreams: z
      .array(
        z
          .object({
            id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'must be 1 to 32 lowercase letters, digits or "-"'),
            label: z.string().min(1).max(60).optional(),
            provider: z.custom<ProviderPreset>((value) => typeof value === 'object' && value !== null && typeof (value as ProviderPreset).id === 'string', 'must be a provider preset from gatehouse/client'),
            clientId: z.string().min(1),
            clientSecret: z.string().min(1).optional(),
            scopes: z.array(z.string()).optional(),
            keepTokens: z.boolean().optional(),
            allowInsecureRequests: z.boolean().optional(),
            fetch: z.custom<typeof fetch>((value) => typeof value === 'function', 'must be a function').optional(),
          })
          .strict(),
      )
      .refine((list) => new Set(list.map((upstream) => upstream.id)).size === list.length, 'ids must be unique')
      .optional(),
    scopes: z.array(z.string().regex(/^[\x21\x23-\x5B\x5D-\x7E]+$/, 'must be a valid scope token (RFC 6749 §3.3)')).optional(),
    keys: z.object({ refreshInterval: positiveSeconds.optional() }).strict().optional(),
    limits: z.object({ maxBodyBytes: z.number().int().min(1024).optional() }).strict().optional(),
    migrate: z.boolean().optional(),
    logger: z.any().optional(),
    clock: z.custom<Clock>((value) => typeof value === 'object' && value !== null && typeof (value as Clock).now === 'function', 'must have a now() method').optional(),
  })
  .strict();

/**
 * Merges defaults into `options` and validates them once.
 * @throws {ConfigError} (a `TypeError`) naming the first bad option path.
 */
export function resolveOptions(options: AuthorizationServerOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) {
    throw new ConfigError('options must be an object');
  }
  const parsed = schema.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.path.map(String).join('.') || (issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : '');
    const option = issue.code === 'unrecognized_keys' ? [...issue.path.map(String), ...issue.keys].join('.') : path;
    const message = issue.code === 'unrecognized_keys' ? `unknown option "${option}"` : `option "${option}" ${issue.message}`;
    throw new ConfigError(message, 'ERR_INVALID_OPTION', option);
  }
  const mode = options.mode ?? 'production';
  const issuerUrl = new URL(options.issuer);
  checkIssuer(issuerUrl, options.issuer, mode);
  // The issuer is compared as a string by clients (RFC 8414 §3.3); keep it exactly as configured.
  const issuer = options.issuer;
  return {
    issuer,
    issuerUrl,
    store: options.store,
    secret: options.secret,
    mode,
    tokens: {
      accessTokenTtl: options.tokens?.accessTokenTtl ?? 3600,
      accessTokenSigningAlg: options.tokens?.accessTokenSigningAlg ?? 'ES256',
      defaultAudience: options.tokens?.defaultAudience ?? issuer,
      idTokenTtl: options.tokens?.idTokenTtl ?? 3600,
      authorizationCodeTtl: options.tokens?.authorizationCodeTtl ?? 60,
      refreshTokenTtl: options.tokens?.refreshTokenTtl ?? 2_592_000,
      refreshTokenReuseGrace: options.tokens?.refreshTokenReuseGrace ?? 0,
    },
    sessions: { ttl: options.sessions?.ttl ?? 1_209_600, interactionTtl: options.sessions?.interactionTtl ?? 1800 },
    branding: {
      productName: options.branding?.productName ?? 'Gatehouse',
      logoUrl: options.branding?.logoUrl,
      primaryColor: options.branding?.primaryColor ?? '#2f5bea',
    },
    audit: { file: options.audit?.file },
    invalidation: options.invalidation,
    protection: {
      trustedProxies: options.protection?.trustedProxies ?? [],
      forwardedHeader: options.protection?.forwardedHeader ?? 'x-forwarded-for',
      operatorAllowList: options.protection?.operatorAllowList ?? LOOPBACK_RANGES,
      metricsToken: options.protection?.metricsToken,
      rateLimits: mergeRateLimits(options.protection?.rateLimits),
      redis: options.protection?.redis,
      redisPrefix: options.protection?.redisPrefix,
    },
    mfa: { policy: options.mfa?.policy ?? 'optional', senders: options.mfa?.senders ?? {}, recentAuthSeconds: options.mfa?.recentAuthSeconds ?? 600 },
    secureCookies: issuerUrl.protocol === 'https:',
    scopes: options.scopes ?? [],
    upstreams: options.upstreams ?? [],
    keys: { refreshInterval: options.keys?.refreshInterval ?? 60 },
    limits: { maxBodyBytes: options.limits?.maxBodyBytes ?? 65_536 },
    migrate: options.migrate ?? true,
    logger: options.logger,
    clock: options.clock ?? systemClock,
  };
}

function mergeRateLimits(overrides: Partial<RateLimitSettings> | undefined): RateLimitSettings {
  const merged = structuredClone(DEFAULT_RATE_LIMITS) as unknown as Record<string, Record<string, number>>;
  for (const [name, value] of Object.entries(overrides ?? {})) {
    if (!(name in merged) || typeof value !== 'object' || value === null) {
      throw new ConfigError(`unknown option "protection.rateLimits.${name}"`, 'ERR_INVALID_OPTION', `protection.rateLimits.${name}`);
    }
    for (const [field, number] of Object.entries(value)) {
      if (!(field in merged[name]!) || !Number.isInteger(number) || (number as number) < 1) {
        throw new ConfigError(`option "protection.rateLimits.${name}.${field}" must be a positive whole number`, 'ERR_INVALID_OPTION', `protection.rateLimits.${name}.${field}`);
      }
      merged[name]![field] = number as number;
    }
  }
  return merged as unknown as RateLimitSettings;
}

/** RFC 8414 §2: https, no query, no fragment. Plain http only on loopback or in development. */
function checkIssuer(url: URL, raw: string, mode: 'development' | 'production'): void {
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigError('option "issuer" must be an https URL', 'ERR_INVALID_OPTION', 'issuer');
  }
  if (url.search || url.hash || raw.includes('?') || raw.includes('#')) {
    throw new ConfigError('option "issuer" must not have a query or fragment (RFC 8414 §2)', 'ERR_INVALID_OPTION', 'issuer');
  }
  // Unreserved characters only: the path becomes a route prefix and must read the same encoded and decoded.
  if (!/^https?:\/\/[^/?#]+(\/[A-Za-z0-9._~-]+)*$/.test(raw)) {
    throw new ConfigError('option "issuer" path may contain only letters, digits, "-", ".", "_", "~" and "/" (no trailing slash)', 'ERR_INVALID_OPTION', 'issuer');
  }
  if (raw.endsWith('/')) {
    throw new ConfigError('option "issuer" must not end with "/"', 'ERR_INVALID_OPTION', 'issuer');
  }
  if (url.protocol === 'http:' && mode === 'production' && !isLoopbackHost(url.hostname)) {
    throw new ConfigError(
      'option "issuer" must use https outside development mode (plain http is allowed only for loopback hosts)',
      'ERR_INVALID_OPTION',
      'issuer',
    );
  }
}
