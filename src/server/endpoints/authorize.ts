import { OAuthError } from '../../core/errors.js';
import type { ServerContext } from '../context.js';
import { parseForm, readForm, type FormParams } from '../http/form.js';
import { issueCodeResponse } from '../interaction/advance.js';
import { AuthorizationError, parseAuthorizationRequest } from '../interaction/authorization-request.js';
import { authorizationResponse } from '../interaction/authorization-response.js';
import { nextStep, promptNoneError } from '../interaction/decisions.js';
import { createInteraction } from '../interaction/interactions.js';
import { errorPage, interactionPath } from '../interaction/pages.js';
import { findConsent } from '../consent.js';
import { mfaRequirement } from '../mfa/policy.js';
import { browserBinding, identifyBrowser } from '../session/browser.js';
import { loadSession } from '../session/sessions.js';

/**
 * The authorization endpoint (RFC 6749 §3.1, OIDC Core §3.1.2), GET and POST. Validates the
 * request, then either answers at once (a session and remembered consent; or `prompt=none`) or
 * starts an interaction and sends the browser to its pages.
 */
export async function authorizationEndpoint(ctx: ServerContext, request: Request): Promise<Response> {
  let params: FormParams;
  try {
    params = request.method === 'POST'
      ? await readForm(request, { maxBodyBytes: ctx.config.limits.maxBodyBytes })
      : parseForm(new URL(request.url).search.slice(1), []);
  } catch (error) {
    if (error instanceof OAuthError) return errorPage(ctx, 400, 'Invalid sign-in request', error.message);
    throw error;
  }
  try {
    return await authorize(ctx, request, params);
  } catch (error) {
    if (!(error instanceof AuthorizationError)) throw error;
    if (error.target) return authorizationResponse(ctx, error.target, { error: error.error, error_description: error.message });
    return errorPage(ctx, 400, 'Invalid sign-in request', `The application sent an invalid sign-in request: ${error.message}.`);
  }
}

async function authorize(ctx: ServerContext, httpRequest: Request, params: FormParams): Promise<Response> {
  const { request, client } = await parseAuthorizationRequest(ctx, params);
  const session = await loadSession(ctx, httpRequest);
  const target = { redirectUri: request.redirectUri, responseMode: request.responseMode, state: request.state };

  // The same decision the interaction makes, MFA policy included, so no path skips a second factor.
  const mfa = session ? await mfaRequirement(ctx, client, request, session.user.id) : undefined;
  if (request.prompt.includes('none')) {
    const consent = session ? await findConsent(ctx, session.user.id, client.clientId) : undefined;
    const step = nextStep(request, {}, session, consent, Math.floor(ctx.clock.now() / 1000), mfa);
    if (step !== undefined || !session) {
      const error = promptNoneError(step ?? 'login');
      return authorizationResponse(ctx, target, { error, error_description: `the user must interact (${error.replace('_', ' ')})` });
    }
    return issueCodeResponse(ctx, request, client, session);
  }

  const browser = identifyBrowser(ctx, httpRequest);
  const setCookies = browser.setCookie ? [browser.setCookie] : [];
  const consent = session ? await findConsent(ctx, session.user.id, client.clientId) : undefined;
  if (session && nextStep(request, {}, session, consent, Math.floor(ctx.clock.now() / 1000), mfa) === undefined) {
    return issueCodeResponse(ctx, request, client, session, setCookies);
  }
  const interaction = await createInteraction(ctx, { request, browser: browserBinding(ctx, browser.id) });
  const headers = new Headers({ Location: `${ctx.config.issuerUrl.origin}${interactionPath(ctx, interaction.id)}`, 'Cache-Control': 'no-store' });
  for (const cookie of setCookies) headers.append('Set-Cookie', cookie);
  return new Response(null, { status: 303, headers });
}
