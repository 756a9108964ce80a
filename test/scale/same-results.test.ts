/**
 * One authorization-code + refresh workload against two installations — the embedded SQLite, and
 * PostgreSQL + Redis — must be seen the same by a client: every step's status, error code, token
 * types and claim names, step for step. Values (tokens, ids, times) differ by nature and are left
 * out; the shape of every answer is compared.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkspace, killAll, type RunningServer, type Workspace } from '../helpers/cli.js';
import { dropSchema, POSTGRES_URL, uniqueSchema } from '../helpers/postgres.js';
import {
  addClient,
  addUser,
  authorizationUrl,
  baseOf,
  cli,
  deleteRedisKeys,
  globLiteral,
  jwtClaims,
  jwtHeader,
  pkce,
  post,
  redeemCode,
  REDIS_URL,
  refresh,
  signInAt,
  startInstance,
  testSecret,
  uniqueRedisPrefix,
  type ScaleClient,
  type ScaleUser,
  type TokenAnswer,
} from '../helpers/scale.js';
import { UserAgent } from '../helpers/user-agent.js';

interface Installation {
  name: string;
  ws: Workspace;
  env: Record<string, string>;
  server: RunningServer;
  user: ScaleUser;
  client: ScaleClient;
}

const schema = uniqueSchema();
const prefix = uniqueRedisPrefix();
const installations: Installation[] = [];

async function install(name: string, env: Record<string, string>): Promise<Installation> {
  const ws = createWorkspace();
  await cli(ws, env, ['migrate']);
  const user = await addUser(ws, env, 'alice');
  const [client, server] = await Promise.all([addClient(ws, env, 'Web app'), startInstance(ws, env)]);
  const installation = { name, ws, env, server, user, client };
  installations.push(installation);
  return installation;
}

let sqlite: Installation;
let postgres: Installation;

beforeAll(async () => {
  const common = { GATEHOUSE_ENV: 'development', GATEHOUSE_LOG_LEVEL: 'warn' };
  [sqlite, postgres] = await Promise.all([
    install('sqlite', { ...common, GATEHOUSE_SECRET: testSecret() }),
    install('postgres+redis', {
      ...common,
      GATEHOUSE_SECRET: testSecret(),
      GATEHOUSE_DATABASE_URL: POSTGRES_URL,
      GATEHOUSE_DATABASE_SCHEMA: schema,
      GATEHOUSE_DB_POOL_SIZE: '4',
      GATEHOUSE_REDIS_URL: REDIS_URL,
      GATEHOUSE_REDIS_PREFIX: prefix,
    }),
  ]);
}, 60_000);

afterAll(async () => {
  await Promise.all(installations.map((installation) => installation.server.stop()));
  await killAll();
  await dropSchema(schema);
  await deleteRedisKeys(`${globLiteral(prefix)}*`);
  // Rate-limit counters live outside the prefix (see multi-instance.test.ts).
  if (postgres) await deleteRedisKeys(`*${globLiteral(postgres.client.clientId)}*`);
  for (const installation of installations) installation.ws.remove();
});

type Entry = Record<string, unknown>;

/** A JWT's header (but its key id, which differs per installation) and claim names. */
function jwtShape(token: string): Entry {
  const { kid: _kid, ...header } = jwtHeader(token);
  return { header, claims: Object.keys(jwtClaims(token)).sort() };
}

/** The shape of a token endpoint answer: what a client branches on, without the values. */
function tokenShape(answer: TokenAnswer): Entry {
  const { body } = answer;
  if (answer.status !== 200) return { status: answer.status, error: body.error };
  const shape: Entry = {
    status: answer.status,
    tokens: ['access_token', 'id_token', 'refresh_token'].filter((name) => typeof body[name] === 'string'),
    token_type: body.token_type,
    expires_in: body.expires_in,
    scope: body.scope,
    members: Object.keys(body).sort(),
    access_token: jwtShape(body.access_token as string),
  };
  if (typeof body.id_token === 'string') shape.id_token = jwtShape(body.id_token);
  return shape;
}

/** The shape of any other JSON answer: status, error code, member names. */
function shape(answer: TokenAnswer): Entry {
  return { status: answer.status, error: answer.body.error, members: Object.keys(answer.body).sort(), active: answer.body.active };
}

