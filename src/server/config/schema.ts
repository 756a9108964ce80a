/**
 * Every setting with a plain value, in one zod schema: its bounds and default (in the zod checks),
 * its `GATEHOUSE_*` variable where the command exposes it, and a one-line description. From it come
 * the library's options type and their resolution (`../options.ts`), the command's variables and
 * config-file keys (`../../cli/settings.ts`), the settings tables of docs/configuration.md and
 * .env.example (`npm run docs:config`). Objects and functions (store, clock, logger, senders,
 * upstreams, Redis) are not settings: they are typed beside the schema, in `../options.ts`.
 *
 * A bound lives in one place, the zod check; the documentation and the command read it from there.
 */
import { z } from 'zod';
import { FORWARDED_HEADERS } from '../protection/client-ip.js';
import { LOOPBACK_RANGES } from '../protection/ip-ranges.js';
import { ADMIN_PREFIX, routeTakenBy } from '../routes.js';

/** How the command exposes a setting. */
export interface CommandExposure {
  /** Its environment variable. */
  env: `GATEHOUSE_${string}`;
  /** A command-line flag that sets it too, as the usage shows it (`--port`). */
  flag?: string;
  /** Holds a credential: read from the environment only, refused in the config file (which may be committed). */
  credential?: boolean;
  /** The command's default, in words, where the command computes one the library does not have. */
  default?: string;
  /** What the command adds to the description (its own behaviour). */
  note?: string;
  /** Accepts the value in any letter case (header names). */
  ignoreCase?: boolean;
  /** Listed with the settings for several instances (PostgreSQL, Redis, workers). */
  scaleOut?: boolean;
}

/** What the documentation says about a setting, beside what its zod type already says. */
export interface SettingDoc {
  /** One line of Markdown: what the setting does. Bounds and default are added from the schema. */
  description: string;
  /** The default in words, where the value alone says too little (`the issuer`, `2592000` (30 days)). */
  defaultText?: string;
  /** Present when the `gatehouse` command exposes the setting. */
  command?: CommandExposure;
  /**
   * Its value is a secret (a key, a token, a password): never shown, only whether it is set (the
   * admin API's `GET /settings`). A setting the command marks `credential` is secret without it.
   */
  secret?: boolean;
}

/** How a value is written, and so how the command reads a variable's text. */
export type SettingKind = 'integer' | 'choice' | 'text' | 'list' | 'path' | 'boolean';

/** A setting's documentation plus what is read from its zod type. */
export interface SettingMeta extends SettingDoc {
  kind: SettingKind;
  /** Accepted values in words, from the zod checks: `1–86400 seconds`, `` `ES256`, `RS256` ``. */
  values: string;
  /** Whether the library requires it (no default, not optional). */
  required: boolean;
  /** The default value, or `undefined` when there is none. */
  default: unknown;
  /** The allowed values of a choice. */
  choices?: readonly string[];
}

/** The settings' documentation, keyed by their zod schema. */
const registry = z.registry<SettingMeta>();
/** What a value's checks alone do not say: the unit of a number, the format of a string or list. */
const formats = new WeakMap<z.ZodType, string>();

// ---------------------------------------------------------------------------------------------
// Value types. Each names its bound in its error message, which the library prefixes with
// `option "path"` and the command with `key (GATEHOUSE_VAR)`.

/** A whole number from `min` to `max`, in `unit`. */
function wholeNumber(min: number, max: number, unit?: 'seconds' | 'milliseconds' | 'bytes') {
  const message = `must be a whole number from ${min} to ${max}`;
  const schema = z.number({ error: message }).int({ error: message }).min(min, { error: message }).max(max, { error: message });
  if (unit !== undefined) formats.set(schema, unit);
  return schema;
}

/** Seconds, from `min` to `max`. */
function seconds(min: number, max: number) {
  return wholeNumber(min, max, 'seconds');
}

/** One of `values`. */
function choice<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, { error: `must be one of ${values.join(', ')}` });
}

/** A string; optionally `min` to `max` characters, matching `pattern`; `format` says in words what it is. */
function text(spec: { min?: number; max?: number; pattern?: RegExp; message?: string; format?: string } = {}) {
  const { min, max, pattern, format } = spec;
  const message =
    spec.message ??
    (min !== undefined && max !== undefined
      ? `must be ${min} to ${max} characters`
      : min !== undefined
        ? `must be at least ${min} characters`
        : max !== undefined
          ? `must be at most ${max} characters`
          : 'must be a string');
  let schema = z.string({ error: (issue) => (issue.input === undefined ? 'is required' : message) });
  if (min !== undefined) schema = schema.min(min, { error: message });
  if (max !== undefined) schema = schema.max(max, { error: message });
  if (pattern !== undefined) schema = schema.regex(pattern, { error: message });
  if (format !== undefined) formats.set(schema, format);
  return schema;
}

/** An absolute URL. */
function absoluteUrl() {
  const message = 'must be an absolute URL';
  const schema = z
    .string({ error: (issue) => (issue.input === undefined ? 'is required' : message) })
    .refine((value) => URL.canParse(value), { error: message });
  formats.set(schema, 'absolute URL');
  return schema;
}

/** A file or directory path (the command resolves a relative one from its working directory). */
function path() {
  const schema = z.string({ error: 'must be a path' }).min(1, { error: 'must be a path' });
  formats.set(schema, 'path');
  return schema;
}

/** A list of `item`s; `format` says what each is. */
function list(item: z.ZodString, format: string) {
  const schema = z.array(item, { error: 'must be an array of strings' });
  formats.set(schema, format);
  return schema;
}

/** `true` or `false`. */
function flag() {
  return z.boolean({ error: 'must be true or false' });
}

/**
 * Declares `schema` a setting: records its documentation and what its zod type says about it
 * (kind, accepted values, default), so that nothing is written twice.
 */
function setting<T extends z.ZodType>(schema: T, doc: SettingDoc): T {
  registry.add(schema, { ...doc, ...describe(schema) });
  return schema;
}

