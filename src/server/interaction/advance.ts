import type { ClientRecord } from '../../stores/contract.js';
import { findGrant, recordConsent } from '../consent.js';
import type { ServerContext } from '../context.js';
import type { Session } from '../session/sessions.js';
import { issueAuthorizationCode } from '../tokens/authorization-code.js';
import { newFamilyId } from '../tokens/token-family.js';
import type { AuthorizationRequest } from './authorization-request.js';
import { authorizationResponse } from './authorization-response.js';
import { nextStep } from './decisions.js';
import { finishInteraction, type Interaction } from './interactions.js';
import { consentPage, errorPage, loginPage, selectAccountPage } from './pages.js';

/**
 * Moves an interaction on: shows the page of the next step, or, when nothing is pending, issues the
 * code and answers the client.
 */
export async function advanceInteraction(
  ctx: ServerContext,
  interaction: Interaction,
  client: ClientRecord,
  session: Session | undefined,
  browserId: string,
  setCookies: string[],
): Promise<Response> {
  const { request } = interaction.state;
  const grant = session ? await findGrant(ctx, session.user.id, client.clientId) : undefined;
  const step = nextStep(request, interaction.state, session, grant, Math.floor(ctx.options.clock.now() / 1000));
  const page = { ctx, interaction, client, browserId, setCookies };
  if (step === 'login' || !session) return loginPage(page);
  if (step === 'select_account') return selectAccountPage(page, session.user);
  if (step === 'consent') return consentPage(page, session.user);
  if (!(await finishInteraction(ctx, interaction))) {
    return errorPage(ctx, 400, 'Request already completed', 'This sign-in request was already completed. Go back to the application and start again.', undefined, setCookies);
  }
  return issueCodeResponse(ctx, request, client, session, setCookies);
}

/** Issues the authorization code for a request whose user is signed in and has consented. */
export async function issueCodeResponse(
  ctx: ServerContext,
  request: AuthorizationRequest,
  client: ClientRecord,
  session: Session,
  setCookies: string[] = [],
): Promise<Response> {
  // The grant covers the scopes here (nextStep checked); recordConsent returns it unchanged in that case.
  const grant = await recordConsent(ctx, session.user.id, client.clientId, request.scope);
  const code = await issueAuthorizationCode(ctx, newFamilyId(), {
    consentId: grant.id,
    clientId: client.clientId,
    redirectUri: request.redirectUri,
    redirectUriGiven: request.redirectUriGiven,
    codeChallenge: request.codeChallenge,
    scope: request.scope,
    nonce: request.nonce ?? null,
    sub: session.user.id,
    authTime: session.state.authTime,
    amr: session.state.amr,
    acr: session.state.acr,
    sid: session.state.sid,
  });
  return authorizationResponse(ctx, { redirectUri: request.redirectUri, responseMode: request.responseMode, state: request.state }, { code }, setCookies);
}
