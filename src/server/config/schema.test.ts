import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/errors.js';
import { COMMAND_SETTING_LIST, readCommandSetting, type CommandKey } from '../../cli/settings.js';
import { createMemoryStore } from '../../stores/memory/index.js';
import { DEFAULT_REDIS_PREFIX } from '../../stores/redis/redis-artifacts.js';
import { resolveOptions, type ResolvedOptions } from '../options.js';
import { isSecretSetting, SERVER_SETTINGS } from './schema.js';

const REQUIRED = { issuer: 'https://id.example.com', store: createMemoryStore(), secret: 's'.repeat(32) };

/** `value` at the dotted option `path`, as nested options. */
function nested(path: string, value: unknown): Record<string, unknown> {
  return path
    .split('.')
    .reverse()
    .reduce<unknown>((inner, key) => ({ [key]: inner }), value) as Record<string, unknown>;
}

function resolveWith(path: string, value: unknown): ResolvedOptions {
  return resolveOptions({ ...REQUIRED, ...nested(path, value) });
}

function refusal(path: string, value: unknown): ConfigError {
  try {
    resolveWith(path, value);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`${path}: ${JSON.stringify(value)} was accepted`);
}

function resolvedAt(resolved: ResolvedOptions, path: string): unknown {
  return path.split('.').reduce<unknown>((object, key) => (object as Record<string, unknown>)[key], resolved);
}

// The one set of bounds and defaults. `command` names the setting's config-file key when the
// `gatehouse` command exposes it: the command must accept and refuse exactly the same values.
const WHOLE_NUMBERS: [path: string, min: number, max: number, fallback: number, command?: CommandKey][] = [
  ['tokens.accessTokenTtl', 1, 86_400, 3600, 'accessTokenTtl'],
  ['tokens.idTokenTtl', 1, 86_400, 3600, 'idTokenTtl'],
  ['tokens.authorizationCodeTtl', 1, 60, 60],
  // Was unbounded in the library and capped at one year by the command.
  ['tokens.refreshTokenTtl', 1, 31_536_000, 2_592_000, 'refreshTokenTtl'],
  ['tokens.refreshTokenReuseGrace', 0, 300, 0, 'refreshTokenReuseGrace'],
  ['tokens.deviceCodeTtl', 60, 1800, 600, 'deviceCodeTtl'],
  ['tokens.deviceCodeInterval', 1, 60, 5, 'deviceCodeInterval'],
  ['tokens.dpopProofMaxAge', 10, 300, 60, 'dpopProofMaxAge'],
  // Was at least 1 second in the library and at least 60 in the command.
  ['sessions.ttl', 60, 31_536_000, 1_209_600, 'sessionTtl'],
  ['sessions.interactionTtl', 1, 86_400, 1800],
  ['mfa.recentAuthSeconds', 1, 31_536_000, 600],
  ['accounts.passwordMinLength', 8, 64, 8, 'passwordMinLength'],
  ['accounts.passwordMinScore', 0, 4, 3, 'passwordMinScore'],
  ['accounts.invitationTtl', 3600, 2_592_000, 604_800, 'invitationTtl'],
  ['accounts.passwordResetTtl', 300, 86_400, 1800, 'passwordResetTtl'],
  ['accounts.deletionGraceDays', 0, 90, 0, 'deletionGraceDays'],
  ['accounts.proofOfWork', 0, 10_000_000, 100_000, 'proofOfWork'],
  // Was unbounded above in the library and capped at a day by the command.
  ['keys.refreshInterval', 1, 86_400, 60, 'keyRefreshInterval'],
  // Was unbounded above in the library and capped at 16 MiB by the command.
  ['limits.maxBodyBytes', 1024, 16_777_216, 65_536, 'maxBodyBytes'],
  ['limits.requestDeadlineMs', 100, 600_000, 4500, 'requestDeadlineMs'],
  ['audit.maxQueuedEvents', 1, 1_000_000, 10_000, 'auditMaxQueuedEvents'],
  ['clientMetadataDocuments.minCacheSeconds', 0, 86_400, 60, 'clientMetadataMinCacheSeconds'],
  ['clientMetadataDocuments.maxCacheSeconds', 1, 604_800, 86_400, 'clientMetadataMaxCacheSeconds'],
  ['clientMetadataDocuments.failureCacheSeconds', 0, 3600, 10, 'clientMetadataFailureCacheSeconds'],
  ['clientMetadataDocuments.cacheEntries', 1, 1_000_000, 1000, 'clientMetadataCacheEntries'],
  ['clientMetadataDocuments.maxBytes', 512, 1_048_576, 5120, 'clientMetadataMaxBytes'],
  ['clientMetadataDocuments.timeoutMs', 100, 60_000, 3000, 'clientMetadataTimeoutMs'],
  ['backchannelLogout.attempts', 1, 100, 8, 'backchannelLogoutAttempts'],
  ['backchannelLogout.retryDelayMs', 100, 3_600_000, 10_000, 'backchannelLogoutRetryDelayMs'],
  ['backchannelLogout.timeoutMs', 100, 60_000, 5000, 'backchannelLogoutTimeoutMs'],
  ['backchannelLogout.pollIntervalMs', 50, 60_000, 1000, 'backchannelLogoutPollIntervalMs'],
  ['par.requestUriTtl', 10, 600, 60, 'parRequestUriTtl'],
];

