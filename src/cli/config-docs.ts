/**
 * The parts of docs/configuration.md and .env.example that are generated from the settings schema
 * (`npm run docs:config` writes them; a test fails when they are stale). Internal: not exported
 * from the package.
 */
import { SERVER_SETTINGS, type SettingMeta } from '../server/config/schema.js';
import { COMMAND_SETTING_LIST, type CommandSetting } from './settings.js';

/** The generated regions of docs/configuration.md, by marker name. */
export const GENERATED_REGIONS = {
  'command-settings': () => commandTable(false),
  'scale-out-settings': () => commandTable(true),
  'library-settings': libraryTable,
} as const satisfies Record<string, () => string>;

/** Rows of the command table that are not plain settings: structured file keys and per-upstream variables. */
const COMMAND_EXTRA_ROWS: readonly string[][] = [
  [
    '`rateLimits`',
    '(file only)',
    '',
    'see [rate limits](#rate-limits)',
    'object',
    'Overrides of the default rate limits, e.g. `{ "signInPerAccountIp": { "points": 10 } }`.',
  ],
  [
    '`upstreams`',
    'see below',
    '',
    'none',
    'array',
    '"Continue with GitHub / Google / …" on the login page: a list of [upstream entries](#upstreams-in-the-config-file).',
  ],
  [
    '—',
    '`GATEHOUSE_CONFIG`',
    '`--config FILE`',
    '`./gatehouse.config.json` if present',
    'path',
    'The JSON file above. A file named explicitly must exist; an empty variable counts as unset. Unknown top-level keys are errors; so are the credential settings (those marked environment only).',
  ],
  [
    '—',
    '`GATEHOUSE_UPSTREAM_{ID}_CLIENT_SECRET`',
    '',
    'none',
    'text',
    'The client secret of the upstream with that `id` (upper-cased, `-` becomes `_`). Environment only.',
  ],
  [
    '—',
    '`GATEHOUSE_UPSTREAM_GITHUB_CLIENT_ID`',
    '',
    'none',
    'text',
    'Shortcut: adds an upstream `{ "id": "github", "type": "github", "label": "GitHub" }` with this client id, unless the file already has an upstream with id `github`.',
  ],
  ['—', '`GATEHOUSE_UPSTREAM_GOOGLE_CLIENT_ID`', '', 'none', 'text', 'The same for `{ "id": "google", "type": "google", "label": "Google" }`.'],
];

/** The command's settings table (or its table of settings for several instances). */
export function commandTable(scaleOut: boolean): string {
  const rows = COMMAND_SETTING_LIST.filter((entry) => (entry.command.scaleOut ?? false) === scaleOut).map((entry) => [
    entry.command.credential ? '—' : `\`${entry.key}\``,
    `\`${entry.command.env}\``,
    entry.command.flag ?? '',
    entry.command.default ?? defaultText(entry, 'command'),
    entry.kind === 'list' ? `${entry.values}; space- or comma-separated (an array in the file)` : entry.values,
    commandMeaning(entry),
  ]);
  return table(['File key', 'Variable', 'Flag', 'Default', 'Values', 'Meaning'], scaleOut ? rows : [...rows, ...COMMAND_EXTRA_ROWS]);
}

/** The library's settings table (`createAuthorizationServer` options with plain values). */
export function libraryTable(): string {
  const rows = SERVER_SETTINGS.map((entry) => [
    `\`${entry.path}\``,
    entry.command ? `\`${entry.command.env}\`` : '',
    entry.required ? 'required' : defaultText(entry, 'library'),
    entry.kind === 'list' ? `array: ${entry.values}` : entry.values,
    entry.description,
  ]);
  return table(['Option', 'Variable', 'Default', 'Values', 'Meaning'], rows);
}

function commandMeaning(entry: CommandSetting): string {
  return [entry.description, entry.command.note, entry.command.credential ? 'Environment only.' : undefined].filter(Boolean).join(' ');
}

