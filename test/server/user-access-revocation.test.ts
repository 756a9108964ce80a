/**
 * `revokeUserAccess` (what `gatehouse users set-password`, `revoke-sessions` and `remove` run), on
 * every production backend: memory, SQLite, and PostgreSQL with Redis for the short-lived
 * artifacts. After it the user's refresh tokens answer `invalid_grant`, their access tokens are
 * inactive at introspection and refused at UserInfo, codes not yet redeemed are refused, and their
 * browser sessions are gone — while their consents stay and other users are untouched.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { revokeUserAccess } from '../../src/server/admin/user-access.js';
import { removeUser } from '../../src/server/admin/users.js';
import { ACCESS_TOKEN_RECORD } from '../../src/server/tokens/access-token.js';
import { SESSION, userOwner } from '../../src/server/session/sessions.js';
import type { Store } from '../../src/stores/contract.js';
import { createMemoryStore } from '../../src/stores/memory/index.js';
import { createPostgresStore } from '../../src/stores/postgres/index.js';
import { createHybridStore } from '../../src/stores/redis/index.js';
import { createSqliteStore } from '../../src/stores/sqlite/index.js';
import { deleteKeysUnder, REDIS_URL } from '../client/redis/redis-helpers.js';
import { FakeClock } from '../helpers/fake-clock.js';
import {
  asTestClient,
  authorize,
  authorizeUrl,
  authorizeParams,
  Browser,
  expectTokens,
  pkce,
  promptNone,
  redeemCode,
  refresh,
  signIn,
  startFlow,
  submitLogin,
  testUsers,
  type Flow,
} from '../helpers/flow.js';
import { dropSchema, POSTGRES_URL, postgresUnavailable, uniqueSchema } from '../helpers/postgres.js';
import { errorBody } from '../helpers/server.js';

const OFFLINE = 'openid email offline_access';

interface Backend {
  name: string;
  /** Why it is skipped, if it is. */
  unavailable?: string | undefined;
  open(clock: FakeClock): Promise<{ store: Store; cleanup: () => Promise<void> }>;
}

// CI starts PostgreSQL and Redis, so there an unreachable server is a failure, never a skip.
const postgresDown = process.env.CI ? undefined : await postgresUnavailable();
let redis: Redis | undefined;

const BACKENDS: Backend[] = [
  { name: 'memory', open: async (clock) => ({ store: createMemoryStore({ clock }), cleanup: async () => undefined }) },
  {
    name: 'SQLite',
    open: async (clock) => {
      const store = createSqliteStore({ filename: ':memory:', clock });
      await store.migrate();
      return { store, cleanup: () => store.close() };
    },
  },
  {
    name: 'PostgreSQL + Redis',
    unavailable: postgresDown,
    open: async (clock) => {
      redis ??= new Redis(REDIS_URL);
      const schema = uniqueSchema();
      const prefix = `{gatehouse-test:${randomUUID()}}:`;
      const store = createHybridStore({ durable: createPostgresStore({ connectionString: POSTGRES_URL, schema, clock }), redis, prefix, clock });
      await store.migrate();
      return {
        store,
        cleanup: async () => {
          await store.close();
          await dropSchema(schema);
          await deleteKeysUnder(redis!, prefix);
        },
      };
    },
  },
];

beforeAll(async () => {
  await testUsers();
});

afterAll(async () => {
  await redis?.quit();
});

async function isActive(flow: Flow, token: string): Promise<boolean> {
  return (await flow.server.introspect(asTestClient(flow.client), token)).active === true;
}

async function expectInvalidGrant(response: Response): Promise<void> {
  expect(response.status).toBe(400);
  expect((await errorBody(response)).error).toBe('invalid_grant');
}

function userinfo(flow: Flow, accessToken: string): Promise<Response> {
  return flow.server.get('/userinfo', { headers: { Authorization: `Bearer ${accessToken}` } });
}

async function sessionCount(flow: Flow, sub: string): Promise<number> {
  return (await flow.server.store.artifacts.listByOwner(SESSION, userOwner(sub))).length;
}

