/**
 * What the command says when something is wrong (issue 13): one line, `error: ` once, in our own
 * words (not node:util's argument-parser text with its unbalanced quotes); and what
 * `gatehouse clients add` explains: its values and defaults in --help, and what it assumed when
 * given no grant, redirect URI or scope.
 *
 * Build first (`npm run build`): the command runs from dist/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkspace, killAll, parseJson, runCli, runCliOk, type RunResult, type Workspace } from '../helpers/cli.js';

let ws: Workspace;
beforeAll(async () => {
  ws = createWorkspace();
  await runCliOk(['migrate', '--data', ws.dataDir], { cwd: ws.cwd, dev: true });
});

afterAll(async () => {
  await killAll();
  ws?.remove();
});

/**
 * `gatehouse COMMAND ACTION --data DIR ...rest`, in development by GATEHOUSE_ENV rather than an
 * appended --dev: a flag under test at the end stays last.
 */
function gatehouse(args: string[], options: { env?: Record<string, string> } = { env: { GATEHOUSE_ENV: 'development' } }): Promise<RunResult> {
  return runCli([...args.slice(0, 2), '--data', ws.dataDir, ...args.slice(2)], { cwd: ws.cwd, ...options });
}

/** One line, `error: ` once, quotes balanced (no lone `'` at all). */
function expectOneLine(result: RunResult, code: number): string {
  expect(result.code, result.stderr).toBe(code);
  expect(result.stderr).toMatch(/^error: [^\n]+\n$/);
  expect(result.stderr).not.toMatch(/error:\s*error:/i);
  expect(result.stderr).not.toContain("'");
  expect((result.stderr.match(/"/g) ?? []).length % 2).toBe(0);
  return result.stderr;
}

describe('command-line mistakes', () => {
  it.each([
    [
      'an unknown long option',
      ['clients', 'add', '--name', 'X', '--grnat', 'client_credentials'],
      'error: unknown option --grnat (run "gatehouse clients --help" for usage)\n',
    ],
    ['an unknown short option', ['users', 'list', '-x'], 'error: unknown option -x (run "gatehouse users --help" for usage)\n'],
    ['a missing value', ['users', 'add', '--username'], 'error: --username needs a value (run "gatehouse users --help" for usage)\n'],
    ['a value for a switch', ['keys', 'list', '--json=yes'], 'error: --json takes no value (run "gatehouse keys --help" for usage)\n'],
    [
      'an option where a value belongs',
      ['clients', 'add', '--name', '--json'],
      'error: --name needs a value; one starting with "-" is written --name=VALUE (run "gatehouse clients --help" for usage)\n',
    ],
    ['an unknown action', ['users', 'frobnicate'], 'error: unknown users command "frobnicate" (run "gatehouse users --help" for usage)\n'],
  ])('%s: exit 2, one line in our words', async (_name, args, expected) => {
    const result = await gatehouse(args);
    expect(expectOneLine(result, 2)).toBe(expected);
  });

  it('an unknown command: exit 2, one line', async () => {
    const result = await runCli(['frobnicate'], { cwd: ws.cwd });
    expect(expectOneLine(result, 2)).toBe('error: unknown command "frobnicate" (run "gatehouse --help" for the list)\n');
    expect(result.stdout).toBe('');
  });

  it('a missing secret in production: one line that still says how to run locally', async () => {
    const stderr = expectOneLine(await gatehouse(['users', 'list'], {}), 1);
    for (const text of ['GATEHOUSE_SECRET', '--dev', 'GATEHOUSE_ENV=development']) expect(stderr).toContain(text);
  });

  it('a refused admin input: one line, its field named once', async () => {
    const stderr = expectOneLine(await gatehouse(['clients', 'add', '--name', 'X', '--grant', 'implicit']), 1);
    expect(stderr).toContain('implicit');
  });
});

describe('gatehouse clients add', () => {
  it('--help lists the grant types and auth methods, and says what the defaults are', async () => {
    const result = await gatehouse(['clients', 'add', '--help']);
    expect(result.code).toBe(0);
    for (const value of [
      'authorization_code',
      'refresh_token',
      'client_credentials',
      'urn:ietf:params:oauth:grant-type:device_code',
      'client_secret_basic',
      'client_secret_post',
      'none',
      'ES256',
      'RS256',
    ]) {
      expect(result.stdout).toContain(value);
    }
    // Each default in words.
    expect(result.stdout).toMatch(/Default: authorization_code and refresh_token with a --redirect-uri,\s+else client_credentials/);
    expect(result.stdout).toContain('client_secret_basic (default)');
    expect(result.stdout).toMatch(/Default: with authorization_code or the device\s+grant, the OpenID\s+scopes/);
  });

  it('with only --name, says on stderr what it created (and how to get a web app), besides the record', async () => {
    const result = await gatehouse(['clients', 'add', '--name', 'Bare', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const client = parseJson<{ grant_types: string[]; scope: string; client_secret: string }>(result);
    expect(client.grant_types).toEqual(['client_credentials']);
    expect(result.stderr).toContain('created a client_credentials client with no scopes');
    expect(result.stderr).toContain('add --redirect-uri for a web app');
  });

  it('says nothing of the kind when the grant, redirect URI or scope was given', async () => {
    for (const extra of [
      ['--grant', 'client_credentials'],
      ['--scope', 'api:read'],
      ['--redirect-uri', 'http://127.0.0.1:9/cb'],
    ]) {
      const result = await gatehouse(['clients', 'add', '--name', 'Explicit', '--json', ...extra]);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).not.toContain('created a');
    }
  });
});
