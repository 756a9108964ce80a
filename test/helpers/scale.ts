/**
 * Shared set-up of the scale-out tests (test/scale): several real `gatehouse start` processes over
 * one PostgreSQL schema and one Redis key prefix, private `redis-server` children that a test may
 * kill and restart, and a text browser that signs in at whichever instance a test chooses.
 *
 * All instances are started with one issuer, {@link ISSUER}, which resolves nowhere: the server
 * routes by path, so `http://127.0.0.1:<port>/token` reaches any instance, and the issuer's origin
 * only appears in what the server prints (metadata, `iss`, redirects to its own pages). Those
 * redirects are followed by rewriting the origin to the instance the test wants ({@link atInstance}).
 */
import { createHash, randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { expect } from 'vitest';
import { parseJson, postForm, runCliOk, startServer, type RunningServer, type RunResult, type Workspace } from './cli.js';
import { freePort } from './ports.js';
import { POSTGRES_URL } from './postgres.js';
import { RedisNode } from './redis-topologies.js';
import { parseForms, UserAgent, type Page } from './user-agent.js';

/** The issuer every instance of a test shares. Nothing listens there: requests go to each instance's port. */
export const ISSUER = 'http://gatehouse.test';
/** The shared Redis of the machine (other test files use it at the same time: never FLUSHALL). */
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
/** Nothing listens here: the browser stops at the redirect and the test reads the code from it. */
export const REDIRECT_URI = 'http://127.0.0.1:9/callback';
const SCOPE = 'openid profile email offline_access';

/** A `GATEHOUSE_SECRET` for one test file: every instance (and CLI run) of the file shares it. */
export function testSecret(): string {
  return `scale-test-${randomBytes(24).toString('hex')}`;
}

/** A Redis key prefix no other test uses, with a Cluster hash tag: `{gh-<hex>}:`. */
export function uniqueRedisPrefix(): string {
  return `{gh-${randomBytes(6).toString('hex')}}:`;
}

/** Where an installation on PostgreSQL + Redis keeps its data, for {@link postgresRedisEnv}. */
export interface PostgresRedisPlace {
  /** Default {@link POSTGRES_URL}: the machine's PostgreSQL. */
  databaseUrl?: string;
  schema: string;
  redisUrl: string;
  /** Default {@link uniqueRedisPrefix}. */
  prefix?: string;
}

/**
 * The environment of an installation on PostgreSQL + Redis, for its CLI runs and instances alike:
 * a secret of its own, development mode (the shared {@link ISSUER} is plain http and not loopback),
 * a pool of four connections per instance (the instances of a test share the machine's
 * PostgreSQL), warnings and errors logged; then `extra` (deadlines, another log level, ...).
 *
 * @example
 * const env = postgresRedisEnv({ schema: uniqueSchema(), redisUrl: REDIS_URL }, { GATEHOUSE_LOG_LEVEL: 'fatal' });
 */
export function postgresRedisEnv(place: PostgresRedisPlace, extra: Record<string, string> = {}): Record<string, string> {
  return {
    GATEHOUSE_SECRET: testSecret(),
    GATEHOUSE_ENV: 'development',
    GATEHOUSE_DATABASE_URL: place.databaseUrl ?? POSTGRES_URL,
    GATEHOUSE_DATABASE_SCHEMA: place.schema,
    GATEHOUSE_DB_POOL_SIZE: '4',
    GATEHOUSE_REDIS_URL: place.redisUrl,
    GATEHOUSE_REDIS_PREFIX: place.prefix ?? uniqueRedisPrefix(),
    GATEHOUSE_LOG_LEVEL: 'warn',
    ...extra,
  };
}

/** `text` as a literal in a Redis SCAN/KEYS glob pattern. */
export function globLiteral(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

/** Deletes every key of the shared Redis that matches `pattern` (SCAN, never KEYS or FLUSHALL). */
export async function deleteRedisKeys(pattern: string, url = REDIS_URL): Promise<number> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
  let deleted = 0;
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) deleted += await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return deleted;
}

/** The keys of the shared Redis that match `pattern`. */
export async function redisKeys(pattern: string, url = REDIS_URL): Promise<string[]> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
  const found: string[] = [];
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      found.push(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return found;
}

/**
 * A `redis-server` child of the test on its own port, without persistence (what a restart loses
 * is lost, as with a cache-only Redis in production). `stop` kills it; `start` brings it back on
 * the same port.
 */
