/**
 * A device's request as a sign-in interaction: the same pages, rules and one decision as an
 * authorization request (sign-in, second factor, account choice, consent: `interaction/decisions.ts`),
 * started from the device page instead of the authorization endpoint, and ended by recording the
 * user's decision on the device authorization instead of redirecting a code (a device client has no
 * redirect URI: the device polls the token endpoint, RFC 8628 §3.4).
 */
import { recordSessionClient } from '../logout/backchannel-logout.js';
import { renderDeviceDonePage } from '../../ui/index.js';
import type { ClientRecord } from '../../stores/contract.js';
import { auditEvent } from '../audit/events.js';
import type { AuthorizationRequest } from '../authorize/request.js';
import type { ServerContext } from '../context.js';
import { htmlResponse } from '../http/html.js';
import { errorPage, pageBase } from '../http/pages.js';
import { pageLanguage } from '../http/page-language.js';
import type { Decision } from '../interaction/decisions.js';
import { createInteraction } from '../interaction/interactions.js';
import { toInteraction } from '../interaction/pages.js';
import { acrForRequest } from '../mfa/policy.js';
import { urlTo } from '../routes.js';
import { browserBinding } from '../session/browser.js';
import type { Session } from '../session/sessions.js';
import { decideDeviceAuthorization, type PendingDeviceAuthorization } from './device-authorizations.js';
import { formatUserCode } from './user-code.js';

/**
 * Starts the interaction of a device authorization found by its user code, in this browser. Consent
 * is always asked (`prompt=consent`), even when the user allowed the client before: the consent
 * page is where the user sees which device client asks and compares the code (RFC 8628 §5.4).
 */
export async function startDeviceInteraction(
  ctx: Pick<ServerContext, 'clock' | 'config' | 'secrets' | 'store'>,
  device: PendingDeviceAuthorization,
  userCode: string,
  browser: { id: string; setCookies: string[] },
): Promise<Response> {
  const request: AuthorizationRequest = {
    clientId: device.state.clientId,
    redirectUri: urlTo(ctx, 'device'),
    redirectUriGiven: false,
    responseMode: 'query',
    scope: device.state.scope,
    codeChallenge: '',
    prompt: ['consent'],
    acrValues: [],
    uiLocales: device.state.uiLocales ?? [],
    device: { id: device.id, userCodeId: device.userCodeId, userCode: formatUserCode(userCode) },
    // The consent page names them (RFC 8707).
    ...(device.state.resources.length > 0 ? { resources: device.state.resources } : {}),
  };
  const interaction = await createInteraction(ctx, { request, browser: browserBinding(ctx, browser.id), purpose: 'device' });
  return toInteraction(ctx, interaction.id, browser.setCookies);
}

/**
 * Records the user's decision on the device authorization (once: the user code is used up
 * atomically) and ends on the "return to your device" page. An approval carries the sign-in and the
 * consent the tokens rest on, as an authorization code would. Audited as
 * `device.authorization_approved` / `device.authorization_denied`.
 */
export async function finishDeviceInteraction(
  ctx: Pick<ServerContext, 'audit' | 'clock' | 'config' | 'store'>,
  request: AuthorizationRequest & { device: NonNullable<AuthorizationRequest['device']> },
  client: ClientRecord,
  session: Session,
  outcome: { approved: Pick<Decision, 'consent' | 'scope'> } | 'denied',
  setCookies: string[] = [],
): Promise<Response> {
  const fields = { client_id: client.clientId, sub: session.user.id };
  let recorded: boolean;
  if (outcome === 'denied') {
    recorded = await decideDeviceAuthorization(ctx, request.device, { outcome: 'denied' });
    if (recorded) await ctx.audit.record(auditEvent('device.authorization_denied', fields));
  } else {
    const scope = [...outcome.approved.scope];
    recorded = await decideDeviceAuthorization(ctx, request.device, {
      outcome: 'approved',
      sub: session.user.id,
      scope,
      // Nothing was pending, so the decision's consent covers the scopes (nextStep checked).
      consentId: outcome.approved.consent!.id,
      authTime: session.state.authTime,
      amr: session.state.amr,
      acr: acrForRequest(session.state.acr, request.essentialAcr),
      sid: session.state.sid,
    });
    if (recorded) {
      await recordSessionClient(ctx, session.state.sid, client);
      await ctx.audit.record(auditEvent('device.authorization_approved', { ...fields, scope: scope.join(' ') }));
    }
  }
  const { uiLocales } = request;
  if (!recorded) {
    return errorPage(ctx, 400, { key: 'error.deviceCodeUsed.title' }, { key: 'error.deviceCodeUsed.message' }, { uiLocales, setCookies });
  }
  // In the language of the sign-in's pages before it; no switcher: the page answers a POST.
  return htmlResponse(
    ctx,
    (nonce) =>
      renderDeviceDonePage({ ...pageBase(ctx), ...pageLanguage(ctx, uiLocales), nonce, approved: outcome !== 'denied', clientName: client.clientName }),
    { setCookies },
  );
}
