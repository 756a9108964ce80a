import { OAuthError } from '../../core/errors.js';
import type { ClientAuthMethod, ClientRecord, GrantType, Json, SigningAlg } from '../../stores/contract.js';
import { asksForAdminScope } from '../admin-api/admin-scopes.js';
import { OPENID_SCOPES } from '../claims.js';
import type { ServerConfig } from '../context.js';
import { isValidScopeToken } from '../scope.js';
import { isLoopbackHost } from '../../core/urls.js';
import { redirectUriKind, type RedirectUriKind } from './redirect-uris.js';
import { InvalidClientKeys, validateClientJwks, validateClientSigningAlg, validateJwksUri } from './client-keys.js';

/**
 * Client metadata (RFC 7591 §2, with OpenID Connect Dynamic Client Registration §2's
 * `application_type`, `id_token_signed_response_alg` and RP-Initiated Logout's
 * `post_logout_redirect_uris`) after {@link validateClientMetadata}: every default applied, every
 * value checked. Wire (snake_case) names, as registered and as answered.
 */
export interface ClientMetadata {
  redirect_uris: string[];
  token_endpoint_auth_method: ClientAuthMethod;
  grant_types: GrantType[];
  response_types: 'code'[];
  client_name: string;
  /** Space-separated scopes the client may request. */
  scope: string;
  application_type: 'web' | 'native';
  id_token_signed_response_alg: SigningAlg;
  post_logout_redirect_uris: string[];
  contacts?: string[];
  /** https URLs shown to people: never fetched by the server (not even to check them). */
  client_uri?: string;
  logo_uri?: string;
  policy_uri?: string;
  tos_uri?: string;
  software_id?: string;
  software_version?: string;
  /** RFC 9449 §5.2: the client always uses DPoP at the token endpoint. */
  dpop_bound_access_tokens?: boolean;
  /** RFC 9126 §6: the client must push its authorization requests. Absent: not required of it. */
  require_pushed_authorization_requests?: boolean;
  /** Where the server POSTs logout tokens (OpenID Connect Back-Channel Logout 1.0 §2.2). */
  backchannel_logout_uri?: string;
  /** Whether the logout token must carry `sid` (§2.2; Gatehouse always sends it). */
  backchannel_logout_session_required?: boolean;
  /** The client's public keys (RFC 7591 §2), inline or by URL, never both: for `private_key_jwt` and request objects. */
  jwks?: Json;
  jwks_uri?: string;
  token_endpoint_auth_signing_alg?: string;
  request_object_signing_alg?: string;
  /** RFC 9101 §10.5: only signed request objects are accepted from this client. */
  require_signed_request_object?: boolean;
}

/** What the server, or the policy a registration falls under, accepts. */
export interface ClientMetadataOptions {
  /**
   * `token_endpoint_auth_method` values accepted. Only `['none']`: no secret may be issued, every
   * client is public. RFC 7591 §2's default when the client names none is `client_secret_basic`.
   */
  authMethods: readonly ClientAuthMethod[];
  /** `grant_types` values accepted (a subset of what the server supports). */
  grantTypes: readonly GrantType[];
  /** Scopes the server supports: a `scope` naming any other is refused. */
  scopes: readonly string[];
  /**
   * Which redirect URIs are accepted: `any` of the registration rules ({@link redirectUriKind}),
   * or `native` ones only: loopback http and private-use schemes (RFC 8252 §7.1, §7.3), the kinds
   * an app on the user's own device receives (the open registration policy).
   */
  redirectUris: 'any' | 'native';
  /** The scope of a client that names none (RFC 7591 §2: "the authorization server MAY register a client with a default set of scopes"). */
  defaultScope: (grantTypes: readonly GrantType[]) => string;
}

/**
 * The scopes a client that describes itself may name, by registration (RFC 7591) or by a client
 * metadata document: the OpenID scopes and those the server advertises (`scopes`), never `admin` or
 * `admin:read` (the admin API's; only an operator registers a client with them), even when they are
 * advertised.
 */
