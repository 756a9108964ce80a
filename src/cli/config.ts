import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError } from '../core/errors.js';
import type { UpstreamOptions } from '../server/options.js';
import type { SigningAlg } from '../stores/contract.js';
import { upstreamsFromConfig } from './upstreams-config.js';

/**
 * Settings of the `gatehouse` command, from (highest first) command-line flags, `GATEHOUSE_*`
 * environment variables, an optional `gatehouse.config.json`, and defaults.
 * docs/configuration.md lists each with its default; .env.example lists the variables.
 */
export interface CliConfig {
  /**
   * Default `production`, whatever `NODE_ENV` says. `development` (a generated secret, plain-http
   * issuers on any host, one-time codes to the outbox file) only when asked for: `--dev`,
   * `GATEHOUSE_ENV=development` or `"mode": "development"` in the file.
   */
  mode: 'development' | 'production';
  dataDir: string;
  /** Default: `http://{host}:{port}`. */
  issuer: string | undefined;
  host: string;
  port: number;
  /** `GATEHOUSE_SECRET`; never read from the config file, which may be committed. */
  secret: string | undefined;
  accessTokenTtl: number;
  accessTokenSigningAlg: SigningAlg;
  defaultAudience: string | undefined;
  scopes: string[];
  idTokenTtl: number;
  refreshTokenTtl: number;
  refreshTokenReuseGrace: number;
  sessionTtl: number;
  productName: string | undefined;
  logoUrl: string | undefined;
  primaryColor: string | undefined;
  logLevel: string;
  maxBodyBytes: number;
  keyRefreshInterval: number;
  /** Upstream providers (file only; secrets from GATEHOUSE_UPSTREAM_{ID}_CLIENT_SECRET). */
  upstreams: UpstreamOptions[];
  mfaPolicy: 'off' | 'optional' | 'required';
  smtpUrl: string | undefined;
  smtpFrom: string | undefined;
  smsWebhookUrl: string | undefined;
  smsWebhookSecret: string | undefined;
  trustedProxies: string[];
  /** The one header read behind `trustedProxies`: `x-forwarded-for` (default) or `forwarded` (RFC 7239). */
  forwardedHeader: 'x-forwarded-for' | 'forwarded';
  operatorAllowList: string[] | undefined;
  /** `GATEHOUSE_METRICS_TOKEN`: `/metrics` also needs it as a bearer token. Environment only. */
  metricsToken: string | undefined;
  /** Overrides of the default rate limits (file only), e.g. `{ "signInPerAccountIp": { "points": 10 } }`. */
  rateLimits: Record<string, Record<string, number>> | undefined;
  tlsCert: string | undefined;
  tlsKey: string | undefined;
  /** Also append audit events to this JSON-lines file. */
  auditFile: string | undefined;
  /** `postgres://...` for PostgreSQL; default: embedded SQLite in the data directory. */
  databaseUrl: string | undefined;
  databaseSchema: string | undefined;
  dbPoolSize: number;
  dbStatementTimeoutMs: number;
  /** `redis://`, `rediss://`, `redis+sentinel://` or `redis+cluster://`: short-lived state, rate limits, cache invalidation. */
  redisUrl: string | undefined;
  redisPrefix: string | undefined;
  /** Processes for `gatehouse start` (node:cluster, sharing the port). */
  workers: number;
}

