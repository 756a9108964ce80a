import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../stores/memory/index.js';
import { StoreConflictError, type UserRecord } from '../../stores/contract.js';
import { makeUser } from '../../stores/contract-suite/records.js';
import { createWithUsernameFor } from './usernames.js';

const userOf = (username: string, email: string | null): UserRecord =>
  makeUser({ id: randomUUID(), username, email, passwordHash: null, profile: {}, createdAt: 0, updatedAt: 0 });

/** Creates the account of `email` with the username it is given, and returns that username. */
const create = (store: ReturnType<typeof createMemoryStore>, email: string) =>
  createWithUsernameFor(store, email, async (username) => {
    await store.users.create(userOf(username, email));
    return username;
  });

describe('createWithUsernameFor: the username of an account made from an address', () => {
  it.each([
    ['the local part, lower-cased', 'Ada.Lovelace@example.com', 'ada.lovelace'],
    ['other characters as dashes', 'ada+id@example.com', 'ada-id'],
    ['starting with a letter or digit', '_.ada@example.com', 'ada'],
    ['at least two characters', 'a@example.com', 'user-a'],
  ])('%s', async (_, email, username) => {
    expect(await create(createMemoryStore(), email)).toBe(username);
  });

  it('numbers the name while it is taken: -2, -3…', async () => {
    const store = createMemoryStore();
    expect(await create(store, 'ada@example.com')).toBe('ada');
    expect(await create(store, 'ada@example.org')).toBe('ada-2');
    expect(await create(store, 'ada@example.net')).toBe('ada-3');
  });

  it('concurrent creations that pick the same free name: each gets a name of its own', async () => {
    const store = createMemoryStore();
    const names = await Promise.all(['ada@a.test', 'ada@b.test', 'ada@c.test', 'ada@d.test'].map((email) => create(store, email)));
    expect(new Set(names).size).toBe(4);
    expect(names.every((name) => /^ada(-\d)?$/.test(name))).toBe(true);
  });

  it('a clash on the address is not tried again: the caller answers it', async () => {
    const store = createMemoryStore();
    await store.users.create(userOf('someone', 'ada@example.com'));
    let tries = 0;
    const creation = createWithUsernameFor(store, 'ada@example.com', async (username) => {
      tries += 1;
      await store.users.create(userOf(username, 'ada@example.com'));
    });
    await expect(creation).rejects.toMatchObject({ field: 'email' });
    expect(tries).toBe(1);
  });

  it('gives up after a few lost races, with the conflict', async () => {
    let tries = 0;
    const creation = createWithUsernameFor(createMemoryStore(), 'ada@example.com', () => {
      tries += 1;
      return Promise.reject(new StoreConflictError('username'));
    });
    await expect(creation).rejects.toBeInstanceOf(StoreConflictError);
    expect(tries).toBe(5);
  });
});
