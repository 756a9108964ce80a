import { randomUUID } from 'node:crypto';
import type { MfaFactorRecord, MfaFactorType } from '../../stores/contract.js';
import type { Capabilities } from '../context.js';

/** What factor operations need: the store, the clock and the secret keys (the CLI has them too). */
export type FactorContext = Pick<Capabilities, 'secrets' | 'store' | 'clock'>;
import { generateRecoveryCodes, normaliseRecoveryCode } from './recovery-codes.js';
import { matchTotp, newTotpSecret } from './totp.js';

/** Factors that count as a second factor once set up (recovery codes are a fallback, not a factor). */
const SECOND_FACTORS: readonly MfaFactorType[] = ['totp', 'webauthn', 'sms', 'email'];

/** A user's usable second factors: confirmed TOTP, passkeys, verified phone numbers and emails. */
export async function usableFactors(ctx: Pick<FactorContext, 'store'>, userId: string): Promise<MfaFactorRecord[]> {
  const factors = await ctx.store.factors.listByUser(userId);
  return factors.filter((factor) => SECOND_FACTORS.includes(factor.type) && factor.data.confirmed === true);
}

/**
 * A text field of a factor's `data`: a TOTP factor's encrypted `secret`, a phone or email factor's
 * `to`, a passkey's `publicKey`. Throws when the stored record holds no string there: a damaged
 * record, never something a user did.
 *
 * @example
 * const destination = factorText(factor, 'to'); // '+15551234567'
 */
export function factorText(factor: MfaFactorRecord, field: string): string {
  const value = factor.data[field];
  if (typeof value !== 'string') throw new Error(`the ${factor.type} factor ${factor.id} has no ${field} text`);
  return value;
}

function newFactor(
  userId: string,
  type: MfaFactorType,
  label: string,
  data: MfaFactorRecord['data'],
  now: number,
  lookup: string | null = null,
): MfaFactorRecord {
  return { id: randomUUID(), userId, type, label, lookup, data, createdAt: now, updatedAt: now, lastUsedAt: null };
}

const totpContext = (factorId: string) => `mfa-totp:${factorId}`;

/** The label an authenticator app gets when none is given (stored as is; the account page shows its kind instead). */
export const DEFAULT_TOTP_LABEL = 'Authenticator app';

/** Starts TOTP enrolment: an unconfirmed factor holding the encrypted secret; returns the secret to show once. */
export async function startTotpEnrolment(ctx: FactorContext, userId: string, label = DEFAULT_TOTP_LABEL): Promise<{ factor: MfaFactorRecord; secret: string }> {
  const now = ctx.clock.now();
  const secret = newTotpSecret();
  const factor = newFactor(userId, 'totp', label, { confirmed: false, lastStep: 0 }, now);
  factor.data.secret = ctx.secrets.encrypt(secret, totpContext(factor.id));
  await ctx.store.factors.create(factor);
  return { factor, secret };
}

/**
 * Checks a TOTP code against one factor and records its time step, so each code is accepted once
 * only (RFC 6238 §5.2): a step at or before the last used one is refused, and two concurrent uses
 * of one code cannot both win (the update is conditional on the record not having changed).
 */
export async function useTotpCode(ctx: FactorContext, factor: MfaFactorRecord, code: string): Promise<boolean> {
  const secret = ctx.secrets.decrypt(factorText(factor, 'secret'), totpContext(factor.id));
  const now = ctx.clock.now();
  const step = await matchTotp(secret, code.replace(/\s/g, ''), now);
  if (step === undefined || step <= Number(factor.data.lastStep ?? 0)) return false;
  const updated: MfaFactorRecord = { ...factor, data: { ...factor.data, lastStep: step, confirmed: true }, updatedAt: now, lastUsedAt: now };
  return ctx.store.factors.update(updated, factor.updatedAt);
}

/** Finds which of the user's confirmed TOTP factors the code belongs to, and uses it. */
export async function verifyTotpCode(ctx: FactorContext, userId: string, code: string): Promise<MfaFactorRecord | undefined> {
  const factors = (await usableFactors(ctx, userId)).filter((factor) => factor.type === 'totp');
  for (const factor of factors) {
    if (await useTotpCode(ctx, factor, code)) return factor;
  }
  return undefined;
}

/** Decrypts a TOTP factor's secret (for the CLI's scripted set-up). */
export function totpSecretOf(ctx: FactorContext, factor: MfaFactorRecord): string {
  return ctx.secrets.decrypt(factorText(factor, 'secret'), totpContext(factor.id));
}

const RECOVERY_PURPOSE = 'recovery-code';

/** A new set of ten recovery codes, replacing any earlier set; returns them to show once. */
export async function regenerateRecoveryCodes(ctx: FactorContext, userId: string): Promise<string[]> {
  const now = ctx.clock.now();
  const codes = generateRecoveryCodes();
  const data = { confirmed: true, codes: codes.map((code) => ({ hash: ctx.secrets.hash(code, RECOVERY_PURPOSE), usedAt: null })) };
  const existing = (await ctx.store.factors.listByUser(userId)).filter((factor) => factor.type === 'recovery_codes');
  for (const factor of existing) await ctx.store.factors.delete(factor.id);
  await ctx.store.factors.create(newFactor(userId, 'recovery_codes', 'Recovery codes', data, now));
  return codes;
}

/** How many unused recovery codes the user has. */
export async function remainingRecoveryCodes(ctx: FactorContext, userId: string): Promise<number> {
  const factor = (await ctx.store.factors.listByUser(userId)).find((candidate) => candidate.type === 'recovery_codes');
  const codes = (factor?.data.codes ?? []) as { usedAt: number | null }[];
  return codes.filter((code) => code.usedAt === null).length;
}

/** Uses one recovery code: single use, recorded with its time, race-free (conditional update). */
export async function useRecoveryCode(ctx: FactorContext, userId: string, input: string): Promise<boolean> {
  const code = normaliseRecoveryCode(input);
  const factor = (await ctx.store.factors.listByUser(userId)).find((candidate) => candidate.type === 'recovery_codes');
  if (!factor) return false;
  const codes = factor.data.codes as { hash: string; usedAt: number | null }[];
  const index = codes.findIndex((entry) => entry.usedAt === null && ctx.secrets.verifyHash(code, RECOVERY_PURPOSE, entry.hash));
  if (index < 0) return false;
  const now = ctx.clock.now();
  const used = codes.map((entry, i) => (i === index ? { ...entry, usedAt: now } : entry));
  return ctx.store.factors.update({ ...factor, data: { ...factor.data, codes: used }, updatedAt: now, lastUsedAt: now }, factor.updatedAt);
}

/** Registers a factor created elsewhere (passkeys, phone numbers, emails). */
export async function addFactor(
  ctx: FactorContext,
  userId: string,
  type: MfaFactorType,
  label: string,
  data: MfaFactorRecord['data'],
  lookup: string | null = null,
): Promise<MfaFactorRecord> {
  const factor = newFactor(userId, type, label, data, ctx.clock.now(), lookup);
  await ctx.store.factors.create(factor);
  return factor;
}
