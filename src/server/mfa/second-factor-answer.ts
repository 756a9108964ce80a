import type { MfaFactorRecord, MfaFactorType, UserRecord } from '../../stores/contract.js';
import { auditEvent } from '../audit/events.js';
import { clientAddress, type ServerContext } from '../context.js';
import { messageLanguage } from '../http/page-language.js';
import type { FormParams } from '../http/form.js';
import type { MfaChallengeExtras } from '../interaction/pages.js';
import type { Authentication } from '../session/sessions.js';
import { reserveSecondFactorAnswer } from './answer-budget.js';
import { usableFactors, useRecoveryCode, verifyTotpCode } from './factors.js';
import { checkOneTimeCode, sendOneTimeCode } from './one-time-codes.js';

const WRONG = { key: 'mfa.error.wrong' } as const;
const NOT_AVAILABLE = { key: 'mfa.error.notAvailable' } as const;

/** The outcome of checking one answer: passed (with its `amr` value), wrong, or not checked at all. */
type Verdict = { passed: { amr: string; code: Authentication['code'] } } | { wrong: true } | { unchecked: MfaChallengeExtras };

type AnswerContext = Pick<ServerContext, 'audit' | 'clock' | 'config' | 'limits' | 'metrics' | 'request' | 'secrets' | 'store'>;

/** How the answer of one method on the second-factor page is checked. */
interface CodeVerifier {
  /** Contact methods (SMS, email) answer for one of the user's factors, named by the form. */
  forContact: boolean;
  /** The factor type the answer is counted under in metrics. */
  metric(factor: MfaFactorRecord | undefined): MfaFactorType;
  verify(ctx: AnswerContext, user: UserRecord, code: string, factor: MfaFactorRecord | undefined): Promise<Verdict>;
}

const WRONG_ANSWER: Verdict = { wrong: true };

/** The verifiers of the second-factor forms, by `method`. */
const VERIFIERS: Record<string, CodeVerifier> = {
  totp: {
    forContact: false,
    metric: () => 'totp',
    async verify(ctx, user, code) {
      return (await verifyTotpCode(ctx, user.id, code)) ? { passed: { amr: 'otp', code: 'totp' } } : WRONG_ANSWER;
    },
  },
  recovery: {
    forContact: false,
    metric: () => 'recovery_codes',
    async verify(ctx, user, code) {
      if (!(await useRecoveryCode(ctx, user.id, code))) return WRONG_ANSWER;
      await ctx.audit.record(auditEvent('mfa.recovery_code_used', { sub: user.id }));
      return { passed: { amr: 'otp', code: 'recovery' } };
    },
  },
  contact: {
    forContact: true,
    metric: (factor) => factor?.type ?? 'totp',
    async verify(ctx, _user, code, factor) {
      const checked = await checkOneTimeCode(ctx, factor!, 'sign_in', code);
      if (checked.ok) return { passed: { amr: factor!.type === 'sms' ? 'sms' : 'otp', code: factor!.type === 'email' ? 'email' : undefined } };
      if (checked.reason === 'wrong') return WRONG_ANSWER;
      // Not checked at all (no code pending, or its own five tries spent): not a guess.
      return {
        unchecked: checked.reason === 'locked' ? { error: { key: 'mfa.error.codeLocked' }, codeSent: factor! } : { error: { key: 'mfa.error.codeExpired' } },
      };
    },
  },
};

/** What one post of a second-factor form came to: passed (the `amr` value of the method), or the page again with what happened. */
export type SecondFactorAnswer = { passed: { amr: string; code: Authentication['code'] } } | { again: MfaChallengeExtras };

/** The user's SMS or email factor the form names. */
async function contactFactor(ctx: AnswerContext, user: UserRecord, form: FormParams): Promise<MfaFactorRecord | undefined> {
  return (await usableFactors(ctx, user.id)).find((factor) => factor.id === form.get('factor') && (factor.type === 'sms' || factor.type === 'email'));
}

/** `method=send`: a code by SMS or email to the factor the form names, within the sending limits. */
async function sendCode(ctx: AnswerContext, user: UserRecord, form: FormParams, uiLocales: readonly string[]): Promise<SecondFactorAnswer> {
  const factor = await contactFactor(ctx, user, form);
  const sender = factor && ctx.config.mfa.senders[factor.type as 'sms' | 'email'];
  if (!factor || !sender) return { again: { error: NOT_AVAILABLE } };
  const sent = await sendOneTimeCode(ctx, factor, 'sign_in', sender, messageLanguage(ctx, { uiLocales }));
  if (sent.sent) return { again: { codeSent: factor } };
  const values = { time: new Date(sent.retryAt) };
  return {
    again: {
      codeSent: factor,
      error: sent.reason === 'resend' ? { key: 'mfa.error.resendSoon', values } : { key: 'mfa.error.sendLimit', values },
    },
  };
}

/**
 * Answers one post of the second-factor forms (`method=totp|recovery|contact` with `code`,
 * `method=send` with `factor`), for the sign-in's second step and for a password reset alike.
 * Spends before checking: the attempt is reserved against the per-user and per-address budgets
 * before the answer is verified, and given back when right (or when nothing was checked). A wrong
 * answer is audited (`mfa.failed`, with `audit`'s fields) and counted in the metrics. A code sent
 * is written in the page's language (the sign-in's `uiLocales` first).
 */
export async function answerSecondFactor(
  ctx: AnswerContext,
  user: UserRecord,
  form: FormParams,
  audit: { client_id?: string; purpose?: string } = {},
  uiLocales: readonly string[] = [],
): Promise<SecondFactorAnswer> {
  const method = form.get('method') ?? '';
  if (method === 'send') return sendCode(ctx, user, form, uiLocales);
  const verifier = Object.hasOwn(VERIFIERS, method) ? VERIFIERS[method] : undefined;
  if (!verifier) return { again: { error: NOT_AVAILABLE } };
  const factor = verifier.forContact ? await contactFactor(ctx, user, form) : undefined;
  if (verifier.forContact && !factor) return { again: { error: NOT_AVAILABLE } };

  const answer = await reserveSecondFactorAnswer(ctx, user.id, clientAddress(ctx));
  if (answer.refused) {
    ctx.metrics.mfaOutcomes.inc({ method: verifier.metric(factor), outcome: 'locked' });
    return {
      again: {
        error: answer.refused.by === 'user' ? { key: 'mfa.error.tooMany' } : { key: 'mfa.error.tooManyNetwork' },
        lockedUntil: answer.refused.retryAt,
      },
    };
  }
  const verdict = await verifier.verify(ctx, user, form.get('code') ?? '', factor);
  if ('unchecked' in verdict) {
    await answer.refund();
    return { again: verdict.unchecked };
  }
  if ('wrong' in verdict) {
    ctx.metrics.mfaOutcomes.inc({ method: verifier.metric(factor), outcome: 'failure' });
    await ctx.audit.record(auditEvent('mfa.failed', { ...audit, sub: user.id, method }));
    // The answer that spends the last attempt already says so.
    if (answer.last) return { again: { error: { key: 'mfa.error.tooMany' }, lockedUntil: answer.retryAt } };
    return { again: { error: WRONG, ...(factor ? { codeSent: factor } : {}) } };
  }
  await answer.refund();
  ctx.metrics.mfaOutcomes.inc({ method: verifier.metric(factor), outcome: 'success' });
  return { passed: verdict.passed };
}