export function registrableScopes(config: Pick<ServerConfig, 'scopes'>): string[] {
  return [...new Set([...OPENID_SCOPES, ...config.scopes])].filter((scope) => !asksForAdminScope([scope]));
}

const MAX_REDIRECT_URIS = 20;
const MAX_URI_LENGTH = 2000;
const MAX_NAME_LENGTH = 200;
const MAX_SCOPE_LENGTH = 2000;
const MAX_CONTACTS = 10;
const MAX_CONTACT_LENGTH = 254;
const MAX_SOFTWARE_LENGTH = 200;
const SIGNING_ALGS: readonly SigningAlg[] = ['ES256', 'RS256'];

function invalidMetadata(description: string): OAuthError {
  return new OAuthError('invalid_client_metadata', description);
}

function invalidRedirectUri(description: string): OAuthError {
  return new OAuthError('invalid_redirect_uri', description);
}

type Input = Record<string, unknown>;

/**
 * Characters no metadata value may hold, since every value reaches a page, a log or an operator's
 * terminal (`gatehouse clients show` prints them as they are): C0 and C1 controls (escape sequences,
 * CSI), the line and paragraph separators, and the bidirectional embeddings, overrides and isolates
 * (Unicode UAX #9), which would show a name on the consent page in another order than it is
 * written (CVE-2021-42574, "Trojan Source").
 */
// eslint-disable-next-line no-control-regex
const UNSAFE_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

function optionalString(input: Input, field: string, max: number): string | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalidMetadata(`${field} must be a string`);
  if (value.length === 0 || value.length > max) throw invalidMetadata(`${field} must be 1 to ${max} characters`);
  if (UNSAFE_CHARACTERS.test(value)) throw invalidMetadata(`${field} must not hold control or bidirectional formatting characters`);
  return value;
}

/** `unsafe` makes the error for a value with {@link UNSAFE_CHARACTERS} (`invalid_redirect_uri` for redirect URIs, RFC 7591 §3.2.2). */
function optionalStringArray(input: Input, field: string, maxItems: number, maxLength: number, unsafe = invalidMetadata): string[] | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw invalidMetadata(`${field} must be an array of strings`);
  if (value.length > maxItems) throw invalidMetadata(`${field} may hold at most ${maxItems} values`);
  for (const item of value) {
    if (typeof item !== 'string' || item.length === 0 || item.length > maxLength)
      throw invalidMetadata(`${field} must hold strings of 1 to ${maxLength} characters`);
    if (UNSAFE_CHARACTERS.test(item)) throw unsafe(`${field} must not hold control or bidirectional formatting characters`);
  }
  return [...new Set(value as string[])];
}

/** `client_uri`, `logo_uri`, `policy_uri`, `tos_uri`: https URLs for people to follow, which the server never fetches. */
function httpsUrl(input: Input, field: string): string | undefined {
  const value = optionalString(input, field, MAX_URI_LENGTH);
  if (value === undefined) return undefined;
  if (!URL.canParse(value)) throw invalidMetadata(`${field} must be an https URL`);
  const url = new URL(value);
  if (url.protocol !== 'https:' || url.username !== '' || url.password !== '') throw invalidMetadata(`${field} must be an https URL without credentials`);
  return value;
}

/**
 * Why `value` cannot be a `backchannel_logout_uri` (OpenID Connect Back-Channel Logout 1.0 §2.2:
 * an absolute URI, no fragment), `undefined` when it can: https, or plain http on a loopback host
 * (for development: the server still sends nothing to a loopback or private address unless
 * `protection.unsafeFetchAllowList` allows it), without credentials.
 */
export function backchannelLogoutUriProblem(value: string): string | undefined {
  const url = URL.parse(value);
  if (url === null) return 'must be an absolute URL';
  if (url.hash !== '' || value.includes('#')) return 'must not have a fragment';
  if (url.username !== '' || url.password !== '') return 'must not carry credentials';
  if (url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname))) return undefined;
  return 'must use https (plain http only on a loopback host)';
}

