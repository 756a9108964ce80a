import type { ClientRecord, ConsentRecord } from '../../stores/contract.js';
import { consentCovers, findConsent } from '../consent.js';
import type { ServerContext } from '../context.js';
import type { Session } from '../session/sessions.js';
import { claimsNamedBy, type AuthorizationRequest } from '../authorize/request.js';
import { grantableScope } from '../admin-api/admin-scopes.js';
import { mfaRequirement, type MfaRequirement } from '../mfa/policy.js';
import { isBuiltInClient } from './account-client.js';
import { earnedBy, type InteractionState } from './interactions.js';

/**
 * What the user still has to do before a code can be issued. `wrong_user`: someone other than the
 * user of `id_token_hint` signed in during the interaction, which ends it with `login_required`.
 */
export type PendingStep = 'login' | 'mfa' | 'mfa_enroll' | 'verify_email' | 'select_account' | 'consent' | 'wrong_user' | undefined;

/**
 * The next step of an authorization request, given the browser's session and what happened so far
 * in this interaction (OIDC Core §3.1.2.3). Progress counts only for the user who earned it.
 * - sign in when there is no session, when `prompt=login` or the user asked for another account,
 *   when the session is older than `max_age`, or when it is not the user of `id_token_hint`;
 * - choose the account when `prompt=select_account`;
 * - verify a second factor when the MFA policy requires it and neither the session nor this
 *   interaction has one. A user who has none sets one up, but only right after a first factor
 *   in this interaction: an existing session (perhaps a stolen cookie) must sign in again first;
 * - verify the email address when `accounts.requireVerifiedEmail` asks for one and the signed-in
 *   user's is not (after both factors, before consent: the application never sees the user first);
 * - consent when the user's remembered consent does not cover the scopes (and the claims asked for
 *   by name, OIDC Core §5.5), or `prompt=consent`.
 */
export function nextStep(
  request: AuthorizationRequest,
  progress: Partial<InteractionState>,
  session: Session | undefined,
  consent: ConsentRecord | undefined,
  nowSeconds: number,
  mfa: MfaRequirement = { required: false, enrolled: false },
  requireVerifiedEmail = false,
): PendingStep {
  if (progress.pendingUser) return mfa.enrolled ? 'mfa' : 'mfa_enroll';
  if (!session) return 'login';
  const sub = session.state.sub;
  if (earnedBy(progress.loggedIn, sub)) {
    // OIDC Core §3.1.2.1: the hint names the user who must be signed in, by the request or before it.
    if (request.hintedSub !== undefined && request.hintedSub !== sub) return 'wrong_user';
  } else {
    if (request.prompt.includes('login') || progress.loginRequested) return 'login';
    // OIDC Core §3.1.2.1: max_age=0 is equivalent to prompt=login, whatever the clock's resolution.
    if (request.maxAge === 0) return 'login';
    if (request.maxAge !== undefined && nowSeconds - session.state.authTime > request.maxAge) return 'login';
    if (request.hintedSub !== undefined && request.hintedSub !== sub) return 'login';
    if (request.prompt.includes('select_account') && !earnedBy(progress.accountChosen, sub)) return 'select_account';
  }
  if (mfa.required && !session.state.amr.includes('mfa') && !earnedBy(progress.mfa, sub)) return mfa.enrolled ? 'mfa' : 'login';
  if (requireVerifiedEmail && !session.user.emailVerified) return 'verify_email';
  if (request.prompt.includes('consent') && !earnedBy(progress.consented, sub)) return 'consent';
  if (!consentCovers(consent, request.scope, request.resources, claimsNamedBy(request))) return 'consent';
  return undefined;
}

/** The `prompt=none` error for a step that would need the user (OIDC Core §3.1.2.6). */
export function promptNoneError(
  step: Exclude<PendingStep, undefined>,
): 'login_required' | 'interaction_required' | 'account_selection_required' | 'consent_required' {
  if (step === 'login' || step === 'wrong_user') return 'login_required';
  if (step === 'mfa' || step === 'mfa_enroll' || step === 'verify_email') return 'interaction_required';
  if (step === 'select_account') return 'account_selection_required';
  return 'consent_required';
}

/** What happens next with an authorization request, decided once per HTTP request by {@link decide}. */
export interface Decision {
  /** What the user still has to do; `undefined` when the code can be issued now. */
  step: PendingStep;
  /** The user's standing consent to the client, read once: what the code is issued under. */
  consent: ConsentRecord | undefined;
  /** The user the decision is about: the one owing a second factor, or the session's. */
  userId: string | undefined;
  /**
   * The scopes the session's user is granted ({@link scopeForSession}): what the consent must
   * cover, the consent page shows and the code carries. The request's scopes without a session.
   */
  scope: readonly string[];
}

/** What {@link decide} weighs: the request, its client, the browser's session and the progress so far. */
export interface DecisionInput {
  authorization: AuthorizationRequest;
  client: ClientRecord;
  session: Session | undefined;
  /** What happened so far in the interaction (`{}` at the authorization endpoint). */
  progress: Partial<InteractionState>;
  /** The consent as just recorded by this request, so it is not read back. */
  consent?: ConsentRecord;
}

/** The account pages and the admin console need no consent: every scope they ask for (none) counts as granted. */
const builtInConsent = (clientId: string): ConsentRecord => ({
  id: '',
  clientId,
  subject: '',
  scope: '',
  extra: {},
  createdAt: 0,
  updatedAt: 0,
  revokedAt: null,
});

/**
 * The scopes of `authorization` the session's user may be granted: the one place they are
 * narrowed (`admin` and `admin:read` for admins who passed a second factor only: `grantableScope`).
 * The decision uses it, and so does the consent form's answer, which records what the page showed.
 */
export function scopeForSession(authorization: AuthorizationRequest, session: Session | undefined): readonly string[] {
  return session ? grantableScope(authorization.scope, session.user, session.state.amr) : authorization.scope;
}

/**
 * The one place the next step is decided: loads what {@link nextStep} needs (the MFA requirement
 * of the user, the remembered consent) and asks it. The authorization endpoint, every interaction
 * page and every form answer call this once, then act on the result.
 */
export async function decide(ctx: Pick<ServerContext, 'store' | 'clock' | 'config'>, input: DecisionInput): Promise<Decision> {
  const { authorization, client, session, progress } = input;
  const userId = progress.pendingUser ?? session?.user.id;
  const mfa = userId ? await mfaRequirement(ctx, client, authorization, userId) : undefined;
  const consent = isBuiltInClient(client.clientId)
    ? builtInConsent(client.clientId)
    : (input.consent ?? (session ? await findConsent(ctx, session.user.id, client.clientId) : undefined));
  const scope = scopeForSession(authorization, session);
  const narrowed = scope.length === authorization.scope.length ? authorization : { ...authorization, scope: [...scope] };
  const step = nextStep(narrowed, progress, session, consent, Math.floor(ctx.clock.now() / 1000), mfa, ctx.config.accounts.requireVerifiedEmail);
  return { step, consent, userId, scope };
}