describe('whole-number settings: one set of bounds for the library and the command', () => {
  it.each(WHOLE_NUMBERS)('%s: %i to %i, default %i', (path, min, max, fallback, command) => {
    expect(resolvedAt(resolveWith('migrate', true), path)).toBe(fallback);
    expect(resolvedAt(resolveWith(path, min), path)).toBe(min);
    expect(resolvedAt(resolveWith(path, max), path)).toBe(max);
    for (const wrong of [min - 1, max + 1, min + 0.5, String(min), Number.NaN]) {
      const error = refusal(path, wrong);
      expect(error.message).toBe(`option "${path}" must be a whole number from ${min} to ${max}`);
      expect(error.option).toBe(path);
      expect(error.code).toBe('ERR_INVALID_OPTION');
    }
    if (command === undefined) return;
    const { env } = COMMAND_SETTING_LIST.find((entry) => entry.key === command)!.command;
    expect(readCommandSetting(command, undefined)).toBe(fallback);
    expect(readCommandSetting(command, String(min))).toBe(min);
    expect(readCommandSetting(command, ` ${max} `)).toBe(max);
    for (const wrong of [String(min - 1), String(max + 1), '1.5', 'ten']) {
      expect(() => readCommandSetting(command, wrong)).toThrow(`${command} (${env}) must be a whole number from ${min} to ${max}, got "${wrong}"`);
    }
  });

  it('covers every whole-number setting of the library', () => {
    const integers = SERVER_SETTINGS.filter((entry) => entry.kind === 'integer').map((entry) => entry.path);
    expect(integers.sort()).toEqual(WHOLE_NUMBERS.map(([path]) => path).sort());
  });
});

const DEFAULTS: [path: string, fallback: unknown][] = [
  ['mode', 'production'],
  ['tokens.accessTokenSigningAlg', 'ES256'],
  ['tokens.dpopNonce', 'off'],
  ['tokens.defaultAudience', REQUIRED.issuer],
  ['mfa.policy', 'optional'],
  ['accounts.signUp', 'off'],
  ['accounts.allowedEmailDomains', []],
  ['accounts.requireVerifiedEmail', false],
  ['accounts.signUpClaims', []],
  ['accounts.passwordless', 'off'],
  ['protection.trustedProxies', []],
  ['protection.forwardedHeader', 'x-forwarded-for'],
  ['protection.operatorAllowList', ['127.0.0.0/8', '::1/128']],
  ['protection.metricsToken', undefined],
  ['protection.redisPrefix', DEFAULT_REDIS_PREFIX],
  ['protection.unsafeFetchAllowList', []],
  ['protection.unsafeFetchAllowHttp', false],
  ['clientMetadataDocuments.enabled', false],
  ['audit.file', undefined],
  ['branding.productName', 'Gatehouse'],
  ['branding.logoUrl', undefined],
  ['branding.primaryColor', '#2f5bea'],
  ['emails.templatesDir', undefined],
  ['languages.default', 'en'],
  ['languages.dir', undefined],
  ['scopes', []],
  ['admin.api', true],
  ['admin.console', true],
  ['admin.path', '/admin'],
  ['registration.policy', 'off'],
  ['par.required', false],
  ['migrate', true],
];

describe('defaults of the other settings', () => {
  it.each(DEFAULTS)('%s defaults to %j', (path, fallback) => {
    expect(resolvedAt(resolveOptions(REQUIRED), path)).toEqual(fallback);
  });

  it('covers every setting', () => {
    const covered = new Set([...DEFAULTS.map(([path]) => path), ...WHOLE_NUMBERS.map(([path]) => path), 'issuer', 'secret']);
    expect(SERVER_SETTINGS.map((entry) => entry.path).filter((path) => !covered.has(path))).toEqual([]);
  });
});

