import { messageLanguage } from '../http/page-language.js';
import { recordSessionClient } from '../logout/backchannel-logout.js';
import type { ClientRecord, UserRecord } from '../../stores/contract.js';
import { sendAccountVerification } from '../accounts/email-verification.js';
import { finishDeviceInteraction } from '../device/device-interaction.js';
import type { ServerContext } from '../context.js';
import { errorPage, type PageMessage } from '../http/pages.js';
import { redirect } from '../http/responses.js';
import { startTotpEnrolment, totpSecretOf, usableFactors, remainingRecoveryCodes } from '../mfa/factors.js';
import { acrForRequest, meetsEssentialAcr } from '../mfa/policy.js';
import type { Session } from '../session/sessions.js';
import { issueAuthorizationCode } from '../tokens/authorization-code.js';
import { newFamilyId } from '../tokens/token-family.js';
import { namedClaimsState } from '../tokens/user-tokens.js';
import type { AuthorizationRequest } from '../authorize/request.js';
import { builtInLanding } from './account-client.js';
import { authorizationResponse, targetOf } from './authorization-response.js';
import { decide, type Decision } from './decisions.js';
import { advanceInteractionState, finishInteraction, type Interaction } from './interactions.js';
import {
  consentPage,
  EXPIRED_TITLE,
  loginPage,
  mfaChallengePage,
  mfaEnrollPage,
  selectAccountPage,
  verifyEmailPage,
  type MfaChallengeExtras,
  type PageContext,
} from './pages.js';

const COMPLETED: PageMessage = { key: 'error.completed.message' };
const COMPLETED_TITLE: PageMessage = { key: 'error.completed.title' };

/** An interaction as one request sees it: its page context and the browser's session. */
export interface InteractionView extends PageContext {
  session: Session | undefined;
}

/**
 * Acts on the decision: shows the page of the step the user still owes (sign in, second factor or
 * its set-up, account choice, consent), or, when nothing is pending, ends the interaction and
 * issues the code (for the account pages and the admin console: goes to `/account` or `/admin`).
 */
export async function showNextStep(view: InteractionView, decision: Decision, extras: MfaChallengeExtras = {}): Promise<Response> {
  const { ctx, interaction, client, session, setCookies } = view;
  const { step, userId } = decision;
  if (step === 'mfa' && userId) {
    const factors = await usableFactors(ctx, userId);
    return mfaChallengePage(view, factors, (await remainingRecoveryCodes(ctx, userId)) > 0, extras);
  }
  if (step === 'mfa_enroll' && userId) return enrolmentPage(view, userId, extras.error);
  if (step === 'wrong_user') return wrongUserResponse(ctx, interaction, setCookies);
  if (step === 'verify_email' && session) return emailVerificationStep(view, session.user);
  if (step === 'login' || !session) return loginPage(view);
  if (step === 'select_account') return selectAccountPage(view, session.user);
  if (step === 'consent') return consentPage(view, session.user, decision.scope);
  const { uiLocales } = interaction.state.request;
  if (!(await finishInteraction(ctx, interaction))) return errorPage(ctx, 400, COMPLETED_TITLE, COMPLETED, { uiLocales, setCookies });
  const landing = builtInLanding(ctx, client.clientId);
  if (landing !== undefined) return redirect(landing, { cookies: setCookies });
  const { request } = interaction.state;
  // A device's request: the device gets its tokens by polling, the browser a "return to your device" page.
  if (request.device) return finishDeviceInteraction(ctx, { ...request, device: request.device }, client, session, { approved: decision }, setCookies);
  // Nothing pending means the decision's consent covers the scopes (nextStep checked).
  return issueCode(ctx, request, client, session, decision, setCookies);
}

/** Decides the next step once, then acts on it: the current page again, after a wrong answer, say. */
export async function showCurrentStep(view: InteractionView, extras: MfaChallengeExtras = {}): Promise<Response> {
  const decision = await decide(view.ctx, {
    authorization: view.interaction.state.request,
    client: view.client,
    session: view.session,
    progress: view.interaction.state,
  });
  return showNextStep(view, decision, extras);
}

/** Said when no new verification email can go out now (a sending budget is spent). */
const NO_NEW_CODE = 'verifyEmail.notice.unavailable';

/**
 * `accounts.requireVerifiedEmail` and the signed-in user's address is not verified: a code and a
 * link go to it (at most one a minute), and the page asks for the code. Without an address the
 * sign-in cannot finish: only an operator can add one.
 */
