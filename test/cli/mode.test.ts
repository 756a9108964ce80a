/**
 * Which mode the `gatehouse` command runs in (security issue 13): production unless development is
 * asked for by name (`--dev`, `GATEHOUSE_ENV=development`, the config file's `mode`), whatever
 * `NODE_ENV` says. Production needs `GATEHOUSE_SECRET`, refuses a plain-http public issuer and never
 * writes one-time codes to the development outbox; its refusal tells a newcomer how to run locally.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/cli/config.js';
import { DEV_SECRET_FILE, OUTBOX_FILE, resolveSecret } from '../../src/cli/runtime.js';
import { ConfigError } from '../../src/core/errors.js';
import { createWorkspace, killAll, parseJson, runCli, runCliOk, startServer, type RunningServer, type Workspace } from '../helpers/cli.js';
import { parseForms, UserAgent, type Page } from '../helpers/user-agent.js';

const SECRET = 'mode-test-installation-secret-'.padEnd(48, 'm');
/** What the refusal must say so that someone trying Gatehouse locally is not stuck. */
const GUIDANCE = ['GATEHOUSE_SECRET', '--dev', 'GATEHOUSE_ENV=development'];

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

/** The JSON ready line `gatehouse start --json` printed. */
function readyLine(server: RunningServer): { issuer: string; mode: string } {
  const line = server
    .output()
    .stdout.split('\n')
    .find((candidate) => candidate.startsWith('{"issuer"'));
  if (!line) throw new Error(`no ready line in ${server.output().stdout}`);
  return JSON.parse(line) as { issuer: string; mode: string };
}