/** The kind, accepted values and default of a setting, read from its zod type. */
function describe(schema: z.ZodType): Pick<SettingMeta, 'kind' | 'values' | 'required' | 'default' | 'choices'> {
  const fallback = schema.safeParse(undefined);
  const inner = bare(schema);
  const format = formats.get(inner);
  const base = { required: !fallback.success, default: fallback.success ? fallback.data : undefined };
  if (inner instanceof z.ZodNumber) return { ...base, kind: 'integer', values: [`${inner.minValue}–${inner.maxValue}`, format].filter(Boolean).join(' ') };
  if (inner instanceof z.ZodEnum)
    return { ...base, kind: 'choice', values: inner.options.map((value) => `\`${String(value)}\``).join(', '), choices: inner.options.map(String) };
  if (inner instanceof z.ZodBoolean) return { ...base, kind: 'boolean', values: '`true`, `false`' };
  if (inner instanceof z.ZodArray) return { ...base, kind: 'list', values: format ?? 'list' };
  if (inner instanceof z.ZodString) {
    if (format === 'path') return { ...base, kind: 'path', values: 'path' };
    return { ...base, kind: 'text', values: [format, lengthText(inner)].filter(Boolean).join(', ') || 'text' };
  }
  throw new TypeError(`a setting must be a number, string, choice, list or boolean, not ${inner.constructor.name}`);
}

/** A string's length bounds in words; nothing for "not empty". */
function lengthText({ minLength, maxLength }: z.ZodString): string | undefined {
  if (minLength !== null && maxLength !== null) return `${minLength}–${maxLength} characters`;
  if (maxLength !== null) return `at most ${maxLength} characters`;
  if (minLength !== null && minLength > 1) return `at least ${minLength} characters`;
  return undefined;
}

/** The value type under `.default()` and `.optional()`. */
function bare(schema: z.ZodType): z.ZodType {
  if (schema instanceof z.ZodDefault || schema instanceof z.ZodOptional || schema instanceof z.ZodPrefault) return bare(schema.unwrap() as z.ZodType);
  return schema;
}

/** A group of settings: unknown keys are errors; left out, every default applies. */
function section<T extends z.core.$ZodLooseShape>(shape: T) {
  return z.strictObject(shape, { error: (issue) => (issue.code === 'invalid_type' ? 'must be an object' : undefined) });
}

// ---------------------------------------------------------------------------------------------
// The library's settings (`createAuthorizationServer` options), in the order the reference lists them.

/** `tokens`: lifetimes and signing of what the token endpoint issues. */
export const tokenSettings = section({
  accessTokenTtl: setting(seconds(1, 86_400).default(3600), {
    description: 'Access-token lifetime.',
    command: { env: 'GATEHOUSE_ACCESS_TOKEN_TTL' },
  }),
  accessTokenSigningAlg: setting(choice(['ES256', 'RS256']).default('ES256'), {
    description: 'Algorithm of JWT access tokens.',
    command: { env: 'GATEHOUSE_ACCESS_TOKEN_ALG' },
  }),
  defaultAudience: setting(absoluteUrl().optional(), {
    description:
      '`aud` of access tokens when the request names no RFC 8707 `resource`. Tokens with the `openid` scope then also get the issuer, which UserInfo requires in `aud` (RFC 9068 §4).',
    defaultText: 'the issuer',
    command: { env: 'GATEHOUSE_DEFAULT_AUDIENCE' },
  }),
  idTokenTtl: setting(seconds(1, 86_400).default(3600), {
    description: 'ID-token lifetime.',
    command: { env: 'GATEHOUSE_ID_TOKEN_TTL' },
  }),
  authorizationCodeTtl: setting(seconds(1, 60).default(60), {
    description: 'Authorization-code lifetime.',
  }),
  // One year at most: the command always capped it there, and a longer-lived bearer credential is
  // a risk no deployment needs (each rotation starts a new period anyway).
  refreshTokenTtl: setting(seconds(1, 31_536_000).default(2_592_000), {
    description: 'Refresh-token lifetime; each rotation starts a new period.',
    defaultText: '`2592000` (30 days)',
    command: { env: 'GATEHOUSE_REFRESH_TOKEN_TTL' },
  }),
  refreshTokenReuseGrace: setting(seconds(0, 300).default(0), {
    description:
      'Seconds during which the same confidential client presenting a just-rotated refresh token gets the same successor instead of its token family being revoked. Never for public clients (`--auth-method none`): they cannot authenticate, so within the window anyone holding a stolen old refresh token would receive the live successor; for them RFC 9700 §4.14.2 relies on rotation with reuse detection in place of sender-constraining, and any reuse revokes the family.',
    command: { env: 'GATEHOUSE_REFRESH_TOKEN_REUSE_GRACE' },
  }),
  deviceCodeTtl: setting(seconds(60, 1800).default(600), {
    description:
      'Lifetime of a device authorization (RFC 8628): how long the user has to enter the user code and approve, and the device to poll. Shorter means fewer live codes for a guesser to hit.',
    command: { env: 'GATEHOUSE_DEVICE_CODE_TTL' },
  }),
  deviceCodeInterval: setting(seconds(1, 60).default(5), {
    description:
      'Seconds a device waits between polls of the token endpoint (RFC 8628 §3.2 `interval`). A device that polls sooner gets `slow_down`, and its interval grows by 5 seconds (§3.5).',
    command: { env: 'GATEHOUSE_DEVICE_CODE_INTERVAL' },
  }),
  // Off by default, as in node-oidc-provider: a nonce costs every client one more round trip per
  // window, and the iat window with the shared jti cache already bounds a proof's use to once.
  dpopNonce: setting(choice(['off', 'on']).default('off'), {
    description:
      'Server nonces for DPoP proofs (RFC 9449 §8): `on` makes the token endpoint and UserInfo require a proof carrying a nonce this server issued (`400 use_dpop_nonce` / `401` with a `DPoP-Nonce` header otherwise), so a proof cannot be made ahead of time. Nonces are stateless (derived from the installation secret and a five-minute window), so every instance accepts them. See [DPoP](dpop.md).',
    command: { env: 'GATEHOUSE_DPOP_NONCE' },
  }),
  dpopProofMaxAge: setting(seconds(10, 300).default(60), {
    description:
      'How old a DPoP proof may be (its `iat`, RFC 9449 §4.3), with 5 seconds of clock leeway either way. Spent proofs are remembered as long, in the store (Redis with the hybrid store), so each is used once across instances.',
    command: { env: 'GATEHOUSE_DPOP_PROOF_MAX_AGE' },
  }),
});

/** `sessions`: sign-in sessions and sign-ins in progress. */
export const sessionSettings = section({
  // At least a minute (as the command always required): a session shorter than the sign-in that
  // creates it would end before the user gets back to the application.
  ttl: setting(seconds(60, 31_536_000).default(1_209_600), {
    description: 'Lifetime of a sign-in (SSO) session.',
    defaultText: '`1209600` (14 days)',
    command: { env: 'GATEHOUSE_SESSION_TTL' },
  }),
  interactionTtl: setting(seconds(1, 86_400).default(1800), {
    description: 'Time a user has to finish signing in and consenting.',
  }),
});

