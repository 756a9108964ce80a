import { randomToken } from '../../core/encoding.js';
import type { SecretKeys } from '../../core/secret.js';
import {
  StoreConflictError,
  type ClientAuthMethod,
  type ClientRecord,
  type GrantType,
  type Json,
  type ListOptions,
  type SigningAlg,
  type Store,
} from '../../stores/contract.js';
import { CLIENT_SECRET_PURPOSE, usesClientSecret } from '../client-auth.js';
import { InvalidClientKeys, validateClientJwks, validateClientSigningAlg, validateJwksUri } from '../clients/client-keys.js';
import { isValidScopeToken } from '../scope.js';
import { AdminInputError, AdminNotFoundError } from './input-error.js';
import { parseIpRanges } from '../protection/ip-ranges.js';
import { checkRedirectUri } from './redirect-uris.js';
import { backchannelLogoutUriProblem } from '../clients/metadata.js';
import { TOKEN_EXCHANGE_GRANT, TOKEN_EXCHANGE_POLICY } from '../grants/token-exchange.js';
import { CLIENT_PROFILES, profileProblems, type ClientProfile } from '../clients/profiles.js';

/**
 * A new client id: 24 base64url characters, never starting with `-` (an id that did would read as
 * an option to the command line: `gatehouse clients remove -Zab…`).
 */
export function newClientId(): string {
  for (;;) {
    const id = randomToken(18);
    if (!id.startsWith('-')) return id;
  }
}

const GRANT_TYPES: readonly GrantType[] = [
  'client_credentials',
  'authorization_code',
  'refresh_token',
  'urn:ietf:params:oauth:grant-type:device_code',
  TOKEN_EXCHANGE_GRANT,
];
const AUTH_METHODS: readonly ClientAuthMethod[] = ['client_secret_basic', 'client_secret_post', 'none', 'private_key_jwt'];
const SIGNING_ALGS: readonly SigningAlg[] = ['ES256', 'RS256'];

/** What an operator supplies to register a client. */
export interface NewClientInput {
  name: string;
  redirectUris?: string[];
  postLogoutRedirectUris?: string[];
  /** Default: `authorization_code` + `refresh_token` when redirect URIs are given, else `client_credentials`. */
  grantTypes?: GrantType[];
  /** Allowed scopes, space-separated. */
  scope?: string;
  /** Default `client_secret_basic`. */
  authMethod?: ClientAuthMethod;
  idTokenSignedResponseAlg?: SigningAlg;
  resources?: string[];
  isResourceServer?: boolean;
  /** Resource identifiers this resource server serves (RFC 8707 §2), each by one client only. */
  servedResources?: string[];
  /** https URL of the client's logo, shown on the consent page. */
  logoUri?: string;
  /** https URL of the client's home page. */
  clientUri?: string;
  /** Users must pass a second factor to sign in to this client. */
  requireMfa?: boolean;
  /** Addresses or CIDR ranges the client may call the token, introspection and revocation endpoints from. */
  allowedIps?: string[];
  /** Token exchange (RFC 8693): without an actor token, get tokens without `act` (impersonation). */
  exchangeImpersonation?: boolean;
  /**
   * OAuth 2.1 §7.5.2: this confidential OpenID client may leave PKCE out of a request that sends a
   * `nonce` (for clients, or certification plans, that cannot send PKCE). Default: PKCE always.
   */
  allowNonceWithoutPkce?: boolean;
  /** RFC 9449 §5.2: the client must present a DPoP proof at the token endpoint. */
  dpopBoundAccessTokens?: boolean;
  /** The security profile it is held to (`fapi2`: FAPI 2.0 Security Profile, server/clients/profiles.ts). */
  profile?: string;
  /** The client must push its authorization requests (RFC 9126 §6, `require_pushed_authorization_requests`). */
  requirePushedAuthorizationRequests?: boolean;
  /** Where logout tokens are POSTed (OpenID Connect Back-Channel Logout 1.0 §2.2). */
  backchannelLogoutUri?: string;
  /** The client needs `sid` in logout tokens (§2.2). */
  backchannelLogoutSessionRequired?: boolean;
  /** The client's public keys, a JWK Set (RFC 7591 §2 `jwks`): for `private_key_jwt` and request objects. */
  jwks?: unknown;
  /** Where the client publishes its public keys (https, RFC 7591 §2 `jwks_uri`); never with `jwks`. */
  jwksUri?: string;
  /** The one algorithm of its client assertions (`token_endpoint_auth_signing_alg`). */
  tokenEndpointAuthSigningAlg?: string;
  /** The one algorithm of its request objects (`request_object_signing_alg`). */
  requestObjectSigningAlg?: string;
  /** Its authorization requests must be signed request objects (RFC 9101 §10.5). */
  requireSignedRequestObject?: boolean;
}