for (const backend of BACKENDS) {
  (backend.unavailable === undefined ? describe : describe.skip)(
    `revokeUserAccess on ${backend.name}${backend.unavailable ? ` (skipped: ${backend.unavailable})` : ''}`,
    () => {
      /** Runs `test` with a flow on a fresh store of this backend, then disposes of both. */
      async function withFlow(test: (flow: Flow) => Promise<void>): Promise<void> {
        const clock = new FakeClock();
        const { store, cleanup } = await backend.open(clock);
        const flow = await startFlow({ store, clock });
        try {
          await test(flow);
        } finally {
          await flow.server.server.close();
          await cleanup();
        }
      }

      it("ends the user's sessions, refresh tokens, access tokens and unredeemed codes; keeps their consent; leaves other users alone", async () => {
        await withFlow(async (flow) => {
          const { server, client, users } = flow;
          const alice = users.alice;
          // Alice on two browsers, plus a code from the first not yet redeemed; Bob on a third.
          const first = await signIn(flow.browser, server, client, alice, { scope: OFFLINE });
          const laptop = new Browser(server);
          const second = await signIn(laptop, server, client, alice, { scope: OFFLINE });
          const pending = await authorize(flow.browser, server, client, alice, { scope: OFFLINE });
          const bob = await signIn(new Browser(server), server, client, users.bob, { scope: OFFLINE });
          expect(await isActive(flow, first.access_token)).toBe(true);
          expect(await sessionCount(flow, alice.record.id)).toBe(2);

          const revoked = await revokeUserAccess(server.store, server.clock, alice.record.id);
          expect(revoked).toEqual({ at: server.clock.now(), sessions: 2, consents: 1 });

          for (const tokens of [first, second]) {
            expect(await isActive(flow, tokens.access_token)).toBe(false);
            expect(await isActive(flow, tokens.refresh_token!)).toBe(false);
            const answer = await userinfo(flow, tokens.access_token);
            expect(answer.status).toBe(401);
            expect(answer.headers.get('www-authenticate')).toContain('error="invalid_token"');
            await expectInvalidGrant(await refresh(server, client, tokens.refresh_token!));
          }
          await expectInvalidGrant(await redeemCode(server, client, pending.code, pending.verifier));
          // Both browsers are signed out, on the server.
          expect(await sessionCount(flow, alice.record.id)).toBe(0);
          for (const browser of [flow.browser, laptop])
            expect((await promptNone(browser, server, client, { scope: OFFLINE })).get('error')).toBe('login_required');

          // Bob keeps everything.
          expect(await isActive(flow, bob.access_token)).toBe(true);
          await expectTokens(await refresh(server, client, bob.refresh_token!));

          // Alice signs in again: no consent asked (her consent stands), and the new tokens work.
          server.clock.advance(1000);
          const { verifier, challenge } = pkce();
          const browser = new Browser(server);
          const login = await browser.open(authorizeUrl(server, authorizeParams(client, challenge, { scope: OFFLINE })));
          const done = await submitLogin(browser, login, alice);
          const code = done.location?.searchParams.get('code');
          expect(code, 'back at the client with a code, without a consent page').toEqual(expect.any(String));
          const fresh = await expectTokens(await redeemCode(server, client, code!, verifier));
          expect(await isActive(flow, fresh.access_token)).toBe(true);
          expect((await userinfo(flow, fresh.access_token)).status).toBe(200);
          await expectTokens(await refresh(server, client, fresh.refresh_token!));
        });
      });

      it('also ends tokens that a refresh racing the revocation minted after it: a token family keeps the time it began', async () => {
        await withFlow(async (flow) => {
          const { server, client } = flow;
          const signedInAt = server.clock.now();
          const tokens = await signIn(flow.browser, server, client, flow.users.alice, { scope: OFFLINE });
          // The refresh passed its checks before the revocation and stored its tokens after it: here,
          // the revocation is stamped 5 s before the refresh that it must still end.
          server.clock.advance(10_000);
          const raced = await expectTokens(await refresh(server, client, tokens.refresh_token!));
          await revokeUserAccess(server.store, { now: () => signedInAt + 5_000 }, flow.users.alice.record.id);
          expect(await isActive(flow, raced.access_token)).toBe(false);
          await expectInvalidGrant(await refresh(server, client, raced.refresh_token!));
        });
      });

      it('refuses a code that a session from before the revocation yielded just after it', async () => {
        await withFlow(async (flow) => {
          const { server, client } = flow;
          const signedInAt = server.clock.now();
          await signIn(flow.browser, server, client, flow.users.alice);
          server.clock.advance(10_000);
          const { verifier, challenge } = pkce();
          const page = await flow.browser.open(authorizeUrl(server, authorizeParams(client, challenge, { prompt: 'none' })));
          const code = page.location!.searchParams.get('code')!;
          // The request loaded the session before the revocation and stored the code after it.
          await revokeUserAccess(server.store, { now: () => signedInAt + 5_000 }, flow.users.alice.record.id);
          await expectInvalidGrant(await redeemCode(server, client, code, verifier));
        });
      });

      it('counts a token stored without the time its family began (before this was recorded) as older than any revocation', async () => {
        await withFlow(async (flow) => {
          const { server, client, users } = flow;
          const tokens = await signIn(flow.browser, server, client, users.alice);
          const jti = (await server.verify(tokens.access_token)).payload.jti!;
          const record = (await server.store.artifacts.get(ACCESS_TOKEN_RECORD, jti))!;
          const { familyIssuedAt, ...legacy } = record.value as Record<string, string | number | null>;
          expect(familyIssuedAt).toBe(server.clock.now());
          await server.store.artifacts.delete(ACCESS_TOKEN_RECORD, jti);
          await server.store.artifacts.put({ kind: ACCESS_TOKEN_RECORD, id: jti, value: legacy, ownerId: record.ownerId, expiresAt: record.expiresAt });
          expect(await isActive(flow, tokens.access_token)).toBe(true);
          server.clock.advance(60_000);
          await revokeUserAccess(server.store, server.clock, users.alice.record.id);
          expect(await isActive(flow, tokens.access_token)).toBe(false);
        });
      });

      it('removeUser: the removed user’s tokens are inactive at once, sessions and consents gone', async () => {
        await withFlow(async (flow) => {
          const { server, client, users } = flow;
          const tokens = await signIn(flow.browser, server, client, users.alice, { scope: OFFLINE });
          expect(await isActive(flow, tokens.access_token)).toBe(true);
          await removeUser(server.store, server.clock, 'alice');
          expect(await server.store.users.get(users.alice.record.id)).toBeUndefined();
          expect(await isActive(flow, tokens.access_token)).toBe(false);
          expect(await isActive(flow, tokens.refresh_token!)).toBe(false);
          await expectInvalidGrant(await refresh(server, client, tokens.refresh_token!));
          expect(await sessionCount(flow, users.alice.record.id)).toBe(0);
          expect((await server.store.consents.listBySubject(users.alice.record.id)).every((consent) => consent.revokedAt !== null)).toBe(true);
        });
      });
    },
  );
}