function checkRedirectUris(uris: readonly string[], field: string, publicClient: boolean, options: ClientMetadataOptions): RedirectUriKind[] {
  return uris.map((uri, index) => {
    const verdict = redirectUriKind(uri, publicClient);
    if ('problem' in verdict) throw invalidRedirectUri(`${field}[${index}] ${verdict.problem}`);
    if (options.redirectUris === 'native' && verdict.kind === 'https') {
      throw invalidRedirectUri(`${field}[${index}] must be a loopback http or private-use scheme URI (RFC 8252): only native apps may register here`);
    }
    // RFC 8252 §7.3 names the loopback IP literals, and §8.3 warns that a name may be resolved
    // elsewhere: a name below localhost (evil.localhost) can reach DNS on some platforms, which would
    // make open registration hand out a redirect to a web server. localhost itself is admitted (§8.3).
    if (options.redirectUris === 'native' && verdict.kind === 'loopback' && new URL(uri).hostname.toLowerCase().endsWith('.localhost')) {
      throw invalidRedirectUri(`${field}[${index}] must use a loopback IP literal or localhost itself (RFC 8252 section 7.3)`);
    }
    return verdict.kind;
  });
}

/**
 * Validates client metadata for registration (RFC 7591 §2; also what a client metadata document
 * holds), strictly, and returns it with every default applied. Throws {@link OAuthError}
 * `invalid_redirect_uri` for a redirect URI (RFC 7591 §3.2.2), `invalid_client_metadata` for any
 * other field, with fixed descriptions that name the field, never its value.
 *
 * Rules beyond the types of RFC 7591 §2:
 * - `redirect_uris`: see {@link redirectUriKind} (RFC 8252 for native apps, https otherwise; no
 *   fragment), at most 20; required with the `authorization_code` grant. `application_type`
 *   `native` (OpenID Connect Registration §2) admits only loopback and private-use URIs.
 * - `grant_types` and `response_types` agree (RFC 7591 §2.1): `code` with `authorization_code`
 *   and back. Defaults: `authorization_code`; `code` when that grant is registered, else none.
 *   `client_credentials` needs a confidential client.
 * - `token_endpoint_auth_method` among `options.authMethods` (default `client_secret_basic`).
 * - `scope` tokens among the server's (`options.scopes`).
 * - `client_uri`, `logo_uri`, `policy_uri`, `tos_uri`: https URLs. The server never fetches
 *   them: they are links, and a logo is an `<img>` the user's browser loads (or not).
 * - No string, in any field or list, holds control characters (C0, C1), line separators or
 *   bidirectional formatting characters ({@link UNSAFE_CHARACTERS}).
 * - `require_pushed_authorization_requests` (RFC 9126 §6): a boolean; `true` makes the client
 *   push its authorization requests, and an update (RFC 7592) keeps it so.
 * - `jwks` (public keys only: no private or symmetric key) or `jwks_uri` (https), never both
 *   (RFC 7591 §2); one of them is required by `private_key_jwt` and `require_signed_request_object`.
 *   `token_endpoint_auth_signing_alg`, `request_object_signing_alg`: asymmetric algorithms only.
 * - `software_statement`: refused with `unapproved_software_statement` (RFC 7591 §3.2.2): no
 *   statement issuer is trusted.
 * - Unknown fields, including language-tagged variants (`client_name#fr`, RFC 7591 §2.2), are
 *   dropped: RFC 7591 §2 says the server "MUST ignore any client metadata sent by the client that
 *   it does not understand (for instance, by silently removing unknown metadata from the client's
 *   registration record during processing)". Dropped rather than kept: kept values would be stored
 *   and echoed unvalidated, a way to park arbitrary data in the store. The registration response
 *   lists what was registered (RFC 7591 §3.2.1), so a client sees what was left out.
 *
 * @example
 * const metadata = validateClientMetadata(await request.json(), {
 *   authMethods: ['none'],
 *   grantTypes: ['authorization_code', 'refresh_token'],
 *   scopes: ['openid', 'profile'],
 *   redirectUris: 'native',
 *   defaultScope: () => 'openid',
 * });
 */