/** `mfa`: the two-step verification policy (its senders are objects, typed in `../options.ts`). */
export const mfaSettings = section({
  policy: setting(choice(['off', 'optional', 'required']).default('optional'), {
    description:
      'Two-step verification: `off` (never asked), `optional` (users who set up a second factor are asked; clients registered with `require_mfa` (`--require-mfa`) and requests with `acr_values=2` or the admin scopes demand one), `required` (every user; those without a factor set up an authenticator app while signing in). See [security](security.md#two-step-verification).',
    command: { env: 'GATEHOUSE_MFA_POLICY' },
  }),
  recentAuthSeconds: setting(seconds(1, 31_536_000).default(600), {
    description: 'Removing a factor on the account page needs a sign-in at most this old.',
  }),
});

/** `accounts`: what people may do for themselves: sign up, verify their email, reset a password, sign in by email. */
export const accountSettings = section({
  signUp: setting(choice(['off', 'open', 'invite']).default('off'), {
    description:
      'Who may create an account: `off` (only an operator, `gatehouse users add`), `open` (anyone, from "Create account" on the sign-in page and `prompt=create`; upstream sign-in creates accounts too), `invite` (only people with an invitation, `gatehouse users invite`). See [security](security.md#account-lifecycle).',
    command: { env: 'GATEHOUSE_SIGN_UP' },
  }),
  allowedEmailDomains: setting(list(text({ min: 1, max: 253 }), 'domain names').default([]), {
    description:
      'When set, sign-up, an email change and an account made by upstream sign-in accept only addresses at these domains (verified, for upstream), compared case-insensitively and exactly (no subdomains). Empty: every domain.',
    command: { env: 'GATEHOUSE_SIGN_UP_DOMAINS' },
  }),
  requireVerifiedEmail: setting(flag().default(false), {
    description:
      "Sign-in is finished only once the account's email address is verified: a user who has not verified it gets a code (and a link) by email before the application sees them. Without it, `email_verified` tells the application.",
    command: { env: 'GATEHOUSE_REQUIRE_VERIFIED_EMAIL' },
  }),
  signUpClaims: setting(
    list(
      text({
        pattern: /^(given_name|family_name|nickname|preferred_username|locale|zoneinfo|birthdate|website)$/,
        message: 'must be one of given_name, family_name, nickname, preferred_username, locale, zoneinfo, birthdate, website',
      }),
      'OpenID Connect claim names: `given_name`, `family_name`, `nickname`, `preferred_username`, `locale`, `zoneinfo`, `birthdate`, `website`',
    ).default([]),
    {
      description: 'Profile claims asked on the sign-up form besides email, password and name (all optional for the user).',
      command: { env: 'GATEHOUSE_SIGN_UP_CLAIMS' },
    },
  ),
  passwordMinLength: setting(wholeNumber(8, 64).default(8), {
    description:
      'Shortest password accepted when one is chosen (sign-up, reset, change, invitation). Passwords up to 1024 characters are accepted, never truncated, with no composition rules (NIST SP 800-63B §5.1.1.2).',
    command: { env: 'GATEHOUSE_PASSWORD_MIN_LENGTH' },
  }),
  passwordMinScore: setting(wholeNumber(0, 4).default(3), {
    description:
      "Least zxcvbn strength (0–4) of a chosen password, judged against common passwords, names, keyboard patterns and the user's own name, username and email; `0` turns the check off (the length still applies).",
    command: { env: 'GATEHOUSE_PASSWORD_MIN_SCORE' },
  }),
  passwordless: setting(choice(['off', 'email']).default('off'), {
    description:
      '`email`: the sign-in page also offers "Email me a sign-in code", a 6-digit code and a link, limited like every one-time code. Needs an email sender.',
    command: { env: 'GATEHOUSE_PASSWORDLESS' },
  }),
  invitationTtl: setting(seconds(3600, 2_592_000).default(604_800), {
    description: 'How long an invitation link can be used.',
    defaultText: '`604800` (7 days)',
    command: { env: 'GATEHOUSE_INVITATION_TTL' },
  }),
  passwordResetTtl: setting(seconds(300, 86_400).default(1800), {
    description: 'How long a password-reset link can be used (once).',
    command: { env: 'GATEHOUSE_PASSWORD_RESET_TTL' },
  }),
  deletionGraceDays: setting(wholeNumber(0, 90).default(0), {
    description:
      'Days between a user deleting their account and its removal. During them the account cannot sign in and `gatehouse users restore` brings it back; `0` removes it at once. Tokens, sessions and consents end at once either way.',
    command: { env: 'GATEHOUSE_DELETION_GRACE_DAYS' },
  }),
  proofOfWork: setting(wholeNumber(0, 10_000_000).default(100_000), {
    description:
      'Hardness of the proof-of-work challenge (ALTCHA, solved by the browser, checked here, no third party) on the sign-up and password-reset forms: the largest number the browser may have to try; about a second at the default on a phone. `0` turns it off.',
    command: { env: 'GATEHOUSE_PROOF_OF_WORK' },
  }),
});

