import { describe, expect, it } from 'vitest';
import { copyJson, RecordTable } from './record-table.js';

describe('copyJson', () => {
  it('copies nested objects and arrays, sharing no object with the original', () => {
    const original = { a: 1, b: 'two', c: null, d: true, list: [1, { deep: ['x'] }, [2]], nested: { e: { f: [] as number[] } }, gone: undefined };
    const copy = copyJson(original);
    expect(copy).toStrictEqual(original);
    expect(Object.keys(copy)).toEqual(Object.keys(original));
    copy.list.push(3);
    (copy.list[1] as { deep: string[] }).deep.push('y');
    (copy.list[2] as number[]).push(3);
    copy.nested.e.f.push(1);
    expect(original).toEqual({ a: 1, b: 'two', c: null, d: true, list: [1, { deep: ['x'] }, [2]], nested: { e: { f: [] } } });
  });

  it('returns primitives as they are', () => {
    for (const value of ['s', 0, -1.5, true, false, null, undefined]) expect(copyJson(value)).toBe(value);
  });

  it('keeps a member named __proto__ as a member, as JSON.parse made it, without touching the prototype', () => {
    const parsed = JSON.parse('{"__proto__": {"admin": true}, "x": 1}') as Record<string, unknown>;
    const copy = copyJson(parsed);
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(Object.keys(copy)).toEqual(['__proto__', 'x']);
    expect((copy as { admin?: boolean }).admin).toBeUndefined();
    expect(Object.getOwnPropertyDescriptor(copy, '__proto__')?.value).toEqual({ admin: true });
    expect(Object.getOwnPropertyDescriptor(copy, '__proto__')?.value).not.toBe(Object.getOwnPropertyDescriptor(parsed, '__proto__')?.value);
  });
});

describe('RecordTable', () => {
  type Row = { id: string; tags: string[]; createdAt: number };
  const row = (id: string, createdAt = 1): Row => ({ id, tags: ['a'], createdAt });

  it('hands out copies from get and list, and keeps a copy of what it is given', () => {
    const table = new RecordTable<Row>((record) => record.id);
    const input = row('r1');
    table.insert(input, 'id');
    input.tags.push('from-input');
    table.get('r1')!.tags.push('from-get');
    table.list()[0]!.tags.push('from-list');
    const replacement = row('r1', 2);
    table.replace(replacement);
    replacement.tags.push('from-replace');
    expect(table.get('r1')).toEqual(row('r1', 2));
  });

  it('stored hands out the stored record itself, for in-place changes inside the store', () => {
    const table = new RecordTable<Row>((record) => record.id);
    table.insert(row('r1'), 'id');
    table.stored('r1')!.tags.push('b');
    expect(table.get('r1')!.tags).toEqual(['a', 'b']);
    expect(table.stored('nope')).toBeUndefined();
  });
});