/** `GATEHOUSE_*` variable for each setting that has one. Kept in step with .env.example. */
export const ENV_VARS = {
  mode: 'GATEHOUSE_ENV',
  dataDir: 'GATEHOUSE_DATA_DIR',
  issuer: 'GATEHOUSE_ISSUER',
  host: 'GATEHOUSE_HOST',
  port: 'GATEHOUSE_PORT',
  secret: 'GATEHOUSE_SECRET',
  accessTokenTtl: 'GATEHOUSE_ACCESS_TOKEN_TTL',
  accessTokenSigningAlg: 'GATEHOUSE_ACCESS_TOKEN_ALG',
  defaultAudience: 'GATEHOUSE_DEFAULT_AUDIENCE',
  scopes: 'GATEHOUSE_SCOPES',
  idTokenTtl: 'GATEHOUSE_ID_TOKEN_TTL',
  refreshTokenTtl: 'GATEHOUSE_REFRESH_TOKEN_TTL',
  refreshTokenReuseGrace: 'GATEHOUSE_REFRESH_TOKEN_REUSE_GRACE',
  sessionTtl: 'GATEHOUSE_SESSION_TTL',
  productName: 'GATEHOUSE_PRODUCT_NAME',
  logoUrl: 'GATEHOUSE_LOGO_URL',
  primaryColor: 'GATEHOUSE_PRIMARY_COLOR',
  logLevel: 'GATEHOUSE_LOG_LEVEL',
  maxBodyBytes: 'GATEHOUSE_MAX_BODY_BYTES',
  keyRefreshInterval: 'GATEHOUSE_KEY_REFRESH_INTERVAL',
  mfaPolicy: 'GATEHOUSE_MFA_POLICY',
  smtpUrl: 'GATEHOUSE_SMTP_URL',
  smtpFrom: 'GATEHOUSE_SMTP_FROM',
  smsWebhookUrl: 'GATEHOUSE_SMS_WEBHOOK_URL',
  smsWebhookSecret: 'GATEHOUSE_SMS_WEBHOOK_SECRET',
  trustedProxies: 'GATEHOUSE_TRUSTED_PROXIES',
  forwardedHeader: 'GATEHOUSE_FORWARDED_HEADER',
  operatorAllowList: 'GATEHOUSE_OPERATOR_ALLOWLIST',
  metricsToken: 'GATEHOUSE_METRICS_TOKEN',
  tlsCert: 'GATEHOUSE_TLS_CERT',
  tlsKey: 'GATEHOUSE_TLS_KEY',
  auditFile: 'GATEHOUSE_AUDIT_FILE',
  databaseUrl: 'GATEHOUSE_DATABASE_URL',
  databaseSchema: 'GATEHOUSE_DATABASE_SCHEMA',
  dbPoolSize: 'GATEHOUSE_DB_POOL_SIZE',
  dbStatementTimeoutMs: 'GATEHOUSE_DB_STATEMENT_TIMEOUT',
  redisUrl: 'GATEHOUSE_REDIS_URL',
  redisPrefix: 'GATEHOUSE_REDIS_PREFIX',
  workers: 'GATEHOUSE_WORKERS',
} as const satisfies Record<Exclude<keyof CliConfig, 'upstreams' | 'rateLimits'>, string>;

/** Flag values that override the environment (`mode` from `--dev`). */
export type ConfigOverrides = Partial<Pick<CliConfig, 'mode' | 'dataDir' | 'issuer' | 'host' | 'port' | 'tlsCert' | 'tlsKey' | 'workers'>> & { configFile?: string };

/** Settings that hold credentials: environment only, never the config file (which may be committed). */
const SECRET_KEYS = new Set(['secret', 'smtpUrl', 'smsWebhookSecret', 'databaseUrl', 'redisUrl', 'metricsToken']);
const FILE_KEYS = new Set<string>([...Object.keys(ENV_VARS).filter((key) => !SECRET_KEYS.has(key)), 'upstreams', 'rateLimits']);