export class PrivateRedis extends RedisNode {
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<PrivateRedis> {
    const redis = new PrivateRedis(await freePort());
    await redis.start();
    return redis;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** `url` (on the issuer's origin, or any other) moved to the instance's origin. */
export function atInstance(url: string, instance: Pick<RunningServer, 'port'>): string {
  const parsed = new URL(url);
  const issuer = new URL(ISSUER);
  if (parsed.origin !== issuer.origin) return url;
  return `http://127.0.0.1:${instance.port}${parsed.pathname}${parsed.search}`;
}

/** The base URL of an instance: where its endpoints are, whatever the issuer says. */
export function baseOf(instance: Pick<RunningServer, 'port'>): string {
  return `http://127.0.0.1:${instance.port}`;
}

/** Starts `gatehouse start --issuer ISSUER` for a workspace and environment. */
export function startInstance(ws: Workspace, env: Record<string, string | undefined>, args: string[] = []): Promise<RunningServer> {
  return startServer({ cwd: ws.cwd, dataDir: ws.dataDir, env, args: ['--issuer', ISSUER, ...args], readyTimeoutMs: 30_000 });
}

/** Runs `gatehouse ...args --data <dataDir>` with the installation's environment; it must succeed. */
export function cli(ws: Workspace, env: Record<string, string | undefined>, args: string[], stdin?: string): Promise<RunResult> {
  return runCliOk([...args, '--data', ws.dataDir], { cwd: ws.cwd, env, timeoutMs: 30_000, ...(stdin !== undefined ? { stdin } : {}) });
}

export interface ScaleUser {
  sub: string;
  username: string;
  password: string;
}

/** `gatehouse users add` with the installation's environment. */
export async function addUser(ws: Workspace, env: Record<string, string | undefined>, username: string): Promise<ScaleUser> {
  const password = `correct horse battery staple ${username}`;
  const result = await cli(
    ws,
    env,
    [
      'users',
      'add',
      '--username',
      username,
      '--email',
      `${username}@example.com`,
      '--email-verified',
      '--name',
      `User ${username}`,
      '--password-stdin',
      '--json',
    ],
    `${password}\n`,
  );
  return { sub: parseJson<{ sub: string }>(result).sub, username, password };
}

export interface ScaleClient {
  clientId: string;
  clientSecret: string;
}

/** `gatehouse clients add` with the installation's environment: a web client by default. */
export async function addClient(
  ws: Workspace,
  env: Record<string, string | undefined>,
  name: string,
  extra: string[] = ['--redirect-uri', REDIRECT_URI],
): Promise<ScaleClient> {
  const added = parseJson<{ client_id: string; client_secret: string }>(await cli(ws, env, ['clients', 'add', '--name', name, ...extra, '--json']));
  return { clientId: added.client_id, clientSecret: added.client_secret };
}

/** A PKCE pair (RFC 7636, S256). */
export function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** An authorization request URL at an instance, with PKCE, state and nonce. */
export function authorizationUrl(instance: Pick<RunningServer, 'port'>, client: ScaleClient, challenge: string): string {
  const params = new URLSearchParams({
    response_type: 'code',
    client_id: client.clientId,
    redirect_uri: REDIRECT_URI,
    scope: SCOPE,
    state: randomBytes(8).toString('hex'),
    nonce: randomBytes(8).toString('hex'),
    code_challenge: challenge,
    code_challenge_method: 'S256',
  });
  return `${baseOf(instance)}/authorize?${params}`;
}

export interface SignedIn {
  /** The authorization code the browser was sent back with. */
  code: string;
  /** The whole redirect to the client. */
  callback: URL;
  sawLogin: boolean;
  sawConsent: boolean;
}

/**
 * Plays the user in `ua` at one instance: opens the authorization request there, signs in and
 * approves when asked, following the server's redirects to its own pages (on the issuer's origin)
 * to the same instance, until the browser is sent back to {@link REDIRECT_URI}.
 */
export async function signInAt(ua: UserAgent, instance: Pick<RunningServer, 'port'>, url: string, user: ScaleUser): Promise<SignedIn> {
  const base = baseOf(instance);
  // Stop at every redirect that leaves the instance: to the issuer's origin (rewritten, then
  // followed) or to the client.
  const leaves = (location: string) => !location.startsWith(`${base}/`);
  const follow = async (page: Page): Promise<Page> => {
    let current = page;
    for (let hops = 0; hops < 10 && current.body === '' && current.status >= 300 && current.status < 400; hops += 1) {
      if (current.url.startsWith(REDIRECT_URI)) return current;
      const next = atInstance(current.url, instance);
      if (next === current.url) throw new Error(`redirected away from the instance: ${current.url}`);
      current = await ua.open(next, {}, leaves);
    }
    return current;
  };
  const submit = async (page: Page, actionPart: string, values: Record<string, string>): Promise<Page> => {
    const form = parseForms(page.body).find((candidate) => candidate.action.includes(actionPart));
    if (!form) throw new Error(`no ${actionPart} form on ${page.url}:\n${page.body.slice(0, 500)}`);
    const action = atInstance(new URL(form.action, page.url).href, instance);
    const body = new URLSearchParams({ ...form.fields, ...values });
    return follow(await ua.open(action, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } }, leaves));
  };

  let sawLogin = false;
  let sawConsent = false;
  let page = await follow(await ua.open(url, {}, leaves));
  for (let step = 0; step < 5 && !page.url.startsWith(REDIRECT_URI); step += 1) {
    const forms = parseForms(page.body);
    if (forms.some((form) => form.action.includes('/login') && 'password' in form.fields)) {
      expect(sawLogin, 'the login form showed again (wrong password?)').toBe(false);
      sawLogin = true;
      page = await submit(page, '/login', { username: user.username, password: user.password });
    } else if (forms.some((form) => form.action.includes('/consent'))) {
      expect(sawConsent, 'the consent form showed twice').toBe(false);
      sawConsent = true;
      page = await submit(page, '/consent', { decision: 'approve' });
    } else {
      throw new Error(`unexpected page ${page.url} (${page.status}):\n${page.body.slice(0, 800)}`);
    }
  }
  if (!page.url.startsWith(REDIRECT_URI)) throw new Error(`the browser did not come back to the client: ${page.url}`);
  const callback = new URL(page.url);
  const code = callback.searchParams.get('code');
  if (code === null) throw new Error(`no code in ${page.url}`);
  return { code, callback, sawLogin, sawConsent };
}

/** The token endpoint response, with the parsed body. */
export interface TokenAnswer {
  status: number;
  body: Record<string, unknown>;
}

/** POSTs to an endpoint of an instance as `client` (client_secret_basic) and parses the JSON answer. */
export async function post(instance: Pick<RunningServer, 'port'>, path: string, form: Record<string, string>, client?: ScaleClient): Promise<TokenAnswer> {
  const response = await postForm(`${baseOf(instance)}${path}`, form, client);
  const text = await response.text();
  let body: Record<string, unknown> = {};
  if (text !== '') {
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      body = { unparsed: text.slice(0, 300) };
    }
  }
  return { status: response.status, body };
}

