/**
 * Shared set-up of the tests that run against the real Redis at 127.0.0.1:6379 (REDIS_URL to
 * override): a key prefix unique to each test file, and removal of every key under it afterwards.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { ClientSession } from '../../../src/client/sessions/session.js';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A prefix no other test file (or run) shares. */
export function uniquePrefix(name: string): string {
  return `gatehouse-test:${name}:${randomUUID()}:`;
}

/** Every key under `prefix` (SCAN, so it is safe on a shared Redis). */
export async function keysUnder(redis: Redis, prefix: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`, 'COUNT', 1000);
    found.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return found;
}

/** Deletes every key under `prefix`. */
export async function deleteKeysUnder(redis: Redis, prefix: string): Promise<void> {
  const keys = await keysUnder(redis, prefix);
  if (keys.length > 0) await redis.del(...keys);
}

/** A session id as the client makes them: 256 random bits, base64url. */
function sessionId(): string {
  return randomBytes(32).toString('base64url');
}

/** A signed-in session with distinctive tokens, valid for an hour unless told otherwise. */
export function makeSession(overrides: Partial<ClientSession> & { sub?: string } = {}): ClientSession {
  const { sub = 'alice-sub', ...rest } = overrides;
  const now = Date.now();
  return {
    id: sessionId(),
    provider: 'gatehouse',
    issuer: 'https://id.example.com',
    boundTo: { cookiePrefix: 'gh', clientId: 'test-client', issuer: 'https://id.example.com' },
    profile: { provider: 'gatehouse', sub, email: `${sub}@example.com`, emailVerified: true, name: 'Alice Liddell', picture: undefined, raw: { sub } },
    tokens: {
      accessToken: `access-${randomBytes(16).toString('hex')}`,
      tokenType: 'bearer',
      expiresAt: now + 60_000,
      refreshToken: `refresh-${randomBytes(16).toString('hex')}`,
      refreshTokenExpiresAt: undefined,
      idToken: `id-${randomBytes(16).toString('hex')}`,
      scope: 'openid profile email offline_access',
    },
    sid: `sid-${randomBytes(8).toString('hex')}`,
    createdAt: now,
    expiresAt: now + 3_600_000,
    ...rest,
  };
}
