import { StoreConflictError, type UserRecord } from '../../stores/contract.js';
import type { MessageKey } from '../../ui/i18n/index.js';
import type { ServerContext } from '../context.js';
import { messageLanguage } from '../http/page-language.js';
import { urlTo } from '../routes.js';
import { issueAccountToken, type AccountTokenValue } from './account-tokens.js';
import { emailDomainAllowed, readEmailAddress } from './email-address.js';
import { sendAccountEmail } from './emails.js';

/** How long the link and code to confirm a new address work. */
const EMAIL_CHANGE_TTL_MS = 60 * 60_000;

/** Why a new address is refused before anything is sent (said on the page, in its language). */
export type NewAddressCheck = { ok: true; address: string } | { ok: false; reason: { key: MessageKey; values?: Record<string, string> } };

/**
 * The typed address, lower-cased and trimmed, when it is an address ({@link readEmailAddress}),
 * differs from the current one and is at an allowed domain ({@link emailDomainAllowed}).
 * Whether another account has it is not said here: that would tell anyone who has an account.
 */
export function checkNewAddress(config: Pick<ServerContext['config'], 'accounts'>, user: UserRecord, typed: string): NewAddressCheck {
  const address = readEmailAddress(typed);
  if (address === undefined) return { ok: false, reason: { key: 'accountError.emailFormat' } };
  if (address === user.email) return { ok: false, reason: { key: 'accountError.sameAddress' } };
  if (!emailDomainAllowed(config, address)) {
    return { ok: false, reason: { key: 'accountError.emailDomain', values: { domains: config.accounts.allowedEmailDomains.join(', ') } } };
  }
  return { ok: true, address };
}

/**
 * Starts changing the account's address to `address`: a link and a 6-digit code to the new address
 * (a new request ends the previous one), and a notice to the current one. When another account has
 * the address, only the notice is sent: the page and the account's own mailbox say the same either
 * way, and the owner of that address learns nothing. The account keeps its address until {@link confirmEmailChange}.
 * The link is written in the request's language, the notice in the account's (its `locale`).
 */
export async function startEmailChange(
  ctx: Pick<ServerContext, 'clock' | 'config' | 'request' | 'secrets' | 'store'>,
  user: UserRecord,
  address: string,
): Promise<void> {
  // The notice goes out either way: were it sent only for a free address, the account's own
  // mailbox would tell its owner which addresses have accounts.
  if (user.email) {
    await sendAccountEmail(ctx, {
      to: user.email,
      template: 'email_changed',
      i18n: messageLanguage(ctx, { account: user.profile, atThisRequest: true }),
      vars: { newEmail: address },
    });
  }
  if (await ctx.store.users.findByLogin(address)) return;
  const { token, code } = await issueAccountToken(ctx, 'email_change', { userId: user.id, email: address }, EMAIL_CHANGE_TTL_MS, { code: true });
  const link = `${urlTo(ctx, 'accountEmailConfirm')}?token=${token}`;
  await sendAccountEmail(ctx, {
    to: address,
    template: 'email_change',
    i18n: messageLanguage(ctx),
    vars: { link, ...(code ? { code } : {}), expiresIn: EMAIL_CHANGE_TTL_MS / 1000 },
  });
}

/** What confirming did: changed (with the account as it is now), or why not. */
export type EmailChangeOutcome = { changed: true; user: UserRecord } | { changed: false; reason: 'taken' | 'gone' };

/**
 * Sets the confirmed address (link or code already used up): the account's email, verified. Another
 * account may have taken the address since the request (the store's uniqueness decides): then
 * nothing changes.
 */
export async function confirmEmailChange(ctx: Pick<ServerContext, 'clock' | 'store'>, value: AccountTokenValue): Promise<EmailChangeOutcome> {
  const user = await ctx.store.users.get(value.userId);
  if (!user || user.disabled) return { changed: false, reason: 'gone' };
  const updated: UserRecord = { ...user, email: value.email, emailVerified: true, updatedAt: ctx.clock.now() };
  try {
    if (!(await ctx.store.users.update(updated))) return { changed: false, reason: 'gone' };
  } catch (error) {
    if (error instanceof StoreConflictError) return { changed: false, reason: 'taken' };
    throw error;
  }
  return { changed: true, user: updated };
}
