import type { Clock } from '../../core/clock.js';
import type { Store } from '../../stores/contract.js';
import { revokeAccountTokens } from '../accounts/account-tokens.js';
import { TOKENS_NOT_BEFORE, withTokensNotBefore } from '../consent.js';
import { forgetKnownBrowsers } from '../session/known-browsers.js';
import { endUserSessions } from '../session/sessions.js';

/** What {@link revokeUserAccess} ended. */
export interface UserAccessRevocation {
  /** Milliseconds since the epoch: token families that began at or before this are dead. */
  at: number;
  /** Sign-in sessions ended (browsers signed out). */
  sessions: number;
  /** Consents whose token families were ended (the consents themselves stand). */
  consents: number;
}

/**
 * Account links asked for from a signed-in session that outlive it: a pending email change is
 * confirmed by its link without any session, so a thief who asked for one (to their own mailbox)
 * would keep the account after the owner's reset or password change unless it ends here too.
 */
const SESSION_BOUND_LINKS = ['email_change'] as const;

/**
 * Ends everything a user is signed in with, everywhere, without asking them to consent again:
 * every sign-in session (all browsers), the browsers remembered as known to the account, a pending
 * email change (its link needs no session), and every token issued to any client on their behalf —
 * authorization codes not yet redeemed, refresh tokens, access-token records — for which refresh
 * then answers `invalid_grant`, introspection `{"active": false}` and UserInfo 401.
 *
 * Tokens are ended by a time, not by finding them: each of the user's consents records a
 * tokens-not-before time (`extra.tokensNotBefore`), and every token carries when its token family
 * began (`familyIssuedAt`), which every consent check compares (`isConsentActive`). So tokens held
 * in Redis or minted by a refresh racing this call die too; the user's consents stay, and a new
 * sign-in works as before. For a password reset, "sign out everywhere", or a suspected compromise.
 *
 * Needs only the store and a clock (the CLI and an admin API call it alike). Idempotent.
 *
 * @example
 * await revokeUserAccess(store, systemClock, user.id);
 */
export async function revokeUserAccess(store: Store, clock: Clock, sub: string): Promise<UserAccessRevocation> {
  const at = clock.now();
  const consents = await markConsents(store, sub, at);
  const sessions = await endUserSessions(store, at, sub);
  // Browsers that signed in before are no longer trusted to skip the per-account sign-in budget: one may be the attacker's.
  await forgetKnownBrowsers(store, sub);
  for (const purpose of SESSION_BOUND_LINKS) await revokeAccountTokens({ store }, purpose, sub);
  // A consent written by a sign-in that read it before the first pass (recordConsent extending its
  // scopes) would have dropped the mark: the stores have no compare-and-set on consents, so check again.
  await markConsents(store, sub, at);
  return { at, sessions, consents };
}

/** Sets the tokens-not-before time of each of the user's standing consents to at least `at`; returns how many. */
async function markConsents(store: Store, sub: string, at: number): Promise<number> {
  let marked = 0;
  for (const consent of await store.consents.listBySubject(sub)) {
    if (consent.revokedAt !== null) continue;
    marked += 1;
    const current = consent.extra[TOKENS_NOT_BEFORE];
    if (typeof current === 'number' && current >= at) continue;
    await store.consents.update(withTokensNotBefore(consent, at));
  }
  return marked;
}
