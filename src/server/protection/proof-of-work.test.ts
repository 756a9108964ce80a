import { solveChallenge } from 'altcha-lib/v1';
import { describe, expect, it } from 'vitest';
import { generateSecret, SecretKeys } from '../../core/secret.js';
import { FakeClock } from '../../stores/contract-suite/fake-clock.js';
import { createMemoryStore } from '../../stores/memory/index.js';
import type { ServerContext } from '../context.js';
import { createPowChallenge, verifyPow, type PowChallenge } from './proof-of-work.js';

function context(proofOfWork = 2000) {
  const clock = new FakeClock(Date.now());
  return { clock, config: { accounts: { proofOfWork } }, secrets: new SecretKeys(generateSecret()), store: createMemoryStore({ clock }) } as unknown as Pick<
    ServerContext,
    'clock' | 'config' | 'secrets' | 'store'
  > & { clock: FakeClock };
}

/** What the page's script posts: the solved challenge as base64 JSON. */
async function solve(challenge: PowChallenge, tamper: Partial<Record<'number' | 'salt', unknown>> = {}): Promise<string> {
  const solution = await solveChallenge(challenge.challenge, challenge.salt, challenge.algorithm, challenge.maxnumber).promise;
  const payload = {
    algorithm: challenge.algorithm,
    challenge: challenge.challenge,
    number: solution!.number,
    salt: challenge.salt,
    signature: challenge.signature,
    ...tamper,
  };
  return Buffer.from(JSON.stringify(payload)).toString('base64');
}

describe('proof of work (ALTCHA, self-hosted)', () => {
  it('accepts a solution once: a replay, even concurrent, is refused', async () => {
    const ctx = context();
    const field = await solve(await createPowChallenge(ctx));
    const results = await Promise.all(Array.from({ length: 20 }, () => verifyPow(ctx, field)));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('refuses a wrong number, a changed salt, garbage and a missing field', async () => {
    const ctx = context();
    const challenge = await createPowChallenge(ctx);
    expect(await verifyPow(ctx, await solve(challenge, { number: 1_000_001 }))).toBe(false);
    expect(await verifyPow(ctx, await solve(challenge, { salt: `${challenge.salt}x` }))).toBe(false);
    for (const field of [undefined, '', 'not base64 json', Buffer.from('[]').toString('base64'), 'A'.repeat(5000)]) {
      expect(await verifyPow(ctx, field)).toBe(false);
    }
  });

  it("refuses a challenge signed by another installation's secret", async () => {
    const ours = context();
    const theirs = context();
    expect(await verifyPow(ours, await solve(await createPowChallenge(theirs)))).toBe(false);
  });

  it('refuses a challenge older than 10 minutes', async () => {
    const ctx = context();
    const field = await solve(await createPowChallenge(ctx));
    ctx.clock.advance(10 * 60_000 + 1000);
    expect(await verifyPow(ctx, field)).toBe(false);
  });

  it('is not asked when turned off (proofOfWork 0)', async () => {
    expect(await verifyPow(context(0), undefined)).toBe(true);
  });
});
