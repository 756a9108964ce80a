/**
 * The command does not create installations by accident (issue 13): the read and admin commands
 * refuse a data directory (or a PostgreSQL schema) that holds no Gatehouse data, saying so in one
 * line and creating nothing (no directory, no secret file, no database file, no schema). Only
 * `gatehouse start` and `gatehouse migrate` set one up.
 *
 * Build first (`npm run build`): the command runs from dist/.
 */
import Database from 'better-sqlite3';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createWorkspace, killAll, parseJson, runCli, runCliOk, type Workspace } from '../helpers/cli.js';
import { adminQuery, dropSchema, POSTGRES_URL, uniqueSchema } from '../helpers/postgres.js';

const SECRET = 'no-data-test-secret-'.padEnd(48, 'n');

const workspaces: Workspace[] = [];
function workspace(): Workspace {
  const ws = createWorkspace();
  workspaces.push(ws);
  return ws;
}

afterAll(async () => {
  await killAll();
  for (const ws of workspaces) ws.remove();
});

/** What the command must say, and nothing else. */
const refusal = (where: string) => `error: no Gatehouse data in ${where} (run \`gatehouse start\` or \`gatehouse migrate\` first)\n`;

/**
 * A read and a writing command of each family (each opens the data the same way), with what it
 * needs besides the data directory.
 */
const COMMANDS: [command: string, stdin?: string][] = [
  ['clients list'],
  ['clients add --name App'],
  ['users list'],
  ['users add --username alice --password-stdin', 'correct horse battery staple\n'],
  ['users unlock alice'],
  ['users purge-deleted'],
  ['users mfa reset alice'],
  ['keys rotate'],
  ['audit verify'],
];

describe('on a data directory that does not exist', () => {
  it.each(COMMANDS)('gatehouse %s (development) refuses and creates nothing', async (command, stdin) => {
    const ws = workspace();
    const result = await runCli([...command.split(' '), '--data', ws.dataDir], { cwd: ws.cwd, dev: true, ...(stdin !== undefined ? { stdin } : {}) });
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toBe(refusal(ws.dataDir));
    expect(result.stdout).toBe('');
    expect(existsSync(ws.dataDir)).toBe(false);
  });

  it.each(['users list', 'clients add --name App', 'keys rotate'])(
    'gatehouse %s (production, with GATEHOUSE_SECRET) refuses and creates nothing',
    async (command) => {
      const ws = workspace();
      const result = await runCli([...command.split(' '), '--data', ws.dataDir], { cwd: ws.cwd, env: { GATEHOUSE_SECRET: SECRET } });
      expect(result.code, result.stderr).toBe(1);
      expect(result.stderr).toBe(refusal(ws.dataDir));
      expect(existsSync(ws.dataDir)).toBe(false);
    },
  );

  it('without --data: names ./.gatehouse of the working directory, and leaves the directory as it was', async () => {
    const ws = workspace();
    const result = await runCli(['users', 'list'], { cwd: ws.cwd, dev: true });
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toBe(refusal(join(ws.cwd, '.gatehouse')));
    expect(readdirSync(ws.cwd)).toEqual([]);
  });
});

describe('on a directory without Gatehouse data', () => {
  it('an existing empty directory stays empty (no secret, no database)', async () => {
    const ws = workspace();
    mkdirSync(ws.dataDir);
    const result = await runCli(['clients', 'add', '--name', 'App', '--data', ws.dataDir], { cwd: ws.cwd, dev: true });
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toBe(refusal(ws.dataDir));
    expect(readdirSync(ws.dataDir)).toEqual([]);
  });

  it("GATEHOUSE_DATABASE_URL=sqlite:PATH at another application's database: refused, naming the file, its tables untouched", async () => {
    const ws = workspace();
    const file = join(ws.cwd, 'app.db');
    const other = new Database(file);
    other.exec('create table notes (body text)');
    other.close();
    const result = await runCli(['users', 'list', '--data', ws.dataDir], { cwd: ws.cwd, dev: true, env: { GATEHOUSE_DATABASE_URL: `sqlite:${file}` } });
    expect(result.code, result.stderr).toBe(1);
    expect(result.stderr).toBe(refusal(file));
    const check = new Database(file, { readonly: true });
    try {
      expect(check.prepare(`select name from sqlite_master where type = 'table' order by name`).all()).toEqual([{ name: 'notes' }]);
    } finally {
      check.close();
    }
    expect(existsSync(ws.dataDir)).toBe(false);
  });
});

describe('start and migrate set one up', () => {
  it('after gatehouse migrate the same commands work', async () => {
    const ws = workspace();
    const options = { cwd: ws.cwd, dev: true };
    expect((await runCli(['users', 'list', '--data', ws.dataDir], options)).code).toBe(1);
    await runCliOk(['migrate', '--data', ws.dataDir], options);
    expect(existsSync(join(ws.dataDir, 'gatehouse.db'))).toBe(true);
    expect(parseJson<unknown[]>(await runCliOk(['users', 'list', '--json', '--data', ws.dataDir], options))).toEqual([]);
    await runCliOk(['users', 'add', '--username', 'alice', '--password-stdin', '--data', ws.dataDir], { ...options, stdin: 'correct horse battery staple\n' });
    expect(parseJson<{ username: string }[]>(await runCliOk(['users', 'list', '--json', '--data', ws.dataDir], options)).map((user) => user.username)).toEqual([
      'alice',
    ]);
  }, 60_000);
});

describe('PostgreSQL (GATEHOUSE_DATABASE_URL)', () => {
  const schema = uniqueSchema();
  const ws = workspace();
  const env = { GATEHOUSE_SECRET: SECRET, GATEHOUSE_DATABASE_URL: POSTGRES_URL, GATEHOUSE_DATABASE_SCHEMA: schema };
  afterAll(() => dropSchema(schema));
  const database = new URL(POSTGRES_URL).pathname.slice(1);

  it('a schema without Gatehouse tables is refused, naming the schema and database; the schema is not created', async () => {
    for (const command of ['users list', 'clients add --name App']) {
      const result = await runCli([...command.split(' '), '--data', ws.dataDir], { cwd: ws.cwd, env });
      expect(result.code, result.stderr).toBe(1);
      expect(result.stderr).toBe(refusal(`schema ${schema} of PostgreSQL database ${database}`));
    }
    expect(await adminQuery('select 1 from pg_namespace where nspname = $1', [schema])).toEqual([]);
    expect(existsSync(ws.dataDir)).toBe(false);
  }, 60_000);

  it('an existing schema with other tables is refused too; after gatehouse migrate it works', async () => {
    await adminQuery(`create schema ${schema}`);
    await adminQuery(`create table ${schema}.notes (body text)`);
    const refused = await runCli(['users', 'list', '--data', ws.dataDir], { cwd: ws.cwd, env });
    expect(refused.stderr).toBe(refusal(`schema ${schema} of PostgreSQL database ${database}`));
    expect((await adminQuery<{ n: string }>(`select count(*) as n from pg_tables where schemaname = $1`, [schema]))[0]!.n).toBe('1');

    await runCliOk(['migrate', '--data', ws.dataDir], { cwd: ws.cwd, env, timeoutMs: 30_000 });
    expect(parseJson<unknown[]>(await runCliOk(['users', 'list', '--json', '--data', ws.dataDir], { cwd: ws.cwd, env, timeoutMs: 30_000 }))).toEqual([]);
  }, 60_000);
});
