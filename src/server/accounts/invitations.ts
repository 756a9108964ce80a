import { operatorId } from '../../core/encoding.js';
import { StoreConflictError, type UserRecord } from '../../stores/contract.js';
import { AdminInputError } from '../admin/input-error.js';
import { createUser, normaliseEmail } from '../admin/users.js';
import { auditEvent } from '../audit/events.js';
import type { ServerContext } from '../context.js';
import { messageLanguage } from '../http/page-language.js';
import { urlTo } from '../routes.js';
import {
  consumeAccountToken,
  issueAccountToken,
  listAccountTokens,
  peekAccountLink,
  revokeAccountTokenById,
  type AccountTokenValue,
} from './account-tokens.js';
import { accountEmailsAvailable, sendAccountEmail } from './emails.js';
import { checkNewPassword, type Refusal } from './password-policy.js';
import { CONTROLS } from './profile-edit.js';
import { createWithUsernameFor } from './usernames.js';

/**
 * Invitations: an operator invites an address (`gatehouse users invite`, later the admin API), the
 * person sets a password from the emailed link, and the account exists from then on, its address
 * verified by the link itself. Invitations are an operator action: they work whatever
 * `accounts.signUp` says.
 */

/** What invitations need: the store, the clock, the keys that hash links, the settings, and the audit log. */
export type InvitationContext = Pick<ServerContext, 'store' | 'clock' | 'secrets' | 'config' | 'audit'>;

/** All invitations are kept under this one key, so that they can be listed. */
const INVITATIONS_KEY = 'invitations';

/** What an invitation link stands for. */
interface InvitationValue extends AccountTokenValue {
  name?: string;
}

/** A pending invitation, as operators see it (never its link). */
export interface Invitation {
  /** Names the invitation for `revokeInvitation`: the start of the keyed hash of the link's secret, which does not open it. */
  id: string;
  email: string;
  name?: string;
  invitedAt: number;
  expiresAt: number;
}

/** An {@link Invitation} in wire form, as `gatehouse users invitations --json` and the admin API show it. */
export function invitationJson(invitation: Invitation): { id: string; email: string; name: string | null; invited_at: string; expires_at: string } {
  return {
    id: invitation.id,
    email: invitation.email,
    name: invitation.name ?? null,
    invited_at: new Date(invitation.invitedAt).toISOString(),
    expires_at: new Date(invitation.expiresAt).toISOString(),
  };
}

/** An invitation just made: its link (shown only when asked for) and whether the email went out. */
export interface NewInvitation {
  invitation: Invitation;
  link: string;
  emailed: boolean;
}

/**
 * Invites `email`: refuses an address that already has an account, ends an earlier invitation of
 * the same address, issues a single-use link valid for `accounts.invitationTtl`, emails it when an
 * email sender is configured, and audits `user.invited`. With `requireEmail`, refuses (before
 * issuing anything) when no email can go out.
 *
 * @throws {AdminInputError} for a malformed address, an address with an account, or no email sender.
 */
export async function inviteUser(ctx: InvitationContext, input: { email: string; name?: string }, options: { requireEmail: boolean }): Promise<NewInvitation> {
  const email = normaliseEmail(input.email);
  if (email === null) throw new AdminInputError('email', 'an address is required');
  const name = nonEmpty(input.name);
  const existing = await ctx.store.users.findByLogin(email);
  // The values quoted, so the admin API can answer without repeating them (`adminInputRefusal`).
  if (existing) throw new AdminInputError('email', `already has an account ("${email}" is user "${existing.username}"); nothing to invite`);
  const emailed = accountEmailsAvailable(ctx);
  if (options.requireEmail && !emailed) {
    throw new AdminInputError('email', 'no email sender is configured (GATEHOUSE_SMTP_URL, or --dev for the development outbox) to send the invitation');
  }
  const replaced = await revokeInvitationsOf(ctx, email);
  const ttlMs = ctx.config.accounts.invitationTtl * 1000;
  const value: InvitationValue = { userId: '', email, ...(name ? { name } : {}) };
  const issued = await issueAccountToken(ctx, 'invitation', value, ttlMs, { key: INVITATIONS_KEY, replace: false });
  const link = `${urlTo(ctx, 'invitation')}?token=${issued.token}`;
  const invitation = describeInvitation(issued.id, { ...value, issuedAt: issued.expiresAt - ttlMs }, issued.expiresAt);
  await ctx.audit.record(auditEvent('user.invited', { email, invitation: invitation.id, replaced, emailed }));
  if (emailed) {
    // Nobody invited is at this request (an administrator is), and no account holds a language yet.
    const i18n = messageLanguage(ctx, { account: {} });
    await sendAccountEmail(ctx, { to: email, template: 'invitation', i18n, vars: { link, expiresIn: ttlMs / 1000, ...(name ? { name } : {}) } });
  }
  return { invitation, link, emailed };
}

/** The pending invitations (unused, unexpired), newest first. */
export async function listInvitations(ctx: Pick<ServerContext, 'store' | 'clock'>): Promise<Invitation[]> {
  return (await pendingLinks(ctx)).map((link) => describeInvitation(link.id, link.value, link.expiresAt));
}

