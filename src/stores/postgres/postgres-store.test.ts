/**
 * The client-side deadlines of the PostgreSQL store's pool, read from its configuration (nothing
 * connects). What they do against a frozen server: test/stores-deadlines.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/errors.js';
import { openPostgresStore } from './postgres-store.js';

const connectionString = 'postgres://gatehouse@127.0.0.1:9/none';

function poolOptions(options: { queryTimeoutMs?: number; connectionTimeoutMs?: number } = {}) {
  const { pool, store } = openPostgresStore({ connectionString, ...options });
  const settings = { ...(pool as unknown as { options: Record<string, unknown> }).options };
  void store.close();
  return settings;
}

describe('PostgreSQL store: deadlines on this side', () => {
  it('an answer within 4 s, a connection within 3 s, TCP keepalive after 10 s of silence', () => {
    expect(poolOptions()).toMatchObject({ query_timeout: 4000, connectionTimeoutMillis: 3000, keepAlive: true, keepAliveInitialDelayMillis: 10_000 });
  });

  it('as configured', () => {
    expect(poolOptions({ queryTimeoutMs: 1500, connectionTimeoutMs: 700 })).toMatchObject({ query_timeout: 1500, connectionTimeoutMillis: 700 });
  });

  it.each([
    ['queryTimeoutMs', 0],
    ['queryTimeoutMs', 2.5],
    ['connectionTimeoutMs', 0],
  ] as const)('refuses %s %j, naming it', (option, value) => {
    expect(() => openPostgresStore({ connectionString, [option]: value })).toThrow(ConfigError);
    expect(() => openPostgresStore({ connectionString, [option]: value })).toThrow(`option "${option}" must be a positive integer`);
  });
});
