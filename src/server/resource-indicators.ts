import { OAuthError } from '../core/errors.js';
import type { ClientRecord } from '../stores/contract.js';
import type { ServerContext } from './context.js';

/** What decides the audience when a request names no resource. */
export interface AudienceDefaults {
  /** `tokens.defaultAudience`: the issuer unless configured. */
  defaultAudience: string;
  /** The issuer, which is the audience UserInfo requires. */
  issuer: string;
}

/** The server's {@link AudienceDefaults}. */
export function audienceDefaults(ctx: Pick<ServerContext, 'config'>): AudienceDefaults {
  return { defaultAudience: ctx.config.tokens.defaultAudience, issuer: ctx.config.issuer };
}

/**
 * The audience of an access token from the RFC 8707 `resource` parameters of a request.
 * Each must be an absolute URI without a fragment (§2) and be the server's default audience or one
 * of the client's registered resources; otherwise `invalid_target`. The token is then for exactly
 * those resources.
 *
 * None given: the default audience — and, when the token has the `openid` scope, the issuer too.
 * UserInfo is a resource of the issuer and accepts only tokens whose `aud` includes the issuer
 * (RFC 9068 §4: a resource server refuses tokens whose `aud` does not name it; OIDC Core §5.3: the
 * UserInfo access token is one obtained through an OpenID Connect authentication request), so a
 * sign-in without `resource` must still reach UserInfo when `tokens.defaultAudience` names an API.
 * A client that names resources asked for a token for those only, and gets nothing more.
 */
export function resolveAudience(resources: string[], client: ClientRecord, defaults: AudienceDefaults & { scope: readonly string[] }): string[] {
  const { defaultAudience, issuer, scope } = defaults;
  if (resources.length === 0) {
    return scope.includes('openid') && defaultAudience !== issuer ? [defaultAudience, issuer] : [defaultAudience];
  }
  for (const resource of resources) {
    if (!URL.canParse(resource) || resource.includes('#')) {
      throw new OAuthError('invalid_target', 'resource must be an absolute URI without a fragment (RFC 8707 section 2)');
    }
    if (resource !== defaultAudience && !client.resources.includes(resource)) {
      throw new OAuthError('invalid_target', 'a requested resource is not allowed for this client');
    }
  }
  return [...new Set(resources)];
}
