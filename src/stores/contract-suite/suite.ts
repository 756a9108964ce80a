import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Clock } from '../../core/clock.js';
import { StoreConflictError, type AuditEventRecord, type LogoutDeliveryRecord, type Store } from '../contract.js';
import { FakeClock, T0 } from './fake-clock.js';
import { makeAuditEvent, makeClient, makeConsent, makeFactor, makeIdentity, makeKey, makeUser } from './records.js';

/** What a backend hands the contract suite: a fresh, unmigrated store and how to dispose of it. */
export interface StoreUnderTest {
  store: Store;
  /** Called after each test: close the store, drop its data. */
  cleanup: () => Promise<void>;
}

/** Awaits `action` and asserts it failed with a {@link StoreConflictError} on `field`. */
async function expectConflict(action: Promise<unknown>, field: string): Promise<void> {
  const error = await action.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(StoreConflictError);
  expect((error as StoreConflictError).field).toBe(field);
}

/** A stand-in for the keyed audit hash: any deterministic function of the previous hash and seq. */
function fakeChain(prevHash: string, seq: number): string {
  return `h${seq}<${prevHash}>`.slice(0, 60) + `#${seq}`;
}

/** Asserts `events` are seq 1..n, each chained to the one before by {@link fakeChain}. */
function expectChained(events: AuditEventRecord[]): void {
  events.forEach((event, i) => {
    expect(event.seq).toBe(i + 1);
    expect(event.prevHash).toBe(i === 0 ? '' : events[i - 1]!.hash);
    expect(event.hash).toBe(fakeChain(event.prevHash, event.seq));
  });
}

/**
 * The storage contract suite (the `Store` of `gatehouse/stores/contract`), as Vitest tests: every
 * Gatehouse backend runs it, and so can a store of your own. Call it once per backend at the top
 * level of a test file; each test gets a fresh store from `factory`, built on the clock the suite
 * hands it (the suite moves that clock to test expiry), and the suite runs `store.migrate()` before
 * the test and `cleanup()` after it. The concurrency cases fire many calls at once: run them
 * against the real database, not a mock.
 *
 * @example
 * // my-store.test.ts, run with `vitest run`
 * import { describeStoreContract } from 'gatehouse/stores/contract-suite';
 * import { createMyStore } from './my-store.js';
 *
 * describeStoreContract('my store', async (clock) => {
 *   const store = createMyStore({ url: process.env.DATABASE_URL!, clock });
 *   return { store, cleanup: () => store.close() };
 * });
 */