type KeyFields = Pick<ClientRecord, 'jwks' | 'jwksUri' | 'tokenEndpointAuthSigningAlg' | 'requestObjectSigningAlg' | 'requireSignedRequestObject'>;

/**
 * The client key settings, checked as dynamic registration checks them (`jwks` public keys only,
 * `jwks_uri` https, never both; asymmetric algorithms), for a client of `authMethod`.
 */
function clientKeyFields(
  input: Pick<NewClientInput, 'jwks' | 'jwksUri' | 'tokenEndpointAuthSigningAlg' | 'requestObjectSigningAlg' | 'requireSignedRequestObject'>,
  authMethod: ClientAuthMethod,
): KeyFields {
  const fields: KeyFields = {};
  try {
    if (input.jwks !== undefined && input.jwksUri !== undefined) throw new InvalidClientKeys('give jwks or jwks_uri, not both (RFC 7591 section 2)');
    if (input.jwks !== undefined) fields.jwks = validateClientJwks(input.jwks);
    if (input.jwksUri !== undefined) fields.jwksUri = validateJwksUri(input.jwksUri);
    if (input.tokenEndpointAuthSigningAlg !== undefined)
      fields.tokenEndpointAuthSigningAlg = validateClientSigningAlg(input.tokenEndpointAuthSigningAlg, 'token_endpoint_auth_signing_alg');
    if (input.requestObjectSigningAlg !== undefined)
      fields.requestObjectSigningAlg = validateClientSigningAlg(input.requestObjectSigningAlg, 'request_object_signing_alg');
  } catch (error) {
    if (error instanceof InvalidClientKeys)
      throw new AdminInputError(input.jwksUri !== undefined && input.jwks === undefined ? 'jwks-uri' : 'jwks', error.message);
    throw error;
  }
  if (input.requireSignedRequestObject) fields.requireSignedRequestObject = true;
  const hasKeys = fields.jwks !== undefined || fields.jwksUri !== undefined;
  if (authMethod === 'private_key_jwt' && !hasKeys) throw new AdminInputError('auth-method', 'private_key_jwt needs the client keys (jwks or jwks_uri)');
  if (fields.requireSignedRequestObject && !hasKeys) throw new AdminInputError('require-signed-request-object', 'needs the client keys (jwks or jwks_uri)');
  return fields;
}

/** Default scopes of a client that signs users in (in a browser, or on a device): the OpenID scopes (offline_access with refresh tokens). */
export function defaultScope(grantTypes: readonly GrantType[]): string {
  if (!grantTypes.includes('authorization_code') && !grantTypes.includes('urn:ietf:params:oauth:grant-type:device_code')) return '';
  return `openid profile email address phone${grantTypes.includes('refresh_token') ? ' offline_access' : ''}`;
}

/** A newly registered client; the secret is shown once and stored only as a keyed hash. */
export interface RegisteredClient {
  client: ClientRecord;
  clientSecret: string | null;
}

/** Generates a client secret with 256 bits of entropy. */
export function newClientSecret(): string {
  return randomToken(32);
}

