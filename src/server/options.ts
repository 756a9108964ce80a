import { z } from 'zod';
import type { Logger } from 'pino';
import type { Clock } from '../core/clock.js';
import { systemClock } from '../core/clock.js';
import { ConfigError } from '../core/errors.js';
import { closestName } from '../core/option-checks.js';
import { isLoopbackHost } from '../core/urls.js';
import type { ProviderPreset } from '../client/providers/preset.js';
import type { Sender } from './mfa/senders/sender.js';
import type { Cluster, Redis } from 'ioredis';
import { DEFAULT_RATE_LIMITS, type RateLimitSettings } from './protection/rate-limits.js';
import type { Store } from '../stores/contract.js';
import { mfaSettings, protectionSettings, serverSettings } from './config/schema.js';
import { loadEmailTemplates, type EmailOverrides } from './accounts/email-templates.js';
import { loadMessages } from './languages/catalogs.js';
import type { Messages } from '../ui/i18n/index.js';

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
  /**
   * Deadline of each request to the provider (discovery, token, JWKS, UserInfo, its API), answer
   * included, in milliseconds; a sign-in whose request is past it gets a 503 page. Default 5000.
   */
  timeoutMs?: number;
}

const senderMessage = 'must have a send() method';
const isSender = (value: unknown): boolean => typeof (value as Sender | undefined)?.send === 'function';

/** One upstream, as `upstreams` takes it. */
const upstreamSchema: z.ZodType<UpstreamOptions> = z.strictObject(
  {
    id: z.string({ error: 'must be a string' }).regex(/^[a-z0-9][a-z0-9-]{0,31}$/, { error: 'must be 1 to 32 lowercase letters, digits or "-"' }),
    label: z
      .string({ error: 'must be 1 to 60 characters' })
      .min(1, { error: 'must be 1 to 60 characters' })
      .max(60, { error: 'must be 1 to 60 characters' })
      .optional(),
    provider: z.custom<ProviderPreset>((value) => typeof value === 'object' && value !== null && typeof (value as ProviderPreset).id === 'string', {
      error: 'must be a provider preset from gatehouse/client',
    }),
    clientId: z.string({ error: 'must be a non-empty string' }).min(1, { error: 'must be a non-empty string' }),
    clientSecret: z.string({ error: 'must be a non-empty string' }).min(1, { error: 'must be a non-empty string' }).optional(),
    scopes: z.array(z.string({ error: 'must be a string' }), { error: 'must be an array of strings' }).optional(),
    keepTokens: z.boolean({ error: 'must be true or false' }).optional(),
    allowInsecureRequests: z.boolean({ error: 'must be true or false' }).optional(),
    fetch: z.custom<typeof fetch>((value) => typeof value === 'function', { error: 'must be a function' }).optional(),
    timeoutMs: z
      .number({ error: 'must be a positive whole number of milliseconds' })
      .int({ error: 'must be a positive whole number of milliseconds' })
      .min(1, { error: 'must be a positive whole number of milliseconds' })
      .optional(),
  },
  { error: (issue) => (issue.code === 'invalid_type' ? 'must be an object' : undefined) },
);

/**
 * The options: the settings of `./config/schema.ts` (plain values, with their defaults and bounds)
 * and, beside them, the objects and functions the server is given.
 */
const optionsSchema = serverSettings.extend({
  /** Where clients, users, keys, consents and short-lived artifacts are kept. */
  store: z.custom<Store>((value) => typeof value === 'object' && value !== null && 'clients' in value && 'artifacts' in value && 'migrate' in value, {
    error: 'must implement the Store contract (gatehouse/stores/contract)',
  }),
  mfa: mfaSettings
    .extend({
      /** Where one-time codes go. Without a sender for a channel, that factor type is unavailable. */
      senders: z
        .strictObject(
          {
            email: z.custom<Sender>(isSender, { error: senderMessage }).optional(),
            sms: z.custom<Sender>(isSender, { error: senderMessage }).optional(),
          },
          { error: (issue) => (issue.code === 'invalid_type' ? 'must be an object' : undefined) },
        )
        .prefault({}),
    })
    .prefault({}),
  protection: protectionSettings
    .extend({
      /** Overrides of the default rate limits (checked name by name when they are merged). */
      rateLimits: z
        .custom<Partial<RateLimitSettings>>((value) => typeof value === 'object' && value !== null && !Array.isArray(value), { error: 'must be an object' })
        .optional(),
      /** Keep rate-limit counters in Redis, shared by every instance. Default: in memory. */
      redis: z.custom<Redis | Cluster>((value) => typeof value === 'object' && value !== null, { error: 'must be an ioredis client' }).optional(),
    })
    .prefault({}),
  /**
   * Messages from other instances (`gatehouse/stores/redis` `createInvalidationBus`): on `keys`
   * the signing keys are reloaded at once instead of at the next refresh interval.
   */
  invalidation: z
    .custom<{ subscribe(handler: (topic: string) => void): Promise<void> }>(
      (value) => typeof (value as { subscribe?: unknown } | undefined)?.subscribe === 'function',
      {
        error: 'must have a subscribe() method',
      },
    )
    .optional(),
  /** Upstream providers offered on the login page; each one's redirect URI is `{issuer}/upstream/{id}/callback`. */
  upstreams: z
    .array(upstreamSchema, { error: 'must be an array' })
    .refine((entries) => new Set(entries.map((upstream) => upstream.id)).size === entries.length, { error: 'ids must be unique' })
    .default([]),
  /** A pino logger; default: JSON lines on stdout at level `info`. `false` silences logging. */
  logger: z
    .custom<Logger | false>((value) => value === false || (typeof value === 'object' && value !== null), { error: 'must be a pino logger or false' })
    .optional(),
  /** The time source; tests pass a fixed clock. Default: the system clock. */
  clock: z
    .custom<Clock>((value) => typeof value === 'object' && value !== null && typeof (value as Clock).now === 'function', { error: 'must have a now() method' })
    .optional(),
});

