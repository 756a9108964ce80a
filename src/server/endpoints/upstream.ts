import { OAuthProviderError, OAuthValidationError } from '../../client/errors.js';
import { auditEvent } from '../audit/events.js';
import type { OAuthClient } from '../../client/oauth-client.js';
import { endpoint, type EndpointInput } from '../http/endpoint.js';
import { pipeline } from '../http/pipeline.js';
import type { Upstream } from '../upstream/upstreams.js';
import { readForm } from '../http/form.js';
import { interactionClient } from '../interaction/account-client.js';
import { loadInteractionOfBrowser, type Interaction } from '../interaction/interactions.js';
import { EXPIRED_MESSAGE, EXPIRED_TITLE, interactionPath, loginPage } from '../interaction/pages.js';
import { errorPage, type PageMessage } from '../http/pages.js';
import { redirect } from '../http/responses.js';
import { firstFactorPassed } from '../interaction/first-factor.js';
import { csrfRefusal } from '../steps/csrf.js';
import { resolveUpstreamUser, UpstreamLinkError } from '../upstream/link-user.js';

type WithUpstream = EndpointInput & { upstream: Upstream };
/** The validated answer of the provider. */
type CallbackResult = Awaited<ReturnType<OAuthClient['exchangeCallback']>>;

/** The interaction of the path, started in this browser, and the provider of the path; else the expired page. */
async function findInteractionAndUpstream({
  ctx,
  request,
  id,
  params,
}: EndpointInput): Promise<{ upstream: Upstream; interaction: Interaction; browserId: string } | Response> {
  const upstream = ctx.upstreams.get(params.upstream ?? '');
  const found = await loadInteractionOfBrowser(ctx, request, id);
  if (!upstream || !found) return errorPage(ctx, 400, EXPIRED_TITLE, EXPIRED_MESSAGE);
  return { upstream, ...found };
}

/** The posted form's CSRF token, bound to this browser and interaction; else a 403 page. */
async function checkUpstreamForm({
  ctx,
  request,
  id,
  browserId,
  interaction,
}: EndpointInput & { browserId: string; interaction: Interaction }): Promise<Response | undefined> {
  const form = await readForm(request, { maxBodyBytes: ctx.config.limits.maxBodyBytes });
  const posted = { browserId, subject: id, token: form.get('csrf') };
  return csrfRefusal(ctx, posted, { key: 'error.formNotAccepted.message' }, interaction.state.request.uiLocales);
}

/** To the provider, with the interaction's own path as `returnTo` so the callback finds it again. */
async function redirectToProvider({ ctx, id, upstream }: WithUpstream): Promise<Response> {
  const { url, setCookie } = await upstream.client.authorizationUrl({ returnTo: interactionPath(ctx, id) });
  return redirect(url.href, { cookies: [setCookie] });
}

/** POST /interaction/:id/upstream/:upstream — "Continue with …": sends the browser to the upstream provider. */
export const upstreamStart = endpoint(
  pipeline<EndpointInput>('upstream.start').step(findInteractionAndUpstream).step(checkUpstreamForm).respond(redirectToProvider),
);

/** The provider of the callback's path; else a 404 page. */
function findCallbackUpstream({ ctx, params }: EndpointInput): { upstream: Upstream } | Response {
  const upstream = ctx.upstreams.get(params.upstream ?? '');
  return upstream ? { upstream } : errorPage(ctx, 404, { key: 'error.unknownProvider.title' }, { key: 'error.unknownProvider.message' });
}

/**
 * The provider's answer, validated by the client library (state, iss, PKCE, ID token). A refusal
 * or a cancel, and an answer that does not validate (audited), get a page, in the request's
 * language (which sign-in it belongs to is not known yet).
 */
async function exchangeCallback({ ctx, request, upstream }: WithUpstream): Promise<{ exchanged: CallbackResult } | Response> {
  const notCompleted = (message: PageMessage) => errorPage(ctx, 400, { key: 'error.upstream.title' }, message);
  const provider = upstream.label;
  try {
    return { exchanged: await upstream.client.exchangeCallback(request) };
  } catch (error) {
    if (error instanceof OAuthProviderError) {
      return notCompleted(
        error.error === 'access_denied'
          ? { key: 'error.upstream.cancelled', values: { provider } }
          : { key: 'error.upstream.refused', values: { provider, error: error.error } },
      );
    }
    if (error instanceof OAuthValidationError) {
      await ctx.audit.record(auditEvent('upstream.validation_failed', { upstream: upstream.id, reason: error.reason }));
      return notCompleted({ key: 'error.upstream.unverified', values: { provider } });
    }
    throw error;
  }
}

type Exchanged = WithUpstream & { exchanged: CallbackResult };

/** The interaction the sign-in started from (`returnTo`), in this browser; else the expired page. */
async function findReturningInteraction({ ctx, request, exchanged }: Exchanged): Promise<{ interaction: Interaction; browserId: string } | Response> {
  const found = await loadInteractionOfBrowser(ctx, request, exchanged.returnTo?.split('/').pop() ?? '');
  return found ?? errorPage(ctx, 400, EXPIRED_TITLE, EXPIRED_MESSAGE, { setCookies: [exchanged.clearCookie] });
}

/**
 * The local user of the provider's profile (found, linked by verified email, or created); a link
 * refused goes back to the login page with the reason. Then the first factor is passed (`fed`).
 */
async function signInUpstreamUser(c: Exchanged & { interaction: Interaction; browserId: string }): Promise<Response> {
  const { ctx, request, upstream, exchanged, interaction, browserId } = c;
  const { uiLocales } = interaction.state.request;
  let user;
  try {
    user = await resolveUpstreamUser(ctx, upstream, exchanged.profile, exchanged.tokens);
  } catch (error) {
    if (!(error instanceof UpstreamLinkError)) throw error;
    const client = await interactionClient(ctx, interaction.state.request.clientId);
    if (!client) return errorPage(ctx, 400, EXPIRED_TITLE, EXPIRED_MESSAGE, { uiLocales, setCookies: [exchanged.clearCookie] });
    return loginPage({ ctx, interaction, client, browserId, setCookies: [exchanged.clearCookie] }, { text: error.message });
  }
  const client = await interactionClient(ctx, interaction.state.request.clientId);
  if (!client) return errorPage(ctx, 400, EXPIRED_TITLE, EXPIRED_MESSAGE, { uiLocales, setCookies: [exchanged.clearCookie] });
  await ctx.audit.record(auditEvent('upstream.signed_in', { upstream: upstream.id, sub: user.id }));
  // RFC 8176 has no value for federated sign-in; "fed" is the one in common use (Microsoft Entra ID).
  // The MFA policy applies after an upstream sign-in too.
  return firstFactorPassed(ctx, request, interaction, client, user, { amr: ['fed'], provider: upstream.id, cookies: [exchanged.clearCookie] });
}

/**
 * GET /upstream/:upstream/callback — the provider's answer: validated, then the local user signs in
 * and the interaction continues.
 */
export const upstreamCallback = endpoint(
  pipeline<EndpointInput>('upstream.callback').step(findCallbackUpstream).step(exchangeCallback).step(findReturningInteraction).respond(signInUpstreamUser),
);