/** Runs the workload against one installation and returns what a client saw, step by step. */
async function workload({ server, client, user }: Installation): Promise<[string, Entry][]> {
  const transcript: [string, Entry][] = [];
  const note = (step: string, entry: Entry) => transcript.push([step, entry]);
  const browser = new UserAgent();
  const signIn = async () => {
    const { verifier, challenge } = pkce();
    const signedIn = await signInAt(browser, server, authorizationUrl(server, client, challenge), user);
    return { ...signedIn, verifier };
  };
  const userinfo = async (accessToken: string): Promise<TokenAnswer> => {
    const response = await fetch(`${baseOf(server)}/userinfo`, { headers: { authorization: `Bearer ${accessToken}` } });
    const text = await response.text();
    return {
      status: response.status,
      body: text ? (JSON.parse(text) as Record<string, unknown>) : { www_authenticate: response.headers.get('www-authenticate')?.split(' ')[0] },
    };
  };
  const introspect = async (token: string) => shape(await post(server, '/introspect', { token }, client));

  // 1. Sign in (login and consent), redeem the code.
  const first = await signIn();
  note('sign-in', { login: first.sawLogin, consent: first.sawConsent, callback: [...first.callback.searchParams.keys()].sort() });
  const issued = await redeemCode(server, client, first.code, first.verifier);
  note('code', tokenShape(issued));
  const t0 = issued.body as { access_token: string; refresh_token: string };
  note('userinfo', shape(await userinfo(t0.access_token)));
  note('introspect access', await introspect(t0.access_token));
  note('introspect refresh', await introspect(t0.refresh_token));

  // 2. Refresh twice (rotation), then present the first refresh token again: reuse.
  const r1 = await refresh(server, client, t0.refresh_token);
  note('refresh 1', tokenShape(r1));
  const r2 = await refresh(server, client, r1.body.refresh_token as string);
  note('refresh 2', tokenShape(r2));
  note('reuse first refresh token', tokenShape(await refresh(server, client, t0.refresh_token)));
  note('latest refresh token after reuse', tokenShape(await refresh(server, client, r2.body.refresh_token as string)));
  note('latest access token after reuse', await introspect(r2.body.access_token as string));
  note('userinfo after reuse', shape(await userinfo(r2.body.access_token as string)));

  // 3. Signed in already, consent remembered: a new code at once; revoke its refresh token.
  const second = await signIn();
  note('sign-in again', { login: second.sawLogin, consent: second.sawConsent });
  const t2 = await redeemCode(server, client, second.code, second.verifier);
  note('code again', tokenShape(t2));
  note('introspect new access', await introspect(t2.body.access_token as string));
  const revoked = await post(server, '/revoke', { token: t2.body.refresh_token as string, token_type_hint: 'refresh_token' }, client);
  note('revoke refresh', { status: revoked.status, members: Object.keys(revoked.body) });
  note('refresh revoked', tokenShape(await refresh(server, client, t2.body.refresh_token as string)));
  note('access of revoked family', await introspect(t2.body.access_token as string));

  // 4. A code used twice: the replay fails and revokes what the first use issued.
  const third = await signIn();
  const t3 = await redeemCode(server, client, third.code, third.verifier);
  note('code three', tokenShape(t3));
  note('code replay', tokenShape(await redeemCode(server, client, third.code, third.verifier)));
  note('access after replay', await introspect(t3.body.access_token as string));
  note('refresh after replay', tokenShape(await refresh(server, client, t3.body.refresh_token as string)));
  return transcript;
}

describe('the same workload on SQLite and on PostgreSQL + Redis', () => {
  it('gives identical transcripts', async () => {
    const [fromSqlite, fromPostgres] = await Promise.all([workload(sqlite), workload(postgres)]);

    // What is expected at all (so that two equally wrong runs do not pass).
    const outline = (transcript: [string, Entry][]) =>
      transcript.map(([step, entry]) => {
        // shape() and tokenShape() record the status as a number, error as a string, active as a boolean.
        const { status, error, active } = entry as { status?: number; error?: string; active?: boolean };
        return `${step}: ${status ?? ''} ${error ?? active ?? ''}`.trim();
      });
    expect(outline(fromSqlite)).toEqual([
      'sign-in:',
      'code: 200',
      'userinfo: 200',
      'introspect access: 200 true',
      'introspect refresh: 200 true',
      'refresh 1: 200',
      'refresh 2: 200',
      'reuse first refresh token: 400 invalid_grant',
      'latest refresh token after reuse: 400 invalid_grant',
      'latest access token after reuse: 200 false',
      'userinfo after reuse: 401 invalid_token',
      'sign-in again:',
      'code again: 200',
      'introspect new access: 200 true',
      'revoke refresh: 200',
      'refresh revoked: 400 invalid_grant',
      'access of revoked family: 200 false',
      'code three: 200',
      'code replay: 400 invalid_grant',
      'access after replay: 200 false',
      'refresh after replay: 400 invalid_grant',
    ]);
    expect(fromSqlite[0]![1]).toEqual({ login: true, consent: true, callback: ['code', 'iss', 'state'] });
    expect(fromSqlite[11]![1]).toEqual({ login: false, consent: false });

    expect(fromPostgres).toEqual(fromSqlite);
  }, 60_000);
});