/** `protection`: client addresses behind proxies, `/metrics` access, rate-limit keys (limits and Redis are typed in `../options.ts`). */
export const protectionSettings = section({
  trustedProxies: setting(list(text(), 'addresses or CIDR ranges').default([]), {
    description:
      "Reverse proxies whose `forwardedHeader` is believed, for the client address that rate limits, IP allow-lists, the operator allow-list and the audit log see. List only proxies: a client inside a trusted range can claim any address. Without it, the connection's peer is the client.",
    command: { env: 'GATEHOUSE_TRUSTED_PROXIES' },
  }),
  forwardedHeader: setting(choice(FORWARDED_HEADERS).default('x-forwarded-for'), {
    description:
      'The one header read for the client address behind `trustedProxies`: `x-forwarded-for` (nginx `$proxy_add_x_forwarded_for`, most load balancers), or `forwarded` (RFC 7239). Pick the one your proxy writes; the other is ignored entirely. Read from the right: the first entry that is not a trusted proxy is the client ([details](production.md#behind-a-reverse-proxy)).',
    command: { env: 'GATEHOUSE_FORWARDED_HEADER', ignoreCase: true },
  }),
  operatorAllowList: setting(list(text(), 'addresses or CIDR ranges').default([...LOOPBACK_RANGES]), {
    description: 'Who may read `/metrics`; anyone else gets a 404.',
    command: { env: 'GATEHOUSE_OPERATOR_ALLOWLIST' },
  }),
  metricsToken: setting(
    text({ min: 16, pattern: /^[\x21-\x7e]+$/, message: 'must be at least 16 printable characters without spaces', format: 'printable, no spaces' }).optional(),
    {
      description:
        '`/metrics` then also needs `Authorization: Bearer <token>`: an address on the operator allow-list without it gets `401` with `WWW-Authenticate: Bearer realm="gatehouse-metrics"`; any other address still gets a 404.',
      command: { env: 'GATEHOUSE_METRICS_TOKEN', credential: true },
    },
  ),
  unsafeFetchAllowList: setting(list(text(), 'addresses or CIDR ranges').default([]), {
    description:
      '**Tests and development only.** Private, loopback or other special-use addresses the server may still fetch URLs chosen by others from (client metadata documents, back-channel logout URIs): normally every such address is refused, as a defence against server-side request forgery. Never list addresses of a production network.',
    command: { env: 'GATEHOUSE_UNSAFE_FETCH_ALLOWLIST' },
  }),
  unsafeFetchAllowHttp: setting(flag().default(false), {
    description:
      '**Tests and development only.** Also fetch plain `http` URLs chosen by others (client metadata documents, back-channel logout URIs); normally only `https` is fetched.',
    command: { env: 'GATEHOUSE_UNSAFE_FETCH_ALLOW_HTTP' },
  }),
  redisPrefix: setting(text({ min: 1 }).default('{gatehouse}:'), {
    description:
      "Start of Gatehouse's Redis key names (rate-limit counters go under `{prefix}rl:`), so installations sharing a Redis never share keys. With a Redis Cluster it must contain a hash tag (`{...}`).",
    command: { env: 'GATEHOUSE_REDIS_PREFIX', scaleOut: true, note: 'Also the prefix of the short-lived state and of the invalidation channel.' },
  }),
});

/**
 * `clientMetadataDocuments`: `client_id`s that are https URLs of the client's own metadata document
 * (draft-ietf-oauth-client-id-metadata-document), fetched through the SSRF-safe fetcher.
 */
export const clientMetadataDocumentSettings = section({
  enabled: setting(flag().default(false), {
    description:
      "Accept a `client_id` that is an https URL of the client's metadata document (OAuth Client ID Metadata Document, as MCP clients use): the server fetches it (no private addresses, no redirects, size and time limits), uses it as a public client, and advertises `client_id_metadata_document_supported`. Such clients show as unverified on the consent page. See [client metadata documents](client-metadata-documents.md).",
    command: { env: 'GATEHOUSE_CLIENT_METADATA_DOCUMENTS' },
  }),
  minCacheSeconds: setting(seconds(0, 86_400).default(60), {
    description:
      'Shortest time a fetched document is kept, whatever its `Cache-Control` or `Expires` say (except `no-store`, never kept): a lower bound on how often one client makes the server fetch.',
    command: { env: 'GATEHOUSE_CLIENT_METADATA_MIN_CACHE' },
  }),
  maxCacheSeconds: setting(seconds(1, 604_800).default(86_400), {
    description: 'Longest time a fetched document is kept, whatever its cache headers say: how long a change to a document can take to be seen.',
    command: { env: 'GATEHOUSE_CLIENT_METADATA_MAX_CACHE' },
  }),
  failureCacheSeconds: setting(seconds(0, 3600).default(10), {
    description:
      'After a document could not be fetched or was invalid, how long lookups of that URL are refused without fetching again, so a bad URL cannot make the server fetch in a loop. Nothing of the failed answer is kept. `0` fetches again at once.',
    command: { env: 'GATEHOUSE_CLIENT_METADATA_FAILURE_CACHE' },
  }),
  cacheEntries: setting(wholeNumber(1, 1_000_000).default(1000), {
    description: 'Most documents kept in memory (each process its own cache); the least recently used goes first.',
    command: { env: 'GATEHOUSE_CLIENT_METADATA_CACHE_ENTRIES' },
  }),
  maxBytes: setting(wholeNumber(512, 1_048_576, 'bytes').default(5120), {
    description: 'Largest document accepted (the draft recommends 5 KB); a larger answer is abandoned as it arrives.',
    command: { env: 'GATEHOUSE_CLIENT_METADATA_MAX_BYTES' },
  }),
  timeoutMs: setting(wholeNumber(100, 60_000, 'milliseconds').default(3000), {
    description: 'Deadline of one document fetch (resolution, connection and answer); keep it below `GATEHOUSE_REQUEST_DEADLINE`.',
    command: { env: 'GATEHOUSE_CLIENT_METADATA_TIMEOUT' },
  }),
});

/** `audit`: where audit events go besides the store and the logger. */
export const auditSettings = section({
  file: setting(path().optional(), {
    description:
      'Also append every audit event as a JSON line to this file (created with mode 0600, its directory 0700; reopened for each event, so it may be rotated away). Events always go to the store (chained) and to the logger (`audit: true`). See [audit events](production.md#audit-events).',
    command: { env: 'GATEHOUSE_AUDIT_FILE' },
  }),
  maxQueuedEvents: setting(wholeNumber(1, 1_000_000).default(10_000), {
    description:
      'Most high-volume audit events (tokens issued, rate-limit refusals) a process holds while they wait to be stored; they are written after the response, in batches. It bounds what a crash (`kill -9`) can lose from the log, and the memory a slow database can make the queue take. An event beyond it is left out of the chain and logged unstored, counted in `gatehouse_audit_events_dropped_total`. See [audit events](production.md#audit-events).',
    command: { env: 'GATEHOUSE_AUDIT_MAX_QUEUED_EVENTS' },
  }),
});