export function validateClientMetadata(input: unknown, options: ClientMetadataOptions): ClientMetadata {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw invalidMetadata('the client metadata must be a JSON object');
  const raw = input as Input;
  if (raw.software_statement !== undefined) {
    throw new OAuthError('unapproved_software_statement', 'software statements are not accepted by this server');
  }
  const authMethod = optionalString(raw, 'token_endpoint_auth_method', 100) ?? 'client_secret_basic';
  if (!(options.authMethods as readonly string[]).includes(authMethod)) {
    throw invalidMetadata(`token_endpoint_auth_method must be one of ${options.authMethods.join(', ')}`);
  }
  const tokenEndpointAuthMethod = authMethod as ClientAuthMethod;
  const publicClient = tokenEndpointAuthMethod === 'none';

  const grantTypes = (optionalStringArray(raw, 'grant_types', 10, 100) ?? ['authorization_code']) as GrantType[];
  if (grantTypes.length === 0) throw invalidMetadata('grant_types must not be empty');
  for (const grant of grantTypes) {
    if (!options.grantTypes.includes(grant)) throw invalidMetadata(`grant_types may hold only ${options.grantTypes.join(', ')}`);
  }
  const usesCode = grantTypes.includes('authorization_code');
  const responseTypes = optionalStringArray(raw, 'response_types', 5, 100) ?? (usesCode ? ['code'] : []);
  for (const type of responseTypes) {
    if (type !== 'code') throw invalidMetadata('response_types may hold only code');
  }
  // RFC 7591 §2.1: "code" goes with "authorization_code", both ways.
  if (responseTypes.includes('code') !== usesCode) {
    throw invalidMetadata('grant_types and response_types disagree: the code response type goes with the authorization_code grant (RFC 7591 section 2.1)');
  }
  if (grantTypes.includes('client_credentials') && publicClient) {
    throw invalidMetadata('client_credentials needs a confidential client (a token_endpoint_auth_method other than none)');
  }

  const applicationType = optionalString(raw, 'application_type', 20) ?? 'web';
  if (applicationType !== 'web' && applicationType !== 'native') throw invalidMetadata('application_type must be web or native');

  const redirectUris = optionalStringArray(raw, 'redirect_uris', MAX_REDIRECT_URIS, MAX_URI_LENGTH, invalidRedirectUri) ?? [];
  const kinds = checkRedirectUris(redirectUris, 'redirect_uris', publicClient, options);
  if (usesCode && redirectUris.length === 0) throw invalidRedirectUri('redirect_uris is required with the authorization_code grant');
  if (applicationType === 'native' && kinds.includes('https')) {
    throw invalidRedirectUri('a native application registers loopback http or private-use scheme redirect URIs only (RFC 8252)');
  }
  const postLogoutRedirectUris = optionalStringArray(raw, 'post_logout_redirect_uris', MAX_REDIRECT_URIS, MAX_URI_LENGTH, invalidRedirectUri) ?? [];
  checkRedirectUris(postLogoutRedirectUris, 'post_logout_redirect_uris', publicClient, options);

  const requestedScope = optionalString(raw, 'scope', MAX_SCOPE_LENGTH);
  const scope = (requestedScope ?? options.defaultScope(grantTypes)).split(' ').filter(Boolean);
  for (const token of scope) {
    if (!isValidScopeToken(token)) throw invalidMetadata('scope holds a token that is not a valid scope token (RFC 6749 section 3.3)');
    if (!options.scopes.includes(token)) throw invalidMetadata('scope holds a scope this server does not support');
  }

  const idTokenAlg = optionalString(raw, 'id_token_signed_response_alg', 20) ?? 'ES256';
  if (!(SIGNING_ALGS as readonly string[]).includes(idTokenAlg))
    throw invalidMetadata(`id_token_signed_response_alg must be one of ${SIGNING_ALGS.join(', ')}`);

  const contacts = optionalStringArray(raw, 'contacts', MAX_CONTACTS, MAX_CONTACT_LENGTH);
  const optional: Partial<ClientMetadata> = clientKeyMetadata(raw, tokenEndpointAuthMethod);
  if (contacts !== undefined) optional.contacts = contacts;
  for (const field of ['client_uri', 'logo_uri', 'policy_uri', 'tos_uri'] as const) {
    const value = httpsUrl(raw, field);
    if (value !== undefined) optional[field] = value;
  }
  for (const field of ['software_id', 'software_version'] as const) {
    const value = optionalString(raw, field, MAX_SOFTWARE_LENGTH);
    if (value !== undefined) optional[field] = value;
  }
  const backchannelUri = optionalString(raw, 'backchannel_logout_uri', MAX_URI_LENGTH);
  if (backchannelUri !== undefined) {
    const problem = backchannelLogoutUriProblem(backchannelUri);
    if (problem !== undefined) throw invalidMetadata(`backchannel_logout_uri ${problem}`);
    optional.backchannel_logout_uri = backchannelUri;
  }
  const sessionRequired = raw.backchannel_logout_session_required;
  if (sessionRequired !== undefined && sessionRequired !== null) {
    if (typeof sessionRequired !== 'boolean') throw invalidMetadata('backchannel_logout_session_required must be a boolean');
    optional.backchannel_logout_session_required = sessionRequired;
  }
  const clientName = optionalString(raw, 'client_name', MAX_NAME_LENGTH)?.trim();
  const dpopBound = raw.dpop_bound_access_tokens;
  if (dpopBound !== undefined && dpopBound !== null && typeof dpopBound !== 'boolean') throw invalidMetadata('dpop_bound_access_tokens must be true or false');
  if (dpopBound === true) optional.dpop_bound_access_tokens = true;
  const requirePar = raw.require_pushed_authorization_requests;
  if (requirePar !== undefined && requirePar !== null && typeof requirePar !== 'boolean')
    throw invalidMetadata('require_pushed_authorization_requests must be true or false');
  if (requirePar === true) optional.require_pushed_authorization_requests = true;

  return {
    redirect_uris: redirectUris,
    token_endpoint_auth_method: tokenEndpointAuthMethod,
    grant_types: [...new Set(grantTypes)],
    response_types: responseTypes as ClientMetadata['response_types'],
    // RFC 7591 §2: without a name the server shows something; the redirect host is what people can judge.
    client_name: clientName === undefined || clientName === '' ? unnamedClientName(redirectUris) : clientName,
    scope: [...new Set(scope)].join(' '),
    application_type: applicationType,
    id_token_signed_response_alg: idTokenAlg as SigningAlg,
    post_logout_redirect_uris: postLogoutRedirectUris,
    ...optional,
  };
}

