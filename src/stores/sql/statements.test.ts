import { describe, expect, it } from 'vitest';
import { statement } from './statements.js';

describe('statement', () => {
  it.each([
    ['select a from t where id = ?', 'select a from t where id = $1'],
    ['update t set a = ? where k = ? and id = ? and b > ?', 'update t set a = $1 where k = $2 and id = $3 and b > $4'],
    ['delete from t', 'delete from t'],
  ])('writes %s once: as is for SQLite, numbered for PostgreSQL', (sql, postgresSql) => {
    const declared = statement(`test_${postgresSql.length}_${sql.length}`, sql);
    expect(declared).toMatchObject({ sql, postgresSql });
  });

  it('refuses a name declared twice (PostgreSQL would refuse a second text under one name)', () => {
    statement('test_twice', 'select 1');
    expect(() => statement('test_twice', 'select 2')).toThrow(/declared twice/);
  });

  it.each([["select a from t where b = 'x?'"], ['select "a?" from t']])('refuses quoting, where a ? would not be a placeholder: %s', (sql) => {
    expect(() => statement(`test_quoted_${sql.length}`, sql)).toThrow(/must not quote/);
  });
});