/** The default as the library (an array literal) or the command (a variable's text) writes it. */
function defaultText(entry: SettingMeta, style: 'library' | 'command'): string {
  if (entry.defaultText !== undefined) return entry.defaultText;
  const value = entry.default;
  if (value === undefined) return 'none';
  if (Array.isArray(value)) {
    if (style === 'command') return value.length === 0 ? 'none' : `\`${value.join(' ')}\``;
    return `\`[${value.map((item) => `'${String(item)}'`).join(', ')}]\``;
  }
  return `\`${typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : JSON.stringify(value)}\``;
}

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.map((cell) => cell.replace(/\|/g, '\\|')).join(' | ')} |`.replace(/ {2,}\|/g, ' |');
  return [line(header), `|${header.map(() => '---').join('|')}|`, ...rows.map(line)].join('\n');
}

/** Replaces the region between `<!-- BEGIN GENERATED name ... -->` and `<!-- END GENERATED name -->`. */
export function replaceRegion(document: string, name: string, content: string): string {
  const begin = new RegExp(`<!-- BEGIN GENERATED ${name}\\b[^>]*-->\\n`);
  const end = `<!-- END GENERATED ${name} -->`;
  const start = begin.exec(document);
  const stop = document.indexOf(end);
  if (start === null || stop < start.index) throw new Error(`docs/configuration.md has no generated region "${name}"`);
  const from = start.index + start[0].length;
  return `${document.slice(0, from)}${content}\n${document.slice(stop)}`;
}

/** docs/configuration.md with every generated region brought up to date. */
export function configurationDoc(current: string): string {
  return Object.entries(GENERATED_REGIONS).reduce((document, [name, render]) => replaceRegion(document, name, render()), current);
}

const ENV_HEADER = `# Gatehouse configuration: every variable of the gatehouse command, with its default. Generated
# from src/server/config/schema.ts by "npm run docs:config"; docs/configuration.md says more.
# Every variable is optional in development; production also needs GATEHOUSE_SECRET.
# Settings can also come from gatehouse.config.json (same names in camelCase, see docs/configuration.md);
# command-line flags override variables, which override the file. An empty variable counts as unset.
# Gatehouse does not read .env itself: export the variables, or run
#   node --env-file=.env bin/gatehouse.js start
`;

const ENV_SCALE_OUT = `# ---- Several instances: PostgreSQL, Redis, workers (docs/deployment.md) ----
`;

const ENV_FOOTER = `# Rate limits are overridden in gatehouse.config.json ("rateLimits"), see docs/configuration.md.

# Path of a JSON config file. Default: ./gatehouse.config.json when it exists. A file named here
# must exist; an empty value counts as unset.
# GATEHOUSE_CONFIG=./gatehouse.config.json

# Upstream sign-in ("Continue with GitHub / Google", docs/upstreams.md). Register the redirect URI
# {issuer}/upstream/github/callback (or .../google/callback) at the provider. Setting a client id
# adds that upstream; more upstreams go in gatehouse.config.json ("upstreams").
GATEHOUSE_UPSTREAM_GITHUB_CLIENT_ID=
GATEHOUSE_UPSTREAM_GITHUB_CLIENT_SECRET=
GATEHOUSE_UPSTREAM_GOOGLE_CLIENT_ID=
GATEHOUSE_UPSTREAM_GOOGLE_CLIENT_SECRET=
# Every upstream's secret: GATEHOUSE_UPSTREAM_{ID}_CLIENT_SECRET, with its id upper-cased and "-"
# as "_" (id "acme-sso": GATEHOUSE_UPSTREAM_ACME_SSO_CLIENT_SECRET).
`;

/** .env.example: every variable of the command, each with what it does, its values and its default. */
export function envExample(): string {
  const block = (entry: CommandSetting) => {
    const values = entry.kind === 'list' ? `${plain(entry.values)}, space- or comma-separated` : plain(entry.values);
    const facts = `Values: ${values}. Default: ${plain(entry.command.default ?? defaultText(entry, 'command'))}.`;
    return `${comment(plain(commandMeaning(entry)))}${comment(facts)}${entry.command.env}=${envValue(entry.default)}\n`;
  };
  const main = COMMAND_SETTING_LIST.filter((entry) => !entry.command.scaleOut).map(block);
  const scaleOut = COMMAND_SETTING_LIST.filter((entry) => entry.command.scaleOut).map(block);
  return [ENV_HEADER, ...main, ENV_SCALE_OUT + scaleOut.join('\n'), ENV_FOOTER].join('\n');
}

/** A default a variable can hold as written (anything else stays empty: the comment gives it). */
function envValue(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string' && /^[^\s#"'`$\\]+$/.test(value)) return value;
  return '';
}

/** Markdown as plain text for a comment: no backticks or emphasis, links as "text (docs/file)". */
function plain(markdown: string): string {
  return markdown
    .replace(/\[([^\]]+)\]\(#([^)]+)\)/g, '$1 (docs/configuration.md#$2)')
    .replace(/\[([^\]]+)\]\(([^)#]+\.md[^)]*)\)/g, '$1 (docs/$2)')
    .replace(/\*\*([^*]+)\*\*/g, '$1')
    .replace(/`/g, '');
}

/** `text` as `# ` comment lines of at most 100 characters. */
function comment(text: string): string {
  const lines: string[] = [];
  let line = '#';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line.length + 1 + word.length > 100 && line !== '#') {
      lines.push(line);
      line = '#';
    }
    line += ` ${word}`;
  }
  lines.push(line);
  return `${lines.join('\n')}\n`;
}
