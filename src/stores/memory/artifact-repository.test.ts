import { describe, expect, it } from 'vitest';
import { FakeClock, T0 } from '../contract-suite/fake-clock.js';
import { MemoryArtifactRepository } from './artifact-repository.js';

/** An access-token-like record. */
function token(id: string, ownerId: string | null, expiresAt: number) {
  return { kind: 'access_token', id, value: { clientId: 'client-1', consentId: 'consent-1', familyIssuedAt: T0 }, ownerId, expiresAt };
}

/** A seeded generator of numbers in [0, 1) (mulberry32), so a failing run can be replayed. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('memory artifact repository: expiry without purgeExpired', () => {
  it('later writes drop what has expired, a few per write, without purgeExpired', async () => {
    const clock = new FakeClock();
    const artifacts = new MemoryArtifactRepository(clock);
    for (let i = 0; i < 1000; i += 1) await artifacts.put(token(`old-${i}`, 'old', T0 + 1000));
    clock.advance(1000);
    for (let i = 0; i < 300; i += 1) await artifacts.put(token(`new-${i}`, 'new', T0 + 60_000));
    // deleteByOwner counts what is still held, expired or not: none of the old ones are.
    expect(await artifacts.deleteByOwner('old')).toBe(0);
    expect(await artifacts.deleteByOwner('new')).toBe(300);
  });

  it('a write loop with short lifetimes holds about as many records as are live', async () => {
    const clock = new FakeClock();
    const artifacts = new MemoryArtifactRepository(clock);
    // 20,000 writes, each living 100 ms, the clock 1 ms on per write: about 100 live at any time.
    for (let block = 0; block < 20; block += 1) {
      for (let i = 0; i < 1000; i += 1) {
        await artifacts.put(token(`t-${block}-${i}`, `block-${block}`, clock.now() + 100));
        clock.advance(1);
      }
    }
    let held = 0;
    for (let block = 0; block < 20; block += 1) {
      const count = await artifacts.deleteByOwner(`block-${block}`);
      // Blocks that expired long ago are gone entirely.
      if (block < 19) expect(count, `block ${block}`).toBe(0);
      held += count;
    }
    expect(held).toBeGreaterThanOrEqual(100);
    expect(held).toBeLessThanOrEqual(101 + 4);
  });

  it('a read of an expired artifact drops it', async () => {
    const clock = new FakeClock();
    const artifacts = new MemoryArtifactRepository(clock);
    await artifacts.put(token('a', 'g', T0 + 10));
    clock.set(T0 + 10);
    expect(await artifacts.get('access_token', 'a')).toBeUndefined();
    clock.set(T0);
    // Gone for good, not merely hidden: the clock moving back does not bring it back.
    expect(await artifacts.get('access_token', 'a')).toBeUndefined();
    expect(await artifacts.deleteByOwner('g')).toBe(0);
  });

  it('after the clock jumps far ahead, the backlog drains and new artifacts stay', async () => {
    const clock = new FakeClock();
    const artifacts = new MemoryArtifactRepository(clock);
    for (let i = 0; i < 500; i += 1) await artifacts.put(token(`old-${i}`, 'old', T0 + 1000 + i));
    clock.advance(86_400_000);
    for (let i = 0; i < 200; i += 1) await artifacts.put(token(`new-${i}`, 'new', clock.now() + 1));
    expect(await artifacts.deleteByOwner('old')).toBe(0);
    for (let i = 0; i < 200; i += 1) expect(await artifacts.get('access_token', `new-${i}`), `new-${i}`).toBeDefined();
  });

  it('deleting from the middle keeps the soonest expiries first for later sweeps', async () => {
    const artifacts = new MemoryArtifactRepository(new FakeClock());
    // In a binary heap the last of these (40) fills the gap the deleted 110 leaves under 100, and
    // must move up past it: otherwise, once more are put below it, a sweep to 50 stops at 100.
    for (const offset of [10, 100, 20, 110, 120, 30, 40]) await artifacts.put(token(`t-${offset}`, null, T0 + offset));
    expect(await artifacts.delete('access_token', 't-110')).toBe(true);
    for (const offset of [200, 210, 220]) await artifacts.put(token(`t-${offset}`, null, T0 + offset));
    expect(await artifacts.purgeExpired(T0 + 50)).toBe(4);
    expect(await artifacts.purgeExpired(T0 + 300)).toBe(5);
  });

  it('rejects an expiry that is not a finite number', async () => {
    const artifacts = new MemoryArtifactRepository(new FakeClock());
    for (const expiresAt of [Number.NaN, Number.POSITIVE_INFINITY]) {
      await expect(artifacts.put(token('a', null, expiresAt))).rejects.toThrow(TypeError);
    }
    expect(await artifacts.purgeExpired(Number.MAX_SAFE_INTEGER)).toBe(0);
  });

  it('a clock moved back keeps every artifact that is live by it', async () => {
    const clock = new FakeClock();
    const artifacts = new MemoryArtifactRepository(clock);
    for (let i = 1; i <= 500; i += 1) await artifacts.put(token(`a-${i}`, 'a', T0 + 100 + i));
    clock.set(T0 + 300);
    for (let i = 0; i < 100; i += 1) await artifacts.put(token(`b-${i}`, 'b', T0 + 10_000));
    clock.set(T0 + 50);
    for (let i = 0; i < 100; i += 1) await artifacts.put(token(`c-${i}`, 'c', T0 + 10_000));
    // Those that had expired at T0 + 300 may be gone; none of the others is.
    for (let i = 201; i <= 500; i += 1) expect(await artifacts.get('access_token', `a-${i}`), `a-${i}`).toBeDefined();
  });

  it('matches a model under random puts, deletes, consumes, listings and clock moves, big jumps among them', async () => {
    const random = seeded(15);
    const clock = new FakeClock();
    const artifacts = new MemoryArtifactRepository(clock);
    const kinds = ['access_token', 'refresh_token', 'session'];
    const owners = ['f1', 'f2', 'f3'];
    /** Every record put and not deleted; visible exactly while `expiresAt` is after the clock. */
    const model = new Map<
      string,
      { kind: string; id: string; value: { step: number }; ownerId: string | null; expiresAt: number; consumedAt: number | null }
    >();
    const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)]!;
    const live = (record: { expiresAt: number } | undefined) => record !== undefined && record.expiresAt > clock.now();

    for (let step = 0; step < 5000; step += 1) {
      const roll = random();
      const kind = pick(kinds);
      const id = `id-${Math.floor(random() * 300)}`;
      const key = `${kind}/${id}`;
      const known = model.get(key);
      const at = `${key} at step ${step}`;
      if (roll < 0.45) {
        const record = { kind, id, value: { step }, ownerId: random() < 0.2 ? null : pick(owners), expiresAt: clock.now() + 1 + Math.floor(random() * 500) };
        if (live(known)) {
          await expect(artifacts.put(record), at).rejects.toThrow();
        } else {
          await artifacts.put(record);
          model.set(key, { ...record, consumedAt: null });
        }
      } else if (roll < 0.55) {
        const deleted = await artifacts.delete(kind, id);
        // One expired but not yet dropped may still be there to delete.
        if (live(known)) expect(deleted, at).toBe(true);
        if (known === undefined) expect(deleted, at).toBe(false);
        model.delete(key);
      } else if (roll < 0.65) {
        const consumed = await artifacts.consume(kind, id, clock.now());
        const wins = live(known) && known!.consumedAt === null;
        expect(consumed, at).toEqual(wins ? { ...known, consumedAt: clock.now() } : undefined);
        if (wins) known!.consumedAt = clock.now();
      } else if (roll < 0.68) {
        const owner = pick(owners);
        const listed = await artifacts.listByOwner(kind, owner);
        const wanted = [...model.values()]
          .filter((record) => record.kind === kind && record.ownerId === owner && live(record))
          .sort((a, b) => b.expiresAt - a.expiresAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
        expect(listed, `listByOwner ${kind} ${owner} at step ${step}`).toEqual(wanted);
      } else if (roll < 0.685) {
        // A jump that expires most of what is stored at once.
        clock.advance(400 + Math.floor(random() * 200));
      } else {
        clock.advance(Math.floor(random() * 3));
      }

      if (step % 250 === 249) {
        // purgeExpired leaves nothing expired behind (the heap's order holds), and nothing live goes.
        await artifacts.purgeExpired(clock.now());
        for (const [modelKey, record] of model) {
          if (live(record)) {
            expect(await artifacts.get(record.kind, record.id), `${modelKey} at step ${step}`).toEqual(record);
          } else {
            expect(await artifacts.delete(record.kind, record.id), `${modelKey} at step ${step}`).toBe(false);
            model.delete(modelKey);
          }
        }
      }
    }
  });
});
