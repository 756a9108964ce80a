/**
 * The scale-out scenarios of test/scale/multi-instance.test.ts, on any Redis topology: three
 * `gatehouse start` processes (A, B, C) on their own loopback ports, over the machine's PostgreSQL
 * (a schema of their own) and one Redis (a key prefix of their own), as behind a load balancer:
 * whatever one instance issued, changed or revoked, the others honour at once — codes, sessions and
 * refresh tokens in Redis, rate-limit counters, signing keys and client secrets changed through the
 * CLI (published on the Redis invalidation bus). Run on the machine's Redis
 * (multi-instance.test.ts), on Redis Sentinel (redis-sentinel.test.ts) and on Redis Cluster
 * (redis-cluster.test.ts).
 *
 * Every instance has the issuer http://gatehouse.test and is reached at its own port; redirects to
 * the issuer's origin are rewritten to the instance the test is talking to.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicAuth, createWorkspace, killAll, parseJson, pollUntil, type RunningServer, type Workspace } from '../helpers/cli.js';
import { dropSchema, uniqueSchema } from '../helpers/postgres.js';
import {
  addClient,
  addUser,
  authorizationUrl,
  cli,
  baseOf,
  globLiteral,
  introspect,
  ISSUER,
  jwtClaims,
  jwtHeader,
  pkce,
  post,
  postgresRedisEnv,
  publishedKids,
  redeemCode,
  refresh,
  signInAt,
  startInstance,
  uniqueRedisPrefix,
  type ScaleClient,
  type ScaleUser,
} from '../helpers/scale.js';
import { UserAgent } from '../helpers/user-agent.js';

/** Token requests one client may make per minute, across all instances (gatehouse.config.json). */
const TOKEN_LIMIT = 5;
/** GATEHOUSE_KEY_REFRESH_INTERVAL: the latest a rotated key may show up without the bus. */
const KEY_REFRESH_SECONDS = 2;

/** The Redis the instances share, as a scenario sees it. */
export interface SharedRedis {
  /** `GATEHOUSE_REDIS_URL` of every instance; read when the scenarios start (a topology may start first). */
  url(): string;
  /** The keys matching a SCAN pattern, on every node. */
  keys(pattern: string): Promise<string[]>;
  /** Deletes the keys matching a SCAN pattern, for a Redis that outlives the file (the machine's). */
  deleteKeys?(pattern: string): Promise<unknown>;
}

