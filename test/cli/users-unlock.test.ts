/**
 * `gatehouse users unlock USER` (issue 13) through the real binary: a user locked out by wrong
 * passwords at a running `gatehouse start` (the per-account + address lockout, and the per-account
 * throttle across addresses) signs in with the right password as soon as the command returns,
 * whether the counters live in the server's memory (SQLite, one process) or in Redis (PostgreSQL +
 * Redis, two instances). Other users stay locked.
 *
 * Every request comes from 127.0.0.1, a trusted proxy here, so that `X-Forwarded-For` gives each
 * attempt the client address the test chooses.
 *
 * Build first (`npm run build`): the command runs from dist/.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkspace, killAll, parseJson, runCli, runCliOk, startServer, type RunningServer, type Workspace } from '../helpers/cli.js';
import { dropSchema, POSTGRES_URL, uniqueSchema } from '../helpers/postgres.js';
import {
  addClient,
  addUser,
  atInstance,
  authorizationUrl,
  cli,
  deleteRedisKeys,
  globLiteral,
  pkce,
  REDIRECT_URI,
  REDIS_URL,
  startInstance,
  testSecret,
  uniqueRedisPrefix,
  type ScaleClient,
  type ScaleUser,
} from '../helpers/scale.js';
import { parseForms, UserAgent } from '../helpers/user-agent.js';

/** Two wrong passwords from one address lock it out; four from anywhere throttle the account. */
const RATE_LIMITS = {
  signInPerAccountIp: { points: 2 },
  signInPerAccount: { points: 4 },
  requestsPerIp: { points: 1_000_000, seconds: 60 },
};
const IP_A = '203.0.113.10';
const IP_B = '203.0.113.11';
const IP_C = '203.0.113.12';

/** Where a browser reaches a server, and how a URL on the issuer's origin is rewritten to it. */
interface Target {
  port: number;
  /** Moves a URL on the issuer's origin to this server (identity when the issuer is the server itself). */
  at(url: string): string;
}

/** How a password attempt ended: signed in (303 onwards), the form again (a wrong password), or refused (429). */
type Outcome = 'signed in' | 'wrong' | 'refused';

/** One password attempt in a fresh browser (never known to the account) from `ip`. */
async function tryPassword(target: Target, client: ScaleClient, username: string, password: string, ip: string): Promise<Outcome> {
  const ua = new UserAgent();
  const base = `http://127.0.0.1:${target.port}/`;
  const leaves = (location: string) => !location.startsWith(base);
  let page = await ua.open(authorizationUrl(target, client, pkce().challenge), {}, leaves);
  for (let hops = 0; hops < 5 && page.body === '' && page.status >= 300 && page.status < 400; hops += 1) {
    page = await ua.open(target.at(page.url), {}, leaves);
  }
  const form = parseForms(page.body).find((candidate) => candidate.action.endsWith('/login'));
  if (!form) throw new Error(`no login form at ${page.url} (${page.status}):\n${page.body.slice(0, 500)}`);
  const answer = await ua.open(
    target.at(new URL(form.action, page.url).href),
    {
      method: 'POST',
      body: new URLSearchParams({ ...form.fields, username, password }),
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': ip },
    },
    () => true,
  );
  if (answer.status === 303) return 'signed in';
  if (answer.status === 429) return 'refused';
  if (parseForms(answer.body).some((candidate) => candidate.action.endsWith('/login'))) return 'wrong';
  throw new Error(`unexpected answer ${answer.status} to a sign-in:\n${answer.body.slice(0, 500)}`);
}

/**
 * Locks `user` out: two wrong passwords from IP_A at the first target (its address locked out),
 * two from IP_B at the last (the account's budget spent). The right password is then refused from
 * IP_A (lockout) and from the unused IP_C (the account's throttle) at every target.
 */
async function lockOut(targets: Target[], client: ScaleClient, user: ScaleUser): Promise<void> {
  const first = targets[0]!;
  const last = targets.at(-1)!;
  for (const [target, ip] of [
    [first, IP_A],
    [first, IP_A],
    [last, IP_B],
    [last, IP_B],
  ] as const) {
    expect(await tryPassword(target, client, user.username, `wrong-${ip}`, ip)).toBe('wrong');
  }
  await expectLocked(targets, client, user);
}

async function expectLocked(targets: Target[], client: ScaleClient, user: ScaleUser): Promise<void> {
  for (const target of targets) {
    expect(await tryPassword(target, client, user.username, user.password, IP_A), `${user.username} from the locked address`).toBe('refused');
    expect(await tryPassword(target, client, user.username, user.password, IP_C), `${user.username} from a new address`).toBe('refused');
  }
}