/**
 * Options of {@link createAuthorizationServer}: `issuer`, `store` and `secret`, and optionally every
 * other setting, each with its default and bounds in `./config/schema.ts` and in the configuration
 * reference (docs/configuration.md, generated from that schema).
 */
export type AuthorizationServerOptions = z.input<typeof optionsSchema>;

type ParsedOptions = z.output<typeof optionsSchema>;

/** Options after defaults are merged: what the server works with. */
export type ResolvedOptions = Omit<ParsedOptions, 'tokens' | 'protection' | 'clock' | 'emails' | 'languages'> & {
  /** The issuer, parsed. */
  issuerUrl: URL;
  tokens: ParsedOptions['tokens'] & { defaultAudience: string };
  protection: Omit<ParsedOptions['protection'], 'rateLimits'> & { rateLimits: RateLimitSettings };
  /** The operator's own email templates, read once from `emails.templatesDir`. */
  emails: ParsedOptions['emails'] & { overrides: EmailOverrides };
  /** The pages' messages: the built-in catalogs and the operator's, from `languages.dir`, compiled once. */
  languages: ParsedOptions['languages'] & { messages: Messages };
  /** Cookies are `Secure` and `__Host-` prefixed when the issuer is https. */
  secureCookies: boolean;
  clock: Clock;
};

/**
 * Merges defaults into `options` and validates them once.
 * @throws {ConfigError} (a `TypeError`) naming the first bad option path and what it must be,
 * e.g. `option "tokens.accessTokenTtl" must be a whole number from 1 to 86400`.
 */
export function resolveOptions(options: AuthorizationServerOptions): ResolvedOptions {
  // Checked as `unknown`: JavaScript callers reach here without the types.
  const given: unknown = options;
  if (typeof given !== 'object' || given === null) {
    throw new ConfigError('options must be an object');
  }
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) throw optionError(parsed.error.issues[0]!);
  const settings = parsed.data;
  const issuerUrl = new URL(settings.issuer);
  checkIssuer(issuerUrl, settings.issuer, settings.mode);
  const messages = loadMessages(settings.languages.dir, settings.languages.default);
  // The issuer is compared as a string by clients (RFC 8414 §3.3); it stays exactly as configured.
  return {
    ...settings,
    issuerUrl,
    tokens: { ...settings.tokens, defaultAudience: settings.tokens.defaultAudience ?? settings.issuer },
    protection: { ...settings.protection, rateLimits: mergeRateLimits(settings.protection.rateLimits) },
    emails: { ...settings.emails, overrides: loadEmailTemplates(settings.emails.templatesDir, messages.locales) },
    languages: { ...settings.languages, messages },
    secureCookies: issuerUrl.protocol === 'https:',
    clock: settings.clock ?? systemClock,
  };
}

/** The first problem, as one sentence naming the option: never zod's own wording. */
function optionError(issue: z.core.$ZodIssue): ConfigError {
  const path = issue.path.map(String);
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0]!;
    const option = [...path, key].join('.');
    const closest = closestName(key, knownKeys(path));
    const suggestion = closest === undefined ? '' : ` (did you mean "${[...path, closest].join('.')}"?)`;
    return new ConfigError(`unknown option "${option}"${suggestion}`, 'ERR_INVALID_OPTION', option);
  }
  const option = path.join('.');
  return new ConfigError(`option "${option}" ${issue.message}`, 'ERR_INVALID_OPTION', option);
}

/** The option names of the group at `path` (for a "did you mean"). */
function knownKeys(path: string[]): string[] {
  let schema: z.ZodType = optionsSchema;
  for (const key of path) {
    const object = unwrapGroup(schema);
    const next = object?.shape[key] as z.ZodType | undefined;
    if (next === undefined) return [];
    schema = next;
  }
  return Object.keys(unwrapGroup(schema)?.shape ?? {});
}

function unwrapGroup(schema: z.ZodType): z.ZodObject | undefined {
  const inner = schema instanceof z.ZodPrefault ? (schema.unwrap() as z.ZodType) : schema;
  return inner instanceof z.ZodObject ? inner : undefined;
}

/**
 * The defaults with the overrides merged in. The schema checks only that the overrides are an
 * object, so each group and number is checked here, read as `unknown`: JavaScript callers and
 * config files reach here without the types.
 */
function mergeRateLimits(overrides: Partial<RateLimitSettings> | undefined): RateLimitSettings {
  const merged = structuredClone(DEFAULT_RATE_LIMITS) as unknown as Record<string, Record<string, number>>;
  const groups: Record<string, unknown> = { ...overrides };
  for (const [name, value] of Object.entries(groups)) {
    if (!(name in merged) || typeof value !== 'object' || value === null) {
      throw new ConfigError(`unknown option "protection.rateLimits.${name}"`, 'ERR_INVALID_OPTION', `protection.rateLimits.${name}`);
    }
    for (const [field, number] of Object.entries(value as Record<string, unknown>)) {
      if (!(field in merged[name]!) || typeof number !== 'number' || !Number.isInteger(number) || number < 1) {
        throw new ConfigError(
          `option "protection.rateLimits.${name}.${field}" must be a positive whole number`,
          'ERR_INVALID_OPTION',
          `protection.rateLimits.${name}.${field}`,
        );
      }
      merged[name]![field] = number;
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
    throw new ConfigError(
      'option "issuer" path may contain only letters, digits, "-", ".", "_", "~" and "/" (no trailing slash)',
      'ERR_INVALID_OPTION',
      'issuer',
    );
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
