import { OAuthError } from '../../core/errors.js';
import type { ClientRecord } from '../../stores/contract.js';
import type { ServerContext } from '../context.js';
import type { FormParams } from '../http/form.js';
import { resolveAudience } from '../resource-indicators.js';
import { grantableScope, parseScope } from '../scope.js';
import { issueAccessToken } from '../tokens/access-token.js';
import type { GrantResult, TokenBinding } from './index.js';

/** Scopes that only make sense with an end user, never in a client-credentials token. */
const USER_SCOPES = new Set(['openid', 'offline_access']);

/**
 * The client credentials grant (RFC 6749 §4.4): a confidential client gets an access token for
 * itself. No refresh token is issued (§4.4.3).
 */
export async function clientCredentialsGrant(
  ctx: Pick<ServerContext, 'clock' | 'config' | 'keys' | 'secrets' | 'store'>,
  client: ClientRecord,
  params: FormParams,
  binding: TokenBinding,
): Promise<GrantResult> {
  if (client.tokenEndpointAuthMethod === 'none') {
    throw new OAuthError('unauthorized_client', 'public clients cannot use the client_credentials grant');
  }
  const requested = parseScope(params.get('scope'));
  const userScope = requested.find((scope) => USER_SCOPES.has(scope));
  if (userScope) {
    throw new OAuthError('invalid_scope', 'openid and offline_access need an end user and cannot be granted to client_credentials');
  }
  const allowed = parseScope(client.scope).filter((scope) => !USER_SCOPES.has(scope));
  const scope = grantableScope(requested, allowed);
  const audience = await resolveAudience(ctx, client, { requested: params.getAll('resource'), scope });
  const issued = await issueAccessToken(ctx, {
    subject: client.clientId,
    clientId: client.clientId,
    scope,
    audience,
    familyId: null,
    consentId: null,
    jkt: binding.jkt,
  });
  return {
    tokens: {
      access_token: issued.token,
      token_type: issued.tokenType,
      expires_in: issued.expiresIn,
      ...(scope.length > 0 ? { scope: scope.join(' ') } : {}),
    },
  };
}
