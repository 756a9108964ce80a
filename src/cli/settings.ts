/**
 * The `gatehouse` command's view of the settings schema (`../server/config/schema.ts`): each
 * config-file key, in the order the reference lists them, and the setting behind it. Variable
 * names, bounds, defaults and error messages all come from the schema; this file only says which
 * settings the command has, how their text is read, and how they become library options.
 */
import type { z } from 'zod';
import { ConfigError } from '../core/errors.js';
import {
  accountSettings,
  adminSettings,
  auditSettings,
  backchannelLogoutSettings,
  brandingSettings,
  clientMetadataDocumentSettings,
  commandSettings,
  emailSettings,
  keySettings,
  languageSettings,
  limitSettings,
  mfaSettings,
  protectionSettings,
  registrationSettings,
  parSettings,
  serverPathOf,
  serverSettings,
  sessionSettings,
  settingMeta,
  tokenSettings,
  type CommandExposure,
  type SettingMeta,
} from '../server/config/schema.js';

const command = commandSettings.shape;

/**
 * Every setting of the command by its config-file key. Library settings the command requires only
 * in production (`issuer`, `secret`) are optional here: it derives or generates them otherwise.
 */
export const COMMAND_SETTINGS = {
  mode: serverSettings.shape.mode,
  dataDir: command.dataDir,
  secret: serverSettings.shape.secret.optional(),
  issuer: serverSettings.shape.issuer.optional(),
  host: command.host,
  port: command.port,
  tlsCert: command.tlsCert,
  tlsKey: command.tlsKey,
  trustedProxies: protectionSettings.shape.trustedProxies,
  forwardedHeader: protectionSettings.shape.forwardedHeader,
  operatorAllowList: protectionSettings.shape.operatorAllowList,
  metricsToken: protectionSettings.shape.metricsToken,
  accessTokenTtl: tokenSettings.shape.accessTokenTtl,
  accessTokenSigningAlg: tokenSettings.shape.accessTokenSigningAlg,
  defaultAudience: tokenSettings.shape.defaultAudience,
  idTokenTtl: tokenSettings.shape.idTokenTtl,
  refreshTokenTtl: tokenSettings.shape.refreshTokenTtl,
  refreshTokenReuseGrace: tokenSettings.shape.refreshTokenReuseGrace,
  deviceCodeTtl: tokenSettings.shape.deviceCodeTtl,
  deviceCodeInterval: tokenSettings.shape.deviceCodeInterval,
  dpopNonce: tokenSettings.shape.dpopNonce,
  dpopProofMaxAge: tokenSettings.shape.dpopProofMaxAge,
  sessionTtl: sessionSettings.shape.ttl,
  productName: brandingSettings.shape.productName,
  logoUrl: brandingSettings.shape.logoUrl,
  primaryColor: brandingSettings.shape.primaryColor,
  scopes: serverSettings.shape.scopes,
  logLevel: command.logLevel,
  logFormat: command.logFormat,
  maxBodyBytes: limitSettings.shape.maxBodyBytes,
  requestDeadlineMs: limitSettings.shape.requestDeadlineMs,
  keyRefreshInterval: keySettings.shape.refreshInterval,
  mfaPolicy: mfaSettings.shape.policy,
  signUp: accountSettings.shape.signUp,
  signUpDomains: accountSettings.shape.allowedEmailDomains,
  requireVerifiedEmail: accountSettings.shape.requireVerifiedEmail,
  signUpClaims: accountSettings.shape.signUpClaims,
  passwordMinLength: accountSettings.shape.passwordMinLength,
  passwordMinScore: accountSettings.shape.passwordMinScore,
  passwordless: accountSettings.shape.passwordless,
  invitationTtl: accountSettings.shape.invitationTtl,
  passwordResetTtl: accountSettings.shape.passwordResetTtl,
  deletionGraceDays: accountSettings.shape.deletionGraceDays,
  proofOfWork: accountSettings.shape.proofOfWork,
  emailTemplatesDir: emailSettings.shape.templatesDir,
  defaultLanguage: languageSettings.shape.default,
  languagesDir: languageSettings.shape.dir,
  smtpUrl: command.smtpUrl,
  smtpFrom: command.smtpFrom,
  smtpTimeoutMs: command.smtpTimeoutMs,
  smsWebhookUrl: command.smsWebhookUrl,
  smsWebhookSecret: command.smsWebhookSecret,
  smsWebhookTimeoutMs: command.smsWebhookTimeoutMs,
  upstreamTimeoutMs: command.upstreamTimeoutMs,
  sqliteBusyTimeoutMs: command.sqliteBusyTimeoutMs,
  auditFile: auditSettings.shape.file,
  auditMaxQueuedEvents: auditSettings.shape.maxQueuedEvents,
  databaseUrl: command.databaseUrl,
  databaseSchema: command.databaseSchema,
  dbPoolSize: command.dbPoolSize,
  dbStatementTimeoutMs: command.dbStatementTimeoutMs,
  dbQueryTimeoutMs: command.dbQueryTimeoutMs,
  dbConnectionTimeoutMs: command.dbConnectionTimeoutMs,
  redisUrl: command.redisUrl,
  redisPrefix: protectionSettings.shape.redisPrefix,
  redisCommandTimeoutMs: command.redisCommandTimeoutMs,
  workers: command.workers,
  httpHeadersTimeoutMs: command.httpHeadersTimeoutMs,
  httpRequestTimeoutMs: command.httpRequestTimeoutMs,
  httpKeepAliveTimeoutMs: command.httpKeepAliveTimeoutMs,
  otel: command.otel,
  adminApi: adminSettings.shape.api,
  adminConsole: adminSettings.shape.console,
  adminPath: adminSettings.shape.path,
  clientMetadataDocuments: clientMetadataDocumentSettings.shape.enabled,
  clientMetadataMinCacheSeconds: clientMetadataDocumentSettings.shape.minCacheSeconds,
  clientMetadataMaxCacheSeconds: clientMetadataDocumentSettings.shape.maxCacheSeconds,
  clientMetadataFailureCacheSeconds: clientMetadataDocumentSettings.shape.failureCacheSeconds,
  clientMetadataCacheEntries: clientMetadataDocumentSettings.shape.cacheEntries,
  clientMetadataMaxBytes: clientMetadataDocumentSettings.shape.maxBytes,
  clientMetadataTimeoutMs: clientMetadataDocumentSettings.shape.timeoutMs,
  unsafeFetchAllowList: protectionSettings.shape.unsafeFetchAllowList,
  unsafeFetchAllowHttp: protectionSettings.shape.unsafeFetchAllowHttp,
  registrationPolicy: registrationSettings.shape.policy,
  requirePar: parSettings.shape.required,
  parRequestUriTtl: parSettings.shape.requestUriTtl,
  backchannelLogoutAttempts: backchannelLogoutSettings.shape.attempts,
  backchannelLogoutRetryDelayMs: backchannelLogoutSettings.shape.retryDelayMs,
  backchannelLogoutTimeoutMs: backchannelLogoutSettings.shape.timeoutMs,
  backchannelLogoutPollIntervalMs: backchannelLogoutSettings.shape.pollIntervalMs,
} as const;