/** The client key members of RFC 7591 §2 and OIDC Registration §2 (`jwks`, `jwks_uri`, their algorithms), checked. */
function clientKeyMetadata(raw: Input, authMethod: ClientAuthMethod): Partial<ClientMetadata> {
  const keys: Partial<ClientMetadata> = {};
  try {
    if (raw.jwks !== undefined && raw.jwks !== null && raw.jwks_uri !== undefined && raw.jwks_uri !== null) {
      throw new InvalidClientKeys('jwks and jwks_uri must not both be given (RFC 7591 section 2)');
    }
    if (raw.jwks !== undefined && raw.jwks !== null) keys.jwks = validateClientJwks(raw.jwks);
    if (raw.jwks_uri !== undefined && raw.jwks_uri !== null) keys.jwks_uri = validateJwksUri(raw.jwks_uri);
    for (const field of ['token_endpoint_auth_signing_alg', 'request_object_signing_alg'] as const) {
      if (raw[field] !== undefined && raw[field] !== null) keys[field] = validateClientSigningAlg(raw[field], field);
    }
  } catch (error) {
    if (error instanceof InvalidClientKeys) throw invalidMetadata(error.message);
    throw error;
  }
  const required = raw.require_signed_request_object;
  if (required !== undefined && required !== null && typeof required !== 'boolean') throw invalidMetadata('require_signed_request_object must be a boolean');
  if (required === true) keys.require_signed_request_object = true;
  const hasKeys = keys.jwks !== undefined || keys.jwks_uri !== undefined;
  if (authMethod === 'private_key_jwt' && !hasKeys) throw invalidMetadata('private_key_jwt needs the client keys: jwks or jwks_uri');
  if (keys.require_signed_request_object && !hasKeys) throw invalidMetadata('require_signed_request_object needs the client keys: jwks or jwks_uri');
  return keys;
}

