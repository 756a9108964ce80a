import type { ClientRecord } from '../../stores/contract.js';
import { ACCOUNT_CLIENT_ID } from './account-client.js';
import { findConsent, recordConsent } from '../consent.js';
import type { ServerContext } from '../context.js';
import { startTotpEnrolment, totpSecretOf, usableFactors, remainingRecoveryCodes } from '../mfa/factors.js';
import { acrForRequest, mfaRequirement } from '../mfa/policy.js';
import type { Session } from '../session/sessions.js';
import { issueAuthorizationCode } from '../tokens/authorization-code.js';
import { newFamilyId } from '../tokens/token-family.js';
import type { AuthorizationRequest } from './authorization-request.js';
import { authorizationResponse } from './authorization-response.js';
import { nextStep } from './decisions.js';
import { advanceInteractionState, finishInteraction, type Interaction } from './interactions.js';
import { consentPage, errorPage, loginPage, mfaChallengePage, mfaEnrollPage, selectAccountPage, type MfaChallengeExtras } from './pages.js';

const COMPLETED = 'This sign-in request was already completed. Go back to the application and start again.';

/**
 * Moves an interaction on: shows the page of the next step (sign in, second factor or its set-up,
 * account choice, consent), or, when nothing is pending, issues the code and answers the client
 * (or, for the account pages, goes to `/account`).
 */
export async function advanceInteraction(
  ctx: ServerContext,
  interaction: Interaction,
  client: ClientRecord,
  session: Session | undefined,
  browserId: string,
  setCookies: string[],
  extras: MfaChallengeExtras = {},
): Promise<Response> {
  const { request } = interaction.state;
  const forAccount = client.clientId === ACCOUNT_CLIENT_ID;
  const userId = interaction.state.pendingUser ?? session?.user.id;
  const mfa = userId ? await mfaRequirement(ctx, client, request, userId) : undefined;
  const consent = session && !forAccount ? await findConsent(ctx, session.user.id, client.clientId) : undefined;
  const now = Math.floor(ctx.clock.now() / 1000);
  // The account pages need no consent: treat every scope (there are none) as granted.
  const step = nextStep(request, interaction.state, session, forAccount ? { id: '', clientId: '', subject: '', scope: '', extra: {}, createdAt: 0, updatedAt: 0, revokedAt: null } : consent, now, mfa);
  const page = { ctx, interaction, client, browserId, setCookies };

  if (step === 'mfa' && userId) {
    const factors = await usableFactors(ctx, userId);
    return mfaChallengePage(page, factors, (await remainingRecoveryCodes(ctx, userId)) > 0, extras);
  }
  if (step === 'mfa_enroll' && userId) {
    const user = await ctx.store.users.get(userId);
    if (!user) return errorPage(ctx, 400, 'Sign-in request expired', COMPLETED);
    const enrolling = interaction.state.enrolFactor ? await ctx.store.factors.get(interaction.state.enrolFactor) : undefined;
    if (enrolling) return mfaEnrollPage(page, user.email ?? user.username, totpSecretOf(ctx, enrolling), extras.error);
    const { factor, secret } = await startTotpEnrolment(ctx, userId);
    const next = await advanceInteractionState(ctx, interaction, { ...interaction.state, enrolFactor: factor.id });
    if (!next) return errorPage(ctx, 400, 'Sign-in request expired', COMPLETED);
    return mfaEnrollPage({ ...page, interaction: next }, user.email ?? user.username, secret, extras.error);
  }
  if (step === 'wrong_user') return wrongUserResponse(ctx, interaction, setCookies);
  if (step === 'login' || !session) return loginPage(page);
  if (step === 'select_account') return selectAccountPage(page, session.user);
  if (step === 'consent') return consentPage(page, session.user);
  if (!(await finishInteraction(ctx, interaction))) return errorPage(ctx, 400, 'Request already completed', COMPLETED, undefined, setCookies);
  if (forAccount) {
    const headers = new Headers({ Location: `${ctx.config.issuer}/account`, 'Cache-Control': 'no-store' });
    for (const cookie of setCookies) headers.append('Set-Cookie', cookie);
    return new Response(null, { status: 303, headers });
  }
  return issueCodeResponse(ctx, request, client, session, setCookies);
}

/**
 * Ends an interaction in which another user signed in than the one `id_token_hint` names (OIDC Core
 * §3.1.2.1): `login_required` to the client, and no code. (A passkey sign-in has started its
 * session by then; after a password, the request ends before any session starts.)
 */
export async function wrongUserResponse(ctx: ServerContext, interaction: Interaction, setCookies: string[] = []): Promise<Response> {
  if (!(await finishInteraction(ctx, interaction))) return errorPage(ctx, 400, 'Request already completed', COMPLETED, undefined, setCookies);
  const { request } = interaction.state;
  return authorizationResponse(
    ctx,
    { redirectUri: request.redirectUri, responseMode: request.responseMode, state: request.state },
    { error: 'login_required', error_description: 'the signed-in user is not the one the id_token_hint names' },
    setCookies,
  );
}

/** Issues the authorization code for a request whose user is signed in and has consented. */
export async function issueCodeResponse(
  ctx: ServerContext,
  request: AuthorizationRequest,
  client: ClientRecord,
  session: Session,
  setCookies: string[] = [],
): Promise<Response> {
  // The consent covers the scopes here (nextStep checked); recordConsent returns it unchanged in that case.
  const consent = await recordConsent(ctx, session.user.id, client.clientId, request.scope);
  const code = await issueAuthorizationCode(ctx, newFamilyId(), {
    consentId: consent.id,
    clientId: client.clientId,
    redirectUri: request.redirectUri,
    redirectUriGiven: request.redirectUriGiven,
    codeChallenge: request.codeChallenge,
    scope: request.scope,
    nonce: request.nonce ?? null,
    sub: session.user.id,
    authTime: session.state.authTime,
    amr: session.state.amr,
    acr: acrForRequest(session.state.acr, request.essentialAcr),
    sid: session.state.sid,
  });
  return authorizationResponse(ctx, { redirectUri: request.redirectUri, responseMode: request.responseMode, state: request.state }, { code }, setCookies);
}
