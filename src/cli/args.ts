import { parseArgs, type ParseArgsConfig } from 'node:util';
import { loadConfig, type CliConfig, type ConfigOverrides } from './config.js';
import { UsageError, type CliIo } from './io.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Flags every command takes. */
export const COMMON_OPTIONS = {
  data: { type: 'string' },
  config: { type: 'string' },
  /** Development mode; without it every command runs in production (unless GATEHOUSE_ENV says development). */
  dev: { type: 'boolean', default: false },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const satisfies Options;

/** Parses a command's flags; unknown flags are a {@link UsageError}. */
type Parsed<T extends Options> = ReturnType<typeof parseArgs<{ args: string[]; options: typeof COMMON_OPTIONS & T; allowPositionals: true; strict: true }>>;

export function parseCommand<T extends Options>(args: string[], options: T): Parsed<T> {
  try {
    return parseArgs({ args, options: { ...COMMON_OPTIONS, ...options }, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** Loads the configuration with the common flags applied. */
export function configFrom(values: { data?: string; config?: string; dev?: boolean }, io: CliIo, extra: ConfigOverrides = {}): CliConfig {
  return loadConfig({ dataDir: values.data, configFile: values.config, ...(values.dev ? { mode: 'development' } : {}), ...extra }, io.env);
}
