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

const MAX_RESOURCES = 10;
const MAX_RESOURCE_LENGTH = 2048;

/**
 * The RFC 8707 `resource` values of a request, checked, each once. Each must be an absolute URI
 * without a fragment (§2) that the server knows and the client may have a token for:
 * - the server's default audience, for any client;
 * - for a client registered with resources (`ClientRecord.resources`), one of those only;
 * - for any other client, a resource that a registered resource server serves
 *   (`ClientRecord.servedResources`): how a client that registered itself (RFC 7591, or a Client ID
 *   Metadata Document) reaches an API it found through the API's RFC 9728 metadata.
 *
 * Otherwise `invalid_target` (§2), for the whole request. Compared exactly, as RFC 8707 gives no
 * normalisation: `https://api.example` and `https://api.example/` are two resources.
 */
export async function checkResources(ctx: Pick<ServerContext, 'config' | 'store'>, resources: readonly string[], client: ClientRecord): Promise<string[]> {
  // Bounded, as every parameter is: the interaction and the grant keep them.
  if (resources.length > MAX_RESOURCES) throw new OAuthError('invalid_target', `at most ${MAX_RESOURCES} resource values are accepted`);
  if (resources.some((resource) => resource.length > MAX_RESOURCE_LENGTH)) {
    throw new OAuthError('invalid_target', `a resource value is longer than ${MAX_RESOURCE_LENGTH} characters`);
  }
  for (const resource of resources) {
    if (!URL.canParse(resource) || resource.includes('#')) {
      throw new OAuthError('invalid_target', 'resource must be an absolute URI without a fragment (RFC 8707 section 2)');
    }
  }
  const { defaultAudience } = ctx.config.tokens;
  for (const resource of new Set(resources)) {
    if (resource === defaultAudience) continue;
    const allowed = client.resources.length > 0 ? client.resources.includes(resource) : (await ctx.store.clients.findByServedResource(resource)) !== undefined;
    if (!allowed) throw new OAuthError('invalid_target', 'a requested resource is not allowed for this client');
  }
  return [...new Set(resources)];
}

/** What a token request names and what its grant allows, for {@link resolveAudience}. */
export interface AudienceRequest {
  /** The `resource` parameters of the token request. */
  requested: readonly string[];
  /**
   * The resources of the grant (named in the authorization request, RFC 8707 §2.1): when any, the
   * token request may name only those, and gets all of them when it names none (§2.2).
   */
  granted?: readonly string[] | undefined;
  /** The token's scope. */
  scope: readonly string[];
}

/**
 * The audience of an access token from the RFC 8707 `resource` parameters of a token request,
 * checked by {@link checkResources}; within what the grant was authorized for, when it named any
 * resources (otherwise `invalid_target`, §2.2).
 *
 * None given and none granted: the default audience — and, when the token has the `openid` scope,
 * the issuer too. UserInfo is a resource of the issuer and accepts only tokens whose `aud` includes
 * the issuer (RFC 9068 §4: a resource server refuses tokens whose `aud` does not name it; OIDC Core
 * §5.3: the UserInfo access token is one obtained through an OpenID Connect authentication
 * request), so a sign-in without `resource` must still reach UserInfo when `tokens.defaultAudience`
 * names an API. A client that names resources asked for a token for those only, and gets nothing more.
 */
export async function resolveAudience(ctx: Pick<ServerContext, 'config' | 'store'>, client: ClientRecord, request: AudienceRequest): Promise<string[]> {
  const granted = request.granted ?? [];
  const requested = await checkResources(ctx, request.requested, client);
  if (granted.length > 0 && requested.some((resource) => !granted.includes(resource))) {
    throw new OAuthError('invalid_target', 'a requested resource was not part of the authorization');
  }
  if (requested.length > 0) return requested;
  // Checked again: a resource server removed since the authorization no longer gets tokens.
  if (granted.length > 0) return checkResources(ctx, granted, client);
  const { defaultAudience, issuer } = audienceDefaults(ctx);
  return request.scope.includes('openid') && defaultAudience !== issuer ? [defaultAudience, issuer] : [defaultAudience];
}
