import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../core/errors.js';
import { DEFAULT_SQLITE_BUSY_TIMEOUT_MS, openSqliteStore } from './sqlite-store.js';

/** The connection's `busy_timeout`, as SQLite reports it. */
async function busyTimeout(options: { busyTimeoutMs?: number }): Promise<number> {
  const { store, db } = openSqliteStore({ filename: ':memory:', ...options });
  try {
    const { rows } = await sql<{ timeout: number }>`select timeout from pragma_busy_timeout`.execute(db);
    return rows[0]!.timeout;
  } finally {
    await store.close();
  }
}

describe('SQLite busy timeout', () => {
  it('waits 5 s for the lock by default, or as long as asked (0: not at all)', async () => {
    expect(DEFAULT_SQLITE_BUSY_TIMEOUT_MS).toBe(5000);
    expect(await busyTimeout({})).toBe(5000);
    expect(await busyTimeout({ busyTimeoutMs: 250 })).toBe(250);
    expect(await busyTimeout({ busyTimeoutMs: 0 })).toBe(0);
  });

  it.each([-1, 1.5, Number.NaN])('refuses %j, naming the option', (busyTimeoutMs) => {
    expect(() => openSqliteStore({ filename: ':memory:', busyTimeoutMs })).toThrow(ConfigError);
    expect(() => openSqliteStore({ filename: ':memory:', busyTimeoutMs })).toThrow('option "busyTimeoutMs"');
  });
});