/** Registers a client after validating every field. */
export async function registerClient(store: Store, secretKeys: SecretKeys, input: NewClientInput, now: number): Promise<RegisteredClient> {
  const authMethod = input.authMethod ?? 'client_secret_basic';
  if (!AUTH_METHODS.includes(authMethod)) throw new AdminInputError('auth-method', `must be one of ${AUTH_METHODS.join(', ')}`);
  const isPublic = authMethod === 'none';
  const name = input.name.trim();
  if (!name || name.length > 200) throw new AdminInputError('name', 'must be 1 to 200 characters');
  const redirectUris = input.redirectUris ?? [];
  redirectUris.forEach((uri) => checkRedirectUri(uri, 'redirect-uri', isPublic));
  const postLogoutRedirectUris = input.postLogoutRedirectUris ?? [];
  postLogoutRedirectUris.forEach((uri) => checkRedirectUri(uri, 'post-logout-redirect-uri', isPublic));
  const grantTypes = [
    ...new Set(input.grantTypes ?? (redirectUris.length > 0 ? ['authorization_code', 'refresh_token'] : ['client_credentials'])),
  ] as GrantType[];
  for (const grant of grantTypes) {
    if (!GRANT_TYPES.includes(grant)) throw new AdminInputError('grant', `"${grant}" is not one of ${GRANT_TYPES.join(', ')}`);
  }
  if (grantTypes.includes('authorization_code') && redirectUris.length === 0) {
    throw new AdminInputError('redirect-uri', 'the authorization_code grant needs at least one redirect URI');
  }
  if (grantTypes.includes('client_credentials') && isPublic) {
    throw new AdminInputError('grant', 'client_credentials needs a confidential client (an auth method other than none)');
  }
  // RFC 8693 §2.1 leaves unauthenticated clients to the server: refused, or a leaked token could be exchanged by anyone.
  if (grantTypes.includes(TOKEN_EXCHANGE_GRANT) && isPublic) {
    throw new AdminInputError('grant', 'token exchange needs a confidential client (an auth method other than none)');
  }
  if (input.exchangeImpersonation && !grantTypes.includes(TOKEN_EXCHANGE_GRANT)) {
    throw new AdminInputError('grant', `the token exchange policy needs the ${TOKEN_EXCHANGE_GRANT} grant`);
  }
  const scope = (input.scope ?? defaultScope(grantTypes)).split(' ').filter(Boolean);
  const badScope = scope.find((token) => !isValidScopeToken(token));
  if (badScope !== undefined) throw new AdminInputError('scope', `"${badScope}" is not a valid scope token`);
  if (input.isResourceServer && isPublic) {
    throw new AdminInputError('resource-server', 'a resource server introspects tokens and must be a confidential client');
  }
  if (input.allowNonceWithoutPkce && (isPublic || !grantTypes.includes('authorization_code') || !scope.includes('openid'))) {
    throw new AdminInputError(
      'allow-nonce-without-pkce',
      'only a confidential client of the authorization_code grant with the openid scope may go without PKCE',
    );
  }
  const idTokenAlg = input.idTokenSignedResponseAlg ?? 'ES256';
  if (!SIGNING_ALGS.includes(idTokenAlg)) throw new AdminInputError('id-token-alg', `must be one of ${SIGNING_ALGS.join(', ')}`);
  const resources = input.resources ?? [];
  resources.forEach((resource) => checkResource(resource));
  const servedResources = checkServedResources(input.servedResources ?? [], input.isResourceServer ?? false);

  const extra: Record<string, Json> = {};
  if (input.requireMfa) extra.require_mfa = true;
  if (input.allowedIps && input.allowedIps.length > 0) {
    try {
      parseIpRanges(input.allowedIps, 'allowed-ip');
    } catch (error) {
      throw new AdminInputError('allowed-ip', (error as Error).message);
    }
    extra.allowed_ips = input.allowedIps;
  }
  if (input.exchangeImpersonation) extra[TOKEN_EXCHANGE_POLICY] = { impersonation: true };
  for (const [field, key, value] of [
    ['logo-uri', 'logo_uri', input.logoUri],
    ['client-uri', 'client_uri', input.clientUri],
  ] as const) {
    if (value === undefined) continue;
    if (!URL.canParse(value) || new URL(value).protocol !== 'https:') throw new AdminInputError(field, `"${value}" must be an https URL`);
    extra[key] = value;
  }

  const backchannel = backchannelFields(input.backchannelLogoutUri, input.backchannelLogoutSessionRequired);
  const keyFields = clientKeyFields(input, authMethod);
  const clientSecret = usesClientSecret(authMethod) ? newClientSecret() : null;
  const client: ClientRecord = {
    clientId: newClientId(),
    clientSecretHash: clientSecret === null ? null : secretKeys.hash(clientSecret, CLIENT_SECRET_PURPOSE),
    clientName: name,
    redirectUris,
    postLogoutRedirectUris,
    grantTypes,
    scope: [...new Set(scope)].join(' '),
    tokenEndpointAuthMethod: authMethod,
    idTokenSignedResponseAlg: idTokenAlg,
    resources,
    isResourceServer: input.isResourceServer ?? false,
    servedResources,
    extra,
    ...(input.allowNonceWithoutPkce ? { allowNonceWithoutPkce: true } : {}),
    ...(input.profile !== undefined ? { profile: checkProfile(input.profile) } : {}),
    ...(input.dpopBoundAccessTokens ? { dpopBoundAccessTokens: true } : {}),
    ...(input.requirePushedAuthorizationRequests ? { requirePushedAuthorizationRequests: true } : {}),
    ...backchannel,
    ...keyFields,
    createdAt: now,
    updatedAt: now,
  };
  holdToProfile(client);
  await saving(store.clients.create(client));
  return { client, clientSecret };
}