/** `branding`: how the sign-in pages look. */
export const brandingSettings = section({
  productName: setting(text({ min: 1, max: 100 }).default('Gatehouse'), {
    description: 'Name on the sign-in pages.',
    command: { env: 'GATEHOUSE_PRODUCT_NAME' },
  }),
  logoUrl: setting(absoluteUrl().optional(), {
    description: 'Logo on the sign-in pages.',
    command: { env: 'GATEHOUSE_LOGO_URL' },
  }),
  primaryColor: setting(text({ pattern: /^#[0-9a-fA-F]{6}$/, message: 'must be a colour like #2f5bea', format: '`#rrggbb`' }).default('#2f5bea'), {
    description: 'Button and accent colour; text on it is chosen for contrast.',
    command: { env: 'GATEHOUSE_PRIMARY_COLOR' },
  }),
});

/** `languages`: the pages' languages (docs/languages.md). */
export const languageSettings = section({
  default: setting(
    text({ pattern: /^[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8})*$/, message: 'must be a language tag like en or pt-BR (BCP 47)', format: 'BCP 47 tag' }).default('en'),
    {
      description:
        'Language of the pages when neither the application (`ui_locales`), the language the user picked, nor the browser (`Accept-Language`) names one offered: a built-in one (`en`, `de`, `fr`, `es`, `pt-BR`, `ja`, `ar`) or one added in `languages.dir`; another stops the start naming it. See [languages](languages.md).',
      command: { env: 'GATEHOUSE_DEFAULT_LANGUAGE' },
    },
  ),
  dir: setting(path().optional(), {
    description:
      'A directory of `<language>.json` files (`de.json`, `pt-BR.json`, `nl.json`): each an object of messages by key, replacing built-in messages of that language or, for a language Gatehouse does not ship, adding it (what it leaves out stays English). Read once at start; an unreadable file, a key Gatehouse does not have, a message that is not valid ICU MessageFormat or whose placeholders differ from English stops the start naming the file and key. See [languages](languages.md).',
    defaultText: 'none: the built-in messages',
    command: { env: 'GATEHOUSE_LANGUAGES_DIR', default: '`DATA_DIR/locales` (used only if it exists)' },
  }),
});

/** `emails`: the account emails (verification, reset, invitation, notices). */
export const emailSettings = section({
  templatesDir: setting(path().optional(), {
    description:
      "A directory of your own versions of the account emails: `<template>.subject.txt`, `<template>.txt` and `<template>.html` with `{{placeholder}}`s, each optional (a missing file keeps the built-in one). Read once at start; an unreadable file, a file that is no template's, or an unknown placeholder stops the start naming the file. See [emails](emails.md).",
    defaultText: 'none: the built-in emails',
    command: { env: 'GATEHOUSE_EMAIL_TEMPLATES_DIR', default: '`DATA_DIR/emails` (used only if it exists)' },
  }),
});

/** `keys`: signing keys. */
export const keySettings = section({
  refreshInterval: setting(seconds(1, 86_400).default(60), {
    description: 'Seconds between checks for signing keys rotated by another process (`gatehouse keys rotate`).',
    command: { env: 'GATEHOUSE_KEY_REFRESH_INTERVAL' },
  }),
});

/** `limits`: sizes of what the server accepts. */
export const limitSettings = section({
  // 16 MiB at most, as the command always allowed: bodies are read into memory before parsing.
  maxBodyBytes: setting(wholeNumber(1024, 16 * 1024 * 1024, 'bytes').default(65_536), {
    description: 'Largest accepted request body; a larger one gets `413` `invalid_request`.',
    command: { env: 'GATEHOUSE_MAX_BODY_BYTES' },
  }),
  requestDeadlineMs: setting(wholeNumber(100, 600_000, 'milliseconds').default(4500), {
    description:
      'The longest a client waits for an answer: a request not done by then gets `503` `temporarily_unavailable` with `Retry-After` (`408` while its body is still arriving), whatever it waits on (PostgreSQL, Redis, an upstream provider, a sender). Its work is not cancelled and may still complete. Keep it above the per-call timeouts (`GATEHOUSE_DB_QUERY_TIMEOUT`, twice `GATEHOUSE_REDIS_COMMAND_TIMEOUT`). See [deadlines](production.md#deadlines-when-postgresql-redis-or-another-service-fails).',
    command: { env: 'GATEHOUSE_REQUEST_DEADLINE' },
  }),
});

/**
 * Where the admin routes are served: segments of unreserved characters (RFC 3986 §2.3), each
 * starting with a letter or digit (so never `.`, `..` or `.well-known`), no trailing slash; and
 * on a first segment no other route uses.
 */
function adminPath() {
  const schema = text({
    pattern: /^(\/[A-Za-z0-9][A-Za-z0-9._~-]*)+$/,
    message: 'must be a path such as /admin: "/" and segments of letters, digits, "-", ".", "_" and "~", each starting with a letter or digit, no trailing "/"',
  }).refine((value) => routeTakenBy(value) === undefined, {
    error: (issue) => `must not share its first segment with a path the server already serves (${routeTakenBy(String(issue.input)) ?? ''})`,
  });
  formats.set(schema, 'URL path: `/` and segments of letters, digits, `-`, `.`, `_`, `~`');
  return schema;
}

/** `admin`: the admin API and the admin console (issue 18). */
export const adminSettings = section({
  api: setting(flag().default(true), {
    description:
      'Serve the admin API at `ADMIN_PATH/api/v1` below the issuer: JSON resources for clients and users, and its OpenAPI document. It answers only bearer tokens of this server with the `admin` or `admin:read` scope, which no client gets unless registered with it and no person unless they hold the admin role and sign in with a second factor. Off: those paths answer `404`. See [the admin API](admin-api.md).',
    command: { env: 'GATEHOUSE_ADMIN_API' },
  }),
  console: setting(flag().default(true), {
    description:
      'Serve the admin console at `ADMIN_PATH` (`/admin` unless moved) below the issuer: pages for clients, users, signing keys, the audit log and a dashboard, open only to people holding the `admin` role (`gatehouse users grant-admin`; nobody has it until then), signed in with a second factor (so not with `GATEHOUSE_MFA_POLICY=off`). Off: those pages answer `404`. See [the admin console](admin-console.md).',
    command: { env: 'GATEHOUSE_ADMIN_CONSOLE' },
  }),
  path: setting(adminPath().default(ADMIN_PREFIX), {
    description:
      'Where the admin routes are served, below the issuer: the admin console at `ADMIN_PATH` and the admin API at `ADMIN_PATH/api/v1`. It must not share its first segment with another path of the server (`/account`, `/token`, `/healthz`…). See [the admin API](admin-api.md#where-it-is-served).',
    command: { env: 'GATEHOUSE_ADMIN_PATH' },
  }),
});

/** `registration`: clients that register themselves (RFC 7591, RFC 7592). */
export const registrationSettings = section({
  policy: setting(choice(['off', 'initial-access-token', 'open']).default('off'), {
    description:
      'Dynamic client registration (RFC 7591) at `/register`, and its management (RFC 7592): `off` (no registration endpoint; operators register clients), `initial-access-token` (a client registers only with an initial access token, `gatehouse registration tokens create`, which says what it may register and how many times), `open` (anyone may register a public client of a native app, with loopback or private-use scheme redirect URIs; an initial access token still admits more). Each address may register `registrationPerIp` clients (20 an hour). See [registration](registration.md).',
    command: { env: 'GATEHOUSE_REGISTRATION' },
  }),
});

