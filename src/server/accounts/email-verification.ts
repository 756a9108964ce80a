import { StoreConflictError, type UserRecord } from '../../stores/contract.js';
import type { Translator } from '../../ui/i18n/index.js';
import { auditEvent } from '../audit/events.js';
import { clientAddress, type ServerContext } from '../context.js';
import { recordRateLimitHit } from '../protection/rate-limited.js';
import type { Limited } from '../protection/rate-limits.js';
import { urlTo } from '../routes.js';
import { issueAccountToken } from './account-tokens.js';
import { sendAccountEmail } from './emails.js';

/** What the account email functions use. */
export type AccountsContext = Pick<ServerContext, 'audit' | 'clock' | 'config' | 'limits' | 'logger' | 'metrics' | 'request' | 'secrets' | 'store'>;

/** How long a verification link and its code work. */
export const VERIFICATION_TTL_MS = 24 * 3_600_000;
/** A new verification email for one address (or pending sign-up) goes out at most this often. */
const RESEND_AFTER_MS = 60_000;
/** Artifact kind marking the minute after a verification email, per account or pending sign-up. */
const SEND_GAP = 'account_email_gap';

/** Why no email goes out: one went moments ago (`wait`), or a sending budget is spent (`limited`). */
export type EmailReservation = { ok: true } | { ok: false; reason: 'wait' } | { ok: false; reason: 'limited'; limited: Limited };

/**
 * Claims the right to send one verification email about `gapKey` to `email`: the one-minute gap,
 * claimed atomically (of concurrent resends, one goes on), then the sending budgets, spent before
 * anything is sent: per client address (`accountEmailsPerIp`) and per destination
 * (`codesPerDestination`, keyed by a keyed hash: no address in a rate-limit key). Nothing here
 * depends on whether an account exists.
 */
export async function reserveVerificationEmail(ctx: AccountsContext, gapKey: string, email: string): Promise<EmailReservation> {
  const now = ctx.clock.now();
  try {
    await ctx.store.artifacts.put({ kind: SEND_GAP, id: gapKey, value: null, ownerId: null, expiresAt: now + RESEND_AFTER_MS });
  } catch (error) {
    if (!(error instanceof StoreConflictError)) throw error;
    return { ok: false, reason: 'wait' };
  }
  const budget = await ctx.limits.reserve([
    { limiter: 'accountEmailsPerIp', key: clientAddress(ctx) },
    { limiter: 'codesPerDestination', key: destinationKey(ctx, email) },
  ]);
  if (budget.limited) {
    // Nothing goes out: a later try must not be told to wait for an email that was never sent.
    await ctx.store.artifacts.delete(SEND_GAP, gapKey);
    await recordRateLimitHit(ctx, budget.limited);
    return { ok: false, reason: 'limited', limited: budget.limited };
  }
  return { ok: true };
}

/** The `codesPerDestination` key of an address: a keyed hash, as for every code sent (see one-time-codes.ts). */
export function destinationKey(ctx: Pick<ServerContext, 'secrets'>, email: string): string {
  return ctx.secrets.hash(email.toLowerCase(), 'code-destination');
}

/** The emailed link that confirms an address (a sign-up's or an account's), from any device. */
export function verificationLink(ctx: Pick<ServerContext, 'config'>, token: string): string {
  return `${urlTo(ctx, 'verifyEmail')}?token=${encodeURIComponent(token)}`;
}

/**
 * Sends a signed-in user whose address is not verified a link and a 6-digit code
 * (`accounts.requireVerifiedEmail`), unless one went out less than a minute ago or a budget is
 * spent. A new one ends the earlier ones. Written in `i18n`'s language (the page's).
 */
export async function sendAccountVerification(ctx: AccountsContext, user: UserRecord & { email: string }, i18n: Translator): Promise<EmailReservation> {
  const reservation = await reserveVerificationEmail(ctx, `verify:${user.id}`, user.email);
  if (!reservation.ok) return reservation;
  const { token, code } = await issueAccountToken(ctx, 'verify_email', { userId: user.id, email: user.email }, VERIFICATION_TTL_MS, { code: true });
  await sendAccountEmail(ctx, {
    to: user.email,
    template: 'verify_email',
    i18n,
    vars: { link: verificationLink(ctx, token), code, expiresIn: VERIFICATION_TTL_MS / 1000, ...(user.profile.name ? { name: user.profile.name } : {}) },
  });
  await ctx.audit.record(auditEvent('email.verification_sent', { sub: user.id }));
  return reservation;
}

/**
 * Marks the account's address verified, if it is still the address the code or link went to (an
 * address changed since is not vouched for by it). False when the account or the address is gone.
 */
export async function markEmailVerified(ctx: Pick<ServerContext, 'audit' | 'clock' | 'store'>, userId: string, email: string): Promise<boolean> {
  const user = await ctx.store.users.get(userId);
  if (user?.email !== email) return false;
  if (!user.emailVerified) await ctx.store.users.update({ ...user, emailVerified: true, updatedAt: ctx.clock.now() });
  await ctx.audit.record(auditEvent('user.email_verified', { sub: userId }));
  return true;
}
