import { randomInt } from 'node:crypto';
import { StoreConflictError, type MfaFactorRecord } from '../../stores/contract.js';
import type { ServerContext } from '../context.js';
import { spendAttempt } from './attempt-budget.js';
import { factorText } from './factors.js';
import { recordRateLimitHit } from '../protection/rate-limited.js';
import type { Translator } from '../../ui/i18n/index.js';
import { messageText, type CodePurpose, type OneTimeCodeMessage, type Sender } from './senders/sender.js';

/** Artifact kind of codes sent by SMS or email, keyed by purpose and factor. */
const ONE_TIME_CODE = 'one_time_code';
const CODE_TTL_MS = 5 * 60_000;
const MAX_ATTEMPTS = 5;
/** A new code may be sent at most this often for one factor. */
const RESEND_AFTER_MS = 30_000;
/** Artifact kind marking the 30 seconds after a send, per purpose and factor. */
const RESEND_GAP = 'one_time_code_gap';
const CODE_PURPOSE = 'one-time-code';

interface StoredCode {
  [key: string]: string | number;
  hash: string;
  sentAt: number;
}

const codeKey = (purpose: CodePurpose, factorId: string) => `${purpose}:${factorId}`;

/** Why no code was sent: one went out moments ago (`resend`), or a sending budget is spent (`limited`). */
export type SendOutcome = { sent: true } | { sent: false; reason: 'resend' | 'limited'; retryAt: number };

/**
 * Sends a fresh 6-digit code to the factor's phone or email. Only its keyed hash is stored, for 5
 * minutes; a new code replaces the previous one. Against SMS pumping and mail floods, each send
 * first spends from three budgets (per user, per destination, and the installation's:
 * `codesPerUser`, `codesPerDestination`, `codesGlobal`), and one factor gets a new code at most
 * every 30 seconds. The message is written in `i18n`'s language (`messageLanguage`); the sender
 * gets it as `subject` and `text`, with its `locale`.
 */
export async function sendOneTimeCode(
  ctx: Pick<ServerContext, 'audit' | 'clock' | 'config' | 'limits' | 'metrics' | 'request' | 'secrets' | 'store'>,
  factor: MfaFactorRecord,
  purpose: CodePurpose,
  sender: Sender,
  i18n: Translator,
): Promise<SendOutcome> {
  const { store } = ctx;
  const now = ctx.clock.now();
  const id = codeKey(purpose, factor.id);
  // The 30-second gap is claimed atomically: of concurrent sends for one factor, one goes out.
  try {
    await store.artifacts.put({ kind: RESEND_GAP, id, value: null, ownerId: null, expiresAt: now + RESEND_AFTER_MS });
  } catch (error) {
    if (!(error instanceof StoreConflictError)) throw error;
    const gap = await store.artifacts.get(RESEND_GAP, id);
    return { sent: false, reason: 'resend', retryAt: gap?.expiresAt ?? now + RESEND_AFTER_MS };
  }
  const destination = factorText(factor, 'to');
  const budget = await ctx.limits.reserve([
    { limiter: 'codesPerUser', key: factor.userId },
    // A keyed hash: phone numbers and addresses never appear in rate-limit keys.
    { limiter: 'codesPerDestination', key: ctx.secrets.hash(destination.toLowerCase(), 'code-destination') },
    { limiter: 'codesGlobal', key: 'all' },
  ]);
  if (budget.limited) {
    // Nothing went out: a later try must not be told a code was sent moments ago.
    await store.artifacts.delete(RESEND_GAP, id);
    await recordRateLimitHit(ctx, budget.limited);
    return { sent: false, reason: 'limited', retryAt: now + budget.limited.retryAfterSeconds * 1000 };
  }
  const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
  await store.artifacts.delete(ONE_TIME_CODE, id);
  await store.artifacts.put({
    kind: ONE_TIME_CODE,
    id,
    value: { hash: ctx.secrets.hash(code, CODE_PURPOSE), sentAt: now },
    ownerId: null,
    expiresAt: now + CODE_TTL_MS,
  });
  const message: OneTimeCodeMessage = {
    channel: factor.type === 'sms' ? 'sms' : 'email',
    to: destination,
    code,
    purpose,
    productName: ctx.config.branding.productName,
    expiresInMinutes: CODE_TTL_MS / 60_000,
  };
  await sender.send({ ...message, locale: i18n.locale, ...messageText(message, i18n) });
  return { sent: true };
}

export type CodeCheck = { ok: true } | { ok: false; reason: 'wrong' | 'expired' } | { ok: false; reason: 'locked'; retryAt: number };

/**
 * Checks a code: at most five attempts per code (each claims a slot in the store, so concurrent
 * guesses cannot exceed it); a right code is used up.
 */
export async function checkOneTimeCode(
  ctx: Pick<ServerContext, 'clock' | 'secrets' | 'store'>,
  factor: MfaFactorRecord,
  purpose: CodePurpose,
  code: string,
): Promise<CodeCheck> {
  const { store } = ctx;
  const id = codeKey(purpose, factor.id);
  const stored = await store.artifacts.get<StoredCode>(ONE_TIME_CODE, id);
  if (stored?.consumedAt !== null) return { ok: false, reason: 'expired' };
  // One window longer than the code lives, so a code's five attempts never straddle two windows.
  const attempt = await spendAttempt(ctx, `otp:${id}:${stored.value.sentAt}`, MAX_ATTEMPTS, 12 * CODE_TTL_MS);
  if (!attempt.allowed) return { ok: false, reason: 'locked', retryAt: stored.expiresAt };
  if (!/^\d{6}$/.test(code.trim()) || !ctx.secrets.verifyHash(code.trim(), CODE_PURPOSE, stored.value.hash)) return { ok: false, reason: 'wrong' };
  return (await store.artifacts.consume(ONE_TIME_CODE, id, ctx.clock.now())) ? { ok: true } : { ok: false, reason: 'expired' };
}