/** `par`: pushed authorization requests (RFC 9126). */
export const parSettings = section({
  required: setting(flag().default(false), {
    description:
      'Require every authorization request to come through the pushed authorization request endpoint (`/par`, RFC 9126): a request sent straight to `/authorize` is refused with `invalid_request`, and discovery advertises `require_pushed_authorization_requests`. Off: only clients registered with `require_pushed_authorization_requests` (`--require-par`) must push. See [pushed authorization requests](par.md).',
    command: { env: 'GATEHOUSE_REQUIRE_PAR' },
  }),
  requestUriTtl: setting(seconds(10, 600).default(60), {
    description:
      'Lifetime of a `request_uri` the pushed authorization request endpoint issues (RFC 9126 §2.2 `expires_in`): how long the client has to send the browser to `/authorize` with it. It works once. RFC 9126 §2.2 suggests between 5 and 600 seconds.',
    command: { env: 'GATEHOUSE_PAR_REQUEST_URI_TTL' },
  }),
});

/** `backchannelLogout`: sending logout tokens to clients when a session ends (OpenID Connect Back-Channel Logout 1.0). */
export const backchannelLogoutSettings = section({
  attempts: setting(wholeNumber(1, 100).default(8), {
    description:
      "Most attempts to deliver one logout token to a client's `backchannel_logout_uri`; after the last failure it is given up and audited (`logout.backchannel_failed`). See [back-channel logout](backchannel-logout.md).",
    command: { env: 'GATEHOUSE_BACKCHANNEL_LOGOUT_ATTEMPTS' },
  }),
  retryDelayMs: setting(wholeNumber(100, 3_600_000, 'milliseconds').default(10_000), {
    description:
      'Delay before the first retry of a failed delivery; each further retry waits twice as long (at most an hour), less a random part of up to half (jitter), so receivers that fail together are not retried together.',
    command: { env: 'GATEHOUSE_BACKCHANNEL_LOGOUT_RETRY_DELAY' },
  }),
  timeoutMs: setting(wholeNumber(100, 60_000, 'milliseconds').default(5000), {
    description: 'Deadline of one delivery (resolution, connection and answer); a receiver that takes longer counts as failed and is retried.',
    command: { env: 'GATEHOUSE_BACKCHANNEL_LOGOUT_TIMEOUT' },
  }),
  pollIntervalMs: setting(wholeNumber(50, 60_000, 'milliseconds').default(1000), {
    description:
      "How often each instance looks for logout tokens due in the store's queue (new ones, retries, and those an instance that stopped had claimed): the longest a notification waits before it is sent.",
    command: { env: 'GATEHOUSE_BACKCHANNEL_LOGOUT_POLL_INTERVAL' },
  }),
});

/** The library's settings: every option of `createAuthorizationServer` that has a plain value. */
export const serverSettings = z.strictObject({
  issuer: setting(absoluteUrl(), {
    description:
      'The issuer identifier (RFC 8414 §2): https, or plain http on a loopback host or in development; no query, no fragment, no trailing slash; a path may use only letters, digits, `-`, `.`, `_`, `~` and `/`. Endpoints live below it.',
    command: { env: 'GATEHOUSE_ISSUER', flag: '`--issuer URL`', default: '`http://HOST:PORT` (`https://` with TLS)' },
  }),
  secret: setting(text({ min: 32 }), {
    description:
      'The installation secret. Keys that encrypt private signing keys at rest and hash client secrets, refresh tokens and session ids are derived from it: keep it stable, secret, and backed up apart from the database; changing it makes stored keys unreadable. Generate one with `openssl rand -base64 32`. See [what it protects](production.md#the-installation-secret).',
    command: { env: 'GATEHOUSE_SECRET', credential: true, default: 'development: generated into `DATA_DIR/secret` with a warning; production: **required**' },
  }),
  mode: setting(choice(['production', 'development']).default('production'), {
    description: '`production` refuses a plain-http issuer unless its host is loopback; `development` allows one on any host.',
    command: {
      env: 'GATEHOUSE_ENV',
      flag: '`--dev`',
      note: 'For every command. Production also refuses to run without `GATEHOUSE_SECRET` (the message says how to run locally). Development is for local use only: a generated secret, plain-http issuers on any host, one-time codes written to `DATA_DIR/outbox.jsonl`. `--dev` selects it over anything else. `NODE_ENV` is not read.',
    },
  }),
  tokens: tokenSettings.prefault({}),
  sessions: sessionSettings.prefault({}),
  mfa: mfaSettings.prefault({}),
  accounts: accountSettings.prefault({}),
  protection: protectionSettings.prefault({}),
  clientMetadataDocuments: clientMetadataDocumentSettings.prefault({}),
  audit: auditSettings.prefault({}),
  branding: brandingSettings.prefault({}),
  emails: emailSettings.prefault({}),
  languages: languageSettings.prefault({}),
  scopes: setting(
    list(text({ pattern: /^[\x21\x23-\x5B\x5D-\x7E]+$/, message: 'must be a valid scope token (RFC 6749 §3.3)' }), 'scope tokens (RFC 6749 §3.3)').default([]),
    {
      description:
        'API scopes advertised in `scopes_supported` after the OpenID scopes. Advertising is optional: a client may be registered with any valid scope.',
      command: { env: 'GATEHOUSE_SCOPES' },
    },
  ),
  keys: keySettings.prefault({}),
  limits: limitSettings.prefault({}),
  admin: adminSettings.prefault({}),
  registration: registrationSettings.prefault({}),
  par: parSettings.prefault({}),
  backchannelLogout: backchannelLogoutSettings.prefault({}),
  migrate: setting(flag().default(true), {
    description: 'Apply pending store migrations when the server starts.',
  }),
});

// ---------------------------------------------------------------------------------------------
// The command's own settings: how `gatehouse` listens, stores, logs and delivers codes.

