import { DPOP_ALGORITHMS } from '../../core/dpop.js';
import { OPENID_SCOPES, SUPPORTED_CLAIMS } from '../claims.js';
import { CLIENT_AUTH_METHODS } from '../client-auth.js';
import { CLIENT_SIGNING_ALGS } from '../clients/client-keys.js';
import { REQUEST_OBJECT_SIGNING_ALGS } from '../authorize/request-object.js';
import { ACR_MULTI_FACTOR, ACR_PAPE_MULTI_FACTOR, ACR_SINGLE_FACTOR } from '../mfa/policy.js';
import type { Capabilities, ServerContext } from '../context.js';
import { supportedGrantTypes } from '../grants/index.js';
import { json } from '../http/responses.js';
import { supportedPrompts } from '../authorize/checks.js';
import { urlTo } from '../routes.js';

/**
 * Authorization server metadata (RFC 8414 §2), also served as OpenID Provider metadata
 * (OpenID Connect Discovery §3). Advertises exactly what is implemented.
 */
export function serverMetadata(ctx: Pick<Capabilities, 'config' | 'urls'>): Record<string, unknown> {
  const { config: options, urls: endpoints } = ctx;
  const methods = [...CLIENT_AUTH_METHODS];
  return {
    issuer: options.issuer,
    authorization_endpoint: endpoints.authorization,
    token_endpoint: endpoints.token,
    userinfo_endpoint: endpoints.userinfo,
    jwks_uri: endpoints.jwks,
    end_session_endpoint: endpoints.endSession,
    introspection_endpoint: endpoints.introspection,
    revocation_endpoint: endpoints.revocation,
    // RFC 8414 §2, RFC 7591 §3: only where clients may register themselves.
    ...(options.registration.policy === 'off' ? {} : { registration_endpoint: urlTo(ctx, 'registration') }),
    device_authorization_endpoint: endpoints.deviceAuthorization,
    scopes_supported: [...new Set([...OPENID_SCOPES, ...options.scopes])],
    response_types_supported: ['code'],
    response_modes_supported: ['query', 'form_post'],
    grant_types_supported: supportedGrantTypes(),
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['ES256', 'RS256'],
    // "1": one factor; "2": more than one (step-up with acr_values=2).
    acr_values_supported: [ACR_SINGLE_FACTOR, ACR_MULTI_FACTOR, ACR_PAPE_MULTI_FACTOR],
    token_endpoint_auth_methods_supported: methods,
    // RFC 7662 §2.1: introspection needs a confidential client.
    introspection_endpoint_auth_methods_supported: methods.filter((method) => method !== 'none'),
    revocation_endpoint_auth_methods_supported: methods,
    code_challenge_methods_supported: ['S256'],
    prompt_values_supported: supportedPrompts(ctx),
    claims_supported: SUPPORTED_CLAIMS,
    claims_parameter_supported: true,
    // OIDC Discovery §3: the languages of the pages, for `ui_locales` (docs/languages.md).
    ui_locales_supported: [...ctx.config.languages.messages.locales],
    // RFC 9101: signed request objects by value; by reference (request_uri) not (fetching it would let clients make the server fetch).
    request_parameter_supported: true,
    request_uri_parameter_supported: false,
    // RFC 9207: every authorization response carries iss.
    authorization_response_iss_parameter_supported: true,
    // draft-ietf-oauth-client-id-metadata-document §6: an https URL as client_id names the client's document.
    ...(options.clientMetadataDocuments.enabled ? { client_id_metadata_document_supported: true } : {}),
    // RFC 9449 §5.1: DPoP proofs are accepted at the token endpoint and UserInfo.
    dpop_signing_alg_values_supported: [...DPOP_ALGORITHMS],
    // RFC 9126 §5: where requests are pushed, and whether every client must push them.
    pushed_authorization_request_endpoint: urlTo(ctx, 'pushedAuthorizationRequest'),
    ...(options.par.required ? { require_pushed_authorization_requests: true } : {}),
    // OpenID Connect Back-Channel Logout 1.0 §2.1: logout tokens to each client's backchannel_logout_uri, with sid.
    backchannel_logout_supported: true,
    backchannel_logout_session_supported: true,
    // private_key_jwt (RFC 7523) and request objects (RFC 9101): asymmetric algorithms only, never none or HMAC.
    token_endpoint_auth_signing_alg_values_supported: [...CLIENT_SIGNING_ALGS],
    introspection_endpoint_auth_signing_alg_values_supported: [...CLIENT_SIGNING_ALGS],
    revocation_endpoint_auth_signing_alg_values_supported: [...CLIENT_SIGNING_ALGS],
    request_object_signing_alg_values_supported: [...REQUEST_OBJECT_SIGNING_ALGS],
  };
}

/** Discovery and JWKS may be read by browser apps on any origin. */
const PUBLIC_METADATA_HEADERS = {
  'Access-Control-Allow-Origin': '*',
  'Cache-Control': 'public, max-age=300',
};

export function discoveryEndpoint(metadata: Record<string, unknown>): Response {
  return json(metadata, 200, PUBLIC_METADATA_HEADERS);
}

/** The JWK Set (RFC 7517 §5): public keys only, active and still-published retired ones. */
export function jwksEndpoint(ctx: Pick<ServerContext, 'keys'>): Response {
  return json(ctx.keys.jwks(), 200, PUBLIC_METADATA_HEADERS);
}
