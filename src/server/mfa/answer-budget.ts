import type { ServerContext } from '../context.js';
import { spendAttempt } from './attempt-budget.js';

/** Second-factor answers a user may get wrong per window, across all methods and sign-ins (NIST SP 800-63B §5.2.2). */
const MFA_ATTEMPTS_PER_WINDOW = 10;
const MFA_WINDOW_MS = 15 * 60_000;

/** A second-factor answer reserved before it is checked. */
export interface AnswerReservation {
  /** Set when a budget is used up: the answer must not be checked. */
  refused: { by: 'user' | 'address'; retryAt: number } | undefined;
  /** This answer spent the user's last attempt of the window. */
  last: boolean;
  /** When the user's budget refills (milliseconds since the epoch). */
  retryAt: number;
  /** The answer was right (or was never checked): its attempts go back. */
  refund(): Promise<void>;
}

/**
 * Spends one attempt from the user's budget (10 per 15 minutes, slots in the store: shared by every
 * instance on every store) and one from the address's (`mfaPerIp`) before an answer is checked.
 * When either refuses, the other is given back and nothing may be checked. `userId` is undefined
 * for a passwordless passkey, where only the address is known.
 */
export async function reserveSecondFactorAnswer(
  ctx: Pick<ServerContext, 'clock' | 'limits' | 'store'>,
  userId: string | undefined,
  ip: string,
): Promise<AnswerReservation> {
  const [user, address] = await Promise.all([
    userId === undefined ? undefined : spendAttempt(ctx, `mfa-failures:${userId}`, MFA_ATTEMPTS_PER_WINDOW, MFA_WINDOW_MS),
    ctx.limits.reserve([{ limiter: 'mfaPerIp', key: ip }]),
  ]);
  const refund = async () => {
    await Promise.all([user?.refund(), address.refund()]);
  };
  if (user && !user.allowed) {
    await address.refund();
    return { refused: { by: 'user', retryAt: user.retryAt }, last: true, retryAt: user.retryAt, refund: async () => undefined };
  }
  if (address.limited) {
    await user?.refund();
    const retryAt = ctx.clock.now() + address.limited.retryAfterSeconds * 1000;
    return { refused: { by: 'address', retryAt }, last: false, retryAt, refund: async () => undefined };
  }
  return { refused: undefined, last: user?.last ?? false, retryAt: user?.retryAt ?? 0, refund };
}
