/**
 * Lighter installs (ARCHITECTURE.md, "Packaging"): the server's packages are optional dependencies,
 * so `npm install gatehouse --omit=optional` leaves them out. The client and the resource guard must
 * then still load, and whatever does need a missing package must say which one and how to install
 * it. Each case imports the built package (dist/, through its `exports`) in a child process whose
 * module resolution hides packages as if they had not been installed. Needs `npm run build`.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const HIDE = join(ROOT, 'test', 'packaging', 'hide-packages.mjs');

if (!existsSync(join(ROOT, 'dist', 'client', 'index.js'))) {
  throw new Error('dist/ is missing: run "npm run build" before the packaging tests ("npm test" does)');
}

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  optionalDependencies: Record<string, string>;
  exports: Record<string, unknown>;
};
/** Everything `--omit=optional` leaves out. */
const OPTIONAL = Object.keys(pkg.optionalDependencies);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `node <args>` in the repository (so `gatehouse/...` resolves to this package) with `hidden` packages unresolvable. */
async function node(args: string[], hidden: string[]): Promise<Run> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--import', HIDE, ...args], {
      cwd: ROOT,
      env: { ...process.env, GATEHOUSE_HIDE_PACKAGES: hidden.join(',') },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? 1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

/** Imports `subpath` of the package and prints its export names. */
function importing(subpath: string): string[] {
  return ['--input-type=module', '-e', `const m = await import(${JSON.stringify(subpath)}); console.log(Object.keys(m).sort().join(','));`];
}

describe('without the optional dependencies (npm install --omit=optional)', () => {
  it('lists the server-only packages as optional, and nothing the client or the guard needs', () => {
    expect(OPTIONAL).toEqual(expect.arrayContaining(['better-sqlite3', '@node-rs/argon2', 'pg', 'ioredis', 'nodemailer']));
    expect(OPTIONAL).not.toContain('jose');
    expect(OPTIONAL).not.toContain('oauth4webapi');
  });

  it.each([
    ['gatehouse/client', 'createOAuthClient'],
    ['gatehouse/client/hono', 'gatehouseAuth'],
    ['gatehouse/client/express', 'gatehouseExpress'],
    ['gatehouse/resource', 'createResourceGuard'],
    ['gatehouse/stores/contract', 'StoreConflictError'],
  ])('%s loads', async (subpath, name) => {
    const run = await node(importing(subpath), OPTIONAL);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout.trim().split(',')).toContain(name);
  });

  it('gatehouse/client no longer exports the Redis token store; gatehouse/client/redis-store does', async () => {
    const client = await node(importing('gatehouse/client'), []);
    expect(client.stdout.trim().split(',')).not.toContain('createRedisTokenStore');
    const store = await node(importing('gatehouse/client/redis-store'), []);
    expect(store.stdout.trim().split(',')).toEqual(['createRedisTokenStore']);
  });

  it.each([
    ['gatehouse/client/redis-store', 'ioredis'],
    ['gatehouse/stores/redis', 'ioredis'],
    ['gatehouse/stores/postgres', 'pg'],
    ['gatehouse/stores/sqlite', 'better-sqlite3'],
    ['gatehouse/server', '@node-rs/argon2'],
    ['gatehouse/server', 'nodemailer'],
  ])('%s without %s fails at import, naming the package and the install command', async (subpath, missing) => {
    const run = await node(importing(subpath), [missing]);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('ERR_MISSING_DEPENDENCY');
    expect(run.stderr).toContain(`needs the package "${missing}", which is not installed`);
    expect(run.stderr).toContain(`Install it: npm install ${missing}`);
  });

  it('the gatehouse command says in one line which package is missing', async () => {
    const run = await node([join(ROOT, 'bin', 'gatehouse.js'), '--help'], OPTIONAL);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^gatehouse: .*needs the package "[^"]+", which is not installed .*Install it: npm install \S+.*\n$/);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('with every dependency installed', () => {
  // The contract suite needs a running Vitest; the store tests run it.
  const subpaths = Object.keys(pkg.exports)
    .filter((subpath) => subpath !== './package.json' && subpath !== './stores/contract-suite')
    .map((subpath) => `gatehouse${subpath.slice(1)}`);

  it.each(subpaths)('%s loads (with the Lua scripts the build copies)', async (subpath) => {
    const run = await node(importing(subpath), []);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
  });
});
