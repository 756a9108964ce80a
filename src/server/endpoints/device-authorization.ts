import { OAuthError } from '../../core/errors.js';
import type { ClientRecord } from '../../stores/contract.js';
import { auditEvent } from '../audit/events.js';
import { requestedScope } from '../authorize/checks.js';
import type { ServerContext } from '../context.js';
import { startDeviceAuthorization } from '../device/device-authorizations.js';
import { formatUserCode } from '../device/user-code.js';
import { DEVICE_CODE_GRANT } from '../grants/device-code.js';
import { endpoint, type EndpointInput } from '../http/endpoint.js';
import type { FormParams } from '../http/form.js';
import { parseUiLocales } from '../http/page-language.js';
import { pipeline } from '../http/pipeline.js';
import { json, NO_STORE } from '../http/responses.js';
import { checkResources } from '../resource-indicators.js';
import { urlTo } from '../routes.js';
import { authenticateCaller } from '../steps/authenticate-client.js';
import { readFormBody } from '../steps/read-form.js';
import { spendTokenBudget } from './token.js';

/** RFC 8628 §3.1: only a client registered for the device grant may start one (else `unauthorized_client`, RFC 6749 §5.2). */
function requireDeviceGrant({ client }: { client: ClientRecord }): undefined {
  if (!client.grantTypes.includes(DEVICE_CODE_GRANT)) {
    throw new OAuthError('unauthorized_client', 'this client is not allowed to use the device authorization grant');
  }
}

/**
 * The scopes (as at the authorization endpoint: registered for the client, not empty) and the
 * RFC 8707 `resource` values (as at the authorization endpoint: `checkResources`), which bind the
 * grant; and `ui_locales` (an extension: OIDC Core §3.1.2.1's parameter), the languages of the
 * sign-in pages after the user enters the code.
 */
async function checkDeviceRequest({
  ctx,
  client,
  form,
}: {
  ctx: Pick<ServerContext, 'config' | 'store'>;
  client: ClientRecord;
  form: FormParams;
}): Promise<{ scope: string[]; resources: string[]; uiLocales: string[] }> {
  const scope = requestedScope(form.get('scope'), client);
  return { scope, resources: await checkResources(ctx, form.getAll('resource'), client), uiLocales: parseUiLocales(form.get('ui_locales')) };
}

/**
 * The device authorization response (RFC 8628 §3.2): the device code, the user code as shown
 * (`XXXX-XXXX`), where to enter it, the same with the code filled in (§3.3.1), the lifetime and
 * the polling interval. Audited as `device.authorization_requested`.
 */
async function answerDeviceAuthorization({
  ctx,
  client,
  scope,
  resources,
  uiLocales,
}: {
  ctx: Pick<ServerContext, 'audit' | 'clock' | 'config' | 'secrets' | 'store'>;
  client: ClientRecord;
  scope: string[];
  resources: string[];
  uiLocales: string[];
}): Promise<Response> {
  const issued = await startDeviceAuthorization(ctx, { clientId: client.clientId, scope, resources, ...(uiLocales.length > 0 ? { uiLocales } : {}) });
  const userCode = formatUserCode(issued.userCode);
  const verificationUri = urlTo(ctx, 'device');
  await ctx.audit.record(auditEvent('device.authorization_requested', { client_id: client.clientId, scope: scope.join(' ') }));
  return json(
    {
      device_code: issued.deviceCode,
      user_code: userCode,
      verification_uri: verificationUri,
      verification_uri_complete: `${verificationUri}?${new URLSearchParams({ user_code: userCode })}`,
      expires_in: issued.expiresIn,
      interval: issued.interval,
    },
    200,
    NO_STORE,
  );
}

/**
 * The device authorization endpoint (RFC 8628 §3.1): POST, the client authenticated as at the
 * token endpoint (public clients with `client_id` alone), counted on the client's token budget.
 */
export const deviceAuthorizationEndpoint = endpoint(
  pipeline<EndpointInput>('device-authorization')
    .step(readFormBody)
    .step(authenticateCaller)
    .step(spendTokenBudget)
    .step(requireDeviceGrant)
    .step(checkDeviceRequest)
    .respond(answerDeviceAuthorization),
);
