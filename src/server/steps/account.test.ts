import { describe, expect, it } from 'vitest';
import type { MfaFactorRecord } from '../../stores/contract.js';
import type { ServerContext } from '../context.js';
import type { Session } from '../session/sessions.js';
import { recentlyAuthenticated } from './account.js';

const NOW = 1_800_000_000_000;
const RECENT = 600;

function context(policy: 'off' | 'optional' | 'required', factors: Partial<MfaFactorRecord>[]): Pick<ServerContext, 'clock' | 'config' | 'store'> {
  return {
    clock: { now: () => NOW },
    config: { mfa: { policy, recentAuthSeconds: RECENT, senders: {} } },
    store: { factors: { listByUser: async () => factors } },
  } as unknown as Pick<ServerContext, 'clock' | 'config' | 'store'>;
}

const session = (ageSeconds: number, amr: string[]): Session =>
  ({ state: { authTime: Math.floor(NOW / 1000) - ageSeconds, amr }, user: { id: 'u1' } }) as unknown as Session;
const totp = { type: 'totp', data: { confirmed: true } } as Partial<MfaFactorRecord>;
const unconfirmedTotp = { type: 'totp', data: { confirmed: false } } as Partial<MfaFactorRecord>;
const recoveryCodes = { type: 'recovery_codes', data: {} } as Partial<MfaFactorRecord>;

describe('recentlyAuthenticated (may the session add or remove a sign-in method?)', () => {
  it.each([
    { case: 'password just now, no factor', age: 0, amr: ['pwd'], policy: 'optional', factors: [], recent: true },
    { case: 'exactly at the limit', age: RECENT, amr: ['pwd'], policy: 'optional', factors: [], recent: true },
    { case: 'one second too old', age: RECENT + 1, amr: ['pwd', 'otp', 'mfa'], policy: 'optional', factors: [totp], recent: false },
    { case: 'too old even with MFA off', age: RECENT + 1, amr: ['pwd'], policy: 'off', factors: [], recent: false },
    { case: 'password only, but a factor is set up', age: 0, amr: ['pwd'], policy: 'optional', factors: [totp], recent: false },
    { case: 'password and the factor', age: 0, amr: ['pwd', 'otp', 'mfa'], policy: 'required', factors: [totp], recent: true },
    { case: 'a factor is set up, but MFA is off', age: 0, amr: ['pwd'], policy: 'off', factors: [totp], recent: true },
    { case: 'an unfinished set-up is no factor yet', age: 0, amr: ['pwd'], policy: 'optional', factors: [unconfirmedTotp], recent: true },
    { case: 'recovery codes alone are no factor', age: 0, amr: ['pwd'], policy: 'optional', factors: [recoveryCodes], recent: true },
  ] as const)('$case → $recent', async ({ age, amr, policy, factors, recent }) => {
    expect(await recentlyAuthenticated(context(policy, [...factors]), session(age, [...amr]))).toBe(recent);
  });
});