function unnamedClientName(redirectUris: readonly string[]): string {
  const first = redirectUris[0];
  if (first === undefined) return 'Unnamed application';
  const url = new URL(first);
  return url.host === '' ? url.protocol.replace(/:$/, '') : url.host;
}

/** The metadata kept in {@link ClientRecord.extra}: the RFC 7591 fields without a record field of their own. */
const EXTRA_FIELDS = [
  'response_types',
  'application_type',
  'contacts',
  'client_uri',
  'logo_uri',
  'policy_uri',
  'tos_uri',
  'software_id',
  'software_version',
] as const;

/**
 * The {@link ClientRecord} fields validated metadata sets (everything but the id, the secret, the
 * registration and the times), for a store.
 */
export function clientRecordFields(
  metadata: ClientMetadata,
): Pick<
  ClientRecord,
  | 'clientName'
  | 'redirectUris'
  | 'postLogoutRedirectUris'
  | 'grantTypes'
  | 'scope'
  | 'tokenEndpointAuthMethod'
  | 'idTokenSignedResponseAlg'
  | 'resources'
  | 'isResourceServer'
  | 'servedResources'
  | 'extra'
  | 'dpopBoundAccessTokens'
  | 'requirePushedAuthorizationRequests'
  | 'backchannelLogoutUri'
  | 'backchannelLogoutSessionRequired'
  | 'jwks'
  | 'jwksUri'
  | 'tokenEndpointAuthSigningAlg'
  | 'requestObjectSigningAlg'
  | 'requireSignedRequestObject'
> {
  const extra: Record<string, Json> = {};
  for (const field of EXTRA_FIELDS) {
    const value = metadata[field];
    if (value !== undefined) extra[field] = value;
  }
  return {
    ...(metadata.dpop_bound_access_tokens === true ? { dpopBoundAccessTokens: true } : {}),
    clientName: metadata.client_name,
    redirectUris: metadata.redirect_uris,
    postLogoutRedirectUris: metadata.post_logout_redirect_uris,
    grantTypes: metadata.grant_types,
    scope: metadata.scope,
    tokenEndpointAuthMethod: metadata.token_endpoint_auth_method,
    idTokenSignedResponseAlg: metadata.id_token_signed_response_alg,
    // No resources of its own: the default audience and what resource servers serve (RFC 8707).
    resources: [],
    isResourceServer: false,
    servedResources: [],
    extra,
    ...(metadata.require_pushed_authorization_requests ? { requirePushedAuthorizationRequests: true } : {}),
    ...(metadata.backchannel_logout_uri !== undefined ? { backchannelLogoutUri: metadata.backchannel_logout_uri } : {}),
    ...(metadata.backchannel_logout_session_required !== undefined ? { backchannelLogoutSessionRequired: metadata.backchannel_logout_session_required } : {}),
    ...(metadata.jwks !== undefined ? { jwks: metadata.jwks } : {}),
    ...(metadata.jwks_uri !== undefined ? { jwksUri: metadata.jwks_uri } : {}),
    ...(metadata.token_endpoint_auth_signing_alg !== undefined ? { tokenEndpointAuthSigningAlg: metadata.token_endpoint_auth_signing_alg } : {}),
    ...(metadata.request_object_signing_alg !== undefined ? { requestObjectSigningAlg: metadata.request_object_signing_alg } : {}),
    ...(metadata.require_signed_request_object === true ? { requireSignedRequestObject: true } : {}),
  };
}

