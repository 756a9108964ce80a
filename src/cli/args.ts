import { parseArgs, type ParseArgsConfig } from 'node:util';
import { loadConfig, type CliConfig, type ConfigOverrides } from './config.js';
import { UsageError, type CliIo } from './io.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Flags every command takes. */
const COMMON_OPTIONS = {
  data: { type: 'string' },
  config: { type: 'string' },
  /** Development mode; without it every command runs in production (unless GATEHOUSE_ENV says development). */
  dev: { type: 'boolean', default: false },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const satisfies Options;

type Parsed<T extends Options> = ReturnType<typeof parseArgs<{ args: string[]; options: typeof COMMON_OPTIONS & T; allowPositionals: true; strict: true }>>;

/**
 * Parses a command's flags. A flag that is unknown, lacks its value or has one it does not take is
 * a {@link UsageError} in our own words (`unknown option --x`), never node:util's text, which
 * quotes unevenly and spans several lines.
 */
export function parseCommand<T extends Options>(args: string[], options: T): Parsed<T> {
  const all: Options = { ...COMMON_OPTIONS, ...options };
  checkFlags(args, all);
  try {
    return parseArgs({ args, options: { ...COMMON_OPTIONS, ...options }, allowPositionals: true, strict: true });
  } catch (error) {
    // checkFlags catches what node:util refuses; should a Node version refuse more, keep to one line without its quotes.
    throw new UsageError(firstLine((error as Error).message).replace(/'/g, ''));
  }
}

/** Walks the flags as node:util reads them (without refusing anything) and refuses the bad ones. */
function checkFlags(args: string[], options: Options): void {
  const { tokens } = parseArgs({ args, options, allowPositionals: true, strict: false, tokens: true });
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    const flag = token.rawName;
    const spec = options[token.name];
    if (spec === undefined) throw new UsageError(`unknown option ${flag}`);
    if (spec.type === 'boolean') {
      if (token.value !== undefined) throw new UsageError(`${flag} takes no value`);
      continue;
    }
    // As node:util does: a value starting with "-" must be attached (--name=-x), or it is taken for a forgotten value.
    const looksLikeFlag = !token.inlineValue && token.value !== undefined && token.value.length > 1 && token.value.startsWith('-');
    if (token.value === undefined || looksLikeFlag) {
      throw new UsageError(`${flag} needs a value${looksLikeFlag ? `; one starting with "-" is written ${flag}=VALUE` : ''}`);
    }
  }
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0]!.trim();
}

/** Loads the configuration with the common flags applied. */
export function configFrom(values: { data?: string; config?: string; dev?: boolean }, io: CliIo, extra: ConfigOverrides = {}): CliConfig {
  return loadConfig({ dataDir: values.data, configFile: values.config, ...(values.dev ? { mode: 'development' } : {}), ...extra }, io.env, io.cwd);
}
