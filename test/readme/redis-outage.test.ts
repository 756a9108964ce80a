/**
 * What docs/deployment.md ("Outages", the Redis column) and docs/security.md ("A Redis outage …")
 * say a Redis outage does, checked on a real `gatehouse start` whose private `redis-server` is
 * killed: discovery, /jwks, /healthz and /metrics keep answering (the per-address limit of discovery
 * and /jwks is counted in each process's memory); /readyz and everything that keeps its state, or
 * its rate limit, in Redis answer 503 temporarily_unavailable (the limits fail closed). Recovery is test/scale/faults.test.ts's subject. Needs `npm run build`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkspace, killAll, startServer, type RunningServer, type Workspace } from '../helpers/cli.js';
import { addClient, pkce, post, PrivateRedis, uniqueRedisPrefix, type ScaleClient } from '../helpers/scale.js';

let ws: Workspace;
let redis: PrivateRedis;
let server: RunningServer;
let web: ScaleClient;
let machine: ScaleClient;
let accessToken: string;

beforeAll(async () => {
  ws = createWorkspace();
  redis = await PrivateRedis.start();
  const env = { GATEHOUSE_ENV: 'development', GATEHOUSE_REDIS_URL: redis.url, GATEHOUSE_REDIS_PREFIX: uniqueRedisPrefix(), GATEHOUSE_LOG_LEVEL: 'fatal' };
  server = await startServer({ cwd: ws.cwd, dataDir: ws.dataDir, env, readyTimeoutMs: 45_000 });
  [web, machine] = await Promise.all([addClient(ws, env, 'Web'), addClient(ws, env, 'Job', ['--grant', 'client_credentials', '--scope', 'api:read'])]);
  const issued = await post(server, '/token', { grant_type: 'client_credentials', scope: 'api:read' }, machine);
  expect(issued.status).toBe(200);
  accessToken = issued.body.access_token as string;
  await redis.stop('SIGKILL');
}, 60_000);

afterAll(async () => {
  await server?.stop('SIGKILL');
  await killAll();
  await redis?.stop();
  ws?.remove();
});

describe('while Redis is down', () => {
  const base = () => `http://127.0.0.1:${server.port}`;

  it('discovery, /jwks, /healthz and /metrics answer 200; /readyz answers 503', async () => {
    const paths = ['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server', '/jwks', '/healthz', '/metrics'];
    // Several times each: every request is counted against the per-address limit, in memory.
    for (let round = 0; round < 3; round += 1) {
      const statuses = await Promise.all(paths.map(async (path) => [path, (await fetch(`${base()}${path}`)).status]));
      expect(Object.fromEntries(statuses)).toEqual(Object.fromEntries(paths.map((path) => [path, 200])));
    }
    const readyz = await fetch(`${base()}/readyz`);
    expect(readyz.status).toBe(503);
    expect(await readyz.json()).toMatchObject({ status: 'unavailable', checks: { store: false } });
  });

  it('the authorization endpoint, the account page, and token, introspection, revocation and UserInfo requests answer 503', async () => {
    const unavailable = { status: 503, body: expect.objectContaining({ error: 'temporarily_unavailable' }) };
    expect(await post(server, '/token', { grant_type: 'client_credentials', scope: 'api:read' }, machine)).toEqual(unavailable);
    expect(await post(server, '/introspect', { token: accessToken }, machine)).toEqual(unavailable);
    expect(await post(server, '/revoke', { token: accessToken }, machine)).toEqual(unavailable);
    const userinfo = await fetch(`${base()}/userinfo`, { headers: { authorization: `Bearer ${accessToken}` } });
    expect(userinfo.status).toBe(503);
    expect(userinfo.headers.get('retry-after')).toBe('2');

    const query = new URLSearchParams({
      response_type: 'code',
      client_id: web.clientId,
      redirect_uri: 'http://127.0.0.1:9/callback',
      scope: 'openid',
      code_challenge: pkce().challenge,
      code_challenge_method: 'S256',
      state: 's',
    });
    expect((await fetch(`${base()}/authorize?${query}`, { redirect: 'manual' })).status).toBe(503);
    expect((await fetch(`${base()}/account`, { redirect: 'manual' })).status).toBe(503);
  });
});