/** Replaces a confidential client's secret; the old one stops working at once. */
export async function rotateClientSecret(store: Store, secretKeys: SecretKeys, clientId: string, now: number): Promise<RegisteredClient> {
  const client = await getClient(store, clientId);
  if (client.tokenEndpointAuthMethod === 'none') throw new AdminInputError('client', 'a public client has no secret');
  if (!usesClientSecret(client.tokenEndpointAuthMethod)) throw new AdminInputError('client', 'a private_key_jwt client has no secret (it signs with its keys)');
  const clientSecret = newClientSecret();
  const updated = { ...client, clientSecretHash: secretKeys.hash(clientSecret, CLIENT_SECRET_PURPOSE), updatedAt: now };
  if (!(await store.clients.update(updated))) throw notFound(clientId);
  return { client: updated, clientSecret };
}

function notFound(clientId: string): AdminNotFoundError {
  return new AdminNotFoundError('client', `no client with id "${clientId}"`);
}

/** The registered clients, a page at a time (every one without `options`). */
export function listClients(store: Store, options?: ListOptions): Promise<ClientRecord[]> {
  return store.clients.list(options);
}

/** The client with this id; throws {@link AdminNotFoundError} when there is none. */
export async function getClient(store: Store, clientId: string): Promise<ClientRecord> {
  const client = await store.clients.get(clientId);
  if (!client) throw notFound(clientId);
  return client;
}

/** The lists {@link updateClient} replaces, and the settings it changes, each only when given. */
export interface ClientUpdate {
  redirectUris?: string[] | undefined;
  postLogoutRedirectUris?: string[] | undefined;
  resources?: string[] | undefined;
  servedResources?: string[] | undefined;
  /** RFC 9126 §6: require (true) or stop requiring (false) pushed authorization requests. */
  requirePushedAuthorizationRequests?: boolean | undefined;
  /** A new back-channel logout URI; `null` removes it (and the session requirement with it). */
  backchannelLogoutUri?: string | null | undefined;
  backchannelLogoutSessionRequired?: boolean | undefined;
  /** Replaces the client's keys: a JWK Set inline, or (clearing the other) a `jwks_uri`. */
  jwks?: unknown;
  jwksUri?: string | undefined;
}