/** The scenarios, as a `describe` named `title`, over `redis`. */
export function describeMultiInstance(title: string, redis: SharedRedis): void {
  describe(title, () => {
    const schema = uniqueSchema();
    const prefix = uniqueRedisPrefix();
    let env: Record<string, string>;
    let ws: Workspace;
    let A: RunningServer;
    let B: RunningServer;
    let C: RunningServer;
    let alice: ScaleUser;
    /** One client per scenario, so that each stays under the token limit. */
    let clients: Record<'handover' | 'race' | 'refresh' | 'limited' | 'keys' | 'secret', ScaleClient>;
    /** What the handover client was given (for the revocation test). */
    let handoverTokens: { access_token: string; refresh_token: string };
    /** One browser, signed in once (at A) and then known to every instance (sessions live in Redis). */
    const browser = new UserAgent();

    beforeAll(async () => {
      env = postgresRedisEnv({ schema, redisUrl: redis.url(), prefix }, { GATEHOUSE_KEY_REFRESH_INTERVAL: String(KEY_REFRESH_SECONDS) });
      ws = createWorkspace();
      writeFileSync(
        join(ws.cwd, 'gatehouse.config.json'),
        JSON.stringify({
          rateLimits: {
            tokenPerClient: { points: TOKEN_LIMIT, seconds: 60 },
            // The per-address counter of 127.0.0.1 is shared with every other test using this Redis
            // (see the prefix test below): high enough that their traffic never throttles this file.
            requestsPerIp: { points: 1_000_000, seconds: 60 },
          },
        }),
      );
      // Only start and migrate create an installation; once migrated, the commands can run side by side.
      await cli(ws, env, ['migrate']);
      alice = await addUser(ws, env, 'alice');
      const [handover, race, refreshClient, limited, keys, secret] = await Promise.all([
        addClient(ws, env, 'Handover'),
        addClient(ws, env, 'Code race'),
        addClient(ws, env, 'Refresh race'),
        addClient(ws, env, 'Limited', ['--grant', 'client_credentials', '--scope', 'api:read']),
        addClient(ws, env, 'Key user', ['--grant', 'client_credentials', '--scope', 'api:read']),
        addClient(ws, env, 'Rotated secret', ['--grant', 'client_credentials', '--scope', 'api:read']),
      ]);
      clients = { handover, race, refresh: refreshClient, limited, keys, secret };
      [A, B, C] = await Promise.all([startInstance(ws, env), startInstance(ws, env), startInstance(ws, env)]);
    }, 60_000);

    afterAll(async () => {
      await Promise.all([A, B, C].map((instance) => instance?.stop()));
      await killAll();
      await dropSchema(schema);
      if (redis.deleteKeys) {
        await redis.deleteKeys(`${globLiteral(prefix)}*`);
        // Rate-limit counters are written outside the prefix (see the last test): remove ours too.
        for (const client of Object.values(clients ?? {})) await redis.deleteKeys(`*${globLiteral(client.clientId)}*`);
      }
      ws?.remove();
    });

    /** A code for `client`, with `alice` signed in (and consenting) in the shared browser at `instance`. */
    async function codeAt(instance: RunningServer, client: ScaleClient) {
      const { verifier, challenge } = pkce();
      const signedIn = await signInAt(browser, instance, authorizationUrl(instance, client, challenge), alice);
      return { ...signedIn, verifier };
    }

    it('each instance serves the shared issuer at its own port', async () => {
      expect(new Set([A.port, B.port, C.port]).size).toBe(3);
      for (const instance of [A, B, C]) {
        expect(instance.issuer).toBe(ISSUER);
        const response = await fetch(`${baseOf(instance)}/.well-known/openid-configuration`);
        expect(response.status).toBe(200);
        const metadata = (await response.json()) as Record<string, unknown>;
        expect(metadata).toMatchObject({ issuer: ISSUER, token_endpoint: `${ISSUER}/token`, jwks_uri: `${ISSUER}/jwks` });
        expect((await fetch(`${baseOf(instance)}/readyz`)).status).toBe(200);
      }
      // One key set in the database: all three publish the same keys.
      const [a, b, c] = await Promise.all([A, B, C].map(publishedKids));
      expect(a!.length).toBeGreaterThan(0);
      expect(b!.sort()).toEqual(a!.sort());
      expect(c!.sort()).toEqual(a!.sort());
    });

    it('a code issued at A (after login and consent there) is redeemed at B; C serves the tokens', async () => {
      const { code, callback, verifier, sawLogin, sawConsent } = await codeAt(A, clients.handover);
      expect([sawLogin, sawConsent]).toEqual([true, true]);
      expect(callback.searchParams.get('iss')).toBe(ISSUER);

      const tokens = await redeemCode(B, clients.handover, code, verifier);
      expect(tokens.status, JSON.stringify(tokens.body)).toBe(200);
      expect(tokens.body).toMatchObject({
        token_type: 'Bearer',
        access_token: expect.any(String),
        refresh_token: expect.any(String),
        id_token: expect.any(String),
      });
      expect(jwtClaims(tokens.body.id_token as string)).toMatchObject({ iss: ISSUER, sub: alice.sub, aud: clients.handover.clientId });

      const userinfo = await fetch(`${baseOf(C)}/userinfo`, { headers: { authorization: `Bearer ${tokens.body.access_token as string}` } });
      expect(userinfo.status).toBe(200);
      expect(await userinfo.json()).toMatchObject({ sub: alice.sub, email: 'alice@example.com' });
      expect(await introspect(C, clients.handover, tokens.body.access_token as string)).toMatchObject({ active: true, sub: alice.sub, iss: ISSUER });
      handoverTokens = tokens.body as typeof handoverTokens;
    });

    it('the same code raced at A and B: exactly one 200, and the code replay revokes what it issued everywhere', async () => {
      // The session made at A signs the browser in at B without a login form: sessions are shared.
      const { code, verifier, sawLogin } = await codeAt(B, clients.race);
      expect(sawLogin).toBe(false);

      const answers = await Promise.all([redeemCode(A, clients.race, code, verifier), redeemCode(B, clients.race, code, verifier)]);
      expect(answers.map((answer) => answer.status).sort()).toEqual([200, 400]);
      const winner = answers.find((answer) => answer.status === 200)!;
      const loser = answers.find((answer) => answer.status === 400)!;
      expect(loser.body.error).toBe('invalid_grant');

      // RFC 9700 §4.2.4 / RFC 6749 §4.1.2: a replayed code revokes the tokens issued from it.
      for (const instance of [A, B, C]) {
        expect(await introspect(instance, clients.race, winner.body.access_token as string)).toEqual({ active: false });
      }
      const afterwards = await refresh(C, clients.race, winner.body.refresh_token as string);
      expect(afterwards).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    });

    it('one refresh token raced at A and B: exactly one 200, then the whole family is revoked on every instance', async () => {
      const { code, verifier } = await codeAt(A, clients.refresh);
      const issued = await redeemCode(A, clients.refresh, code, verifier);
      expect(issued.status).toBe(200);
      const original = issued.body as { access_token: string; refresh_token: string };

      const answers = await Promise.all([refresh(A, clients.refresh, original.refresh_token), refresh(B, clients.refresh, original.refresh_token)]);
      expect(answers.map((answer) => answer.status).sort()).toEqual([200, 400]);
      const winner = answers.find((answer) => answer.status === 200)!.body as { access_token: string; refresh_token: string };
      expect(answers.find((answer) => answer.status === 400)!.body.error).toBe('invalid_grant');
      expect(winner.refresh_token).not.toBe(original.refresh_token);

      // The loser saw a rotated token presented again (reuse): the family is gone, including what
      // the winner was just given — whichever instance is asked.
      for (const instance of [A, B, C]) {
        expect(await introspect(instance, clients.refresh, winner.access_token)).toEqual({ active: false });
        expect(await introspect(instance, clients.refresh, winner.refresh_token)).toEqual({ active: false });
        expect(await introspect(instance, clients.refresh, original.access_token)).toEqual({ active: false });
        expect(await introspect(instance, clients.refresh, original.refresh_token)).toEqual({ active: false });
      }
      expect(await refresh(B, clients.refresh, winner.refresh_token)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
      expect(await refresh(C, clients.refresh, winner.refresh_token)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    });

    it(`rate limits are counted across instances: the ${TOKEN_LIMIT + 1}th token request, wherever it lands, gets 429`, async () => {
      const order = [A, B, C, A, B, C, A];
      const answers = [];
      for (const instance of order) {
        const response = await fetch(`${baseOf(instance)}/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth(clients.limited.clientId, clients.limited.clientSecret) },
          body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'api:read' }),
        });
        answers.push({ status: response.status, retryAfter: response.headers.get('retry-after'), body: (await response.json()) as Record<string, unknown> });
      }
      expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200, 200, 429, 429]);
      for (const refused of answers.slice(TOKEN_LIMIT)) {
        expect(refused.body.error).toBe('temporarily_unavailable');
        expect(Number(refused.retryAfter)).toBeGreaterThan(0);
      }
    });

    it('a key rotated with the CLI is published by every instance and signs their new tokens', async () => {
      const before = await publishedKids(A);
      const rotated = parseJson<{ kid: string; alg: string }[]>(await cli(ws, env, ['keys', 'rotate', '--json']));
      const es256 = rotated.find((key) => key.alg === 'ES256')!.kid;
      expect(before).not.toContain(es256);

      const started = Date.now();
      await Promise.all(
        [A, B, C].map((instance) =>
          pollUntil(async () => (await publishedKids(instance)).includes(es256), {
            timeoutMs: (KEY_REFRESH_SECONDS + 2) * 1000,
            intervalMs: 50,
            what: `the new key at port ${instance.port}`,
          }),
        ),
      );
      expect(Date.now() - started).toBeLessThan((KEY_REFRESH_SECONDS + 2) * 1000);
      // The earlier keys stay published: tokens they signed have not expired.
      for (const instance of [A, B, C]) expect(await publishedKids(instance)).toEqual(expect.arrayContaining(before));

      const instances = [A, B, C];
      for (const [index, instance] of instances.entries()) {
        const token = await post(instance, '/token', { grant_type: 'client_credentials', scope: 'api:read' }, clients.keys);
        expect(token.status, JSON.stringify(token.body)).toBe(200);
        expect(jwtHeader(token.body.access_token as string)).toMatchObject({ kid: es256, alg: 'ES256', typ: 'at+jwt' });
        // The next instance verifies it with the key it reloaded.
        const next = instances[(index + 1) % instances.length]!;
        expect(await introspect(next, clients.keys, token.body.access_token as string)).toMatchObject({ active: true, client_id: clients.keys.clientId });
      }
    });

    it('tokens revoked at A are inactive at B and C right away', async () => {
      const token = await post(C, '/token', { grant_type: 'client_credentials', scope: 'api:read' }, clients.keys);
      expect(token.status).toBe(200);
      const accessToken = token.body.access_token as string;
      expect(await introspect(B, clients.keys, accessToken)).toMatchObject({ active: true });

      const revoked = await post(A, '/revoke', { token: accessToken, token_type_hint: 'access_token' }, clients.keys);
      expect(revoked.status).toBe(200);
      expect(await introspect(B, clients.keys, accessToken)).toEqual({ active: false });
      expect(await introspect(C, clients.keys, accessToken)).toEqual({ active: false });

      // A refresh token revoked at A takes its family along (RFC 7009 §2.1) on B and C too.
      expect(await introspect(B, clients.handover, handoverTokens.refresh_token)).toMatchObject({ active: true });
      expect((await post(A, '/revoke', { token: handoverTokens.refresh_token, token_type_hint: 'refresh_token' }, clients.handover)).status).toBe(200);
      expect(await refresh(B, clients.handover, handoverTokens.refresh_token)).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
      expect(await introspect(C, clients.handover, handoverTokens.access_token)).toEqual({ active: false });
    });

    it('a client secret rotated with the CLI is honoured by every instance, and the old one refused', async () => {
      const old = clients.secret;
      // Every instance reads (and caches) the client with the old secret first.
      for (const instance of [A, B, C]) expect((await post(instance, '/introspect', { token: 'none' }, old)).status).toBe(200);

      const rotated = parseJson<{ client_id: string; client_secret: string }>(await cli(ws, env, ['clients', 'rotate-secret', old.clientId, '--json']));
      const fresh = { clientId: old.clientId, clientSecret: rotated.client_secret };
      expect(fresh.clientSecret).not.toBe(old.clientSecret);

      // Within the client cache's lifetime (30 s) at the latest; the bus makes it immediate.
      await Promise.all(
        [A, B, C].map((instance) =>
          pollUntil(async () => (await post(instance, '/introspect', { token: 'none' }, fresh)).status === 200, {
            timeoutMs: 35_000,
            intervalMs: 100,
            what: `the new secret at port ${instance.port}`,
          }),
        ),
      );
      for (const instance of [A, B, C]) {
        const refused = await post(instance, '/introspect', { token: 'none' }, old);
        expect(refused).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
        const token = await post(instance, '/token', { grant_type: 'client_credentials', scope: 'api:read' }, fresh);
        expect(token.status, JSON.stringify(token.body)).toBe(200);
        expect((await post(instance, '/token', { grant_type: 'client_credentials', scope: 'api:read' }, old)).status).toBe(401);
      }
    }, 40_000);

    it('keeps every Redis key it writes under GATEHOUSE_REDIS_PREFIX (rate-limit counters included)', async () => {
      // The rate-limited client's counter exists (it was refused above); wherever it is, it must be
      // under this installation's prefix, or installations sharing a Redis share counters: one
      // installation's failed sign-ins of "alice" from an address lock out "alice" of another.
      const keys = await redis.keys(`*${globLiteral(clients.limited.clientId)}*`);
      expect(keys.length).toBeGreaterThan(0);
      expect(keys.filter((key) => !key.startsWith(prefix))).toEqual([]);
    });
  });
}