async function emailVerificationStep(view: InteractionView, user: UserRecord): Promise<Response> {
  const { ctx, setCookies, interaction } = view;
  if (!user.email) {
    const { uiLocales } = interaction.state.request;
    return errorPage(ctx, 403, { key: 'error.emailNeeded.title' }, { key: 'error.emailNeeded.message' }, { uiLocales, setCookies });
  }
  const sent = await sendAccountVerification(
    ctx,
    { ...user, email: user.email },
    messageLanguage(ctx, { uiLocales: view.interaction.state.request.uiLocales }),
  );
  return verifyEmailPage(view, user.email, !sent.ok && sent.reason === 'limited' ? { notice: NO_NEW_CODE } : {});
}

/** The authenticator-app set-up during sign-in: the factor being set up, or a new one. */
async function enrolmentPage(view: InteractionView, userId: string, error: MfaChallengeExtras['error']): Promise<Response> {
  const { ctx, interaction } = view;
  const { uiLocales } = interaction.state.request;
  const user = await ctx.store.users.get(userId);
  if (!user) return errorPage(ctx, 400, EXPIRED_TITLE, COMPLETED, { uiLocales });
  const enrolling = interaction.state.enrolFactor ? await ctx.store.factors.get(interaction.state.enrolFactor) : undefined;
  if (enrolling) return mfaEnrollPage(view, user.email ?? user.username, totpSecretOf(ctx, enrolling), error);
  const { factor, secret } = await startTotpEnrolment(ctx, userId);
  const next = await advanceInteractionState(ctx, interaction, { ...interaction.state, enrolFactor: factor.id });
  if (!next) return errorPage(ctx, 400, EXPIRED_TITLE, COMPLETED, { uiLocales });
  return mfaEnrollPage({ ...view, interaction: next }, user.email ?? user.username, secret, error);
}

/**
 * Ends an interaction in which another user signed in than the one `id_token_hint` names (OIDC Core
 * §3.1.2.1): `login_required` to the client, and no code. (A passkey sign-in has started its
 * session by then; after a password, the request ends before any session starts.)
 */
export async function wrongUserResponse(
  ctx: Pick<ServerContext, 'clock' | 'config' | 'store'>,
  interaction: Interaction,
  setCookies: string[] = [],
): Promise<Response> {
  const { uiLocales } = interaction.state.request;
  if (!(await finishInteraction(ctx, interaction))) return errorPage(ctx, 400, COMPLETED_TITLE, COMPLETED, { uiLocales, setCookies });
  return authorizationResponse(
    ctx,
    targetOf(interaction.state.request),
    { error: 'login_required', error_description: 'the signed-in user is not the one the request names' },
    setCookies,
    uiLocales,
  );
}

/**
 * Issues the authorization code for the decision's scopes (the request's, narrowed for the user:
 * `scopeForSession`) under its consent (which covers them: nothing was pending) and answers the client.
 */
export async function issueCode(
  ctx: Pick<ServerContext, 'clock' | 'config' | 'secrets' | 'store'>,
  request: AuthorizationRequest,
  client: ClientRecord,
  session: Session,
  decision: Pick<Decision, 'consent' | 'scope'>,
  setCookies: string[] = [],
): Promise<Response> {
  const consent = decision.consent!;
  // OIDC Core §5.5.1.1: an essential acr the sign-in did not meet is a failed authentication (the
  // decision demands the second factor it needs, so this holds only if the policy changed meanwhile).
  if (!meetsEssentialAcr(session.state.acr, request.essentialAcr)) {
    return authorizationResponse(
      ctx,
      targetOf(request),
      { error: 'access_denied', error_description: 'the essential acr requested was not met' },
      setCookies,
      request.uiLocales,
    );
  }
  // OpenID Connect Back-Channel Logout: the client takes part in this session from now on.
  await recordSessionClient(ctx, session.state.sid, client);
  const code = await issueAuthorizationCode(ctx, newFamilyId(), {
    consentId: consent.id,
    clientId: client.clientId,
    redirectUri: request.redirectUri,
    redirectUriGiven: request.redirectUriGiven,
    ...(request.codeChallenge !== undefined ? { codeChallenge: request.codeChallenge } : {}),
    scope: [...decision.scope],
    nonce: request.nonce ?? null,
    sub: session.user.id,
    authTime: session.state.authTime,
    amr: session.state.amr,
    acr: acrForRequest(session.state.acr, request.essentialAcr),
    sid: session.state.sid,
    ...(request.resources && request.resources.length > 0 ? { resources: request.resources } : {}),
    ...namedClaimsState(request.requestedClaims),
    ...(request.dpopJkt !== undefined ? { dpopJkt: request.dpopJkt } : {}),
  });
  return authorizationResponse(ctx, targetOf(request), { code }, setCookies, request.uiLocales);
}
