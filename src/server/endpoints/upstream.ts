import { OAuthProviderError, OAuthValidationError } from '../../client/errors.js';
import { auditEvent } from '../audit/events.js';
import type { ServerContext } from '../context.js';
import { readForm } from '../http/form.js';
import { interactionClient } from '../interaction/account-client.js';
import { loadInteraction } from '../interaction/interactions.js';
import { interactionPath, loginPage } from '../interaction/pages.js';
import { errorPage } from '../http/pages.js';
import { redirect } from '../http/responses.js';
import { firstFactorPassed } from '../interaction/first-factor.js';
import { browserBinding, existingBrowserId, verifyCsrf } from '../session/browser.js';
import { resolveUpstreamUser, UpstreamLinkError } from '../upstream/link-user.js';

const EXPIRED = 'This sign-in request has expired or was already used. Go back to the application and start again.';

/**
 * POST /interaction/:id/upstream/:upstream — "Continue with …": sends the browser to the upstream
 * provider. The interaction's own path is the client's `returnTo`, so the callback finds it again.
 */
export async function upstreamStart(
  ctx: Pick<ServerContext, 'config' | 'secrets' | 'store' | 'upstreams'>,
  request: Request,
  id: string,
  params: Record<string, string>,
): Promise<Response> {
  const upstream = ctx.upstreams.get(params.upstream ?? '');
  const interaction = await loadInteraction(ctx, id);
  const browserId = existingBrowserId(ctx, request);
  if (!upstream || !interaction || !browserId || browserBinding(ctx, browserId) !== interaction.state.browser) {
    return errorPage(ctx, 400, 'Sign-in request expired', EXPIRED);
  }
  const form = await readForm(request, { maxBodyBytes: ctx.config.limits.maxBodyBytes });
  if (!verifyCsrf(ctx, browserId, id, form.get('csrf'))) {
    return errorPage(ctx, 403, 'Request not accepted', 'The form was not accepted. Go back to the application and try again.');
  }
  const { url, setCookie } = await upstream.client.authorizationUrl({ returnTo: interactionPath(ctx, id) });
  return redirect(url.href, { cookies: [setCookie] });
}

/**
 * GET /upstream/:upstream/callback — the provider's answer. Validates it (state, iss, PKCE, ID
 * token) through the client library, finds or creates the local user, starts the session and
 * continues the interaction.
 */
export async function upstreamCallback(
  ctx: Pick<
    ServerContext,
    'audit' | 'clock' | 'config' | 'keys' | 'limits' | 'logger' | 'metrics' | 'network' | 'request' | 'secrets' | 'store' | 'upstreams' | 'urls'
  >,
  request: Request,
  _id: string,
  params: Record<string, string>,
): Promise<Response> {
  const upstream = ctx.upstreams.get(params.upstream ?? '');
  if (!upstream) return errorPage(ctx, 404, 'Unknown sign-in provider', 'This sign-in provider is not configured.');
  let exchanged;
  try {
    exchanged = await upstream.client.exchangeCallback(request);
  } catch (error) {
    if (error instanceof OAuthProviderError) {
      const message =
        error.error === 'access_denied' ? `Sign-in with ${upstream.label} was cancelled.` : `${upstream.label} refused the sign-in (${error.error}).`;
      return errorPage(ctx, 400, 'Sign-in not completed', `${message} Go back to the application and try again.`);
    }
    if (error instanceof OAuthValidationError) {
      await ctx.audit.record(auditEvent('upstream.validation_failed', { upstream: upstream.id, reason: error.reason }));
      return errorPage(ctx, 400, 'Sign-in not completed', `The answer from ${upstream.label} could not be verified. Go back to the application and try again.`);
    }
    throw error;
  }
  const interactionId = exchanged.returnTo?.split('/').pop() ?? '';
  const interaction = await loadInteraction(ctx, interactionId);
  const browserId = existingBrowserId(ctx, request);
  if (!interaction || !browserId || browserBinding(ctx, browserId) !== interaction.state.browser) {
    return errorPage(ctx, 400, 'Sign-in request expired', EXPIRED, undefined, [exchanged.clearCookie]);
  }
  let user;
  try {
    user = await resolveUpstreamUser(ctx, upstream, exchanged.profile, exchanged.tokens);
  } catch (error) {
    if (!(error instanceof UpstreamLinkError)) throw error;
    const client = await interactionClient(ctx, interaction.state.request.clientId);
    if (!client) return errorPage(ctx, 400, 'Sign-in request expired', EXPIRED);
    return loginPage({ ctx, interaction, client, browserId, setCookies: [exchanged.clearCookie] }, error.message);
  }
  const client = await interactionClient(ctx, interaction.state.request.clientId);
  if (!client) return errorPage(ctx, 400, 'Sign-in request expired', EXPIRED, undefined, [exchanged.clearCookie]);
  await ctx.audit.record(auditEvent('upstream.signed_in', { upstream: upstream.id, sub: user.id }));
  // RFC 8176 has no value for federated sign-in; "fed" is the one in common use (Microsoft Entra ID).
  // The MFA policy applies after an upstream sign-in too.
  return firstFactorPassed(ctx, request, interaction, client, user, { amr: ['fed'], provider: upstream.id, cookies: [exchanged.clearCookie] });
}