/** Redeems a code at an instance. */
export function redeemCode(instance: Pick<RunningServer, 'port'>, client: ScaleClient, code: string, verifier: string): Promise<TokenAnswer> {
  return post(instance, '/token', { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: REDIRECT_URI }, client);
}

/** What a code redeemed for a user's sign-in gave (RFC 6749 §5.1, OpenID Connect Core §3.1.3.3). */
export interface TokenFamily {
  access_token: string;
  refresh_token: string;
  id_token: string;
}

/** Signs `user` in at an instance with a fresh browser and redeems the code there: a new token family. */
export async function signInAndRedeem(instance: Pick<RunningServer, 'port'>, client: ScaleClient, user: ScaleUser): Promise<TokenFamily> {
  const { verifier, challenge } = pkce();
  const { code } = await signInAt(new UserAgent(), instance, authorizationUrl(instance, client, challenge), user);
  const tokens = await redeemCode(instance, client, code, verifier);
  expect(tokens.status, JSON.stringify(tokens.body)).toBe(200);
  return tokens.body as unknown as TokenFamily;
}

/** Uses a refresh token at an instance. */
export function refresh(instance: Pick<RunningServer, 'port'>, client: ScaleClient, refreshToken: string): Promise<TokenAnswer> {
  return post(instance, '/token', { grant_type: 'refresh_token', refresh_token: refreshToken }, client);
}

/** Introspects a token at an instance (RFC 7662). */
export async function introspect(instance: Pick<RunningServer, 'port'>, client: ScaleClient, token: string): Promise<Record<string, unknown>> {
  const answer = await post(instance, '/introspect', { token }, client);
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return answer.body;
}

/** The `kid`s an instance publishes at `/jwks`. */
export async function publishedKids(instance: Pick<RunningServer, 'port'>): Promise<string[]> {
  const response = await fetch(`${baseOf(instance)}/jwks`);
  expect(response.status).toBe(200);
  const { keys } = (await response.json()) as { keys: { kid: string }[] };
  return keys.map((key) => key.kid);
}

/** The protected header of a JWT, unverified. */
export function jwtHeader(token: string): { kid?: string; alg?: string; typ?: string } {
  return JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString('utf8')) as { kid?: string; alg?: string; typ?: string };
}

/** The payload of a JWT, unverified. */
export function jwtClaims(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}