/**
 * Replaces a client's redirect URIs, post-logout redirect URIs, resources and served resources, each only when
 * given (the whole list), validated as at registration ({@link registerClient}); sets whether it must push
 * its authorization requests (RFC 9126 §6) when that is given.
 */
export async function updateClient(store: Store, clientId: string, changes: ClientUpdate, now: number): Promise<ClientRecord> {
  const client = await getClient(store, clientId);
  const isPublic = client.tokenEndpointAuthMethod === 'none';
  const redirectUris = changes.redirectUris ?? client.redirectUris;
  const postLogoutRedirectUris = changes.postLogoutRedirectUris ?? client.postLogoutRedirectUris;
  const resources = changes.resources ?? client.resources;
  const servedResources = checkServedResources(changes.servedResources ?? client.servedResources, client.isResourceServer);
  redirectUris.forEach((uri) => checkRedirectUri(uri, 'redirect-uri', isPublic));
  postLogoutRedirectUris.forEach((uri) => checkRedirectUri(uri, 'post-logout-redirect-uri', isPublic));
  resources.forEach((resource) => checkResource(resource));
  if (client.grantTypes.includes('authorization_code') && redirectUris.length === 0) {
    throw new AdminInputError('redirect-uri', 'the authorization_code grant needs at least one redirect URI');
  }
  const { backchannelLogoutUri: currentUri, backchannelLogoutSessionRequired: currentRequired, jwks: _jwks, jwksUri: _jwksUri, ...rest } = client;
  const backchannel =
    changes.backchannelLogoutUri === null
      ? {}
      : backchannelFields(changes.backchannelLogoutUri ?? currentUri, changes.backchannelLogoutSessionRequired ?? currentRequired);
  const newKeys = changes.jwks !== undefined || changes.jwksUri !== undefined;
  const keys = newKeys
    ? clientKeyFields({ ...client, jwks: changes.jwks, jwksUri: changes.jwksUri }, client.tokenEndpointAuthMethod)
    : { jwks: client.jwks, jwksUri: client.jwksUri };
  const updated: ClientRecord = {
    ...rest,
    ...backchannel,
    ...(keys.jwks !== undefined ? { jwks: keys.jwks } : {}),
    ...(keys.jwksUri !== undefined ? { jwksUri: keys.jwksUri } : {}),
    redirectUris: [...new Set(redirectUris)],
    postLogoutRedirectUris: [...new Set(postLogoutRedirectUris)],
    resources: [...new Set(resources)],
    servedResources,
    updatedAt: now,
  };
  if (changes.requirePushedAuthorizationRequests !== undefined) {
    if (changes.requirePushedAuthorizationRequests) updated.requirePushedAuthorizationRequests = true;
    else delete updated.requirePushedAuthorizationRequests;
  }
  holdToProfile(updated);
  if (!(await saving(store.clients.update(updated)))) throw notFound(clientId);
  return updated;
}

/** Removes a client; throws {@link AdminNotFoundError} when there is none. */
export async function removeClient(store: Store, clientId: string): Promise<void> {
  if (!(await store.clients.delete(clientId))) throw notFound(clientId);
}

/** A profile name the server knows (`--profile`). */
function checkProfile(profile: string): ClientProfile {
  if (!(CLIENT_PROFILES as readonly string[]).includes(profile)) throw new AdminInputError('profile', `must be one of ${CLIENT_PROFILES.join(', ')}`);
  return profile as ClientProfile;
}

/** A client registered or changed under a profile must meet it (FAPI 2.0 for `fapi2`): the first problem, named by its setting. */
function holdToProfile(client: ClientRecord): void {
  const [problem] = profileProblems(client);
  if (problem !== undefined) throw new AdminInputError(problem.field, problem.message);
}