describe('loadConfig: the mode', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gh-mode-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  /** A config file of its own, so that no gatehouse.config.json in the working directory counts. */
  const fileWith = (content: object): string => {
    const file = join(dir, `config-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(file, JSON.stringify(content));
    return file;
  };

  const cases: [name: string, expected: 'development' | 'production', env: NodeJS.ProcessEnv, file: object, overrides: { mode?: 'development' }][] = [
    ['nothing set', 'production', {}, {}, {}],
    ['NODE_ENV=development', 'production', { NODE_ENV: 'development' }, {}, {}],
    ['NODE_ENV=test', 'production', { NODE_ENV: 'test' }, {}, {}],
    ['NODE_ENV=production', 'production', { NODE_ENV: 'production' }, {}, {}],
    ['GATEHOUSE_ENV=development', 'development', { GATEHOUSE_ENV: 'development' }, {}, {}],
    ['GATEHOUSE_ENV=production with NODE_ENV=development', 'production', { GATEHOUSE_ENV: 'production', NODE_ENV: 'development' }, {}, {}],
    ['"mode": "development" in the file', 'development', {}, { mode: 'development' }, {}],
    ['--dev', 'development', {}, {}, { mode: 'development' }],
    [
      '--dev, GATEHOUSE_ENV=production and the file saying production',
      'development',
      { GATEHOUSE_ENV: 'production' },
      { mode: 'production' },
      { mode: 'development' },
    ],
    ['GATEHOUSE_ENV=production and the file saying development', 'production', { GATEHOUSE_ENV: 'production' }, { mode: 'development' }, {}],
  ];
  it.each(cases)('%s: %s', (_name, expected, env, file, overrides) => {
    expect(loadConfig({ ...overrides, configFile: fileWith(file) }, env).mode).toBe(expected);
  });

  it('refuses another GATEHOUSE_ENV value, naming the variable', () => {
    expect(() => loadConfig({ configFile: fileWith({}) }, { GATEHOUSE_ENV: 'dev' })).toThrow(/GATEHOUSE_ENV/);
  });

  it('without a secret in production, ERR_MISSING_SECRET says how to run locally', () => {
    const config = loadConfig({ configFile: fileWith({}), dataDir: join(dir, 'data') }, {});
    let error: unknown;
    try {
      resolveSecret(config, () => undefined);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({ code: 'ERR_MISSING_SECRET', option: 'secret' });
    for (const text of GUIDANCE) expect((error as Error).message).toContain(text);
    expect(existsSync(join(dir, 'data', DEV_SECRET_FILE))).toBe(false);
  });
});

describe('the command defaults to production', () => {
  it.each([
    ['NODE_ENV unset', { NODE_ENV: undefined }],
    ['NODE_ENV=development', { NODE_ENV: 'development' }],
  ])('start without GATEHOUSE_SECRET (%s) exits 1, saying how to run locally, and writes no secret', async (_name, env) => {
    const ws = workspace();
    const result = await runCli(['start', '--port', '0', '--json', '--data', ws.dataDir], { cwd: ws.cwd, env, timeoutMs: 10_000 });
    expect(result.code, result.stderr).toBe(1);
    for (const text of GUIDANCE) expect(result.stderr).toContain(text);
    expect(result.stdout).not.toMatch(/"issuer"/);
    expect(existsSync(join(ws.dataDir, DEV_SECRET_FILE))).toBe(false);
  });

  it.each(['migrate', 'users list', 'clients list', 'keys list', 'audit tail'])(
    'gatehouse %s without GATEHOUSE_SECRET exits 1 with the same guidance',
    async (command) => {
      const ws = workspace();
      const result = await runCli([...command.split(' '), '--data', ws.dataDir], { cwd: ws.cwd, env: { NODE_ENV: 'development' } });
      expect(result.code, result.stderr).toBe(1);
      for (const text of GUIDANCE) expect(result.stderr).toContain(text);
      expect(existsSync(join(ws.dataDir, DEV_SECRET_FILE))).toBe(false);
    },
  );

  it('production refuses a plain-http non-loopback --issuer; development accepts it', async () => {
    const args = ['--issuer', 'http://gatehouse.test'];
    const ws = workspace();
    const refused = await runCli(['start', '--port', '0', '--json', ...args, '--data', ws.dataDir], {
      cwd: ws.cwd,
      env: { GATEHOUSE_SECRET: SECRET },
      timeoutMs: 10_000,
    });
    expect(refused.code, refused.stderr).toBe(1);
    expect(refused.stderr).toContain('issuer');
    expect(refused.stderr).toMatch(/https/);
    expect(refused.stdout).not.toMatch(/"issuer"/);

    const dev = await startServer({ cwd: ws.cwd, dataDir: ws.dataDir, dev: true, env: { GATEHOUSE_SECRET: SECRET }, args });
    try {
      expect(readyLine(dev)).toMatchObject({ issuer: 'http://gatehouse.test', mode: 'development' });
    } finally {
      expect(await dev.stop()).toBe(0);
    }
  });
});

describe('development when asked for', () => {
  it('--dev generates the secret (0600, with a warning) and starts; the data directory then needs --dev', async () => {
    const ws = workspace();
    const server = await startServer({ cwd: ws.cwd, dataDir: ws.dataDir, dev: true });
    const file = join(ws.dataDir, DEV_SECRET_FILE);
    try {
      expect(readyLine(server).mode).toBe('development');
      expect(server.output().stderr).toContain(`generated a secret in ${file}`);
      expect(server.output().stderr).toMatch(/^warning: running in development mode/m);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect((await fetch(`${server.issuer}/.well-known/openid-configuration`)).status).toBe(200);
    } finally {
      expect(await server.stop()).toBe(0);
    }
    const secret = readFileSync(file, 'utf8').trim();

    // Other commands use the same secret with --dev; without it, production refuses and says why.
    parseJson(await runCliOk(['users', 'list', '--json', '--data', ws.dataDir], { cwd: ws.cwd, dev: true }));
    const production = await runCli(['users', 'list', '--data', ws.dataDir], { cwd: ws.cwd });
    expect(production.code).toBe(1);
    expect(production.stderr).toContain('this data directory was set up in development mode');
    expect(readFileSync(file, 'utf8').trim()).toBe(secret);
  });

  it('GATEHOUSE_ENV=development does the same', async () => {
    const ws = workspace();
    const env = { GATEHOUSE_ENV: 'development' };
    const server = await startServer({ cwd: ws.cwd, dataDir: ws.dataDir, env });
    try {
      expect(readyLine(server).mode).toBe('development');
      expect(statSync(join(ws.dataDir, DEV_SECRET_FILE)).mode & 0o777).toBe(0o600);
    } finally {
      expect(await server.stop()).toBe(0);
    }
    parseJson(await runCliOk(['users', 'list', '--json', '--data', ws.dataDir], { cwd: ws.cwd, env }));
    const production = await runCli(['users', 'list', '--data', ws.dataDir], { cwd: ws.cwd, env: { NODE_ENV: 'development' } });
    expect(production.code).toBe(1);
    for (const text of GUIDANCE) expect(production.stderr).toContain(text);
  });

  it('the config file\'s "mode" still selects development, and --dev wins over a file saying production', async () => {
    const fromFile = workspace();
    writeFileSync(join(fromFile.cwd, 'gatehouse.config.json'), JSON.stringify({ mode: 'development' }));
    const migrated = await runCli(['migrate', '--data', fromFile.dataDir], { cwd: fromFile.cwd });
    expect(migrated.code, migrated.stderr).toBe(0);
    expect(existsSync(join(fromFile.dataDir, DEV_SECRET_FILE))).toBe(true);

    const overridden = workspace();
    writeFileSync(join(overridden.cwd, 'gatehouse.config.json'), JSON.stringify({ mode: 'production' }));
    const dev = await runCli(['migrate', '--data', overridden.dataDir], { cwd: overridden.cwd, dev: true });
    expect(dev.code, dev.stderr).toBe(0);
    expect(existsSync(join(overridden.dataDir, DEV_SECRET_FILE))).toBe(true);
  });
});

describe('one-time codes without SMTP or webhook', () => {
  const password = 'correct horse battery staple';

  /** Signs `alice` in on the account page and asks for a code to confirm an email address. */
  async function addEmailContact(server: RunningServer): Promise<Page> {
    const agent = new UserAgent();
    const login = await agent.open(`${server.issuer}/account`);
    const account = await agent.submit(login, { username: 'alice', password }, { actionPart: '/login' });
    expect(
      parseForms(account.body).some((form) => form.action.endsWith('/account/contacts')),
      account.body.slice(0, 600),
    ).toBe(true);
    return agent.submit(account, { channel: 'email', to: 'alice@example.com' }, { actionPart: '/account/contacts' });
  }

  async function serverWithAlice(options: { dev: boolean }): Promise<{ ws: Workspace; server: RunningServer }> {
    const ws = workspace();
    const run = { cwd: ws.cwd, ...(options.dev ? { dev: true } : { env: { GATEHOUSE_SECRET: SECRET } }) };
    await runCliOk(['migrate', '--data', ws.dataDir], run);
    await runCliOk(['users', 'add', '--username', 'alice', '--email', 'alice@example.com', '--email-verified', '--password-stdin', '--data', ws.dataDir], {
      ...run,
      stdin: `${password}\n`,
    });
    return { ws, server: await startServer({ ...run, dataDir: ws.dataDir }) };
  }

  it('in production (the default) the email channel is unavailable and nothing is written to the outbox', async () => {
    const { ws, server } = await serverWithAlice({ dev: false });
    try {
      const page = await addEmailContact(server);
      expect(existsSync(join(ws.dataDir, OUTBOX_FILE))).toBe(false);
      expect(page.body).toContain('Codes by email are not available.');
      expect(readyLine(server).mode).toBe('production');
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  it('with --dev the code goes to the outbox in the data directory', async () => {
    const { ws, server } = await serverWithAlice({ dev: true });
    try {
      const page = await addEmailContact(server);
      expect(page.body).not.toContain('not available');
      const outbox = readFileSync(join(ws.dataDir, OUTBOX_FILE), 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(outbox.at(-1)).toMatchObject({ channel: 'email', to: 'alice@example.com', purpose: 'verify_contact', code: expect.stringMatching(/^\d{6}$/) });
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });
});
