import { randomInt } from 'node:crypto';
import type { MfaFactorRecord } from '../../stores/contract.js';
import type { ServerContext } from '../context.js';
import { spendAttempt } from './attempt-budget.js';
import type { CodePurpose, Sender } from './senders/sender.js';

/** Artifact kind of codes sent by SMS or email, keyed by purpose and factor. */
const ONE_TIME_CODE = 'one_time_code';
const CODE_TTL_MS = 5 * 60_000;
const MAX_ATTEMPTS = 5;
/** A new code may be sent at most this often for one factor. */
const RESEND_AFTER_MS = 30_000;
const CODE_PURPOSE = 'one-time-code';

interface StoredCode {
  [key: string]: string | number;
  hash: string;
  sentAt: number;
}

const codeKey = (purpose: CodePurpose, factorId: string) => `${purpose}:${factorId}`;

/**
 * Sends a fresh 6-digit code to the factor's phone or email. Only its keyed hash is stored, for 5
 * minutes; a new code replaces the previous one; resending is throttled.
 */
export async function sendOneTimeCode(ctx: ServerContext, factor: MfaFactorRecord, purpose: CodePurpose, sender: Sender): Promise<{ sent: true } | { sent: false; retryAt: number }> {
  const { store } = ctx.options;
  const now = ctx.options.clock.now();
  const id = codeKey(purpose, factor.id);
  const previous = await store.artifacts.get<StoredCode>(ONE_TIME_CODE, id);
  if (previous && now - previous.value.sentAt < RESEND_AFTER_MS) return { sent: false, retryAt: previous.value.sentAt + RESEND_AFTER_MS };
  const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
  await store.artifacts.delete(ONE_TIME_CODE, id);
  await store.artifacts.put({ kind: ONE_TIME_CODE, id, value: { hash: ctx.secretKeys.hash(code, CODE_PURPOSE), sentAt: now }, grantId: null, expiresAt: now + CODE_TTL_MS });
  await sender.send({
    channel: factor.type === 'sms' ? 'sms' : 'email',
    to: String(factor.data.to),
    code,
    purpose,
    productName: ctx.options.branding.productName,
    expiresInMinutes: CODE_TTL_MS / 60_000,
  });
  return { sent: true };
}

export type CodeCheck = { ok: true } | { ok: false; reason: 'wrong' | 'expired' } | { ok: false; reason: 'locked'; retryAt: number };

/**
 * Checks a code: at most five attempts per code (each claims a slot in the store, so concurrent
 * guesses cannot exceed it); a right code is used up.
 */
export async function checkOneTimeCode(ctx: ServerContext, factor: MfaFactorRecord, purpose: CodePurpose, code: string): Promise<CodeCheck> {
  const { store } = ctx.options;
  const id = codeKey(purpose, factor.id);
  const stored = await store.artifacts.get<StoredCode>(ONE_TIME_CODE, id);
  if (!stored || stored.consumedAt !== null) return { ok: false, reason: 'expired' };
  // One window longer than the code lives, so a code's five attempts never straddle two windows.
  const attempt = await spendAttempt(ctx, `otp:${id}:${stored.value.sentAt}`, MAX_ATTEMPTS, 12 * CODE_TTL_MS);
  if (!attempt.allowed) return { ok: false, reason: 'locked', retryAt: stored.expiresAt };
  if (!/^\d{6}$/.test(code.trim()) || !ctx.secretKeys.verifyHash(code.trim(), CODE_PURPOSE, stored.value.hash)) return { ok: false, reason: 'wrong' };
  return (await store.artifacts.consume(ONE_TIME_CODE, id, ctx.options.clock.now())) ? { ok: true } : { ok: false, reason: 'expired' };
}
