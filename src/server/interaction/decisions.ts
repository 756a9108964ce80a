import type { GrantRecord } from '../../stores/contract.js';
import { grantCovers } from '../consent.js';
import type { Session } from '../session/sessions.js';
import type { AuthorizationRequest } from './authorization-request.js';
import type { MfaRequirement } from '../mfa/policy.js';
import type { InteractionState } from './interactions.js';

/** What the user still has to do before a code can be issued. */
export type PendingStep = 'login' | 'mfa' | 'mfa_enroll' | 'select_account' | 'consent' | undefined;

/**
 * The next step of an authorization request, given the browser's session and what happened so far
 * in this interaction (OIDC Core §3.1.2.3):
 * - sign in when there is no session, when `prompt=login` or the user asked for another account,
 *   when the session is older than `max_age`, or when it is not the user of `id_token_hint`;
 * - choose the account when `prompt=select_account`;
 * - verify a second factor (or set one up) when the MFA policy requires it and neither the session
 *   nor this interaction has one — after a password, or as step-up on an existing session;
 * - consent when the remembered grant does not cover the scopes, or `prompt=consent`.
 */
export function nextStep(
  request: AuthorizationRequest,
  progress: Partial<InteractionState>,
  session: Session | undefined,
  grant: GrantRecord | undefined,
  nowSeconds: number,
  mfa: MfaRequirement = { required: false, enrolled: false },
): PendingStep {
  const secondFactor = mfa.enrolled ? 'mfa' : 'mfa_enroll';
  if (progress.pendingUser) return secondFactor;
  if (!session) return 'login';
  if (!progress.loggedInAt) {
    if (request.prompt.includes('login') || progress.loginRequested) return 'login';
    // OIDC Core §3.1.2.1: max_age=0 is equivalent to prompt=login, whatever the clock's resolution.
    if (request.maxAge === 0) return 'login';
    if (request.maxAge !== undefined && nowSeconds - session.state.authTime > request.maxAge) return 'login';
    if (request.hintedSub !== undefined && request.hintedSub !== session.state.sub) return 'login';
    if (request.prompt.includes('select_account') && !progress.accountChosen) return 'select_account';
  }
  if (mfa.required && !session.state.amr.includes('mfa') && !progress.mfaAt) return secondFactor;
  if (request.prompt.includes('consent') && !progress.consented) return 'consent';
  if (!grantCovers(grant, request.scope)) return 'consent';
  return undefined;
}

/** The `prompt=none` error for a step that would need the user (OIDC Core §3.1.2.6). */
export function promptNoneError(step: Exclude<PendingStep, undefined>): 'login_required' | 'interaction_required' | 'account_selection_required' | 'consent_required' {
  if (step === 'login') return 'login_required';
  if (step === 'mfa' || step === 'mfa_enroll') return 'interaction_required';
  if (step === 'select_account') return 'account_selection_required';
  return 'consent_required';
}
