import { CLIENT_AUTH_METHODS } from '../client-auth.js';
import type { ServerContext } from '../context.js';
import { supportedGrantTypes } from '../grants/index.js';
import { json } from '../http/responses.js';

/** Client authentication methods usable with the grants this server has (public clients need a user-facing grant). */
function authMethods(): string[] {
  return CLIENT_AUTH_METHODS.filter((method) => method !== 'none' || supportedGrantTypes().includes('authorization_code'));
}

/**
 * Authorization server metadata (RFC 8414 §2), also served as OpenID Provider metadata
 * (OpenID Connect Discovery §3). Advertises exactly what is implemented.
 */
export function serverMetadata(ctx: ServerContext): Record<string, unknown> {
  const { options, endpoints } = ctx;
  const methods = authMethods();
  return {
    issuer: options.issuer,
    token_endpoint: endpoints.token,
    jwks_uri: endpoints.jwks,
    introspection_endpoint: endpoints.introspection,
    revocation_endpoint: endpoints.revocation,
    ...(options.scopes.length > 0 ? { scopes_supported: options.scopes } : {}),
    // No authorization endpoint yet, so no response type is supported (RFC 8414 §2 requires the member).
    response_types_supported: [],
    grant_types_supported: supportedGrantTypes(),
    token_endpoint_auth_methods_supported: methods,
    introspection_endpoint_auth_methods_supported: methods,
    revocation_endpoint_auth_methods_supported: methods,
  };
}

/** Discovery and JWKS may be read by browser apps on any origin. */
export const PUBLIC_METADATA_HEADERS = {
  'Access-Control-Allow-Origin': '*',
  'Cache-Control': 'public, max-age=300',
};

export function discoveryEndpoint(metadata: Record<string, unknown>): Response {
  return json(metadata, 200, PUBLIC_METADATA_HEADERS);
}

/** The JWK Set (RFC 7517 §5): public keys only, active and still-published retired ones. */
export function jwksEndpoint(ctx: ServerContext): Response {
  return json(ctx.keyRing.jwks(), 200, PUBLIC_METADATA_HEADERS);
}
