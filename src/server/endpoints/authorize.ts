import { englishDetail } from '../../ui/message-text.js';
import type { ClientRecord } from '../../stores/contract.js';
import { buildAuthorizationRequest, readAuthorizationParams, readRefusalLocales } from '../authorize/params.js';
import {
  checkClaims,
  checkClient,
  checkIdTokenHint,
  checkMaxAge,
  checkParameterLengths,
  checkPkce,
  checkDpopJkt,
  checkPrompt,
  checkRedirectUri,
  checkResponseMode,
  checkResourceIndicators,
  checkResponseType,
  checkScope,
} from '../authorize/checks.js';
import { checkRequestObject } from '../authorize/request-object.js';
import { resolvePushedRequest, requirePushedRequest } from '../authorize/pushed-requests.js';
import { AuthorizationError, type AuthorizationRequest, type AuthorizationTarget } from '../authorize/request.js';
import type { ServerContext } from '../context.js';
import { endpoint, type EndpointInput } from '../http/endpoint.js';
import { errorPage } from '../http/pages.js';
import type { FormParams } from '../http/form.js';
import { pipeline, type PipelineBuilder } from '../http/pipeline.js';
import { redirect } from '../http/responses.js';
import { issueCode } from '../interaction/advance.js';
import { authorizationResponse, targetOf } from '../interaction/authorization-response.js';
import { decide, promptNoneError, type Decision } from '../interaction/decisions.js';
import { createInteraction } from '../interaction/interactions.js';
import { toInteraction } from '../interaction/pages.js';
import { browserBinding, identifyBrowser } from '../session/browser.js';
import type { Session } from '../session/sessions.js';
import { loadBrowserSession } from '../steps/interaction.js';
import { urlTo } from '../routes.js';

interface Decided extends EndpointInput {
  authorization: AuthorizationRequest;
  client: ClientRecord;
  session: Session | undefined;
  decision: Decision;
}

/** Decides, once, what the request needs: the same decision the interaction makes, MFA policy included. */
async function decideAtAuthorization({ ctx, authorization, client, session }: Omit<Decided, 'decision'>): Promise<{ decision: Decision }> {
  return { decision: await decide(ctx, { authorization, client, session, progress: {} }) };
}

/**
 * Acts on the decision: with a session and nothing owed, the code at once; with `prompt=none`,
 * otherwise the error the step calls for (OIDC Core §3.1.2.6); else an interaction starts and the
 * browser goes to its pages.
 */
async function answerAuthorization({ ctx, request, authorization, client, session, decision }: Decided): Promise<Response> {
  if (authorization.prompt.includes('none')) {
    if (decision.step !== undefined || !session) {
      const error = promptNoneError(decision.step ?? 'login');
      return authorizationResponse(ctx, targetOf(authorization), { error, error_description: `the user must interact (${error.replace('_', ' ')})` });
    }
    return issueCode(ctx, authorization, client, session, decision);
  }
  const browser = identifyBrowser(ctx, request);
  const cookies = browser.setCookie ? [browser.setCookie] : [];
  // prompt=create (OpenID Connect Prompt Create 1.0): the account creation page first, even with a session.
  const create = authorization.prompt.includes('create');
  if (!create && session && decision.step === undefined) return issueCode(ctx, authorization, client, session, decision, cookies);
  const interaction = await createInteraction(ctx, { request: authorization, browser: browserBinding(ctx, browser.id) });
  if (create) return redirect(urlTo(ctx, 'interactionSignUp', { id: interaction.id }), { cookies });
  return toInteraction(ctx, interaction.id, cookies);
}

/**
 * Refusals of the checks: redirected to the client once its redirect URI is trusted (with `state`
 * and `iss`), shown on a page before (RFC 6749 §4.1.2.1: never redirect to an unchecked URI), in
 * the language of the request's `ui_locales` once its parameters were read.
 */
function answerRefusal(
  error: unknown,
  { ctx, refusalLocales }: { ctx: Pick<ServerContext, 'config' | 'request'>; refusalLocales?: string[] },
): Response | undefined {
  if (!(error instanceof AuthorizationError)) return undefined;
  const uiLocales = refusalLocales ?? [];
  if (error.target) return authorizationResponse(ctx, error.target, { error: error.error, error_description: error.message }, [], uiLocales);
  const message = { key: 'error.invalidRequest.message', values: { detail: englishDetail(error.message) } } as const;
  return errorPage(ctx, 400, { key: 'error.invalidRequest.title' }, message, { uiLocales });
}

/** What the request's checks need once its client and redirect URI are known. */
interface Targeted {
  ctx: ServerContext;
  params: FormParams;
  client: ClientRecord;
  target: AuthorizationTarget;
}

/**
 * The checks of an authorization request's parameters once its client and redirect URI are
 * known, in order: the same at the authorization endpoint and at the pushed authorization request
 * endpoint, which "MUST validate the pushed request as it would an authorization request" (RFC 9126 §2.1).
 */
export function checkAuthorizationParameters<Initial, Current extends Targeted>(chain: PipelineBuilder<Initial, Current>) {
  return chain
    .step(checkResponseMode)
    .step(checkParameterLengths)
    .step(checkResponseType)
    .step(checkPkce)
    .step(checkDpopJkt)
    .step(checkScope)
    .step(checkResourceIndicators)
    .step(checkPrompt)
    .step(checkMaxAge)
    .step(checkIdTokenHint)
    .step(checkClaims);
}

/**
 * The authorization endpoint (RFC 6749 §3.1, OIDC Core §3.1.2), GET and POST: a pushed request
 * taken in place of the request's parameters (RFC 9126 §4), the request's named checks in order
 * (until the redirect URI is checked, errors go to a page), then one decision, then the answer.
 */
export const authorizationEndpoint = endpoint(
  checkAuthorizationParameters(
    pipeline<EndpointInput>('authorize')
      .step(readAuthorizationParams)
      .step(readRefusalLocales)
      .step(resolvePushedRequest)
      .step(checkClient)
      .step(checkRequestObject) // RFC 9101: a signed request object's parameters replace the outer ones (errors: a page)
      .step(checkRedirectUri)
      .step(requirePushedRequest),
  )
    .step(buildAuthorizationRequest)
    .step(loadBrowserSession)
    .step(decideAtAuthorization)
    .recover(answerRefusal)
    .respond(answerAuthorization),
);
