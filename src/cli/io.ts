import type { Readable, Writable } from 'node:stream';

/** The streams and environment a command runs with; tests pass their own. */
export interface CliIo {
  stdout: Writable;
  stderr: Writable;
  stdin: Readable;
  env: NodeJS.ProcessEnv;
  /** The directory relative paths (data directory, config file, `sqlite:PATH`, TLS files) resolve against. Default: the process's. */
  cwd?: string;
}

/** Thrown for a command line that cannot be understood; exits with status 2 and the usage text. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Prints `value` as JSON (with --json) or as aligned `key: value` lines. */
export function printRecord(io: CliIo, json: boolean, value: Record<string, unknown>): void {
  if (json) {
    io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    return;
  }
  const width = Math.max(...Object.keys(value).map((key) => key.length));
  for (const [key, field] of Object.entries(value)) {
    io.stdout.write(`${`${key}:`.padEnd(width + 2)}${formatField(field)}\n`);
  }
}

/** Prints rows as JSON (with --json) or as a table of the given columns. */
export function printTable(io: CliIo, json: boolean, rows: Record<string, unknown>[], columns: string[]): void {
  if (json) {
    io.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return;
  }
  if (rows.length === 0) {
    io.stdout.write('(none)\n');
    return;
  }
  const cells = rows.map((row) => columns.map((column) => formatField(row[column])));
  const widths = columns.map((column, i) => Math.max(column.length, ...cells.map((line) => line[i]!.length)));
  const line = (values: string[]) =>
    values
      .map((value, i) => value.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  io.stdout.write(`${line(columns)}\n${cells.map(line).join('\n')}\n`);
}

function formatField(value: unknown): string {
  if (Array.isArray(value)) return value.join(' ');
  if (value === null || value === undefined) return '-';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value);
}

/** Reads all of standard input as text. */
export async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString('utf8');
}
