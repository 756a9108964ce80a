import { randomBytes, randomUUID } from 'node:crypto';
import { auditEvent } from '../audit/events.js';
import type { Profile } from '../../client/profile.js';
import type { TokenSet } from '../../client/token-set.js';
import { StoreConflictError, type UserRecord } from '../../stores/contract.js';
import { emailDomainAllowed, normaliseEmailAddress } from '../accounts/email-address.js';
import { usernameCharacters } from '../accounts/usernames.js';
import type { ServerContext } from '../context.js';
import type { Upstream } from './upstreams.js';

/** An upstream sign-in that cannot be completed; the message is for the user. */
export class UpstreamLinkError extends Error {}

/**
 * The local user for an upstream sign-in:
 * 1. the user already linked to this provider account;
 * 2. else, when the provider vouches for the email (verified), the user with that email — but only
 *    if the local address is verified too: an unverified local account could have been registered
 *    by someone else with the victim's address (pre-account takeover);
 * 3. else, when sign-up is open (`accounts.signUp: 'open'`), a new user without a password — with
 *    `accounts.allowedEmailDomains` set, only for a verified address at one of them;
 *    otherwise no account: the user is told to ask an administrator.
 * The link records the provider's email and, when configured, its tokens (encrypted).
 */
export async function resolveUpstreamUser(
  ctx: Pick<ServerContext, 'audit' | 'clock' | 'config' | 'secrets' | 'store'>,
  upstream: Upstream,
  profile: Profile,
  tokens: TokenSet,
): Promise<UserRecord> {
  const { store } = ctx;
  const now = ctx.clock.now();
  const encryptedTokens = upstream.options.keepTokens ? ctx.secrets.encrypt(JSON.stringify(tokens), identityContext(upstream.id, profile.sub)) : null;
  const link = async (user: UserRecord) => {
    await store.users.linkIdentity({
      provider: upstream.id,
      subject: profile.sub,
      userId: user.id,
      email: profile.email ?? null,
      encryptedTokens,
      createdAt: now,
      updatedAt: now,
    });
    return user;
  };

  const linked = await store.users.findByIdentity(upstream.id, profile.sub);
  if (linked) {
    if (linked.disabled) throw new UpstreamLinkError('This account is disabled.');
    return link(linked);
  }
  const email = profile.email === undefined ? undefined : normaliseEmailAddress(profile.email);
  if (email && profile.emailVerified) {
    const existing = await store.users.findByLogin(email);
    if (existing?.email === email) {
      if (!existing.emailVerified || existing.disabled) {
        throw new UpstreamLinkError(`An account with this email already exists. Sign in with your password instead of ${upstream.label}.`);
      }
      await ctx.audit.record(auditEvent('upstream.linked', { upstream: upstream.id, sub: existing.id }));
      return link(existing);
    }
  }
  if (ctx.config.accounts.signUp !== 'open') {
    await ctx.audit.record(auditEvent('signup.refused', { upstream: upstream.id, reason: 'sign_up_closed' }));
    throw new UpstreamLinkError(
      `There is no account for this ${upstream.label} sign-in, and new accounts cannot be created here. Ask your administrator for an account.`,
    );
  }
  const verifiedEmail = email && profile.emailVerified ? email : null;
  // A sign-up limited to some domains is limited for upstream accounts too: only a verified address there.
  if (ctx.config.accounts.allowedEmailDomains.length > 0 && (verifiedEmail === null || !emailDomainAllowed(ctx.config, verifiedEmail))) {
    await ctx.audit.record(auditEvent('signup.refused', { upstream: upstream.id, reason: 'domain_not_allowed' }));
    throw new UpstreamLinkError(
      `New accounts here need a verified email address at ${ctx.config.accounts.allowedEmailDomains.join(', ')}, and ${upstream.label} did not give one. Ask your administrator for an account.`,
    );
  }
  const user = await createUpstreamUser(ctx, upstream, profile, verifiedEmail);
  await ctx.audit.record(auditEvent('upstream.user_created', { upstream: upstream.id, sub: user.id }));
  return link(user);
}

/** The encryption context of a link's stored tokens: they decrypt only for that provider account. */
export function identityContext(provider: string, subject: string): string {
  return `upstream-tokens:${provider}:${subject}`;
}

async function createUpstreamUser(
  ctx: Pick<ServerContext, 'clock' | 'store'>,
  upstream: Upstream,
  profile: Profile,
  email: string | null,
): Promise<UserRecord> {
  const now = ctx.clock.now();
  const base = usernameBase(profile, upstream.id);
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const username = attempt === 0 ? base : `${base.slice(0, 55)}-${randomBytes(3).toString('hex')}`;
    const user: UserRecord = {
      id: randomUUID(),
      username,
      email,
      emailVerified: email !== null,
      passwordHash: null,
      profile: { ...(profile.name ? { name: profile.name } : {}), ...(profile.picture?.startsWith('https://') ? { picture: profile.picture } : {}) },
      disabled: false,
      roles: [],
      createdAt: now,
      updatedAt: now,
    };
    try {
      await ctx.store.users.create(user);
      return user;
    } catch (error) {
      if (!(error instanceof StoreConflictError)) throw error;
      if (error.field === 'email') throw new UpstreamLinkError('An account with this email already exists. Sign in with your password first.');
    }
  }
  throw new UpstreamLinkError('Could not create an account. Please try again.');
}

/** A valid username from the provider's login, the email's local part, or the name. */
function usernameBase(profile: Profile, provider: string): string {
  const candidates = [profile.raw.login, profile.raw.preferred_username, profile.email?.split('@')[0], profile.name];
  for (const candidate of candidates) {
    if (typeof candidate !== 'string') continue;
    const cleaned = usernameCharacters(candidate);
    if (cleaned.length >= 2) return cleaned;
  }
  return usernameCharacters(`${provider}-${profile.sub}`);
}