/** Settings of the `gatehouse` command that are not library options. */
export const commandSettings = z.strictObject({
  dataDir: setting(path().default('./.gatehouse'), {
    description:
      'Holds `gatehouse.db` (SQLite, mode 0600; unless `GATEHOUSE_DATABASE_URL` says otherwise), in development the development outbox and, without `GATEHOUSE_SECRET`, the generated `secret`. Created (mode 0700) by `gatehouse start` and `gatehouse migrate`; the other commands refuse a directory (or database) without Gatehouse data ("no Gatehouse data in DIR"), creating nothing.',
    command: { env: 'GATEHOUSE_DATA_DIR', flag: '`--data DIR`' },
  }),
  host: setting(text({ min: 1, format: 'address' }).default('127.0.0.1'), {
    description: "Address to listen on. One that is not this machine's stops `gatehouse start` with one line naming `--host`.",
    command: { env: 'GATEHOUSE_HOST', flag: '`--host`' },
  }),
  port: setting(wholeNumber(0, 65_535).default(3000), {
    description:
      'Port to listen on; `0` picks a free one (printed when ready). A port in use stops `gatehouse start` (exit 1) with one line naming it and `--port`, before any data is touched.',
    command: { env: 'GATEHOUSE_PORT', flag: '`--port`' },
  }),
  httpHeadersTimeoutMs: setting(wholeNumber(1000, 600_000, 'milliseconds').default(20_000), {
    description:
      "`gatehouse start`: how long a client may take to send a request's head (request line and headers); then `408` and the connection closes. At most `GATEHOUSE_HTTP_REQUEST_TIMEOUT`.",
    command: { env: 'GATEHOUSE_HTTP_HEADERS_TIMEOUT' },
  }),
  httpRequestTimeoutMs: setting(wholeNumber(1000, 3_600_000, 'milliseconds').default(30_000), {
    description: '`gatehouse start`: how long a client may take to send a whole request, body included; then `408` and the connection closes.',
    command: { env: 'GATEHOUSE_HTTP_REQUEST_TIMEOUT' },
  }),
  httpKeepAliveTimeoutMs: setting(wholeNumber(1000, 3_600_000, 'milliseconds').default(65_000), {
    description:
      "`gatehouse start`: how long a kept-alive connection may stay idle between requests. Keep it above the idle timeout of the proxy or load balancer in front (nginx's upstream `keepalive_timeout` and most load balancers: 60 s; some: 350 s or 600 s), so that the proxy closes an idle connection first: a server closing one the proxy is reusing fails a request.",
    command: { env: 'GATEHOUSE_HTTP_KEEP_ALIVE_TIMEOUT' },
  }),
  tlsCert: setting(path().optional(), {
    description:
      'PEM certificate (chain) file: with `tlsKey`, Gatehouse serves HTTPS itself. `SIGHUP` reloads both files without dropping connections. The two go together. Both are checked at start: a file that is missing, unreadable or not PEM, or a key of another certificate, is named with its flag.',
    command: { env: 'GATEHOUSE_TLS_CERT', flag: '`--tls-cert FILE`' },
  }),
  tlsKey: setting(path().optional(), {
    description: 'PEM private key file of that certificate.',
    command: { env: 'GATEHOUSE_TLS_KEY', flag: '`--tls-key FILE`' },
  }),
  logLevel: setting(choice(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'), {
    description: 'pino level; logs are JSON lines on stdout.',
    command: { env: 'GATEHOUSE_LOG_LEVEL' },
  }),
  logFormat: setting(choice(['json', 'ecs']).default('json'), {
    description:
      'Log line format on stdout: `json` (pino JSON lines) or `ecs` (Elastic Common Schema through the optional package `@elastic/ecs-pino-format`, for Elasticsearch and Splunk as they are; audit events carry ECS `event.*` fields). See docs/deployment.md, "Logs for ELK and Splunk".',
    command: { env: 'GATEHOUSE_LOG_FORMAT' },
  }),
  smtpUrl: setting(text({ min: 1, format: '`smtp://` or `smtps://` URL' }).optional(), {
    description:
      'Sends email codes through SMTP: `smtp://user:pass@host:587` (STARTTLS, required except on loopback unless the URL says `?requireTLS=false`) or `smtps://user:pass@host:465`. Needs `GATEHOUSE_SMTP_FROM`.',
    command: { env: 'GATEHOUSE_SMTP_URL', credential: true },
  }),
  smtpFrom: setting(text({ min: 1, format: 'email sender' }).optional(), {
    description: 'The `From` of code emails, e.g. `Example ID <no-reply@example.com>`.',
    command: { env: 'GATEHOUSE_SMTP_FROM' },
  }),
  // The defaults of the timeouts below are the library's (the senders, the stores, the client).
  smtpTimeoutMs: setting(wholeNumber(1, 300_000, 'milliseconds').default(10_000), {
    description:
      'Deadline of one email through SMTP (connection, greeting and every reply included); past it the code is not sent and the request answers `503`.',
    command: { env: 'GATEHOUSE_SMTP_TIMEOUT' },
  }),
  smsWebhookUrl: setting(text({ min: 1, format: 'https URL' }).optional(), {
    description:
      'Receives a JSON POST per code (http only on loopback), for an SMS gateway; also carries email codes when SMTP is not set. See [production](production.md#delivering-one-time-codes).',
    command: { env: 'GATEHOUSE_SMS_WEBHOOK_URL' },
  }),
  smsWebhookSecret: setting(text({ min: 1 }).optional(), {
    description: 'Signs each webhook request: `X-Gatehouse-Signature: sha256=<hex HMAC-SHA256 of "<X-Gatehouse-Timestamp>.<body>">`.',
    command: { env: 'GATEHOUSE_SMS_WEBHOOK_SECRET', credential: true },
  }),
  smsWebhookTimeoutMs: setting(wholeNumber(1, 300_000, 'milliseconds').default(5000), {
    description: "Deadline of the webhook's answer to one code; past it the code is not sent and the request answers `503`.",
    command: { env: 'GATEHOUSE_SMS_WEBHOOK_TIMEOUT' },
  }),
  upstreamTimeoutMs: setting(wholeNumber(1, 300_000, 'milliseconds').default(5000), {
    description:
      'Deadline of each request to an upstream provider (its discovery, token, JWKS, UserInfo and API requests, answer included); past it that sign-in gets a `503` page and can be tried again.',
    command: { env: 'GATEHOUSE_UPSTREAM_TIMEOUT' },
  }),
  sqliteBusyTimeoutMs: setting(wholeNumber(0, 600_000, 'milliseconds').default(5000), {
    description:
      'SQLite: how long a statement waits for the database lock while another process (a `gatehouse` command, a backup) writes; then the request gets `503`. The wait holds up the whole process. `0` fails at once.',
    command: { env: 'GATEHOUSE_SQLITE_BUSY_TIMEOUT' },
  }),
  databaseUrl: setting(text({ min: 1, format: '`postgres://` URL or `sqlite:PATH`' }).optional(), {
    description:
      '`postgres://user:password@host:5432/database` (or `postgresql://`; query parameters such as `sslmode` are read by `pg`) for PostgreSQL, or `sqlite:PATH` for an SQLite file elsewhere (a relative path is resolved from the working directory). Anything else is an error.',
    command: { env: 'GATEHOUSE_DATABASE_URL', credential: true, scaleOut: true, default: 'none: SQLite in `DATA_DIR/gatehouse.db`' },
  }),
  databaseSchema: setting(text({ min: 1, max: 63, format: 'PostgreSQL schema name' }).optional(), {
    description:
      "PostgreSQL schema of Gatehouse's tables: lower-case letters, digits and `_`, not starting with a digit or `pg_`. Created by the first migration if missing.",
    defaultText: '`public`',
    command: { env: 'GATEHOUSE_DATABASE_SCHEMA', scaleOut: true },
  }),
  dbPoolSize: setting(wholeNumber(1, 1000).default(10), {
    description: 'Most PostgreSQL connections per process. With `--workers N`, each worker has its own pool.',
    command: { env: 'GATEHOUSE_DB_POOL_SIZE', scaleOut: true },
  }),
  dbStatementTimeoutMs: setting(wholeNumber(0, 3_600_000, 'milliseconds').default(5000), {
    description: 'How long PostgreSQL lets a statement run, and a transaction sit idle, before ending it; `0` turns it off. Migrations run without it.',
    command: { env: 'GATEHOUSE_DB_STATEMENT_TIMEOUT', scaleOut: true },
  }),
  dbQueryTimeoutMs: setting(wholeNumber(1, 3_600_000, 'milliseconds').default(4000), {
    description:
      "How long Gatehouse waits for PostgreSQL's answer to a query before failing it (`503`) and closing that connection: what ends a query when the server cannot (frozen, or the network lost), where the statement timeout is PostgreSQL's own. Migrations run without it. See [outages](deployment.md#outages).",
    command: { env: 'GATEHOUSE_DB_QUERY_TIMEOUT', scaleOut: true },
  }),
  dbConnectionTimeoutMs: setting(wholeNumber(1, 600_000, 'milliseconds').default(3000), {
    description: 'How long a query waits for a PostgreSQL connection, from the pool or newly opened (TCP, TLS and start-up included), before failing (`503`).',
    command: { env: 'GATEHOUSE_DB_CONNECTION_TIMEOUT', scaleOut: true },
  }),
  redisUrl: setting(text({ min: 1, format: '`redis://` URL' }).optional(), {
    description:
      "Keeps the short-lived state (sessions, codes, refresh tokens, access-token records, sign-ins in progress) and the rate-limit counters in Redis, shared by every instance, and tells instances at once about changed clients and rotated keys. `redis://[[user]:password@]host[:6379][/db]`, `rediss://…` (TLS), `redis+sentinel://[[user]:password@]host1[:26379],host2/mastername[/db]` (`?sentinelUsername=…&sentinelPassword=…` for the Sentinels' own credentials), `redis+cluster://[[user]:password@]host1[:6379],host2` (`rediss+…` for TLS).",
    command: { env: 'GATEHOUSE_REDIS_URL', credential: true, scaleOut: true },
  }),
  redisCommandTimeoutMs: setting(wholeNumber(1, 60_000, 'milliseconds').default(1000), {
    description:
      "How long Gatehouse waits for Redis's answer to a command before failing it (`503`), so a request waits on Redis at most twice as long (commands wait for the batch before theirs); a connection silent for three times as long is closed and opened again. See [outages](deployment.md#outages).",
    command: { env: 'GATEHOUSE_REDIS_COMMAND_TIMEOUT', scaleOut: true },
  }),
  workers: setting(wholeNumber(1, 256).default(1), {
    description: '`gatehouse start` only: processes sharing the port (node:cluster). See [workers](deployment.md#using-every-core---workers).',
    command: { env: 'GATEHOUSE_WORKERS', flag: '`--workers N`', scaleOut: true },
  }),
  otel: setting(flag().default(false), {
    description:
      '`gatehouse start` only: loads the OpenTelemetry Node SDK (`@opentelemetry/sdk-node`, which you install beside Gatehouse; Node.js 22.15 or later) and starts it, configured by the standard `OTEL_*` variables (`OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_SERVICE_NAME`, `OTEL_TRACES_SAMPLER`...), so that the spans Gatehouse makes are exported. See [traces](production.md#traces).',
    command: { env: 'GATEHOUSE_OTEL' },
  }),
});