export function describeStoreContract(name: string, factory: (clock: Clock) => Promise<StoreUnderTest>): void {
  describe(`store contract: ${name}`, () => {
    let clock: FakeClock;
    let store: Store;
    let cleanup: () => Promise<void>;

    beforeEach(async () => {
      clock = new FakeClock(T0);
      ({ store, cleanup } = await factory(clock));
      await store.migrate();
    });

    afterEach(async () => {
      await cleanup();
    });

    describe('store', () => {
      it('migrate is idempotent: a second call applies nothing', async () => {
        expect(await store.migrate()).toEqual([]);
      });

      it('ping resolves', async () => {
        await expect(store.ping()).resolves.toBeUndefined();
      });
    });

    describe('clients', () => {
      it('creates and reads a client; unknown ids read as undefined', async () => {
        const client = makeClient();
        await store.clients.create(client);
        expect(await store.clients.get('client-1')).toEqual(client);
        expect(await store.clients.get('nope')).toBeUndefined();
      });

      it('keeps a public client without a secret hash', async () => {
        const client = makeClient({ clientSecretHash: null, tokenEndpointAuthMethod: 'none' });
        await store.clients.create(client);
        expect(await store.clients.get('client-1')).toEqual(client);
      });

      it('keeps how a client registered itself, and drops it on an update without it', async () => {
        const client = makeClient({
          clientSecretHash: null,
          tokenEndpointAuthMethod: 'none',
          registration: {
            via: 'initial-access-token',
            initialAccessTokenId: 'iat-1',
            accessTokenHash: 'hash-of-registration-access-token',
            allowed: { clientTypes: ['public'], grantTypes: ['authorization_code', 'refresh_token'], redirectUris: 'native' },
          },
        });
        await store.clients.create(client);
        expect(await store.clients.get('client-1')).toEqual(client);
        expect((await store.clients.list()).map((listed) => listed.registration)).toEqual([client.registration]);
        const { registration: _dropped, ...operatorManaged } = client;
        expect(await store.clients.update(operatorManaged)).toBe(true);
        expect(await store.clients.get('client-1')).toEqual(operatorManaged);
      });

      it('rejects a duplicate client id', async () => {
        await store.clients.create(makeClient());
        await expectConflict(store.clients.create(makeClient({ clientName: 'Other' })), 'clientId');
      });

      it('replaces a client on update, and reports unknown ones', async () => {
        await store.clients.create(makeClient());
        const changed = makeClient({
          clientName: 'Renamed',
          redirectUris: ['https://app.example/cb2'],
          isResourceServer: true,
          updatedAt: T0 + 5,
        });
        expect(await store.clients.update(changed)).toBe(true);
        expect(await store.clients.get('client-1')).toEqual(changed);
        expect(await store.clients.update(makeClient({ clientId: 'ghost' }))).toBe(false);
        expect(await store.clients.get('ghost')).toBeUndefined();
      });

      it('finds the resource server serving a resource, each resource served by one client', async () => {
        const api = 'https://api.example/v1';
        const server = makeClient({ clientId: 'rs', isResourceServer: true, servedResources: [api, 'https://api.example/v2'] });
        await store.clients.create(server);
        await store.clients.create(makeClient({ clientId: 'app' }));
        expect(await store.clients.findByServedResource(api)).toEqual(server);
        expect(await store.clients.findByServedResource('https://api.example/v3')).toBeUndefined();
        // Another client cannot claim a served resource, by creation or by update; nothing changes.
        await expectConflict(store.clients.create(makeClient({ clientId: 'rival', servedResources: [api] })), 'servedResources');
        expect(await store.clients.get('rival')).toBeUndefined();
        await expectConflict(
          store.clients.update(makeClient({ clientId: 'app', clientName: 'Changed', servedResources: ['https://new.example', api] })),
          'servedResources',
        );
        expect((await store.clients.get('app'))?.clientName).toBe('Example App');
        expect(await store.clients.findByServedResource('https://new.example')).toBeUndefined();
        // An update replaces what the client serves; a deletion frees it.
        await store.clients.update({ ...server, servedResources: ['https://api.example/v2'] });
        expect(await store.clients.findByServedResource(api)).toBeUndefined();
        expect((await store.clients.findByServedResource('https://api.example/v2'))?.clientId).toBe('rs');
        await store.clients.delete('rs');
        expect(await store.clients.findByServedResource('https://api.example/v2')).toBeUndefined();
        await store.clients.create(makeClient({ clientId: 'rival', servedResources: [api, 'https://api.example/v2'] }));
        expect((await store.clients.findByServedResource(api))?.clientId).toBe('rival');
      });

      it('deletes a client once', async () => {
        await store.clients.create(makeClient());
        expect(await store.clients.delete('client-1')).toBe(true);
        expect(await store.clients.get('client-1')).toBeUndefined();
        expect(await store.clients.delete('client-1')).toBe(false);
      });

      it('lists oldest first, ties by id, with limit and offset', async () => {
        await store.clients.create(makeClient({ clientId: 'c', createdAt: T0 + 2 }));
        await store.clients.create(makeClient({ clientId: 'b', createdAt: T0 + 1 }));
        await store.clients.create(makeClient({ clientId: 'a', createdAt: T0 + 1 }));
        const ids = async (options?: { limit?: number; offset?: number }) => (await store.clients.list(options)).map((client) => client.clientId);
        expect(await ids()).toEqual(['a', 'b', 'c']);
        expect(await ids({ limit: 2 })).toEqual(['a', 'b']);
        expect(await ids({ offset: 1 })).toEqual(['b', 'c']);
        expect(await ids({ limit: 1, offset: 1 })).toEqual(['b']);
      });

      it('hands out copies: neither input nor output shares stored state', async () => {
        const client = makeClient();
        await store.clients.create(client);
        client.redirectUris.push('https://evil.example/');
        const read = await store.clients.get('client-1');
        read!.redirectUris.push('https://evil.example/');
        expect((await store.clients.get('client-1'))!.redirectUris).toEqual(['https://app.example/callback']);
      });
    });

    describe('users', () => {
      it('creates and reads a user; unknown ids read as undefined', async () => {
        const user = makeUser();
        await store.users.create(user);
        expect(await store.users.get('user-1')).toEqual(user);
        expect(await store.users.get('nope')).toBeUndefined();
      });

      it("keeps a user's roles through create, update and list", async () => {
        await store.users.create(makeUser({ roles: ['admin'] }));
        expect((await store.users.get('user-1'))?.roles).toEqual(['admin']);
        await store.users.update(makeUser({ roles: [], updatedAt: T0 + 1 }));
        expect((await store.users.get('user-1'))?.roles).toEqual([]);
        expect((await store.users.list()).map((user) => user.roles)).toEqual([[]]);
      });

      it('finds a user by username or email, case-insensitively', async () => {
        const user = makeUser();
        await store.users.create(user);
        expect(await store.users.findByLogin('alice')).toEqual(user);
        expect(await store.users.findByLogin('ALICE')).toEqual(user);
        expect(await store.users.findByLogin('alice@example.com')).toEqual(user);
        expect(await store.users.findByLogin('Alice@Example.COM')).toEqual(user);
        expect(await store.users.findByLogin('bob')).toBeUndefined();
      });

      it('rejects a taken username, also in another case', async () => {
        await store.users.create(makeUser());
        await expectConflict(store.users.create(makeUser({ id: 'user-2', email: null })), 'username');
        await expectConflict(store.users.create(makeUser({ id: 'user-2', username: 'ALICE', email: null })), 'username');
      });

      it('rejects a taken email, also in another case', async () => {
        await store.users.create(makeUser());
        await expectConflict(store.users.create(makeUser({ id: 'user-2', username: 'bob' })), 'email');
        await expectConflict(store.users.create(makeUser({ id: 'user-2', username: 'bob', email: 'ALICE@example.com' })), 'email');
      });

      it('rejects a duplicate id', async () => {
        await store.users.create(makeUser());
        await expectConflict(store.users.create(makeUser({ username: 'bob', email: 'bob@example.com' })), 'id');
      });

      it('allows many users without an email', async () => {
        await store.users.create(makeUser({ email: null }));
        await store.users.create(makeUser({ id: 'user-2', username: 'bob', email: null }));
        expect(await store.users.list()).toHaveLength(2);
      });

      it('replaces a user on update, and reports unknown ones', async () => {
        await store.users.create(makeUser());
        const changed = makeUser({ profile: { name: 'Alice B.' }, disabled: true, emailVerified: false, updatedAt: T0 + 9 });
        expect(await store.users.update(changed)).toBe(true);
        expect(await store.users.get('user-1')).toEqual(changed);
        expect(await store.users.update(makeUser({ id: 'ghost', username: 'ghost', email: null }))).toBe(false);
        expect(await store.users.get('ghost')).toBeUndefined();
      });

      it('rejects an update to a username or email another user has', async () => {
        await store.users.create(makeUser());
        await store.users.create(makeUser({ id: 'user-2', username: 'bob', email: 'bob@example.com' }));
        await expectConflict(store.users.update(makeUser({ id: 'user-2', email: 'bob@example.com' })), 'username');
        await expectConflict(store.users.update(makeUser({ id: 'user-2', username: 'bob' })), 'email');
        expect((await store.users.get('user-2'))!.username).toBe('bob');
      });

      it('deletes a user once, freeing the login', async () => {
        await store.users.create(makeUser());
        expect(await store.users.delete('user-1')).toBe(true);
        expect(await store.users.get('user-1')).toBeUndefined();
        expect(await store.users.findByLogin('alice')).toBeUndefined();
        expect(await store.users.delete('user-1')).toBe(false);
        await store.users.create(makeUser({ id: 'user-2' }));
      });

      it('lists oldest first, ties by id, with limit and offset', async () => {
        await store.users.create(makeUser({ id: 'u3', username: 'carol', email: null, createdAt: T0 + 1 }));
        await store.users.create(makeUser({ id: 'u2', username: 'bob', email: null, createdAt: T0 }));
        await store.users.create(makeUser({ id: 'u1', username: 'alice', email: null, createdAt: T0 }));
        const ids = async (options?: { limit?: number; offset?: number }) => (await store.users.list(options)).map((user) => user.id);
        expect(await ids()).toEqual(['u1', 'u2', 'u3']);
        expect(await ids({ limit: 1 })).toEqual(['u1']);
        expect(await ids({ offset: 2 })).toEqual(['u3']);
        expect(await ids({ limit: 5, offset: 1 })).toEqual(['u2', 'u3']);
      });
    });

    describe('user identities', () => {
      const alice = makeUser();
      const bob = makeUser({ id: 'user-2', username: 'bob', email: 'bob@example.com' });

      beforeEach(async () => {
        await store.users.create(alice);
        await store.users.create(bob);
      });

      it('links upstream accounts and finds the user by provider and subject', async () => {
        const github = makeIdentity({ encryptedTokens: 'envelope-of-tokens' });
        await store.users.linkIdentity(github);
        await store.users.linkIdentity(makeIdentity({ provider: 'google', subject: 'g-1', userId: 'user-2' }));
        expect(await store.users.findByIdentity('github', '583231')).toEqual(alice);
        expect(await store.users.findByIdentity('google', 'g-1')).toEqual(bob);
        // Both halves of the key matter.
        expect(await store.users.findByIdentity('google', '583231')).toBeUndefined();
        expect(await store.users.findByIdentity('github', 'g-1')).toBeUndefined();
        expect(await store.users.listIdentities('user-1')).toEqual([github]);
      });

      it('lists a user’s identities oldest first, ties by provider then subject', async () => {
        await store.users.linkIdentity(makeIdentity({ provider: 'oidc', subject: 'b', createdAt: T0 + 1 }));
        await store.users.linkIdentity(makeIdentity({ provider: 'oidc', subject: 'a', createdAt: T0 + 1 }));
        await store.users.linkIdentity(makeIdentity({ provider: 'github', subject: 'z', createdAt: T0 + 1 }));
        await store.users.linkIdentity(makeIdentity({ provider: 'zulu', subject: 'x', createdAt: T0 }));
        await store.users.linkIdentity(makeIdentity({ provider: 'google', subject: 'g', userId: 'user-2' }));
        const keys = (await store.users.listIdentities('user-1')).map((identity) => `${identity.provider}/${identity.subject}`);
        expect(keys).toEqual(['zulu/x', 'github/z', 'oidc/a', 'oidc/b']);
        expect(await store.users.listIdentities('nobody')).toEqual([]);
      });

      it('relinking to the same user updates email, tokens and updatedAt in place', async () => {
        await store.users.linkIdentity(makeIdentity());
        await store.users.linkIdentity(
          makeIdentity({ email: 'new@users.github.example', encryptedTokens: 'envelope-2', createdAt: T0 + 5, updatedAt: T0 + 5 }),
        );
        expect(await store.users.listIdentities('user-1')).toEqual([
          makeIdentity({ email: 'new@users.github.example', encryptedTokens: 'envelope-2', updatedAt: T0 + 5 }),
        ]);
        // Clearing is an update too.
        await store.users.linkIdentity(makeIdentity({ email: null, encryptedTokens: null, updatedAt: T0 + 6 }));
        expect(await store.users.listIdentities('user-1')).toEqual([makeIdentity({ email: null, updatedAt: T0 + 6 })]);
      });

      it('rejects linking an account that is linked to another user, changing nothing', async () => {
        await store.users.linkIdentity(makeIdentity());
        await expectConflict(store.users.linkIdentity(makeIdentity({ userId: 'user-2', email: 'bob@users.github.example', updatedAt: T0 + 1 })), 'identity');
        expect(await store.users.findByIdentity('github', '583231')).toEqual(alice);
        expect(await store.users.listIdentities('user-1')).toEqual([makeIdentity()]);
        expect(await store.users.listIdentities('user-2')).toEqual([]);
      });

      it('rejects a link to an unknown user', async () => {
        await expect(store.users.linkIdentity(makeIdentity({ userId: 'ghost' }))).rejects.toThrow();
        expect(await store.users.findByIdentity('github', '583231')).toBeUndefined();
        expect(await store.users.listIdentities('ghost')).toEqual([]);
      });

      it('unlinks once, freeing the account for another user', async () => {
        await store.users.linkIdentity(makeIdentity());
        await store.users.linkIdentity(makeIdentity({ subject: 'other' }));
        expect(await store.users.unlinkIdentity('github', '583231')).toBe(true);
        expect(await store.users.findByIdentity('github', '583231')).toBeUndefined();
        expect(await store.users.unlinkIdentity('github', '583231')).toBe(false);
        expect(await store.users.unlinkIdentity('nope', 'nope')).toBe(false);
        expect((await store.users.listIdentities('user-1')).map((identity) => identity.subject)).toEqual(['other']);
        await store.users.linkIdentity(makeIdentity({ userId: 'user-2' }));
        expect(await store.users.findByIdentity('github', '583231')).toEqual(bob);
      });

      it('deleting a user removes their links, and only theirs', async () => {
        await store.users.linkIdentity(makeIdentity());
        await store.users.linkIdentity(makeIdentity({ provider: 'google', subject: 'g-1' }));
        await store.users.linkIdentity(makeIdentity({ provider: 'google', subject: 'g-2', userId: 'user-2' }));
        expect(await store.users.delete('user-1')).toBe(true);
        expect(await store.users.findByIdentity('github', '583231')).toBeUndefined();
        expect(await store.users.findByIdentity('google', 'g-1')).toBeUndefined();
        expect(await store.users.findByIdentity('google', 'g-2')).toEqual(bob);
        // A new user with the old id does not inherit the links; the accounts are free again.
        await store.users.create(alice);
        expect(await store.users.listIdentities('user-1')).toEqual([]);
        await store.users.linkIdentity(makeIdentity({ userId: 'user-2' }));
        expect(await store.users.findByIdentity('github', '583231')).toEqual(bob);
      });

      it('hands out copies: neither input nor output shares stored state', async () => {
        const identity = makeIdentity();
        await store.users.linkIdentity(identity);
        identity.email = 'changed@example.com';
        const [read] = await store.users.listIdentities('user-1');
        read!.email = 'changed@example.com';
        (await store.users.findByIdentity('github', '583231'))!.profile.name = 'Mallory';
        expect(await store.users.listIdentities('user-1')).toEqual([makeIdentity()]);
        expect(await store.users.findByIdentity('github', '583231')).toEqual(alice);
      });
    });

    describe('signing keys', () => {
      it('rotate into an empty store adds active keys, listed oldest first', async () => {
        const es = makeKey({ kid: 'es-1', alg: 'ES256', createdAt: T0 + 1 });
        const rs = makeKey({ kid: 'rs-1', alg: 'RS256', createdAt: T0 });
        await store.keys.rotate([es, rs], T0 + 1);
        expect(await store.keys.list()).toEqual([rs, es]);
      });

      it('rotate retires only active keys of the same alg', async () => {
        await store.keys.rotate([makeKey({ kid: 'es-1', alg: 'ES256' }), makeKey({ kid: 'rs-1', alg: 'RS256' })], T0);
        const next = makeKey({ kid: 'es-2', alg: 'ES256', createdAt: T0 + 100 });
        await store.keys.rotate([next], T0 + 100);
        const byKid = new Map((await store.keys.list()).map((key) => [key.kid, key]));
        expect(byKid.get('es-1')).toMatchObject({ status: 'retired', retiredAt: T0 + 100 });
        expect(byKid.get('rs-1')).toMatchObject({ status: 'active', retiredAt: null });
        expect(byKid.get('es-2')).toEqual(next);

        // An already retired key keeps its original retirement time.
        await store.keys.rotate([makeKey({ kid: 'es-3', alg: 'ES256', createdAt: T0 + 200 })], T0 + 200);
        const keys = await store.keys.list();
        expect(keys.map((key) => [key.kid, key.status, key.retiredAt])).toEqual([
          ['es-1', 'retired', T0 + 100],
          ['rs-1', 'active', null],
          ['es-2', 'retired', T0 + 200],
          ['es-3', 'active', null],
        ]);
      });

      it('rotate with a taken kid changes nothing', async () => {
        await store.keys.rotate([makeKey({ kid: 'es-1' })], T0);
        await expectConflict(store.keys.rotate([makeKey({ kid: 'es-1', createdAt: T0 + 1 })], T0 + 1), 'kid');
        expect(await store.keys.list()).toEqual([makeKey({ kid: 'es-1' })]);
      });

      it('deletes a key once', async () => {
        await store.keys.rotate([makeKey({ kid: 'es-1' }), makeKey({ kid: 'rs-1', alg: 'RS256' })], T0);
        expect(await store.keys.delete('es-1')).toBe(true);
        expect(await store.keys.delete('es-1')).toBe(false);
        expect((await store.keys.list()).map((key) => key.kid)).toEqual(['rs-1']);
      });
    });

    describe('mfa factors', () => {
      const totp = makeFactor({
        id: 'totp-1',
        type: 'totp',
        label: 'Authenticator app',
        lookup: null,
        data: { encryptedSecret: 'envelope-of-secret', digits: 6, period: 30 },
      });

      beforeEach(async () => {
        await store.users.create(makeUser());
        await store.users.create(makeUser({ id: 'user-2', username: 'bob', email: 'bob@example.com' }));
      });

      it('creates and reads a factor; unknown ids read as undefined', async () => {
        const passkey = makeFactor({ lastUsedAt: T0 + 5, data: { publicKey: 'k', signCount: 7, flags: { be: true, bs: null } } });
        await store.factors.create(passkey);
        await store.factors.create(totp);
        expect(await store.factors.get('factor-1')).toEqual(passkey);
        expect(await store.factors.get('totp-1')).toEqual(totp);
        expect(await store.factors.get('nope')).toBeUndefined();
      });

      it('rejects a duplicate id', async () => {
        await store.factors.create(makeFactor());
        await expectConflict(store.factors.create(makeFactor({ lookup: 'credential-2' })), 'id');
        expect(await store.factors.get('factor-1')).toEqual(makeFactor());
      });

      it('finds a factor by type and lookup', async () => {
        await store.factors.create(makeFactor());
        await store.factors.create(makeFactor({ id: 'factor-2', userId: 'user-2', lookup: 'credential-2' }));
        expect(await store.factors.findByLookup('webauthn', 'credential-1')).toEqual(makeFactor());
        expect((await store.factors.findByLookup('webauthn', 'credential-2'))!.userId).toBe('user-2');
        // Both halves of the key matter.
        expect(await store.factors.findByLookup('totp', 'credential-1')).toBeUndefined();
        expect(await store.factors.findByLookup('webauthn', 'credential-3')).toBeUndefined();
      });

      it('rejects a taken type+lookup, but not the same lookup under another type', async () => {
        await store.factors.create(makeFactor());
        // Also for another user: a credential id belongs to one account only.
        await expectConflict(store.factors.create(makeFactor({ id: 'factor-2', userId: 'user-2' })), 'lookup');
        expect(await store.factors.get('factor-2')).toBeUndefined();
        await store.factors.create(makeFactor({ id: 'factor-2', type: 'sms' }));
        expect((await store.factors.findByLookup('sms', 'credential-1'))!.id).toBe('factor-2');
        expect((await store.factors.findByLookup('webauthn', 'credential-1'))!.id).toBe('factor-1');
      });

      it('allows many factors without a lookup, also of one type', async () => {
        await store.factors.create(totp);
        await store.factors.create({ ...totp, id: 'totp-2' });
        await store.factors.create({ ...totp, id: 'totp-3', userId: 'user-2' });
        await store.factors.create(makeFactor({ id: 'codes', type: 'recovery_codes', lookup: null }));
        expect((await store.factors.listByUser('user-1')).map((factor) => factor.id)).toEqual(['codes', 'totp-1', 'totp-2']);
        expect((await store.factors.listByUser('user-2')).map((factor) => factor.id)).toEqual(['totp-3']);
      });

      it('rejects a factor for an unknown user', async () => {
        await expect(store.factors.create(makeFactor({ userId: 'ghost' }))).rejects.toThrow();
        expect(await store.factors.get('factor-1')).toBeUndefined();
        expect(await store.factors.findByLookup('webauthn', 'credential-1')).toBeUndefined();
      });

      it('lists a user’s factors oldest first, ties by id', async () => {
        await store.factors.create(makeFactor({ id: 'f-c', lookup: 'c', createdAt: T0 + 2 }));
        await store.factors.create(makeFactor({ id: 'f-b', lookup: 'b', createdAt: T0 + 1 }));
        await store.factors.create(makeFactor({ id: 'f-a', lookup: 'a', createdAt: T0 + 1 }));
        await store.factors.create(makeFactor({ id: 'f-0', lookup: 'z', userId: 'user-2', createdAt: T0 }));
        expect((await store.factors.listByUser('user-1')).map((factor) => factor.id)).toEqual(['f-a', 'f-b', 'f-c']);
        expect(await store.factors.listByUser('nobody')).toEqual([]);
      });

      it('replaces a factor on update, and reports unknown ones', async () => {
        await store.factors.create(makeFactor());
        const changed = makeFactor({
          label: 'Work key',
          lookup: 'credential-1b',
          data: { publicKey: 'pQECAyYgASFYIA', signCount: 3 },
          updatedAt: T0 + 5,
          lastUsedAt: T0 + 5,
        });
        expect(await store.factors.update(changed)).toBe(true);
        expect(await store.factors.get('factor-1')).toEqual(changed);
        expect(await store.factors.findByLookup('webauthn', 'credential-1b')).toEqual(changed);
        expect(await store.factors.findByLookup('webauthn', 'credential-1')).toBeUndefined();
        // Without expectedUpdatedAt, any copy wins, stale or not.
        expect(await store.factors.update(makeFactor({ updatedAt: T0 + 6 }))).toBe(true);
        expect(await store.factors.get('factor-1')).toEqual(makeFactor({ updatedAt: T0 + 6 }));
        expect(await store.factors.update(makeFactor({ id: 'ghost', lookup: 'ghost' }))).toBe(false);
        expect(await store.factors.get('ghost')).toBeUndefined();
      });

      it('with expectedUpdatedAt, replaces only a current copy; a stale one changes nothing', async () => {
        await store.factors.create(makeFactor());
        const first = makeFactor({ data: { publicKey: 'pQECAyYgASFYIA', signCount: 1 }, updatedAt: T0 + 1, lastUsedAt: T0 + 1 });
        expect(await store.factors.update(first, T0)).toBe(true);
        expect(await store.factors.get('factor-1')).toEqual(first);
        // A second writer still holding the record as of T0.
        const stale = makeFactor({ data: { publicKey: 'pQECAyYgASFYIA', signCount: 1 }, updatedAt: T0 + 2, lastUsedAt: T0 + 2 });
        expect(await store.factors.update(stale, T0)).toBe(false);
        expect(await store.factors.get('factor-1')).toEqual(first);
        expect(await store.factors.update({ ...stale, id: 'ghost' }, T0)).toBe(false);
        expect(await store.factors.get('ghost')).toBeUndefined();
      });

      it('rejects an update to a type+lookup another factor has, changing nothing', async () => {
        await store.factors.create(makeFactor());
        await store.factors.create(makeFactor({ id: 'factor-2', lookup: 'credential-2' }));
        await expectConflict(store.factors.update(makeFactor({ id: 'factor-2', updatedAt: T0 + 1 })), 'lookup');
        expect((await store.factors.get('factor-2'))!.lookup).toBe('credential-2');
      });

      it('deletes a factor once, freeing its lookup', async () => {
        await store.factors.create(makeFactor());
        expect(await store.factors.delete('factor-1')).toBe(true);
        expect(await store.factors.get('factor-1')).toBeUndefined();
        expect(await store.factors.findByLookup('webauthn', 'credential-1')).toBeUndefined();
        expect(await store.factors.delete('factor-1')).toBe(false);
        await store.factors.create(makeFactor({ id: 'factor-2' }));
      });

      it('deleteByUser drops only that user’s factors and counts them', async () => {
        await store.factors.create(makeFactor());
        await store.factors.create(totp);
        await store.factors.create(makeFactor({ id: 'factor-2', userId: 'user-2', lookup: 'credential-2' }));
        expect(await store.factors.deleteByUser('user-1')).toBe(2);
        expect(await store.factors.listByUser('user-1')).toEqual([]);
        expect((await store.factors.listByUser('user-2')).map((factor) => factor.id)).toEqual(['factor-2']);
        expect(await store.factors.deleteByUser('user-1')).toBe(0);
        expect(await store.users.get('user-1')).toBeDefined();
      });

      it('deleting a user removes their factors, and only theirs', async () => {
        await store.factors.create(makeFactor());
        await store.factors.create(totp);
        await store.factors.create(makeFactor({ id: 'factor-2', userId: 'user-2', lookup: 'credential-2' }));
        expect(await store.users.delete('user-1')).toBe(true);
        expect(await store.factors.get('factor-1')).toBeUndefined();
        expect(await store.factors.get('totp-1')).toBeUndefined();
        expect(await store.factors.findByLookup('webauthn', 'credential-1')).toBeUndefined();
        expect((await store.factors.get('factor-2'))!.userId).toBe('user-2');
        // A new user with the old id does not inherit the factors; the lookup is free again.
        await store.users.create(makeUser());
        expect(await store.factors.listByUser('user-1')).toEqual([]);
        await store.factors.create(makeFactor({ id: 'factor-3', userId: 'user-2' }));
      });

      it('hands out copies: neither input nor output shares stored state', async () => {
        const factor = makeFactor();
        await store.factors.create(factor);
        (factor.data.transports as string[]).push('ble');
        (await store.factors.get('factor-1'))!.data.signCount = 99;
        (await store.factors.findByLookup('webauthn', 'credential-1'))!.label = 'Mallory';
        const [listed] = await store.factors.listByUser('user-1');
        listed!.data.publicKey = 'forged';
        const update = makeFactor({ updatedAt: T0 + 1 });
        await store.factors.update(update);
        update.data.signCount = 99;
        expect(await store.factors.get('factor-1')).toEqual(makeFactor({ updatedAt: T0 + 1 }));
      });
    });

    describe('consents', () => {
      it('creates and reads a consent; rejects a duplicate id', async () => {
        const consent = makeConsent({ extra: { claims: ['email'] } });
        await store.consents.create(consent);
        expect(await store.consents.get('consent-1')).toEqual(consent);
        expect(await store.consents.get('nope')).toBeUndefined();
        await expectConflict(store.consents.create(makeConsent()), 'id');
      });

      it('replaces a consent on update, and reports unknown ones', async () => {
        await store.consents.create(makeConsent());
        const changed = makeConsent({ scope: 'openid profile email', updatedAt: T0 + 3 });
        expect(await store.consents.update(changed)).toBe(true);
        expect(await store.consents.get('consent-1')).toEqual(changed);
        expect(await store.consents.update(makeConsent({ id: 'ghost' }))).toBe(false);
      });

      it('lists a subject’s consents newest first, revoked ones included', async () => {
        await store.consents.create(makeConsent({ id: 'g1', createdAt: T0 + 1 }));
        await store.consents.create(makeConsent({ id: 'g3', createdAt: T0 + 3 }));
        await store.consents.create(makeConsent({ id: 'g2', createdAt: T0 + 2 }));
        await store.consents.create(makeConsent({ id: 'other', subject: 'user-2', createdAt: T0 + 4 }));
        await store.consents.revoke('g2', T0 + 10);
        expect((await store.consents.listBySubject('user-1')).map((consent) => consent.id)).toEqual(['g3', 'g2', 'g1']);
        expect(await store.consents.listBySubject('nobody')).toEqual([]);
      });

      it('revoke marks the consent once and deletes the artifacts owned by its id', async () => {
        await store.consents.create(makeConsent({ id: 'c-1' }));
        await store.consents.create(makeConsent({ id: 'c-2' }));
        const expiresAt = T0 + 60_000;
        await store.artifacts.put({ kind: 'refresh_token', id: 'r1', value: 1, ownerId: 'c-1', expiresAt });
        await store.artifacts.put({ kind: 'authorization_code', id: 'a1', value: 2, ownerId: 'c-1', expiresAt });
        await store.artifacts.put({ kind: 'refresh_token', id: 'r2', value: 3, ownerId: 'c-2', expiresAt });
        await store.artifacts.put({ kind: 'session', id: 's1', value: 4, ownerId: null, expiresAt });

        expect(await store.consents.revoke('c-1', T0 + 7)).toBe(true);
        expect((await store.consents.get('c-1'))!.revokedAt).toBe(T0 + 7);
        expect((await store.consents.get('c-2'))!.revokedAt).toBeNull();
        expect(await store.artifacts.get('refresh_token', 'r1')).toBeUndefined();
        expect(await store.artifacts.get('authorization_code', 'a1')).toBeUndefined();
        expect(await store.artifacts.get('refresh_token', 'r2')).toBeDefined();
        expect(await store.artifacts.get('session', 's1')).toBeDefined();

        expect(await store.consents.revoke('c-1', T0 + 8)).toBe(false);
        expect((await store.consents.get('c-1'))!.revokedAt).toBe(T0 + 7);
        expect(await store.consents.revoke('ghost', T0 + 8)).toBe(false);
      });

      it('revoke deletes the artifacts owned by the id on every call, also when it revokes nothing', async () => {
        // So that retrying a revoke finishes a sweep that failed (the hybrid store sweeps Redis after
        // marking the consent in the durable store).
        await store.consents.create(makeConsent({ id: 'c-1' }));
        expect(await store.consents.revoke('c-1', T0 + 7)).toBe(true);
        const expiresAt = T0 + 60_000;
        await store.artifacts.put({ kind: 'refresh_token', id: 'late', value: 1, ownerId: 'c-1', expiresAt });
        await store.artifacts.put({ kind: 'refresh_token', id: 'stray', value: 2, ownerId: 'ghost', expiresAt });
        await store.artifacts.put({ kind: 'refresh_token', id: 'other', value: 3, ownerId: 'c-2', expiresAt });

        expect(await store.consents.revoke('c-1', T0 + 8)).toBe(false);
        expect(await store.consents.revoke('ghost', T0 + 8)).toBe(false);
        expect(await store.artifacts.get('refresh_token', 'late')).toBeUndefined();
        expect(await store.artifacts.get('refresh_token', 'stray')).toBeUndefined();
        expect(await store.artifacts.get('refresh_token', 'other')).toBeDefined();
        expect((await store.consents.get('c-1'))!.revokedAt).toBe(T0 + 7);
      });

      it('revoke leaves the artifacts Gatehouse owns by token family or user alone: those end by the consent check', async () => {
        // Codes, tokens and sessions are owned by their token family or by `user:<sub>`, never by a
        // consent id; a revoked consent ends them because every use checks the consent.
        await store.consents.create(makeConsent({ id: 'c-1' }));
        const expiresAt = T0 + 60_000;
        await store.artifacts.put({ kind: 'refresh_token', id: 'rt', value: { consentId: 'c-1' }, ownerId: 'family-1', expiresAt });
        await store.artifacts.put({ kind: 'session', id: 'sess', value: 1, ownerId: 'user:user-1', expiresAt });
        expect(await store.consents.revoke('c-1', T0 + 7)).toBe(true);
        expect(await store.artifacts.get('refresh_token', 'rt')).toBeDefined();
        expect(await store.artifacts.get('session', 'sess')).toBeDefined();
      });
    });

    describe('artifacts', () => {
      const code = { kind: 'authorization_code', id: 'code-1', value: { sub: 'user-1' }, ownerId: 'g1', expiresAt: T0 + 60_000 };

      it('puts and gets an artifact, unconsumed', async () => {
        await store.artifacts.put(code);
        expect(await store.artifacts.get('authorization_code', 'code-1')).toEqual({ ...code, consumedAt: null });
        expect(await store.artifacts.get('authorization_code', 'nope')).toBeUndefined();
        expect(await store.artifacts.get('refresh_token', 'code-1')).toBeUndefined();
      });

      it('rejects a duplicate kind and id, but not the same id in another kind', async () => {
        await store.artifacts.put(code);
        await expectConflict(store.artifacts.put({ ...code, value: 'other' }), 'id');
        await store.artifacts.put({ ...code, kind: 'refresh_token' });
        expect(await store.artifacts.get('refresh_token', 'code-1')).toBeDefined();
      });

      it('hides an artifact once its expiry time is reached', async () => {
        await store.artifacts.put(code);
        clock.set(code.expiresAt - 1);
        expect(await store.artifacts.get('authorization_code', 'code-1')).toBeDefined();
        clock.advance(1);
        expect(await store.artifacts.get('authorization_code', 'code-1')).toBeUndefined();
      });

      it('consumes once; get then shows consumedAt', async () => {
        await store.artifacts.put(code);
        expect(await store.artifacts.consume('authorization_code', 'code-1', T0 + 5)).toEqual({
          ...code,
          consumedAt: T0 + 5,
        });
        expect(await store.artifacts.consume('authorization_code', 'code-1', T0 + 6)).toBeUndefined();
        expect(await store.artifacts.get('authorization_code', 'code-1')).toEqual({ ...code, consumedAt: T0 + 5 });
      });

      it('put replaces an artifact that expired but was not purged yet; a live one still conflicts', async () => {
        await store.artifacts.put({ ...code, ownerId: 'g-old' });
        await expectConflict(store.artifacts.put({ ...code, value: 'live' }), 'id');
        clock.set(code.expiresAt);
        const next = { ...code, value: 'again', ownerId: 'g-new', expiresAt: code.expiresAt + 60_000 };
        await store.artifacts.put(next);
        expect(await store.artifacts.get('authorization_code', 'code-1')).toEqual({ ...next, consumedAt: null });
        expect(await store.artifacts.listByOwner('authorization_code', 'g-old')).toEqual([]);
        expect((await store.artifacts.listByOwner('authorization_code', 'g-new')).map((record) => record.value)).toEqual(['again']);
        await expectConflict(store.artifacts.put({ ...next, value: 'third' }), 'id');
      });

      it('does not consume expired or unknown artifacts', async () => {
        await store.artifacts.put(code);
        clock.set(code.expiresAt);
        expect(await store.artifacts.consume('authorization_code', 'code-1', clock.now())).toBeUndefined();
        expect(await store.artifacts.consume('authorization_code', 'nope', clock.now())).toBeUndefined();
      });

      it('deletes an artifact once', async () => {
        await store.artifacts.put(code);
        expect(await store.artifacts.delete('authorization_code', 'code-1')).toBe(true);
        expect(await store.artifacts.get('authorization_code', 'code-1')).toBeUndefined();
        expect(await store.artifacts.delete('authorization_code', 'code-1')).toBe(false);
      });

      it('deleteByOwner drops only that owner’s artifacts and counts them', async () => {
        await store.artifacts.put(code);
        await store.artifacts.put({ ...code, kind: 'refresh_token', id: 'rt-1' });
        await store.artifacts.put({ ...code, kind: 'refresh_token', id: 'rt-2', ownerId: 'g2' });
        await store.artifacts.put({ ...code, kind: 'session', id: 's-1', ownerId: null });
        expect(await store.artifacts.deleteByOwner('g1')).toBe(2);
        expect(await store.artifacts.get('authorization_code', 'code-1')).toBeUndefined();
        expect(await store.artifacts.get('refresh_token', 'rt-1')).toBeUndefined();
        expect(await store.artifacts.get('refresh_token', 'rt-2')).toBeDefined();
        expect(await store.artifacts.get('session', 's-1')).toBeDefined();
        expect(await store.artifacts.deleteByOwner('g1')).toBe(0);
      });

      it('listByOwner lists one owner’s live artifacts of one kind, newest expiry first, ties by id', async () => {
        const session = { kind: 'session', value: { sub: 'user-1' }, ownerId: 'g1' };
        await store.artifacts.put({ ...session, id: 's-a', expiresAt: T0 + 200 });
        await store.artifacts.put({ ...session, id: 's-c', expiresAt: T0 + 300 });
        await store.artifacts.put({ ...session, id: 's-b', expiresAt: T0 + 200 });
        await store.artifacts.put({ ...session, id: 's-d', expiresAt: T0 + 100 });
        // Another kind, another owner, no owner: never listed.
        await store.artifacts.put({ ...session, kind: 'refresh_token', id: 'rt-1', expiresAt: T0 + 400 });
        await store.artifacts.put({ ...session, id: 's-other', ownerId: 'g2', expiresAt: T0 + 400 });
        await store.artifacts.put({ ...session, id: 's-none', ownerId: null, expiresAt: T0 + 400 });
        // Consumed is not expired: still listed, marked.
        await store.artifacts.consume('session', 's-d', T0 + 1);

        const listed = await store.artifacts.listByOwner<{ sub: string }>('session', 'g1');
        expect(listed.map((record) => record.id)).toEqual(['s-c', 's-b', 's-a', 's-d']);
        expect(listed[0]).toEqual({ ...session, id: 's-c', expiresAt: T0 + 300, consumedAt: null });
        expect(listed[3]!.consumedAt).toBe(T0 + 1);
        expect((await store.artifacts.listByOwner('refresh_token', 'g1')).map((record) => record.id)).toEqual(['rt-1']);
        expect((await store.artifacts.listByOwner('session', 'g2')).map((record) => record.id)).toEqual(['s-other']);
        expect(await store.artifacts.listByOwner('session', 'g3')).toEqual([]);
        expect(await store.artifacts.listByOwner('authorization_code', 'g1')).toEqual([]);
      });

      it('listByOwner leaves out what has expired by the store’s clock', async () => {
        const session = { kind: 'session', value: 1, ownerId: 'g1' };
        await store.artifacts.put({ ...session, id: 's-1', expiresAt: T0 + 100 });
        await store.artifacts.put({ ...session, id: 's-2', expiresAt: T0 + 200 });
        clock.set(T0 + 99);
        expect((await store.artifacts.listByOwner('session', 'g1')).map((record) => record.id)).toEqual(['s-2', 's-1']);
        clock.set(T0 + 100);
        expect((await store.artifacts.listByOwner('session', 'g1')).map((record) => record.id)).toEqual(['s-2']);
        clock.set(T0 + 200);
        expect(await store.artifacts.listByOwner('session', 'g1')).toEqual([]);
      });

      it('listByOwner returns at most limit, 100 by default, the newest kept', async () => {
        for (let i = 0; i < 105; i += 1) {
          await store.artifacts.put({ kind: 'session', id: `s-${String(i).padStart(3, '0')}`, value: i, ownerId: 'g1', expiresAt: T0 + 1000 + i });
        }
        const all = await store.artifacts.listByOwner('session', 'g1');
        expect(all).toHaveLength(100);
        expect(all[0]!.id).toBe('s-104');
        expect(all[99]!.id).toBe('s-005');
        expect((await store.artifacts.listByOwner('session', 'g1', 2)).map((record) => record.id)).toEqual(['s-104', 's-103']);
        expect(await store.artifacts.listByOwner('session', 'g1', 200)).toHaveLength(105);
        expect(await store.artifacts.listByOwner('session', 'g1', 0)).toEqual([]);
      });

      it('listByOwner rejects a limit that is not a count', async () => {
        await store.artifacts.put({ ...code, kind: 'session' });
        for (const limit of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
          await expect(store.artifacts.listByOwner('session', 'g1', limit)).rejects.toThrow(TypeError);
        }
      });

      it('purgeExpired deletes what expired by then, consumed or not, and counts it', async () => {
        await store.artifacts.put({ ...code, id: 'a', expiresAt: T0 + 10 });
        await store.artifacts.put({ ...code, id: 'b', expiresAt: T0 + 20 });
        await store.artifacts.put({ ...code, id: 'c', expiresAt: T0 + 100 });
        await store.artifacts.consume('authorization_code', 'b', T0);
        expect(await store.artifacts.purgeExpired(T0 + 20)).toBe(2);
        // The clock is still at T0, so a miss here means deleted rather than merely expired.
        expect(await store.artifacts.get('authorization_code', 'a')).toBeUndefined();
        expect(await store.artifacts.get('authorization_code', 'b')).toBeUndefined();
        expect(await store.artifacts.get('authorization_code', 'c')).toBeDefined();
        expect(await store.artifacts.purgeExpired(T0 + 20)).toBe(0);
      });

      it('hands out copies of values', async () => {
        await store.artifacts.put({ ...code, value: { scopes: ['openid'] } });
        const read = await store.artifacts.get<{ scopes: string[] }>('authorization_code', 'code-1');
        read!.value.scopes.push('admin');
        expect((await store.artifacts.get('authorization_code', 'code-1'))!.value).toEqual({ scopes: ['openid'] });
      });
    });

    describe('audit log', () => {
      it('append assigns seq 1, 2, 3 and chains each event to the one before', async () => {
        const calls: [string, number][] = [];
        const chain = (prevHash: string, seq: number) => {
          calls.push([prevHash, seq]);
          return fakeChain(prevHash, seq);
        };
        const first = await store.audit.append(makeAuditEvent(), chain);
        const second = await store.audit.append(makeAuditEvent({ type: 'login', outcome: 'failure', time: T0 + 1 }), chain);
        const third = await store.audit.append(makeAuditEvent({ time: T0 + 2 }), chain);
        expect(first).toEqual({ ...makeAuditEvent(), seq: 1, prevHash: '', hash: fakeChain('', 1) });
        expect(second).toMatchObject({ seq: 2, prevHash: first.hash, type: 'login', outcome: 'failure' });
        expect(third).toMatchObject({ seq: 3, prevHash: second.hash });
        expect(calls).toEqual([
          ['', 1],
          [first.hash, 2],
          [second.hash, 3],
        ]);
        expect(await store.audit.list()).toEqual([first, second, third]);
        expectChained(await store.audit.list());
      });

      it('appendMany appends a batch in order after the last event: consecutive seqs, each chained to the one before', async () => {
        const first = await store.audit.append(makeAuditEvent(), fakeChain);
        const calls: [string, number, number][] = [];
        const chain = (prevHash: string, seq: number, index: number) => {
          calls.push([prevHash, seq, index]);
          return fakeChain(prevHash, seq);
        };
        const batch = [makeAuditEvent({ requestId: 'req-a' }), makeAuditEvent({ requestId: 'req-b', type: 'login' }), makeAuditEvent({ requestId: 'req-c' })];
        const stored = await store.audit.appendMany(batch, chain);
        const second = { ...batch[0]!, seq: 2, prevHash: first.hash, hash: fakeChain(first.hash, 2) };
        const third = { ...batch[1]!, seq: 3, prevHash: second.hash, hash: fakeChain(second.hash, 3) };
        const fourth = { ...batch[2]!, seq: 4, prevHash: third.hash, hash: fakeChain(third.hash, 4) };
        expect(stored).toEqual([second, third, fourth]);
        expect(calls).toEqual([
          [first.hash, 2, 0],
          [stored[0]!.hash, 3, 1],
          [stored[1]!.hash, 4, 2],
        ]);
        const next = await store.audit.append(makeAuditEvent({ requestId: 'req-d' }), fakeChain);
        expect(next).toMatchObject({ seq: 5, prevHash: stored[2]!.hash });
        expect(await store.audit.list()).toEqual([first, ...stored, next]);
        expectChained(await store.audit.list());
      });

      it('appendMany of nothing stores nothing', async () => {
        expect(await store.audit.appendMany([], fakeChain)).toEqual([]);
        expect(await store.audit.list()).toEqual([]);
        expect((await store.audit.append(makeAuditEvent(), fakeChain)).seq).toBe(1);
      });

      it('appendMany stores all of a batch or none: nothing when the chain function throws part-way', async () => {
        await store.audit.append(makeAuditEvent(), fakeChain);
        const batch = Array.from({ length: 5 }, (_, i) => makeAuditEvent({ requestId: `req-${i}` }));
        await expect(
          store.audit.appendMany(batch, (prevHash, seq, index) => {
            if (index === 3) throw new Error('no key');
            return fakeChain(prevHash, seq);
          }),
        ).rejects.toThrow('no key');
        expect((await store.audit.list()).map((event) => event.seq)).toEqual([1]);
        const stored = await store.audit.appendMany(batch, fakeChain);
        expect(stored.map((event) => event.seq)).toEqual([2, 3, 4, 5, 6]);
        expectChained(await store.audit.list());
      });

      it('appendMany takes a batch larger than one statement holds', async () => {
        const batch = Array.from({ length: 1203 }, (_, i) => makeAuditEvent({ requestId: `req-${i}`, time: T0 + i }));
        const stored = await store.audit.appendMany(batch, fakeChain);
        expect(stored).toHaveLength(1203);
        const listed = [...(await store.audit.list()), ...(await store.audit.list({ afterSeq: 1000 }))];
        expect(listed).toEqual(stored);
        expect(listed.map((event) => event.requestId)).toEqual(batch.map((event) => event.requestId));
        expectChained(listed);
      });

      it('keeps null context fields and nested details intact', async () => {
        const event = makeAuditEvent({
          requestId: null,
          clientId: null,
          subject: null,
          ip: null,
          userAgent: null,
          details: { reason: 'ça va 🚀', scopes: ['openid', 'email'], nested: { n: 1.5, ok: false, none: null } },
        });
        const stored = await store.audit.append(event, fakeChain);
        expect(stored).toEqual({ ...event, seq: 1, prevHash: '', hash: fakeChain('', 1) });
        expect(await store.audit.list()).toEqual([stored]);
      });

      it('appends nothing when the chain function throws', async () => {
        await expect(
          store.audit.append(makeAuditEvent(), () => {
            throw new Error('no key');
          }),
        ).rejects.toThrow('no key');
        expect(await store.audit.list()).toEqual([]);
        expect((await store.audit.append(makeAuditEvent(), fakeChain)).seq).toBe(1);
      });

      it('list pages by afterSeq and limit, in seq order, optionally of one type', async () => {
        for (let i = 0; i < 7; i += 1) {
          await store.audit.append(makeAuditEvent({ type: i % 2 === 0 ? 'login' : 'logout', time: T0 + i }), fakeChain);
        }
        expect((await store.audit.list()).map((event) => event.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
        expect((await store.audit.list({ afterSeq: 3 })).map((event) => event.seq)).toEqual([4, 5, 6, 7]);
        expect((await store.audit.list({ afterSeq: 3, limit: 2 })).map((event) => event.seq)).toEqual([4, 5]);
        expect((await store.audit.list({ type: 'login' })).map((event) => event.seq)).toEqual([1, 3, 5, 7]);
        expect((await store.audit.list({ type: 'login', afterSeq: 3, limit: 1 })).map((event) => event.seq)).toEqual([5]);
        expect(await store.audit.list({ type: 'nope' })).toEqual([]);
        expect(await store.audit.list({ afterSeq: 7 })).toEqual([]);
        expect(await store.audit.list({ limit: 0 })).toEqual([]);
      });

      it('list returns at most 1000 events by default', async () => {
        // One batch: a thousand appends one by one took seconds on PostgreSQL, for a test of list.
        await store.audit.appendMany(
          Array.from({ length: 1003 }, (_, i) => makeAuditEvent({ time: T0 + i })),
          fakeChain,
        );
        const page = await store.audit.list();
        expect(page).toHaveLength(1000);
        expect(page[999]!.seq).toBe(1000);
        expect((await store.audit.list({ afterSeq: 1000 })).map((event) => event.seq)).toEqual([1001, 1002, 1003]);
      });

      it('tail returns the newest events, newest first, optionally of one type', async () => {
        for (let i = 0; i < 5; i += 1) {
          await store.audit.append(makeAuditEvent({ type: i < 2 ? 'login' : 'logout', time: T0 + i }), fakeChain);
        }
        expect((await store.audit.tail(3)).map((event) => event.seq)).toEqual([5, 4, 3]);
        expect((await store.audit.tail(10)).map((event) => event.seq)).toEqual([5, 4, 3, 2, 1]);
        expect((await store.audit.tail(10, 'login')).map((event) => event.seq)).toEqual([2, 1]);
        expect((await store.audit.tail(1, 'login')).map((event) => event.seq)).toEqual([2]);
        expect(await store.audit.tail(0)).toEqual([]);
        expect(await store.audit.tail(5, 'nope')).toEqual([]);
        expect((await store.audit.tail(1))[0]).toEqual((await store.audit.list({ afterSeq: 4 }))[0]);
      });

      it('list and tail reject a limit that is not a count', async () => {
        for (const limit of [-1, 1.5, Number.NaN]) {
          await expect(store.audit.list({ limit })).rejects.toThrow(TypeError);
          await expect(store.audit.tail(limit)).rejects.toThrow(TypeError);
        }
      });

      it('hands out copies', async () => {
        const stored = await store.audit.append(makeAuditEvent({ details: { scopes: ['openid'] } }), fakeChain);
        (stored.details.scopes as string[]).push('admin');
        const [listed] = await store.audit.list();
        (listed!.details.scopes as string[]).push('admin');
        expect((await store.audit.tail(1))[0]!.details).toEqual({ scopes: ['openid'] });
        const [batched] = await store.audit.appendMany([makeAuditEvent({ details: { scopes: ['email'] } })], fakeChain);
        (batched!.details.scopes as string[]).push('admin');
        expect((await store.audit.tail(1))[0]!.details).toEqual({ scopes: ['email'] });
      });

      it('keeps what it was handed, not the caller’s objects', async () => {
        const event = makeAuditEvent({ details: { scopes: ['openid'] } });
        const batch = [makeAuditEvent({ details: { scopes: ['email'] } })];
        await store.audit.append(event, fakeChain);
        await store.audit.appendMany(batch, fakeChain);
        (event.details.scopes as string[]).push('admin');
        (batch[0]!.details.scopes as string[]).push('admin');
        expect((await store.audit.list()).map((stored) => stored.details)).toEqual([{ scopes: ['openid'] }, { scopes: ['email'] }]);
      });
    });

    describe('audit search and counts', () => {
      /** Nine events over three minutes: types, subjects, clients, addresses and outcomes mixed. */
      async function appendSample(): Promise<AuditEventRecord[]> {
        const sample = [
          { type: 'login.succeeded', subject: 'alice', clientId: 'app', ip: '203.0.113.7', time: T0 },
          { type: 'login.failed', subject: null, clientId: 'app', ip: '198.51.100.2', outcome: 'failure' as const, time: T0 + 10_000 },
          { type: 'token.issued', subject: 'alice', clientId: 'app', ip: '203.0.113.7', time: T0 + 20_000 },
          { type: 'token.issued', subject: null, clientId: 'batch', ip: null, time: T0 + 60_000 },
          { type: 'login.succeeded', subject: 'bob', clientId: 'app', ip: '198.51.100.2', time: T0 + 70_000 },
          { type: 'mfa.failed', subject: 'bob', clientId: 'app', ip: '198.51.100.2', outcome: 'failure' as const, time: T0 + 80_000 },
          { type: 'token.issued', subject: 'bob', clientId: 'app', ip: '198.51.100.2', time: T0 + 120_000 },
          { type: 'token.issued', subject: null, clientId: 'batch', ip: null, time: T0 + 130_000 },
          { type: 'login.succeeded', subject: 'alice', clientId: 'other', ip: '203.0.113.7', time: T0 + 179_999 },
        ];
        return store.audit.appendMany(
          sample.map((event) => makeAuditEvent({ outcome: 'success', ...event })),
          fakeChain,
        );
      }
      const seqs = (events: AuditEventRecord[]) => events.map((event) => event.seq);

      it('query returns the newest first, at most limit, and pages on with beforeSeq', async () => {
        const stored = await appendSample();
        expect(await store.audit.query({ limit: 3 })).toEqual(stored.slice(-3).reverse());
        expect(seqs(await store.audit.query({ limit: 3, beforeSeq: 7 }))).toEqual([6, 5, 4]);
        expect(seqs(await store.audit.query({ limit: 100, beforeSeq: 3 }))).toEqual([2, 1]);
        expect(await store.audit.query({ limit: 100, beforeSeq: 1 })).toEqual([]);
        expect(await store.audit.query({ limit: 0 })).toEqual([]);
      });

      it('query pages back up with afterSeq: the limit events just above it, newest first', async () => {
        const stored = await appendSample();
        expect(seqs(await store.audit.query({ limit: 3, afterSeq: 3 }))).toEqual([6, 5, 4]);
        expect(seqs(await store.audit.query({ limit: 3, afterSeq: 0 }))).toEqual([3, 2, 1]);
        expect(seqs(await store.audit.query({ limit: 100, afterSeq: 7 }))).toEqual(seqs(stored.slice(7).reverse()));
        expect(await store.audit.query({ limit: 100, afterSeq: stored.at(-1)!.seq })).toEqual([]);
        expect(seqs(await store.audit.query({ limit: 2, afterSeq: 1, beforeSeq: 4 }))).toEqual([3, 2]);
        expect(seqs(await store.audit.query({ limit: 1, ip: '198.51.100.2', afterSeq: 2 }))).toEqual([5]);
      });

      it('query matches every filter given: time range (to exclusive), types, subject, client, address, outcome', async () => {
        await appendSample();
        expect(seqs(await store.audit.query({ limit: 100, from: T0 + 60_000, to: T0 + 120_000 }))).toEqual([6, 5, 4]);
        expect(seqs(await store.audit.query({ limit: 100, types: ['login.succeeded', 'mfa.failed'] }))).toEqual([9, 6, 5, 1]);
        expect(await store.audit.query({ limit: 100, types: [] })).toEqual([]);
        expect(seqs(await store.audit.query({ limit: 100, subject: 'alice' }))).toEqual([9, 3, 1]);
        expect(seqs(await store.audit.query({ limit: 100, clientId: 'batch' }))).toEqual([8, 4]);
        expect(seqs(await store.audit.query({ limit: 100, ip: '198.51.100.2' }))).toEqual([7, 6, 5, 2]);
        expect(seqs(await store.audit.query({ limit: 100, outcome: 'failure' }))).toEqual([6, 2]);
        expect(seqs(await store.audit.query({ limit: 1, ip: '198.51.100.2', types: ['token.issued', 'login.succeeded'], beforeSeq: 7 }))).toEqual([5]);
        expect(seqs(await store.audit.query({ limit: 100, subject: 'alice', clientId: 'app', from: T0 + 1 }))).toEqual([3]);
        expect(await store.audit.query({ limit: 100, subject: 'nobody' })).toEqual([]);
      });

      it('query rejects a limit that is not a count', async () => {
        for (const limit of [-1, 1.5, Number.NaN]) await expect(store.audit.query({ limit })).rejects.toThrow(TypeError);
      });

      it('counts each type per bucket of [from, to), leaving empty buckets and other types out', async () => {
        await appendSample();
        const counted = await store.audit.counts({
          from: T0,
          to: T0 + 180_000,
          bucketMs: 60_000,
          types: ['login.succeeded', 'token.issued', 'rate_limit.hit'],
        });
        const sorted = [...counted].sort((a, b) => a.bucket - b.bucket || a.type.localeCompare(b.type));
        expect(sorted).toEqual([
          { type: 'login.succeeded', bucket: T0, count: 1 },
          { type: 'token.issued', bucket: T0, count: 1 },
          { type: 'login.succeeded', bucket: T0 + 60_000, count: 1 },
          { type: 'token.issued', bucket: T0 + 60_000, count: 1 },
          { type: 'login.succeeded', bucket: T0 + 120_000, count: 1 },
          { type: 'token.issued', bucket: T0 + 120_000, count: 2 },
        ]);
        // `to` is exclusive and buckets start at `from`, wherever that falls.
        expect(await store.audit.counts({ from: T0 + 5_000, to: T0 + 179_999, bucketMs: 100_000, types: ['login.succeeded'] })).toEqual([
          { type: 'login.succeeded', bucket: T0 + 5_000, count: 1 },
        ]);
        expect(await store.audit.counts({ from: T0, to: T0 + 180_000, bucketMs: 60_000, types: [] })).toEqual([]);
        expect(await store.audit.counts({ from: T0 + 200_000, to: T0 + 300_000, bucketMs: 60_000, types: ['token.issued'] })).toEqual([]);
      });

      it('counts rejects buckets that are not positive whole numbers', async () => {
        for (const bucketMs of [0, -1, 1.5, Number.NaN]) {
          await expect(store.audit.counts({ from: T0, to: T0 + 1000, bucketMs, types: ['token.issued'] })).rejects.toThrow(TypeError);
        }
        await expect(store.audit.counts({ from: Number.NaN, to: T0, bucketMs: 1000, types: ['token.issued'] })).rejects.toThrow(TypeError);
      });
    });

    describe('JSON round trip', () => {
      it('keeps nested profiles, extension metadata, factor data and unicode intact', async () => {
        const user = makeUser({
          username: 'zoë',
          email: 'zoë@例え.jp',
          profile: {
            name: 'Zoë 山田 🚀',
            locale: 'ja-JP',
            phone_number_verified: false,
            address: { street_address: '1-2-3 Ginza\nChūō-ku', locality: '東京', country: 'JP' },
          },
        });
        const client = makeClient({
          clientName: 'Ünïcødé “App” 👍',
          extra: { logo_uri: 'https://app.example/logo.png', policy: { levels: [1, 2.5, { deep: null }], on: true } },
        });
        const consent = makeConsent({ extra: { claims: { userinfo: { email: { essential: true } } }, note: 'ça va' } });
        const value = { nonce: 'n-🌊', list: [null, false, 0, '', { 'key with spaces': 'v' }] };
        await store.users.create(user);
        await store.clients.create(client);
        await store.consents.create(consent);
        await store.artifacts.put({ kind: 'session', id: 'sess-ü', value, ownerId: null, expiresAt: T0 + 1000 });
        const factor = makeFactor({
          label: '+44 ••• 123 📱',
          type: 'sms',
          lookup: '☎-ü',
          data: { phone: 'envelope', hints: [1, 2.5, null, { ключ: 'значение' }], verified: false },
        });
        await store.factors.create(factor);

        expect(await store.users.get(user.id)).toEqual(user);
        expect(await store.users.findByLogin('ZOË')).toEqual(user);
        expect(await store.clients.get(client.clientId)).toEqual(client);
        expect(await store.consents.get(consent.id)).toEqual(consent);
        expect((await store.artifacts.get('session', 'sess-ü'))!.value).toEqual(value);
        expect(await store.factors.findByLookup('sms', '☎-ü')).toEqual(factor);
      });
    });

    describe('concurrency', () => {
      it('20 parallel audit appends: seq 1..20, no gaps, one unbroken chain', async () => {
        const appended = await Promise.all(Array.from({ length: 20 }, (_, i) => store.audit.append(makeAuditEvent({ requestId: `req-${i}` }), fakeChain)));
        expect(appended.map((event) => event.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
        const events = await store.audit.list();
        expect(events).toHaveLength(20);
        expectChained(events);
        expect(new Set(events.map((event) => event.requestId)).size).toBe(20);
      });

      it('parallel appendMany batches and single appends: no gaps, one unbroken chain, every batch whole and in order', async () => {
        const calls = Array.from({ length: 30 }, (_, i) =>
          i % 3 === 0
            ? store.audit.appendMany(
                Array.from({ length: 4 }, (_, j) => makeAuditEvent({ requestId: `batch-${i}-${j}` })),
                fakeChain,
              )
            : store.audit.append(makeAuditEvent({ requestId: `single-${i}` }), fakeChain).then((event) => [event]),
        );
        const appended = await Promise.all(calls);
        const events = await store.audit.list();
        expect(events.map((event) => event.seq)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
        expectChained(events);
        expect(appended.flat().sort((a, b) => a.seq - b.seq)).toEqual(events);
        for (const batch of appended.filter((result) => result.length > 1)) {
          // A batch's events are consecutive, in the order given.
          expect(batch.map((event) => event.seq)).toEqual([0, 1, 2, 3].map((j) => batch[0]!.seq + j));
          expect(batch.map((event) => event.requestId!.slice(-1))).toEqual(['0', '1', '2', '3']);
        }
      });

      it('50 parallel consumes of one artifact: exactly one wins', async () => {
        await store.artifacts.put({ kind: 'authorization_code', id: 'race', value: 'v', ownerId: null, expiresAt: T0 + 60_000 });
        const results = await Promise.all(Array.from({ length: 50 }, (_, i) => store.artifacts.consume('authorization_code', 'race', T0 + i)));
        const winners = results.filter((result) => result !== undefined);
        expect(winners).toHaveLength(1);
        expect(await store.artifacts.get('authorization_code', 'race')).toEqual(winners[0]);
      });

      it('20 parallel creates of one username: exactly one succeeds, the rest conflict', async () => {
        const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => store.users.create(makeUser({ id: `user-${i}`, email: null }))));
        expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
        const failures = results.flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : []));
        expect(failures).toHaveLength(19);
        for (const failure of failures) {
          expect(failure).toBeInstanceOf(StoreConflictError);
          expect((failure as StoreConflictError).field).toBe('username');
        }
        expect(await store.users.list()).toHaveLength(1);
      });

      it('10 parallel updates expecting the same updatedAt: exactly one wins, the rest change nothing', async () => {
        await store.users.create(makeUser());
        await store.factors.create(makeFactor());
        const copies = Array.from({ length: 10 }, (_, i) =>
          makeFactor({ data: { publicKey: 'pQECAyYgASFYIA', signCount: i + 1 }, updatedAt: T0 + 1 + i, lastUsedAt: T0 + 1 + i }),
        );
        const results = await Promise.all(copies.map((copy) => store.factors.update(copy, T0)));
        const winners = copies.filter((_, i) => results[i]);
        expect(winners).toHaveLength(1);
        expect(await store.factors.get('factor-1')).toEqual(winners[0]);
      });

      it('10 parallel creates of one type+lookup: exactly one succeeds, the rest conflict', async () => {
        await store.users.create(makeUser());
        const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => store.factors.create(makeFactor({ id: `factor-${i}` }))));
        expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
        const failures = results.flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : []));
        expect(failures).toHaveLength(9);
        for (const failure of failures) {
          expect(failure).toBeInstanceOf(StoreConflictError);
          expect((failure as StoreConflictError).field).toBe('lookup');
        }
        expect(await store.factors.listByUser('user-1')).toHaveLength(1);
      });

      it('10 parallel links of one account to 10 users: exactly one succeeds, the rest conflict', async () => {
        const ids = Array.from({ length: 10 }, (_, i) => `racer-${i}`);
        for (const id of ids) await store.users.create(makeUser({ id, username: id, email: null }));
        const results = await Promise.allSettled(ids.map((userId, i) => store.users.linkIdentity(makeIdentity({ userId, updatedAt: T0 + i }))));
        const winners = ids.filter((_, i) => results[i]!.status === 'fulfilled');
        expect(winners).toHaveLength(1);
        const failures = results.flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : []));
        expect(failures).toHaveLength(9);
        for (const failure of failures) {
          expect(failure).toBeInstanceOf(StoreConflictError);
          expect((failure as StoreConflictError).field).toBe('identity');
        }
        expect((await store.users.findByIdentity('github', '583231'))!.id).toBe(winners[0]);
        const linked = await Promise.all(ids.map((id) => store.users.listIdentities(id)));
        expect(linked.flat().map((identity) => identity.userId)).toEqual(winners);
      });
    });

    describe('logout deliveries', () => {
      const delivery = (id: string, dueAt = T0): LogoutDeliveryRecord => ({
        id,
        clientId: 'client-1',
        sub: 'user-1',
        sid: `sid-${id}`,
        createdAt: T0,
        dueAt,
        attempts: 0,
        lease: null,
      });

      it('queues, claims what is due (oldest first) with a lease, and completes only with that lease', async () => {
        await store.logoutDeliveries.enqueue([delivery('b', T0 + 10), delivery('a', T0), delivery('later', T0 + 60_000)]);
        const claimed = await store.logoutDeliveries.claim(T0 + 10, 5000, 10);
        expect(claimed.map((record) => record.id)).toEqual(['a', 'b']);
        expect(claimed[0]).toMatchObject({ clientId: 'client-1', sub: 'user-1', sid: 'sid-a', createdAt: T0, attempts: 1, dueAt: T0 + 5010 });
        expect(claimed[0]!.lease).toEqual(expect.any(String));
        // Claimed records are not due again until the lease ends.
        expect(await store.logoutDeliveries.claim(T0 + 20, 5000, 10)).toEqual([]);
        expect(await store.logoutDeliveries.complete('a', 'not-the-lease')).toBe(false);
        expect(await store.logoutDeliveries.complete('a', claimed[0]!.lease!)).toBe(true);
        expect(await store.logoutDeliveries.complete('a', claimed[0]!.lease!)).toBe(false);
        expect((await store.logoutDeliveries.list()).map((record) => record.id)).toEqual(['b', 'later']);
      });

      it('a record whose lease ended is claimed again, and the old lease no longer holds it', async () => {
        await store.logoutDeliveries.enqueue([delivery('a')]);
        const [first] = await store.logoutDeliveries.claim(T0, 1000, 10);
        const [second] = await store.logoutDeliveries.claim(T0 + 1000, 1000, 10);
        expect(second).toMatchObject({ id: 'a', attempts: 2 });
        expect(second!.lease).not.toBe(first!.lease);
        expect(await store.logoutDeliveries.retryAt('a', first!.lease!, T0)).toBe(false);
        expect(await store.logoutDeliveries.complete('a', first!.lease!)).toBe(false);
        expect(await store.logoutDeliveries.retryAt('a', second!.lease!, T0 + 30_000)).toBe(true);
        expect(await store.logoutDeliveries.claim(T0 + 29_999, 1000, 10)).toEqual([]);
        expect(await store.logoutDeliveries.claim(T0 + 30_000, 1000, 10)).toMatchObject([{ id: 'a', attempts: 3 }]);
      });

      it('claims at most limit records; a taken id conflicts and queues nothing of its batch', async () => {
        await store.logoutDeliveries.enqueue([delivery('a'), delivery('b'), delivery('c')]);
        expect(await store.logoutDeliveries.claim(T0, 1000, 2)).toHaveLength(2);
        await expectConflict(store.logoutDeliveries.enqueue([delivery('d'), delivery('a')]), 'id');
        expect((await store.logoutDeliveries.list()).map((record) => record.id).sort()).toEqual(['a', 'b', 'c']);
      });

      it('100 parallel claims of 20 due records: each record goes to exactly one caller', async () => {
        await store.logoutDeliveries.enqueue(Array.from({ length: 20 }, (_, i) => delivery(`r${String(i).padStart(2, '0')}`)));
        const results = await Promise.all(Array.from({ length: 100 }, () => store.logoutDeliveries.claim(T0, 60_000, 3)));
        // Callers that lost every race claim the rest afterwards.
        for (let rest = await store.logoutDeliveries.claim(T0, 60_000, 3); rest.length > 0; rest = await store.logoutDeliveries.claim(T0, 60_000, 3))
          results.push(rest);
        const ids = results.flat().map((record) => record.id);
        expect(ids).toHaveLength(20);
        expect(new Set(ids).size).toBe(20);
      });
    });
  });
}