describe('refusals name the option and what it must be, never zod internals', () => {
  it.each([
    ['secret', 'short', 'option "secret" must be at least 32 characters'],
    ['secret', undefined, 'option "secret" is required'],
    ['issuer', 'id.example.com', 'option "issuer" must be an absolute URL'],
    ['mode', 'staging', 'option "mode" must be one of production, development'],
    ['tokens.accessTokenSigningAlg', 'HS256', 'option "tokens.accessTokenSigningAlg" must be one of ES256, RS256'],
    ['protection.forwardedHeader', 'X-Real-IP', 'option "protection.forwardedHeader" must be one of x-forwarded-for, forwarded'],
    ['protection.metricsToken', 'short token', 'option "protection.metricsToken" must be at least 16 printable characters without spaces'],
    ['protection.trustedProxies', '10.0.0.1', 'option "protection.trustedProxies" must be an array of strings'],
    ['languages.default', 'en_US', 'option "languages.default" must be a language tag like en or pt-BR (BCP 47)'],
    ['languages.default', 'nl', 'option "languages.default" must be one of the languages offered (en, de, fr, es, pt-BR, ja, ar), not nl'],
    ['branding.productName', 'x'.repeat(101), 'option "branding.productName" must be 1 to 100 characters'],
    ['branding.primaryColor', 'blue', 'option "branding.primaryColor" must be a colour like #2f5bea'],
    ['scopes', ['read', 'bad scope'], 'option "scopes.1" must be a valid scope token (RFC 6749 §3.3)'],
    ['migrate', 'yes', 'option "migrate" must be true or false'],
    ['tokens', 5, 'option "tokens" must be an object'],
    ['mfa.senders.email', {}, 'option "mfa.senders.email" must have a send() method'],
  ])('%s = %j', (path, value, message) => {
    expect(refusal(path, value).message).toBe(message);
  });

  const ADMIN_PATH_SHAPE =
    'option "admin.path" must be a path such as /admin: "/" and segments of letters, digits, "-", ".", "_" and "~", each starting with a letter or digit, no trailing "/"';
  it.each([
    ['ops', ADMIN_PATH_SHAPE],
    ['/', ADMIN_PATH_SHAPE],
    ['/ops/', ADMIN_PATH_SHAPE],
    ['/ops//api', ADMIN_PATH_SHAPE],
    ['/a b', ADMIN_PATH_SHAPE],
    ['/%61dmin', ADMIN_PATH_SHAPE],
    ['/ops/../token', ADMIN_PATH_SHAPE],
    ['/.well-known/admin', ADMIN_PATH_SHAPE],
    ['/ops?x=1', ADMIN_PATH_SHAPE],
    ['', ADMIN_PATH_SHAPE],
    ['/account', 'option "admin.path" must not share its first segment with a path the server already serves (/account)'],
    ['/account/admin', 'option "admin.path" must not share its first segment with a path the server already serves (/account)'],
    ['/token', 'option "admin.path" must not share its first segment with a path the server already serves (/token)'],
    ['/interaction/admin', 'option "admin.path" must not share its first segment with a path the server already serves (/interaction/:id)'],
    ['/healthz', 'option "admin.path" must not share its first segment with a path the server already serves (/healthz)'],
    ['/favicon.ico', 'option "admin.path" must not share its first segment with a path the server already serves (/favicon.ico)'],
  ])('admin.path = %j is refused at start', (value, message) => {
    expect(refusal('admin.path', value)).toMatchObject({ option: 'admin.path', message });
  });

  it.each(['/admin', '/ops', '/ops/console', '/Ops-1.x_y~z'])('admin.path = %j is accepted', (value) => {
    expect(resolveWith('admin.path', value).admin.path).toBe(value);
  });

  it.each(SERVER_SETTINGS.map((entry) => entry.path))('%s of the wrong type', (path) => {
    const message = refusal(path, { not: 'a setting' }).message;
    expect(message).toMatch(new RegExp(`^option "${path.replace(/\./g, '\\.')}" (must|is) `));
    expect(message).not.toMatch(/Invalid input|expected/);
  });

  it('suggests the option a typo meant', () => {
    expect(refusal('tokens.accessTokenTTL', 60).message).toBe('unknown option "tokens.accessTokenTTL" (did you mean "tokens.accessTokenTtl"?)');
    expect(refusal('isuer', 'https://id.example.com')).toMatchObject({ option: 'isuer', message: 'unknown option "isuer" (did you mean "issuer"?)' });
  });
});

describe('the command and the library share the schema', () => {
  it('every variable the schema declares is one of the command settings, each once', () => {
    const declared = SERVER_SETTINGS.flatMap((entry) => (entry.command ? [entry.command.env] : []));
    const read = COMMAND_SETTING_LIST.map((entry) => entry.command.env);
    expect(new Set(read).size).toBe(read.length);
    expect(declared.filter((env) => !read.includes(env))).toEqual([]);
  });

  it('a command setting backed by a library setting has its default', () => {
    for (const entry of COMMAND_SETTING_LIST.filter((setting) => setting.serverPath !== undefined && !setting.required)) {
      const fallback = SERVER_SETTINGS.find((setting) => setting.path === entry.serverPath)!.default;
      expect(readCommandSetting(entry.key, undefined), entry.key).toEqual(fallback);
    }
  });
});

describe('secret settings', () => {
  it('marks every text setting named like a secret as one, so GET /settings redacts a new one too', () => {
    const looksSecret = /secret|password|passphrase|token|credential|api[-_]?key|private/i;
    for (const setting of [...SERVER_SETTINGS, ...COMMAND_SETTING_LIST.map((entry) => ({ ...entry, path: entry.key }))]) {
      if (setting.kind !== 'text' || !looksSecret.test(setting.path.split('.').at(-1)!)) continue;
      expect(isSecretSetting(setting), setting.path).toBe(true);
    }
    expect(SERVER_SETTINGS.filter(isSecretSetting).map((setting) => setting.path)).toEqual(['secret', 'protection.metricsToken']);
  });
});