// ---------------------------------------------------------------------------------------------
// Reading the schema.

/** One setting: where it sits in the library's options (for library settings) and what the docs say. */
export interface Setting extends SettingMeta {
  /** Dotted path in the library's options (`tokens.accessTokenTtl`); for a command-only setting, its key. */
  path: string;
  schema: z.ZodType;
}

/** The documentation of `schema` (a setting, or a setting made optional), or `undefined`. */
export function settingMeta(schema: z.ZodType): SettingMeta | undefined {
  return registry.get(schema) ?? (schema instanceof z.ZodOptional ? registry.get(schema.unwrap() as z.ZodType) : undefined);
}

/**
 * The settings of an object schema, depth first in declaration order.
 * @throws {TypeError} when a value in it is neither a setting nor a section of settings.
 */
function settingsOf(schema: z.ZodObject, prefix = ''): Setting[] {
  const found: Setting[] = [];
  for (const [key, field] of Object.entries(schema.shape) as [string, z.ZodType][]) {
    const meta = registry.get(field);
    const inner = field instanceof z.ZodPrefault ? (field.unwrap() as z.ZodType) : field;
    if (meta) found.push({ ...meta, path: `${prefix}${key}`, schema: field });
    else if (inner instanceof z.ZodObject) found.push(...settingsOf(inner, `${prefix}${key}.`));
    else throw new TypeError(`${prefix}${key} is not declared with setting()`);
  }
  return found;
}

/**
 * Whether a setting's value is a secret, never to be shown: marked `secret`, or a `credential` of
 * the command. The settings test checks that every text setting named like a secret is one.
 */
export function isSecretSetting(setting: Pick<SettingMeta, 'secret' | 'command'>): boolean {
  return setting.secret === true || setting.command?.credential === true;
}

/** The library's settings, in the order the reference lists them. */
export const SERVER_SETTINGS: readonly Setting[] = settingsOf(serverSettings);

const serverPaths = new Map(SERVER_SETTINGS.map((entry) => [entry.schema, entry.path]));

/** The library option path of `schema` (a library setting, or one made optional), or `undefined`. */
export function serverPathOf(schema: z.ZodType): string | undefined {
  return serverPaths.get(schema) ?? (schema instanceof z.ZodOptional ? serverPaths.get(schema.unwrap() as z.ZodType) : undefined);
}
