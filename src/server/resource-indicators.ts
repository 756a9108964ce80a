import { OAuthError } from '../core/errors.js';
import type { ClientRecord } from '../stores/contract.js';

/**
 * The audience of an access token from the RFC 8707 `resource` parameters of a request.
 * Each must be an absolute URI without a fragment (§2) and be the server's default audience or one
 * of the client's registered resources; otherwise `invalid_target`. None given: the default audience.
 */
export function resolveAudience(resources: string[], client: ClientRecord, defaultAudience: string): string[] {
  if (resources.length === 0) return [defaultAudience];
  for (const resource of resources) {
    if (!URL.canParse(resource) || resource.includes('#')) {
      throw new OAuthError('invalid_target', `resource "${resource}" must be an absolute URI without a fragment`);
    }
    if (resource !== defaultAudience && !client.resources.includes(resource)) {
      throw new OAuthError('invalid_target', `resource "${resource}" is not allowed for this client`);
    }
  }
  return [...new Set(resources)];
}
