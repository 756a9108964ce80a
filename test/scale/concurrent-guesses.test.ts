/**
 * Spend before check, against the production combination as an attacker meets it: two real
 * `gatehouse start` processes over the machine's PostgreSQL and Redis, and bursts of 200
 * concurrent wrong answers over real HTTP, split between the two instances, with the right answer
 * inside the burst. At most the budget is ever verified (counted from the audit events only a
 * verification writes), and once it is spent the right answer is refused too.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generate } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkspace, killAll, parseJson, type RunningServer, type Workspace } from '../helpers/cli.js';
import { adminQuery, dropSchema, POSTGRES_URL, uniqueSchema } from '../helpers/postgres.js';
import {
  addClient,
  addUser,
  atInstance,
  authorizationUrl,
  baseOf,
  cli,
  deleteRedisKeys,
  globLiteral,
  pkce,
  REDIS_URL,
  startInstance,
  testSecret,
  uniqueRedisPrefix,
  type ScaleClient,
  type ScaleUser,
} from '../helpers/scale.js';
import { parseForms, UserAgent, type Page } from '../helpers/user-agent.js';

const BURST = 200;
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
  GATEHOUSE_DB_POOL_SIZE: '8',
  GATEHOUSE_LOG_LEVEL: 'warn',
};

let ws: Workspace;
let A: RunningServer;
let B: RunningServer;
let client: ScaleClient;
let alice: ScaleUser;
let bob: ScaleUser;
let bobSecret: string;

beforeAll(async () => {
  ws = createWorkspace();
  // Every request comes from 127.0.0.1: the per-address request budget must not be what refuses.
  writeFileSync(join(ws.cwd, 'gatehouse.config.json'), JSON.stringify({ rateLimits: { requestsPerIp: { points: 1_000_000, seconds: 60 } } }));
  // Only start and migrate create an installation; the other commands need one.
  await cli(ws, env, ['migrate']);
  [alice, bob, client] = await Promise.all([addUser(ws, env, 'alice'), addUser(ws, env, 'bob'), addClient(ws, env, 'Web app')]);
  bobSecret = parseJson<{ secret: string }>(await cli(ws, env, ['users', 'mfa', 'add-totp', 'bob', '--json'])).secret;
  [A, B] = await Promise.all([startInstance(ws, env), startInstance(ws, env)]);
}, 90_000);

afterAll(async () => {
  await Promise.all([A, B].map((instance) => instance?.stop()));
  await killAll();
  await dropSchema(schema);
  await deleteRedisKeys(`${globLiteral(prefix)}*`);
  ws?.remove();
});

/** A browser at the login page of a new authorization request at `instance`. */
async function atLogin(instance: RunningServer): Promise<{ ua: UserAgent; page: Page }> {
  const ua = new UserAgent();
  const leaves = (location: string) => !location.startsWith(`${baseOf(instance)}/`);
  const redirect = await ua.open(authorizationUrl(instance, client, pkce().challenge), {}, leaves);
  const page = await ua.open(atInstance(redirect.url, instance), {}, leaves);
  if (!parseForms(page.body).some((form) => form.action.endsWith('/login'))) throw new Error(`no login page at ${page.url}`);
  return { ua, page };
}

/** POSTs the form of `page` whose action ends with `suffix`, at `instance`, without following. */
async function post(ua: UserAgent, instance: RunningServer, page: Page, suffix: string, values: Record<string, string>): Promise<Page> {
  const form = parseForms(page.body).find((candidate) => candidate.action.endsWith(suffix))!;
  const action = atInstance(new URL(form.action, page.url).href, instance);
  return ua.open(
    action,
    { method: 'POST', body: new URLSearchParams({ ...form.fields, ...values }), headers: { 'content-type': 'application/x-www-form-urlencoded' } },
    () => true,
  );
}

async function audited(type: string, where = ''): Promise<number> {
  const rows = await adminQuery<{ count: string }>(`select count(*) as count from ${schema}.audit_events where type = $1 ${where}`, [type]);
  return Number(rows[0]!.count);
}

describe('bursts of wrong answers against two instances over PostgreSQL + Redis', () => {
  it(`${BURST} concurrent wrong passwords (right one inside, half to each instance): at most 5 are verified, and the right one is then refused`, async () => {
    const browsers = await Promise.all(Array.from({ length: BURST + 1 }, (_, index) => atLogin(index % 2 === 0 ? A : B)));
    const right = BURST / 2;
    const answers = await Promise.all(
      browsers.map(({ ua, page }, index) =>
        post(ua, index % 2 === 0 ? A : B, page, '/login', {
          username: index % 3 === 0 ? 'alice@example.com' : 'alice',
          password: index === right ? alice.password : `wrong-${index}`,
        }),
      ),
    );
    const statuses = answers.map((answer) => answer.status);
    const verifiedWrong = await audited('login.failed', `and details like '%bad_credentials%'`);
    expect(verifiedWrong).toBeLessThanOrEqual(5);
    expect(statuses.filter((status) => status === 429).length).toBeGreaterThanOrEqual(BURST - 5);
    if (statuses[right] !== 303) {
      const { ua, page } = await atLogin(B);
      expect((await post(ua, B, page, '/login', { username: 'alice', password: alice.password })).status).toBe(429);
    }
  }, 120_000);

  it(`${BURST} concurrent wrong authenticator codes after bob's right password (right code inside, half to each instance): at most 10 are verified`, async () => {
    const { ua, page: login } = await atLogin(A);
    const challengeRedirect = await post(ua, A, login, '/login', { username: 'bob', password: bob.password });
    const challenge = await ua.open(atInstance(challengeRedirect.url, A), {}, () => false);
    expect(parseForms(challenge.body).some((form) => form.action.endsWith('/mfa'))).toBe(true);
    const rightCode = await generate({ secret: bobSecret });
    const wrongCode = String((Number(rightCode) + 500_000) % 1_000_000).padStart(6, '0');
    const right = BURST / 2;
    const answers = await Promise.all(
      Array.from({ length: BURST + 1 }, (_, index) =>
        post(ua, index % 2 === 0 ? A : B, challenge, '/mfa', { method: 'totp', code: index === right ? rightCode : wrongCode }),
      ),
    );
    const verifiedWrong = await audited('mfa.failed');
    expect(verifiedWrong).toBeLessThanOrEqual(10);
    const refused = answers.filter((answer) => answer.body.includes('Too many wrong codes')).length;
    expect(refused).toBeGreaterThanOrEqual(BURST - 10);
    expect(answers.filter((answer) => answer.status === 303).length).toBeLessThanOrEqual(1);
  }, 120_000);
});