/** A config-file key of the command. */
export type CommandKey = keyof typeof COMMAND_SETTINGS;

/** The command's settings once read: each the output type of its schema. */
export type CommandSettingValues = { [K in CommandKey]: z.output<(typeof COMMAND_SETTINGS)[K]> };

/** A command setting with its key, variable and documentation. */
export interface CommandSetting extends SettingMeta {
  key: CommandKey;
  command: CommandExposure;
  /** Where it goes in the library's options, when it is a library setting. */
  serverPath: string | undefined;
  schema: z.ZodType;
}

/** The command's settings in reference order. */
export const COMMAND_SETTING_LIST: readonly CommandSetting[] = Object.entries(COMMAND_SETTINGS).map(([key, schema]) => {
  const meta = settingMeta(schema);
  if (meta?.command === undefined) throw new TypeError(`command setting "${key}" has no GATEHOUSE_* variable in the schema`);
  return { ...meta, command: meta.command, key: key as CommandKey, serverPath: serverPathOf(schema), schema };
});

/** `GATEHOUSE_*` variable of each setting. */
export const ENV_VARS = Object.fromEntries(COMMAND_SETTING_LIST.map((entry) => [entry.key, entry.command.env])) as Record<CommandKey, `GATEHOUSE_${string}`>;

/** Settings that hold credentials: environment only, never the config file (which may be committed). */
export const CREDENTIAL_KEYS: ReadonlySet<string> = new Set(COMMAND_SETTING_LIST.filter((entry) => entry.command.credential).map((entry) => entry.key));

/**
 * Reads one setting from a flag, a variable's text or a config-file value (`undefined` when none
 * is set: the default applies). Whole numbers may be written with surrounding spaces; a list is an
 * array (file) or space- or comma-separated text (variable); a choice in any case when the schema
 * says so.
 *
 * @throws {ConfigError} `key (GATEHOUSE_VAR) must be ...`, with the value unless it is a credential.
 */
export function readCommandSetting<K extends CommandKey>(key: K, raw: unknown): CommandSettingValues[K] {
  const setting = COMMAND_SETTING_LIST.find((entry) => entry.key === key)!;
  const value = raw === undefined || raw === null || raw === '' ? undefined : fromText(setting, raw);
  const parsed = setting.schema.safeParse(value);
  if (parsed.success) return parsed.data as CommandSettingValues[K];
  const issue = parsed.error.issues[0]!;
  // A list names the entry at fault, not the whole list.
  const shown: unknown = issue.path.length > 0 && Array.isArray(value) ? (value as unknown[])[issue.path[0] as number] : raw;
  const got = setting.command.credential ? '' : `, got "${Array.isArray(shown) ? shown.join(' ') : String(shown)}"`;
  throw new ConfigError(`${key} (${setting.command.env}) ${issue.message}${got}`, 'ERR_INVALID_OPTION', key);
}

function fromText(setting: CommandSetting, raw: unknown): unknown {
  switch (setting.kind) {
    case 'integer':
      return typeof raw === 'number' ? raw : Number(String(raw).trim());
    case 'list':
      return Array.isArray(raw)
        ? raw.map(String)
        : String(raw)
            .split(/[\s,]+/)
            .filter(Boolean);
    case 'choice':
      return setting.command.ignoreCase ? String(raw).toLowerCase() : raw;
    case 'boolean':
      return raw === true || raw === 'true' ? true : raw === false || raw === 'false' ? false : raw;
    case 'text':
    case 'path':
      return typeof raw === 'string' ? raw : String(raw);
  }
}

/** The library options the command's settings make (the library's objects and functions not included). */
export type ServerSettingsFromCommand = Partial<z.input<typeof serverSettings>>;

/** The command's settings as library options, nested where the schema puts them; unset ones left out. */
export function serverSettingsFrom(values: Partial<CommandSettingValues>): ServerSettingsFromCommand {
  const options: Record<string, unknown> = {};
  for (const setting of COMMAND_SETTING_LIST) {
    const value = values[setting.key];
    if (setting.serverPath === undefined || value === undefined) continue;
    const keys = setting.serverPath.split('.');
    let target = options;
    for (const key of keys.slice(0, -1)) target = (target[key] ??= {}) as Record<string, unknown>;
    target[keys.at(-1)!] = value;
  }
  return options;
}