/** The back-channel logout fields of a client record, checked; the session requirement only with a URI. */
function backchannelFields(
  uri: string | undefined,
  sessionRequired: boolean | undefined,
): Pick<ClientRecord, 'backchannelLogoutUri' | 'backchannelLogoutSessionRequired'> {
  if (uri === undefined) {
    if (sessionRequired) throw new AdminInputError('backchannel-logout-session-required', 'needs a back-channel logout URI');
    return {};
  }
  const problem = backchannelLogoutUriProblem(uri);
  if (problem !== undefined) throw new AdminInputError('backchannel-logout-uri', `"${uri}" ${problem}`);
  return { backchannelLogoutUri: uri, ...(sessionRequired !== undefined ? { backchannelLogoutSessionRequired: sessionRequired } : {}) };
}

/** RFC 8707 §2: a resource indicator is an absolute URI without a fragment. */
function checkResource(resource: string, field = 'resource'): void {
  if (!URL.canParse(resource) || resource.includes('#')) throw new AdminInputError(field, `"${resource}" must be an absolute URI without a fragment`);
}

/**
 * The resources a resource server serves: absolute URIs without a fragment, only for a resource
 * server (a client that serves an API introspects its tokens), each listed once.
 */
function checkServedResources(served: string[], isResourceServer: boolean): string[] {
  if (served.length > 0 && !isResourceServer) throw new AdminInputError('serves', 'only a resource server serves resources');
  served.forEach((resource) => checkResource(resource, 'serves'));
  return [...new Set(served)];
}

/** A store write of a client, a served resource another client serves answered as the operator's input error. */
async function saving<T>(write: Promise<T>): Promise<T> {
  try {
    return await write;
  } catch (error) {
    if (error instanceof StoreConflictError && error.field === 'servedResources') {
      throw new AdminInputError('serves', 'a resource given is already served by another client');
    }
    throw error;
  }
}

/** A client as shown to operators: every field except the secret hash (and a registration's token hash), with wire (RFC 7591) names. */
export function describeClient(client: ClientRecord): Record<string, unknown> {
  return {
    client_id: client.clientId,
    client_name: client.clientName,
    redirect_uris: client.redirectUris,
    post_logout_redirect_uris: client.postLogoutRedirectUris,
    grant_types: client.grantTypes,
    scope: client.scope,
    token_endpoint_auth_method: client.tokenEndpointAuthMethod,
    id_token_signed_response_alg: client.idTokenSignedResponseAlg,
    resources: client.resources,
    is_resource_server: client.isResourceServer,
    served_resources: client.servedResources,
    ...(client.dpopBoundAccessTokens === true ? { dpop_bound_access_tokens: true } : {}),
    ...(client.requirePushedAuthorizationRequests ? { require_pushed_authorization_requests: true } : {}),
    ...(client.backchannelLogoutUri !== undefined ? { backchannel_logout_uri: client.backchannelLogoutUri } : {}),
    ...(client.backchannelLogoutSessionRequired !== undefined ? { backchannel_logout_session_required: client.backchannelLogoutSessionRequired } : {}),
    ...(client.jwks !== undefined ? { jwks: client.jwks } : {}),
    ...(client.jwksUri !== undefined ? { jwks_uri: client.jwksUri } : {}),
    ...(client.tokenEndpointAuthSigningAlg !== undefined ? { token_endpoint_auth_signing_alg: client.tokenEndpointAuthSigningAlg } : {}),
    ...(client.requestObjectSigningAlg !== undefined ? { request_object_signing_alg: client.requestObjectSigningAlg } : {}),
    ...(client.requireSignedRequestObject === true ? { require_signed_request_object: true } : {}),
    ...client.extra,
    ...(client.allowNonceWithoutPkce ? { allow_nonce_without_pkce: true } : {}),
    ...(client.profile !== undefined ? { profile: client.profile } : {}),
    // A client that registered itself (RFC 7591): how; never the hash of its registration access token.
    ...(client.registration ? { registration: { via: client.registration.via, initial_access_token: client.registration.initialAccessTokenId } } : {}),
    created_at: new Date(client.createdAt).toISOString(),
  };
}
