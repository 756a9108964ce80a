import { OAuthError } from '../../core/errors.js';
import type { ClientRecord } from '../../stores/contract.js';
import type { ServerContext } from '../context.js';
import { pollDeviceAuthorization, redeemDeviceApproval } from '../device/device-authorizations.js';
import type { FormParams } from '../http/form.js';
import { resolveAudience } from '../resource-indicators.js';
import { newFamilyId } from '../tokens/token-family.js';
import { activeConsentUser, issueUserTokens, mayIssueRefreshToken, refreshTokenKey } from '../tokens/user-tokens.js';
import type { GrantResult, TokenBinding } from './index.js';

/** RFC 8628 §3.4's `grant_type`. */
export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

/**
 * The device authorization grant at the token endpoint (RFC 8628 §3.4, §3.5): the device polls
 * with its `device_code` until the user has decided. `authorization_pending` while nobody has,
 * `slow_down` to a device polling faster than its interval (which grows by 5 s each time),
 * `access_denied` once the user refused, `expired_token` once the codes expired. An approval
 * gives tokens as the authorization code flow does (access token, refresh token when allowed, ID
 * token with `openid`), to exactly one poll; the device code is then used up (`invalid_grant`).
 */
export async function deviceCodeGrant(
  ctx: Pick<ServerContext, 'audit' | 'clock' | 'config' | 'keys' | 'secrets' | 'store'>,
  client: ClientRecord,
  params: FormParams,
  binding: TokenBinding,
): Promise<GrantResult> {
  const deviceCode = params.get('device_code');
  if (deviceCode === undefined) throw new OAuthError('invalid_request', 'device_code is required');
  const poll = await pollDeviceAuthorization(ctx, deviceCode, client.clientId);
  switch (poll.status) {
    case 'unknown':
      throw new OAuthError('invalid_grant', 'the device code is invalid or was issued to another client');
    case 'used':
      throw new OAuthError('invalid_grant', 'the device code was already used');
    case 'expired':
      throw new OAuthError('expired_token', 'the device code has expired: start a new device authorization');
    case 'slow_down':
      throw new OAuthError('slow_down', 'polling too fast: wait 5 seconds longer between requests from now on');
    case 'pending':
      throw new OAuthError('authorization_pending', 'the user has not yet finished the authorization');
    case 'denied':
      throw new OAuthError('access_denied', 'the user denied the request');
  }
  const { device, approval } = poll;
  // RFC 8707 §2.2: the token request may name resources of the device request; none named, all of them.
  const audience = await resolveAudience(ctx, client, { requested: params.getAll('resource'), granted: device.resources, scope: approval.scope });
  const user = await activeConsentUser(ctx, approval.consentId, approval.sub, approval.familyIssuedAt);
  // Atomic: of concurrent polls exactly one gets here.
  if (!(await redeemDeviceApproval(ctx, poll.id))) throw new OAuthError('invalid_grant', 'the device code was already used');
  const { response } = await issueUserTokens(ctx, {
    client,
    user,
    familyId: newFamilyId(),
    consentId: approval.consentId,
    familyIssuedAt: approval.familyIssuedAt,
    scope: approval.scope,
    audience,
    authentication: { authTime: approval.authTime, amr: approval.amr, acr: approval.acr, sid: approval.sid },
    refresh: mayIssueRefreshToken(client, approval.scope) ? { issue: approval.scope } : undefined,
    grantedResources: device.resources,
    jkt: binding.jkt,
    refreshJkt: refreshTokenKey(client, binding.jkt),
  });
  return { tokens: response, subject: user.id };
}
