import { verifyPassword } from '../../core/password.js';
import type { UserRecord } from '../../stores/contract.js';
import { clientAddress, type ServerContext } from '../context.js';
import { recordRateLimitHit } from '../protection/rate-limited.js';
import { reserveSignIn, signInTarget } from '../protection/sign-in-attempts.js';

/** The typed current password is right, wrong, or may not be tried now (the sign-in budgets are spent). */
export type CurrentPasswordCheck = { ok: true } | { ok: false; reason: 'wrong' } | { ok: false; reason: 'limited'; retryAt: number };

/**
 * Checks the current password typed on the account page (to change it, or to delete the account)
 * against the sign-in budgets, spending before verifying as a sign-in does: a stolen session cookie
 * gives no more password guesses than the sign-in page. A right password gets its points back.
 */
export async function checkCurrentPassword(
  ctx: Pick<
    ServerContext,
    'audit' | 'clock' | 'config' | 'keys' | 'limits' | 'logger' | 'metrics' | 'network' | 'request' | 'secrets' | 'store' | 'upstreams' | 'urls'
  >,
  user: UserRecord,
  typed: string,
  browserId: string,
): Promise<CurrentPasswordCheck> {
  if (user.passwordHash === null) return { ok: false, reason: 'wrong' };
  const attempt = await reserveSignIn(ctx, await signInTarget(ctx, { login: user.username, user, browserId, ip: clientAddress(ctx) }));
  if (attempt.limited) {
    await recordRateLimitHit(ctx, attempt.limited);
    return { ok: false, reason: 'limited', retryAt: ctx.clock.now() + attempt.limited.retryAfterSeconds * 1000 };
  }
  if (!(await verifyPassword(user.passwordHash, typed))) return { ok: false, reason: 'wrong' };
  await attempt.refund();
  return { ok: true };
}