/** Loads the configuration; throws {@link ConfigError} naming the bad setting. */
export function loadConfig(overrides: ConfigOverrides = {}, env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): CliConfig {
  const file = readConfigFile(overrides.configFile ?? (env.GATEHOUSE_CONFIG || undefined), cwd);
  const path = (value: unknown): string | undefined => {
    const text = optionalString(value);
    return text === undefined ? undefined : resolve(cwd, text);
  };
  const pick = (key: keyof typeof ENV_VARS): unknown => {
    const flag = (overrides as Record<string, unknown>)[key];
    if (flag !== undefined) return flag;
    const fromEnv = env[ENV_VARS[key]];
    if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
    return file[key];
  };
  // Production unless development is asked for by name (--dev, GATEHOUSE_ENV, the file's `mode`).
  // NODE_ENV is not read: often set to development by habit or tooling, it must not turn off the
  // secret requirement and the https check of a real deployment.
  const modeValue = pick('mode') ?? 'production';
  if (modeValue !== 'development' && modeValue !== 'production') {
    throw new ConfigError(`${ENV_VARS.mode} must be "development" or "production"`, 'ERR_INVALID_OPTION', 'mode');
  }
  const alg = pick('accessTokenSigningAlg') ?? 'ES256';
  if (alg !== 'ES256' && alg !== 'RS256') {
    throw new ConfigError(`${ENV_VARS.accessTokenSigningAlg} must be ES256 or RS256`, 'ERR_INVALID_OPTION', 'accessTokenSigningAlg');
  }
  const scopes = pick('scopes') ?? [];
  return {
    mode: modeValue,
    dataDir: resolve(cwd, String(pick('dataDir') ?? '.gatehouse')),
    issuer: optionalString(pick('issuer')),
    host: String(pick('host') ?? '127.0.0.1'),
    port: integer(pick('port') ?? 3000, 'port', 0, 65_535),
    secret: optionalString(pick('secret')),
    accessTokenTtl: integer(pick('accessTokenTtl') ?? 3600, 'accessTokenTtl', 1, 86_400),
    accessTokenSigningAlg: alg,
    defaultAudience: optionalString(pick('defaultAudience')),
    scopes: list(scopes) ?? [],
    idTokenTtl: integer(pick('idTokenTtl') ?? 3600, 'idTokenTtl', 1, 86_400),
    refreshTokenTtl: integer(pick('refreshTokenTtl') ?? 2_592_000, 'refreshTokenTtl', 1, 31_536_000),
    refreshTokenReuseGrace: integer(pick('refreshTokenReuseGrace') ?? 0, 'refreshTokenReuseGrace', 0, 300),
    sessionTtl: integer(pick('sessionTtl') ?? 1_209_600, 'sessionTtl', 60, 31_536_000),
    productName: optionalString(pick('productName')),
    logoUrl: optionalString(pick('logoUrl')),
    primaryColor: optionalString(pick('primaryColor')),
    logLevel: String(pick('logLevel') ?? 'info'),
    maxBodyBytes: integer(pick('maxBodyBytes') ?? 65_536, 'maxBodyBytes', 1024, 16 * 1024 * 1024),
    keyRefreshInterval: integer(pick('keyRefreshInterval') ?? 60, 'keyRefreshInterval', 1, 86_400),
    upstreams: upstreamsFromConfig(file.upstreams, env, modeValue),
    mfaPolicy: oneOf(pick('mfaPolicy') ?? 'optional', 'mfaPolicy', ['off', 'optional', 'required'] as const),
    smtpUrl: optionalString(pick('smtpUrl')),
    smtpFrom: optionalString(pick('smtpFrom')),
    smsWebhookUrl: optionalString(pick('smsWebhookUrl')),
    smsWebhookSecret: optionalString(pick('smsWebhookSecret')),
    trustedProxies: list(pick('trustedProxies')) ?? [],
    forwardedHeader: oneOf(String(pick('forwardedHeader') ?? 'x-forwarded-for').toLowerCase(), 'forwardedHeader', ['x-forwarded-for', 'forwarded'] as const),
    operatorAllowList: list(pick('operatorAllowList')),
    metricsToken: metricsToken(pick('metricsToken')),
    rateLimits: file.rateLimits as CliConfig['rateLimits'],
    tlsCert: path(pick('tlsCert')),
    tlsKey: path(pick('tlsKey')),
    auditFile: path(pick('auditFile')),
    databaseUrl: sqlitePathResolved(optionalString(pick('databaseUrl')), cwd),
    databaseSchema: optionalString(pick('databaseSchema')),
    dbPoolSize: integer(pick('dbPoolSize') ?? 10, 'dbPoolSize', 1, 1000),
    dbStatementTimeoutMs: integer(pick('dbStatementTimeoutMs') ?? 5000, 'dbStatementTimeoutMs', 0, 3_600_000),
    redisUrl: optionalString(pick('redisUrl')),
    redisPrefix: optionalString(pick('redisPrefix')),
    workers: integer(pick('workers') ?? 1, 'workers', 1, 256),
  };
}

