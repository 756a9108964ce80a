import { describe, expect, it } from 'vitest';
import { generateSecret, SecretKeys } from '../../core/secret.js';
import { createMemoryStore } from '../../stores/memory/index.js';
import { registerClient } from './clients.js';

describe('registerClient', () => {
  it('never issues a client id that starts with "-" (it would read as a command-line option)', async () => {
    const store = createMemoryStore();
    const keys = new SecretKeys(generateSecret());
    const ids: string[] = [];
    // 1 in 64 random ids would start with '-': 400 make missing it by chance about 1 in 500,000.
    for (let i = 0; i < 400; i += 1) ids.push((await registerClient(store, keys, { name: `app ${i}` }, 0)).client.clientId);
    expect(ids.filter((id) => id.startsWith('-'))).toEqual([]);
    expect(new Set(ids).size).toBe(400);
    expect(ids.every((id) => /^[A-Za-z0-9_-]{24}$/.test(id))).toBe(true);
  });
});
