import type { UserRecord } from '../../stores/contract.js';
import type { Translator } from '../../ui/i18n/index.js';
import { StoreConflictError } from '../../stores/contract.js';
import { auditEvent } from '../audit/events.js';
import { setUserPassword } from '../admin/users.js';
import type { ServerContext } from '../context.js';
import { recordRateLimitHit } from '../protection/rate-limited.js';
import { signInGenerationTtlMs, startSignInGeneration } from '../protection/sign-in-generation.js';
import { urlTo } from '../routes.js';
import { consumeAccountToken, issueAccountToken, revokeAccountTokens, type AccountTokenValue } from './account-tokens.js';
import { sendAccountEmail } from './emails.js';

/** What a reset link stands for: the account, its address, and the sign-in the user came from (to go back to). */
export interface ResetLinkValue extends AccountTokenValue {
  interaction?: string;
}

/** Artifact kind marking "this browser answered the second factor for this reset link". */
const RESET_MFA = 'password_reset_mfa';

type AccountsContext = Pick<ServerContext, 'audit' | 'clock' | 'config' | 'limits' | 'logger' | 'metrics' | 'request' | 'secrets' | 'store'>;

/**
 * Spends one email from each of the sending budgets an emailed code spends (per account, per
 * address, the installation's), so "forgot password" and "email me a code" cannot flood one
 * mailbox or the mail server. False, and the refusal counted, when one is used up.
 */
export async function reserveAccountEmail(ctx: AccountsContext, user: UserRecord, address: string): Promise<boolean> {
  const budget = await ctx.limits.reserve([
    { limiter: 'codesPerUser', key: user.id },
    // A keyed hash: addresses never appear in rate-limit keys.
    { limiter: 'codesPerDestination', key: ctx.secrets.hash(address.toLowerCase(), 'code-destination') },
    { limiter: 'codesGlobal', key: 'all' },
  ]);
  if (!budget.limited) return true;
  await recordRateLimitHit(ctx, budget.limited);
  return false;
}

/**
 * The work behind "forgot password", run after the answer (`afterAnswer`): when an enabled account
 * with an address matches `login`, and the sending budgets allow, a single-use reset link
 * (`accounts.passwordResetTtl`) replaces any earlier one and goes to the account's address.
 * Nothing happens otherwise, and nobody is told which. Written in `i18n`'s language (the page's).
 */
export async function sendPasswordResetLink(ctx: AccountsContext, login: string, interaction: string | undefined, i18n: Translator): Promise<void> {
  const user = await ctx.store.users.findByLogin(login);
  if (!user || user.disabled || !user.email) return;
  if (!(await reserveAccountEmail(ctx, user, user.email))) return;
  const ttl = ctx.config.accounts.passwordResetTtl;
  const value: ResetLinkValue = { userId: user.id, email: user.email, ...(interaction ? { interaction } : {}) };
  const { token } = await issueAccountToken(ctx, 'password_reset', value, ttl * 1000);
  await sendAccountEmail(ctx, {
    to: user.email,
    template: 'password_reset',
    i18n,
    vars: { link: `${urlTo(ctx, 'resetPassword')}?token=${token}`, expiresIn: ttl, ...(user.profile.name ? { name: user.profile.name } : {}) },
  });
}

/** Where "the second factor was answered" is kept: a keyed hash of the link's secret and the browser, never either. */
const resetMfaId = (ctx: Pick<ServerContext, 'secrets'>, token: string, browserId: string) => ctx.secrets.hash(`${token}\0${browserId}`, RESET_MFA);

/** Records that this browser answered the second factor for this reset link (for as long as a link lives). */
export async function recordResetMfaPassed(
  ctx: Pick<ServerContext, 'clock' | 'config' | 'secrets' | 'store'>,
  token: string,
  browserId: string,
): Promise<void> {
  const expiresAt = ctx.clock.now() + ctx.config.accounts.passwordResetTtl * 1000;
  try {
    await ctx.store.artifacts.put({ kind: RESET_MFA, id: resetMfaId(ctx, token, browserId), value: null, ownerId: null, expiresAt });
  } catch (error) {
    // Answered twice (two tabs): recorded either way.
    if (!(error instanceof StoreConflictError)) throw error;
  }
}

/** Whether this browser answered the second factor for this reset link. */
export async function resetMfaPassed(ctx: Pick<ServerContext, 'secrets' | 'store'>, token: string, browserId: string): Promise<boolean> {
  const record = await ctx.store.artifacts.get(RESET_MFA, resetMfaId(ctx, token, browserId));
  return record?.consumedAt === null;
}

/**
 * Sets the new password with the link, once: the link is consumed atomically first (of N
 * concurrent posts exactly one gets here), then the password is hashed and stored and everything
 * the user was signed in with ends (`revokeUserAccess`: sessions, refresh and access tokens),
 * other reset links die, and the account's sign-in lockouts are lifted (a new sign-in
 * generation, as `gatehouse users unlock`). The user is told by email. `undefined` when the link
 * was used (or expired) meanwhile, or the account is gone, disabled, or at another address.
 */
export async function resetPassword(
  ctx: AccountsContext,
  token: string,
  browserId: string,
  password: string,
): Promise<{ user: UserRecord; value: ResetLinkValue } | undefined> {
  const value = await consumeAccountToken<ResetLinkValue>(ctx, 'password_reset', token);
  if (!value) return undefined;
  const found = await ctx.store.users.get(value.userId);
  // The link went to the account's address then; an address changed since is no longer vouched for by it.
  if (!found || found.disabled || found.email !== value.email) return undefined;
  const { user, revoked } = await setUserPassword(ctx.store, ctx.clock, found.id, password);
  await Promise.all([
    revokeAccountTokens(ctx, 'password_reset', user.id),
    ctx.store.artifacts.delete(RESET_MFA, resetMfaId(ctx, token, browserId)),
    startSignInGeneration(ctx.store, user.id, ctx.clock.now(), signInGenerationTtlMs(ctx.config.protection.rateLimits)),
  ]);
  await ctx.audit.record(auditEvent('password.reset', { sub: user.id, sessions_ended: revoked.sessions }));
  return { user, value };
}