/** The invitation links still usable, with their stored ids. */
async function pendingLinks(ctx: Pick<ServerContext, 'store' | 'clock'>) {
  const now = ctx.clock.now();
  const links = await listAccountTokens(ctx, 'invitation', INVITATIONS_KEY);
  return links.filter((link) => link.expiresAt > now);
}

/**
 * Ends a pending invitation by its id: its link stops working. Audits `invitation.revoked`.
 *
 * @throws {AdminInputError} when no pending invitation has that id.
 */
export async function revokeInvitation(ctx: InvitationContext, id: string): Promise<Invitation> {
  const link = (await pendingLinks(ctx)).find((entry) => publicId(entry.id) === id);
  if (!link || !(await revokeAccountTokenById(ctx, link.id))) throw new AdminInputError('invitation', `no pending invitation "${id}"`);
  const invitation = describeInvitation(link.id, link.value, link.expiresAt);
  await ctx.audit.record(auditEvent('invitation.revoked', { email: invitation.email, invitation: id }));
  return invitation;
}

/** A pending invitation as its link shows it: the address, the name, and the link's stored id and end (to spend its tries). */
export interface PeekedInvitation {
  email: string;
  name?: string;
  link: { id: string; expiresAt: number };
}

/** The invitation a link stands for while it can be used, without using it (the page's form). */
export async function peekInvitation(ctx: Pick<ServerContext, 'secrets' | 'store'>, token: string): Promise<PeekedInvitation | undefined> {
  const link = await peekAccountLink<InvitationValue>(ctx, 'invitation', token);
  if (!link) return undefined;
  const { value } = link;
  return { email: value.email, ...(value.name ? { name: value.name } : {}), link: { id: link.id, expiresAt: link.expiresAt } };
}

/** What accepting an invitation came to. */
export type AcceptResult =
  | { ok: true; user: UserRecord }
  /** The password or the name was refused (the reason is a message for the page); the link is still good. */
  | { ok: false; reason: 'password' | 'name'; message: Refusal; email: string }
  /** Unknown, used, expired or revoked, or the address got an account meanwhile. */
  | { ok: false; reason: 'invalid' };

/**
 * Accepts an invitation: checks the chosen password against the policy first (the link stays
 * good when it is refused; the endpoint spends one of the link's tries before each check, see
 * `spendPasswordTry`), then uses the link up, for exactly one caller however many race (the
 * store's atomic consume), and creates the account: the invited address, verified (the link
 * proved it), the name, the password hashed with argon2id. Audits `invitation.accepted`.
 */
export async function acceptInvitation(ctx: InvitationContext, token: string, input: { name?: string; password: string }): Promise<AcceptResult> {
  const pending = await peekInvitation(ctx, token);
  if (!pending) return { ok: false, reason: 'invalid' };
  const name = nonEmpty(input.name) ?? pending.name;
  // The account page's rules for a name: one line, no controls or bidirectional overrides, at most 100 characters.
  if (name !== undefined && (Array.from(name).length > 100 || CONTROLS.test(name))) {
    return { ok: false, reason: 'name', message: { key: 'invitation.error.name', values: { max: 100 } }, email: pending.email };
  }
  const verdict = checkNewPassword(ctx.config, input.password, { email: pending.email, name: name ?? null });
  if (!verdict.ok) return { ok: false, reason: 'password', message: verdict.reason, email: pending.email };
  const value = await consumeAccountToken<InvitationValue>(ctx, 'invitation', token);
  if (!value) return { ok: false, reason: 'invalid' };
  // An account made for the address since the invitation (sign-up, the CLI) keeps it; the link is spent.
  if (await ctx.store.users.findByLogin(value.email)) return { ok: false, reason: 'invalid' };
  let user: UserRecord;
  try {
    user = await createWithUsernameFor(ctx.store, value.email, (username) =>
      createUser(ctx.store, { username, email: value.email, emailVerified: true, password: input.password, ...(name ? { name } : {}) }, ctx.clock.now()),
    );
  } catch (error) {
    // The address got an account between the check above and this creation.
    if (error instanceof StoreConflictError && error.field === 'email') return { ok: false, reason: 'invalid' };
    throw error;
  }
  await ctx.audit.record(auditEvent('invitation.accepted', { sub: user.id, email: value.email }));
  return { ok: true, user };
}

/** Ends the pending invitations of `email` (re-inviting replaces them); how many there were. */
async function revokeInvitationsOf(ctx: InvitationContext, email: string): Promise<number> {
  const earlier = (await pendingLinks(ctx)).filter((link) => link.value.email === email);
  for (const link of earlier) await revokeAccountTokenById(ctx, link.id);
  return earlier.length;
}

function describeInvitation(storedId: string, value: AccountTokenValue, expiresAt: number): Invitation {
  const name = typeof value.name === 'string' ? value.name : undefined;
  return {
    id: publicId(storedId),
    email: value.email,
    ...(name ? { name } : {}),
    invitedAt: typeof value.issuedAt === 'number' ? value.issuedAt : 0,
    expiresAt,
  };
}

/** The text trimmed, or `undefined` when nothing is left. */
function nonEmpty(text: string | undefined): string | undefined {
  const trimmed = text?.trim();
  return trimmed === '' ? undefined : trimmed;
}

/** An invitation's id: the operator's id of its link's stored id (a keyed hash of its secret). */
function publicId(storedId: string): string {
  return operatorId(storedId);
}