/** A relative `sqlite:PATH` made absolute against `cwd` (so every command names the same file); other URLs as they are. */
function sqlitePathResolved(url: string | undefined, cwd: string): string | undefined {
  if (url === undefined || !/^sqlite:/i.test(url)) return url;
  return `sqlite:${resolve(cwd, url.replace(/^sqlite:(\/\/)?/i, ''))}`;
}

function readConfigFile(path: string | undefined, cwd: string): Record<string, unknown> {
  const file = resolve(cwd, path ?? 'gatehouse.config.json');
  if (!existsSync(file)) {
    if (path !== undefined) throw new ConfigError(`config file ${file} does not exist`, 'ERR_INVALID_CONFIG_FILE');
    return {};
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(`config file ${file} is not valid JSON: ${(error as Error).message}`, 'ERR_INVALID_CONFIG_FILE');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(`config file ${file} must hold a JSON object`, 'ERR_INVALID_CONFIG_FILE');
  }
  for (const key of Object.keys(parsed)) {
    if (SECRET_KEYS.has(key)) {
      const variable = ENV_VARS[key as keyof typeof ENV_VARS];
      throw new ConfigError(`config file ${file}: put "${key}" in ${variable}, not in a file that may be committed`, 'ERR_INVALID_CONFIG_FILE', key);
    }
    if (!FILE_KEYS.has(key)) throw new ConfigError(`config file ${file}: unknown setting "${key}"`, 'ERR_INVALID_CONFIG_FILE', key);
  }
  return parsed as Record<string, unknown>;
}

function oneOf<T extends string>(value: unknown, key: keyof typeof ENV_VARS, allowed: readonly T[]): T {
  if (!allowed.includes(value as T)) throw new ConfigError(`${key} (${ENV_VARS[key]}) must be one of ${allowed.join(', ')}`, 'ERR_INVALID_OPTION', key);
  return value as T;
}

/** A list from an array (file) or a space- or comma-separated string (variable). */
function list(value: unknown): string[] | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  return Array.isArray(value) ? value.map(String) : String(value).split(/[\s,]+/).filter(Boolean);
}

/** At least 16 printable characters: it travels as a bearer token. */
function metricsToken(value: unknown): string | undefined {
  const token = optionalString(value);
  if (token !== undefined && !/^[\x21-\x7e]{16,}$/.test(token)) {
    throw new ConfigError(`metricsToken (${ENV_VARS.metricsToken}) must be at least 16 printable characters without spaces`, 'ERR_INVALID_OPTION', 'metricsToken');
  }
  return token;
}

function optionalString(value: unknown): string | undefined {
  return value === undefined || value === null || value === '' ? undefined : String(value);
}

function integer(value: unknown, key: keyof typeof ENV_VARS, min: number, max: number): number {
  const number = typeof value === 'number' ? value : Number(String(value).trim());
  if (!Number.isInteger(number) || number < min || number > max) {
    throw new ConfigError(`${key} (${ENV_VARS[key]}) must be a whole number from ${min} to ${max}, got "${String(value)}"`, 'ERR_INVALID_OPTION', key);
  }
  return number;
}