describe("SQLite, counters in the server's memory", () => {
  const secret = testSecret();
  const env = { GATEHOUSE_SECRET: secret, GATEHOUSE_TRUSTED_PROXIES: '127.0.0.1', GATEHOUSE_LOG_LEVEL: 'warn' };
  let ws: Workspace;
  let server: RunningServer;
  let target: Target;
  let client: ScaleClient;
  let alice: ScaleUser;
  let bob: ScaleUser;

  beforeAll(async () => {
    ws = createWorkspace();
    writeFileSync(join(ws.cwd, 'gatehouse.config.json'), JSON.stringify({ rateLimits: RATE_LIMITS }));
    server = await startServer({ cwd: ws.cwd, dataDir: ws.dataDir, env });
    target = { port: server.port, at: (url) => url };
    [alice, bob, client] = await Promise.all([
      addUser(ws, env, 'alice'),
      addUser(ws, env, 'bob'),
      addClient(ws, env, 'Web app', ['--redirect-uri', REDIRECT_URI]),
    ]);
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    await killAll();
    ws?.remove();
  });

  it('unlock lets the right password in at once; another locked user stays locked', async () => {
    await Promise.all([lockOut([target], client, alice), lockOut([target], client, bob)]);

    const unlocked = await runCliOk(['users', 'unlock', 'alice', '--data', ws.dataDir], { cwd: ws.cwd, env });
    expect(unlocked.stderr).toMatch(/^unlocked alice/);
    expect(await tryPassword(target, client, 'alice', alice.password, IP_A)).toBe('signed in');
    expect(await tryPassword(target, client, 'alice', alice.password, IP_C)).toBe('signed in');

    await expectLocked([target], client, bob);

    const events = parseJson<{ type: string; subject: string }[]>(
      await runCliOk(['audit', 'tail', '--type', 'user.unlocked', '--json', '--data', ws.dataDir], { cwd: ws.cwd, env }),
    );
    expect(events.map((event) => event.subject)).toEqual([alice.sub]);
  }, 90_000);

  it('failures after an unlock count again from zero, up to a new lockout', async () => {
    await runCliOk(['users', 'unlock', 'alice@example.com', '--data', ws.dataDir], { cwd: ws.cwd, env });
    await lockOut([target], client, alice);
  }, 60_000);

  it('an unknown user is an error naming them', async () => {
    const result = await runCli(['users', 'unlock', 'nobody', '--data', ws.dataDir], { cwd: ws.cwd, env });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: [^\n]*no user "nobody"\n$/);
  });
});

describe('PostgreSQL + Redis, counters in Redis, two instances', () => {
  const schema = uniqueSchema();
  const prefix = uniqueRedisPrefix();
  const env = {
    GATEHOUSE_SECRET: testSecret(),
    // The shared issuer http://gatehouse.test is not loopback: development mode allows plain http.
    GATEHOUSE_ENV: 'development',
    GATEHOUSE_DATABASE_URL: POSTGRES_URL,
    GATEHOUSE_DATABASE_SCHEMA: schema,
    GATEHOUSE_REDIS_URL: REDIS_URL,
    GATEHOUSE_REDIS_PREFIX: prefix,
    GATEHOUSE_DB_POOL_SIZE: '4',
    GATEHOUSE_TRUSTED_PROXIES: '127.0.0.1',
    GATEHOUSE_LOG_LEVEL: 'warn',
  };
  let ws: Workspace;
  let instances: RunningServer[] = [];
  let targets: Target[];
  let client: ScaleClient;
  let alice: ScaleUser;
  let bob: ScaleUser;

  beforeAll(async () => {
    ws = createWorkspace();
    writeFileSync(join(ws.cwd, 'gatehouse.config.json'), JSON.stringify({ rateLimits: RATE_LIMITS }));
    await cli(ws, env, ['migrate']);
    [alice, bob, client] = await Promise.all([addUser(ws, env, 'alice'), addUser(ws, env, 'bob'), addClient(ws, env, 'Web app')]);
    instances = await Promise.all([startInstance(ws, env), startInstance(ws, env)]);
    targets = instances.map((instance) => ({ port: instance.port, at: (url: string) => atInstance(url, instance) }));
  }, 90_000);

  afterAll(async () => {
    await Promise.all(instances.map((instance) => instance.stop()));
    await killAll();
    await dropSchema(schema);
    await deleteRedisKeys(`${globLiteral(prefix)}*`);
    ws?.remove();
  });

  it('unlock with GATEHOUSE_REDIS_URL lets the right password in at once at every instance; another locked user stays locked', async () => {
    await Promise.all([lockOut(targets, client, alice), lockOut(targets, client, bob)]);

    await cli(ws, env, ['users', 'unlock', 'alice']);
    for (const target of targets) {
      expect(await tryPassword(target, client, 'alice', alice.password, IP_A)).toBe('signed in');
      expect(await tryPassword(target, client, 'alice', alice.password, IP_C)).toBe('signed in');
    }
    await expectLocked(targets, client, bob);
  }, 120_000);
});
