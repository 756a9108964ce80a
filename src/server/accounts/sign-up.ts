import { randomUUID } from 'node:crypto';
import { randomToken } from '../../core/encoding.js';
import { hashPassword } from '../../core/password.js';
import { StoreConflictError, type UserRecord } from '../../stores/contract.js';
import { auditEvent } from '../audit/events.js';
import { issueAccountToken } from './account-tokens.js';
import type { Translator } from '../../ui/i18n/index.js';
import { afterAnswer, sendAccountEmail } from './emails.js';
import {
  reserveVerificationEmail,
  VERIFICATION_TTL_MS,
  verificationLink,
  destinationKey,
  type AccountsContext,
  type EmailReservation,
} from './email-verification.js';
import { profileOf, type SignUpInput } from './sign-up-form.js';
import { createWithUsernameFor } from './usernames.js';

/**
 * Sign-up without account enumeration: nothing is created until the address is confirmed, and
 * every answer is the same whether or not the address already has an account. What differs (an
 * account to look up, a pending sign-up to store, which email to send) happens after the answer
 * ({@link afterAnswer}), so it shows neither in the page nor in its timing.
 */

/** Artifact kind of a sign-up waiting for its address: the hashed password and profile, under a random key. */
const PENDING = 'sign_up_pending';

interface PendingSignUp {
  [key: string]: string | Record<string, string>;
  email: string;
  passwordHash: string;
  /** The name and the claims given: strings only (see `profileOf`). */
  profile: Record<string, string>;
}

/** The pending sign-up a code or link stands for (the `sign_up` account token's value). */
export interface SignUpTokenValue {
  [key: string]: string;
  userId: '';
  email: string;
  key: string;
}

/**
 * Starts a sign-up and returns its key (kept in the interaction, for the code and resends). After
 * the answer: the password is hashed (in both cases, so the work is the same), then either the
 * pending sign-up is stored and a code and link are sent (`verify_email`), or, when the address
 * already has an account, that account's owner is told (`sign_up_existing`) and nothing usable is
 * stored. Both are written in `i18n`'s language (the sign-up page's).
 */
export function startSignUp(ctx: AccountsContext, input: SignUpInput, i18n: Translator): string {
  const key = randomToken(24);
  afterAnswer(ctx, 'sign-up', () => prepareSignUp(ctx, key, input, i18n));
  return key;
}

async function prepareSignUp(ctx: AccountsContext, key: string, input: SignUpInput, i18n: Translator): Promise<void> {
  const passwordHash = await hashPassword(input.password);
  const existing = await ctx.store.users.findByLogin(input.email);
  // The destination's budget: a flood of sign-ups cannot flood one mailbox (spent whichever email it is).
  const budget = await ctx.limits.reserve([{ limiter: 'codesPerDestination', key: destinationKey(ctx, input.email) }]);
  if (budget.limited) return;
  if (existing) {
    await ctx.audit.record(auditEvent('signup.refused', { reason: 'address_taken' }));
    await sendAccountEmail(ctx, { to: input.email, template: 'sign_up_existing', i18n });
    return;
  }
  const pending: PendingSignUp = { email: input.email, passwordHash, profile: profileOf(input) };
  await ctx.store.artifacts.put({ kind: PENDING, id: key, value: pending, ownerId: null, expiresAt: ctx.clock.now() + VERIFICATION_TTL_MS });
  await sendSignUpCode(ctx, key, input.email, i18n);
}

/**
 * The code and link to the typed address. Without the typed name: whoever typed it has not shown
 * that the address is theirs, and the name would let a stranger write to it in our words.
 */
async function sendSignUpCode(ctx: AccountsContext, key: string, email: string, i18n: Translator): Promise<void> {
  const value: SignUpTokenValue = { userId: '', email, key };
  const { token, code } = await issueAccountToken(ctx, 'sign_up', value, VERIFICATION_TTL_MS, { code: true, key });
  await sendAccountEmail(ctx, {
    to: email,
    template: 'verify_email',
    i18n,
    vars: { link: verificationLink(ctx, token), code, expiresIn: VERIFICATION_TTL_MS / 1000 },
  });
}

/**
 * "Send a new code" for a pending sign-up: at most one a minute, within the sending budgets
 * (claimed now, the same for every address); after the answer, a new code and link when the
 * sign-up is still pending, the `sign_up_existing` notice when the address has an account.
 */
export async function resendSignUpCode(ctx: AccountsContext, signUp: { key: string; email: string }, i18n: Translator): Promise<EmailReservation> {
  const reservation = await reserveVerificationEmail(ctx, `sign-up:${signUp.key}`, signUp.email);
  if (!reservation.ok) return reservation;
  afterAnswer(ctx, 'sign-up resend', async () => {
    const pending = await ctx.store.artifacts.get<PendingSignUp>(PENDING, signUp.key);
    if (pending?.consumedAt === null) return sendSignUpCode(ctx, signUp.key, pending.value.email, i18n);
    if (await ctx.store.users.findByLogin(signUp.email)) await sendAccountEmail(ctx, { to: signUp.email, template: 'sign_up_existing', i18n });
  });
  return reservation;
}

export type SignUpCompletion = { ok: true; user: UserRecord } | { ok: false; reason: 'expired' | 'taken' };

/**
 * Creates the account of a confirmed sign-up: the pending sign-up is used up atomically (of
 * concurrent confirmations one creates the user), its address counts as verified, and the username
 * is made from it as for an invitation ({@link createWithUsernameFor}). `taken`: someone else
 * created an account with the address meanwhile.
 */
export async function completeSignUp(ctx: Pick<AccountsContext, 'audit' | 'clock' | 'store'>, key: string, via: 'code' | 'link'): Promise<SignUpCompletion> {
  const now = ctx.clock.now();
  const pending = await ctx.store.artifacts.consume<PendingSignUp>(PENDING, key, now);
  if (!pending) return { ok: false, reason: 'expired' };
  const { email, passwordHash, profile } = pending.value;
  let user: UserRecord;
  try {
    user = await createWithUsernameFor(ctx.store, email, async (username) => {
      const created: UserRecord = {
        id: randomUUID(),
        username,
        email,
        emailVerified: true,
        passwordHash,
        profile,
        disabled: false,
        roles: [],
        createdAt: now,
        updatedAt: now,
      };
      await ctx.store.users.create(created);
      return created;
    });
  } catch (error) {
    // Only the address can be taken here: a clash on the username was tried again with the next one.
    if (!(error instanceof StoreConflictError) || error.field === 'username') throw error;
    await ctx.audit.record(auditEvent('signup.refused', { reason: 'address_taken_meanwhile' }));
    return { ok: false, reason: 'taken' };
  }
  await ctx.audit.record(auditEvent('user.signed_up', { sub: user.id, via }));
  return { ok: true, user };
}