/**
 * `client` with its metadata replaced by `metadata` (RFC 7592 §2.2: a client replaces its own
 * registration), keeping what only an operator sets: its resources, whether it is a resource server
 * and what it serves, and the extension metadata that is no RFC 7591 field (`require_mfa`, the token
 * exchange policy). A client may not lift a restriction an operator put on it by re-sending its metadata.
 */
export function withClientMetadata(client: ClientRecord, metadata: ClientMetadata): ClientRecord {
  const fields = clientRecordFields(metadata);
  const operatorExtra = Object.fromEntries(Object.entries(client.extra).filter(([key]) => !(EXTRA_FIELDS as readonly string[]).includes(key)));
  // A client that leaves them out of its new metadata no longer has them (RFC 7592 §2.2 replaces
  // the whole registration): its back-channel logout URI and its keys are the client's to replace.
  const {
    backchannelLogoutUri: _uri,
    backchannelLogoutSessionRequired: _sessionRequired,
    jwks: _jwks,
    jwksUri: _jwksUri,
    tokenEndpointAuthSigningAlg: _tokenAlg,
    requestObjectSigningAlg: _requestAlg,
    requireSignedRequestObject: _required,
    ...kept
  } = client;
  return {
    ...kept,
    ...fields,
    resources: client.resources,
    isResourceServer: client.isResourceServer,
    servedResources: client.servedResources,
    extra: { ...operatorExtra, ...fields.extra },
    // An operator's requirement of DPoP stays: a client cannot lift it by re-sending its metadata.
    ...(client.dpopBoundAccessTokens === true ? { dpopBoundAccessTokens: true } : {}),
    // RFC 9126 §6: once required (by the client or its operator), only an operator lifts it.
    ...(client.requirePushedAuthorizationRequests || fields.requirePushedAuthorizationRequests ? { requirePushedAuthorizationRequests: true } : {}),
  };
}

/** A client's registered metadata, as RFC 7591 §3.2.1 and RFC 7592 §3 answer it (no secret, no registration token). */
export function clientMetadataOf(client: ClientRecord): ClientMetadata {
  const extra = client.extra;
  const metadata: ClientMetadata = {
    redirect_uris: client.redirectUris,
    token_endpoint_auth_method: client.tokenEndpointAuthMethod,
    grant_types: client.grantTypes,
    response_types:
      (extra.response_types as ClientMetadata['response_types'] | undefined) ?? (client.grantTypes.includes('authorization_code') ? ['code'] : []),
    client_name: client.clientName,
    scope: client.scope,
    application_type: extra.application_type === 'native' ? 'native' : 'web',
    id_token_signed_response_alg: client.idTokenSignedResponseAlg,
    post_logout_redirect_uris: client.postLogoutRedirectUris,
  };
  for (const field of ['client_uri', 'logo_uri', 'policy_uri', 'tos_uri', 'software_id', 'software_version'] as const) {
    if (typeof extra[field] === 'string') metadata[field] = extra[field];
  }
  if (client.dpopBoundAccessTokens === true) metadata.dpop_bound_access_tokens = true;
  if (client.requirePushedAuthorizationRequests) metadata.require_pushed_authorization_requests = true;
  if (client.backchannelLogoutUri !== undefined) metadata.backchannel_logout_uri = client.backchannelLogoutUri;
  if (client.backchannelLogoutSessionRequired !== undefined) metadata.backchannel_logout_session_required = client.backchannelLogoutSessionRequired;
  if (client.jwks !== undefined) metadata.jwks = client.jwks;
  if (client.jwksUri !== undefined) metadata.jwks_uri = client.jwksUri;
  if (client.tokenEndpointAuthSigningAlg !== undefined) metadata.token_endpoint_auth_signing_alg = client.tokenEndpointAuthSigningAlg;
  if (client.requestObjectSigningAlg !== undefined) metadata.request_object_signing_alg = client.requestObjectSigningAlg;
  if (client.requireSignedRequestObject === true) metadata.require_signed_request_object = true;
  if (Array.isArray(extra.contacts)) metadata.contacts = extra.contacts.filter((contact): contact is string => typeof contact === 'string');
  return metadata;
}
