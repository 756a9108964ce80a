import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError } from '../core/errors.js';
import type { UpstreamOptions } from '../server/options.js';
import { COMMAND_SETTING_LIST, CREDENTIAL_KEYS, ENV_VARS, readCommandSetting, type CommandKey, type CommandSettingValues } from './settings.js';
import { upstreamsFromConfig } from './upstreams-config.js';

/**
 * Settings of the `gatehouse` command, from (highest first) command-line flags, `GATEHOUSE_*`
 * environment variables, an optional `gatehouse.config.json`, and defaults. Each setting, its
 * variable, bounds and default are declared once, in the settings schema
 * (src/server/config/schema.ts, listed for the command in ./settings.ts); docs/configuration.md and
 * .env.example are generated from it.
 *
 * The mode is `production` whatever `NODE_ENV` says: `development` (a generated secret, plain-http
 * issuers on any host, one-time codes to the outbox file) only when asked for: `--dev`,
 * `GATEHOUSE_ENV=development` or `"mode": "development"` in the file. Paths (`dataDir`,
 * `tlsCert`, `tlsKey`, `auditFile`, a `sqlite:` database URL) are absolute, resolved from the
 * working directory.
 */
export type CliConfig = CommandSettingValues & {
  /** Upstream providers (file only; secrets from GATEHOUSE_UPSTREAM_{ID}_CLIENT_SECRET). */
  upstreams: UpstreamOptions[];
  /** Overrides of the default rate limits (file only), e.g. `{ "signInPerAccountIp": { "points": 10 } }`. */
  rateLimits: Record<string, Record<string, number>> | undefined;
};

/** Flag values that override the environment (`mode` from `--dev`). */
export type ConfigOverrides = Partial<Pick<CliConfig, 'mode' | 'dataDir' | 'issuer' | 'host' | 'port' | 'tlsCert' | 'tlsKey' | 'workers'>> & {
  configFile?: string;
};

/** Keys the config file may hold: every setting but the credentials, and the file-only lists. */
const FILE_KEYS = new Set<string>([...COMMAND_SETTING_LIST.map((entry) => entry.key).filter((key) => !CREDENTIAL_KEYS.has(key)), 'upstreams', 'rateLimits']);

/** Loads the configuration; throws {@link ConfigError} naming the bad setting and its variable. */
export function loadConfig(overrides: ConfigOverrides = {}, env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): CliConfig {
  const file = readConfigFile(overrides.configFile ?? (env.GATEHOUSE_CONFIG === '' ? undefined : env.GATEHOUSE_CONFIG), cwd);
  const pick = (key: CommandKey): unknown => {
    const flag = (overrides as Record<string, unknown>)[key];
    if (flag !== undefined) return flag;
    const fromEnv = env[ENV_VARS[key]];
    if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
    return file[key];
  };
  // NODE_ENV is not read: often set to development by habit or tooling, it must not turn off the
  // secret requirement and the https check of a real deployment.
  const values: Record<string, unknown> = {};
  for (const setting of COMMAND_SETTING_LIST) {
    const value = readCommandSetting(setting.key, pick(setting.key));
    values[setting.key] = setting.kind === 'path' && typeof value === 'string' ? resolve(cwd, value) : value;
  }
  const settings = values as CommandSettingValues;
  return {
    ...settings,
    databaseUrl: sqlitePathResolved(settings.databaseUrl, cwd),
    upstreams: upstreamsFromConfig(file.upstreams, env, settings.mode),
    rateLimits: file.rateLimits as CliConfig['rateLimits'],
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
    if (CREDENTIAL_KEYS.has(key)) {
      const variable = ENV_VARS[key as CommandKey];
      throw new ConfigError(`config file ${file}: put "${key}" in ${variable}, not in a file that may be committed`, 'ERR_INVALID_CONFIG_FILE', key);
    }
    if (!FILE_KEYS.has(key)) throw new ConfigError(`config file ${file}: unknown setting "${key}"`, 'ERR_INVALID_CONFIG_FILE', key);
  }
  return parsed as Record<string, unknown>;
}
