import { StoreConflictError } from '../../stores/contract.js';
import type { ServerContext } from '../context.js';
import { messageLanguage } from '../http/page-language.js';
import type { Interaction } from '../interaction/interactions.js';
import { urlTo } from '../routes.js';
import { browserBinding } from '../session/browser.js';
import { checkAccountCode, issueAccountToken, type AccountTokenValue } from './account-tokens.js';
import { normaliseEmailAddress } from './email-address.js';
import { sendAccountEmail } from './emails.js';
import { reserveAccountEmail } from './password-reset.js';

/** How long an emailed sign-in code and its link work. */
const EMAIL_SIGN_IN_TTL_MS = 10 * 60_000;
/** Artifact kind of an interaction's pending sign-in by email, keyed by the interaction id. */
const PENDING = 'email_sign_in_pending';

/** What an emailed sign-in link stands for: the account, its address, the sign-in and the browser it was asked from. */
export interface EmailSignInLink extends AccountTokenValue {
  interaction: string;
  /** Keyed hash of the browser binding (`browserBinding`): the link signs in only there. */
  browser: string;
}

/** The sign-in by email an interaction waits for: the code's key (interaction + address), the address (encrypted), when it was asked. */
export interface PendingEmailSignIn {
  key: string;
  address: string;
  sentAt: number;
}

type Ctx = Pick<ServerContext, 'audit' | 'clock' | 'config' | 'limits' | 'logger' | 'metrics' | 'request' | 'secrets' | 'store'>;

const addressContext = (interactionId: string) => `email-sign-in:${interactionId}`;

/**
 * Records, for the interaction, the address a sign-in code is asked for — the same work whether
 * or not an account uses it. The code is keyed by a keyed hash of interaction and address, so the
 * code page can check it without knowing whether an account exists. Asking again for the same
 * address keeps the key (the new code replaces the old).
 */
export async function startEmailSignIn(
  ctx: Pick<ServerContext, 'clock' | 'secrets' | 'store'>,
  interaction: Interaction,
  address: string,
): Promise<PendingEmailSignIn> {
  const normalised = normaliseEmailAddress(address);
  const pending: PendingEmailSignIn = {
    key: ctx.secrets.hash(`${interaction.id}\0${normalised}`, 'email-sign-in'),
    address: normalised,
    sentAt: ctx.clock.now(),
  };
  const record = { key: pending.key, address: ctx.secrets.encrypt(normalised, addressContext(interaction.id)), sentAt: pending.sentAt };
  await ctx.store.artifacts.delete(PENDING, interaction.id);
  try {
    await ctx.store.artifacts.put({ kind: PENDING, id: interaction.id, value: record, ownerId: null, expiresAt: interaction.expiresAt });
  } catch (error) {
    // Two concurrent asks: the other one's record stands (the code page checks against it).
    if (!(error instanceof StoreConflictError)) throw error;
  }
  return pending;
}

/** The sign-in by email the interaction waits for, if any. */
export async function pendingEmailSignIn(ctx: Pick<ServerContext, 'secrets' | 'store'>, interactionId: string): Promise<PendingEmailSignIn | undefined> {
  const record = await ctx.store.artifacts.get<{ key: string; address: string; sentAt: number }>(PENDING, interactionId);
  if (record?.consumedAt !== null) return undefined;
  return { key: record.value.key, address: ctx.secrets.decrypt(record.value.address, addressContext(interactionId)), sentAt: record.value.sentAt };
}

/** Ends the interaction's sign-in by email (signed in). */
export async function endEmailSignIn(ctx: Pick<ServerContext, 'store'>, interactionId: string): Promise<void> {
  await ctx.store.artifacts.delete(PENDING, interactionId);
}

/**
 * The work behind "email me a sign-in code", after the answer: when an enabled account uses the
 * address (or the name) and the sending budgets allow, a code and a link (10 minutes, bound to
 * this browser and interaction) replace the earlier ones and are emailed to the account's address,
 * in the sign-in's language.
 */
export async function sendEmailSignIn(ctx: Ctx, pending: PendingEmailSignIn, interaction: Interaction, browserId: string): Promise<void> {
  const user = await ctx.store.users.findByLogin(pending.address);
  if (!user || user.disabled || !user.email) return;
  if (!(await reserveAccountEmail(ctx, user, user.email))) return;
  const value: EmailSignInLink = { userId: user.id, email: user.email, interaction: interaction.id, browser: browserBinding(ctx, browserId) };
  const { token, code } = await issueAccountToken(ctx, 'email_sign_in', value, EMAIL_SIGN_IN_TTL_MS, { code: true, key: pending.key });
  await sendAccountEmail(ctx, {
    to: user.email,
    template: 'email_sign_in',
    i18n: messageLanguage(ctx, { uiLocales: interaction.state.request.uiLocales }),
    vars: { link: `${urlTo(ctx, 'emailSignIn')}?token=${token}`, code: code!, expiresIn: EMAIL_SIGN_IN_TTL_MS / 1000 },
  });
}

export type EmailCodeCheck = { ok: true; value: EmailSignInLink } | { ok: false; reason: 'wrong' | 'locked' };

/**
 * Checks a typed code: five tries per code asked for (the round is when it was asked, which the
 * page knows whether or not an account, and so a code, exists), spent before the code is compared,
 * with the same lookups and store calls for an address with an account and one without
 * (`checkAccountCode`), so neither the answers nor their work tell them apart. A right code uses
 * up the code and its link.
 */
export async function checkEmailSignInCode(ctx: Ctx, pending: PendingEmailSignIn, code: string): Promise<EmailCodeCheck> {
  const tries = { round: pending.sentAt, windowMs: 2 * EMAIL_SIGN_IN_TTL_MS };
  const checked = await checkAccountCode<EmailSignInLink>(ctx, 'email_sign_in', pending.key, code, tries);
  if (checked.ok) return checked;
  // Expired, never sent (no account) and wrong are one answer: telling them apart would tell whether the account exists.
  return { ok: false, reason: checked.reason === 'locked' || checked.lastTry ? 'locked' : 'wrong' };
}
