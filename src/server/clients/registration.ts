import { randomToken } from '../../core/encoding.js';
import { OAuthError } from '../../core/errors.js';
import type { ClientRecord, ClientRegistration } from '../../stores/contract.js';
import { defaultScope, newClientId, newClientSecret } from '../admin/clients.js';
import { auditEvent } from '../audit/events.js';
import { CLIENT_AUTH_METHODS, CLIENT_SECRET_PURPOSE, usesClientSecret } from '../client-auth.js';
import type { ServerContext } from '../context.js';
import { urlTo } from '../routes.js';
import type { InitialAccessTokenScope } from './initial-access-tokens.js';
import {
  clientMetadataOf,
  clientRecordFields,
  registrableScopes,
  validateClientMetadata,
  withClientMetadata,
  type ClientMetadata,
  type ClientMetadataOptions,
} from './metadata.js';

/**
 * Dynamic client registration (RFC 7591) and its management (RFC 7592): the rules, over the store.
 * The endpoints (`endpoints/registration.ts`) read the request, authenticate, and answer; this
 * module decides what may be registered and keeps it.
 */

/** Keys the hash of a registration access token. */
const REGISTRATION_TOKEN_PURPOSE = 'registration-access-token';

/** What registering needs. */
export type RegistrationContext = Pick<ServerContext, 'store' | 'clock' | 'secrets' | 'config' | 'audit'>;

/** What a registration may set: the client types, grant types and redirect URIs it is allowed. */
export type RegistrationAllowance = ClientRegistration['allowed'];

/**
 * What open registration admits (`registration.policy` `open`): public clients of apps on the
 * user's own device, with loopback or private-use scheme redirect URIs (RFC 8252), for sign-in.
 */
export const OPEN_ALLOWANCE: RegistrationAllowance = {
  clientTypes: ['public'],
  grantTypes: ['authorization_code', 'refresh_token'],
  redirectUris: 'native',
};

/** What an initial access token admits: its client types and grant types, any redirect URI of the rules. */
export function tokenAllowance(scope: InitialAccessTokenScope): RegistrationAllowance {
  return { clientTypes: scope.clientTypes, grantTypes: scope.grantTypes, redirectUris: 'any' };
}

/** The metadata rules of a registration under `allowed`. */
function registrationMetadataOptions(ctx: Pick<ServerContext, 'config'>, allowed: RegistrationAllowance): ClientMetadataOptions {
  const authMethods = CLIENT_AUTH_METHODS.filter((method) => allowed.clientTypes.includes(method === 'none' ? 'public' : 'confidential'));
  return {
    authMethods,
    grantTypes: allowed.grantTypes,
    scopes: registrableScopes(ctx.config),
    redirectUris: allowed.redirectUris,
    defaultScope,
  };
}

/** The client information response (RFC 7591 §3.2.1, RFC 7592 §3). */
export type ClientInformation = ClientMetadata & {
  client_id: string;
  client_secret?: string;
  client_id_issued_at: number;
  client_secret_expires_at?: number;
  registration_access_token: string;
  registration_client_uri: string;
};

/**
 * A client's information as RFC 7591 §3.2.1 and RFC 7592 §3 answer it: its metadata, its id, when it
 * was issued, its secret when one was just issued (only a keyed hash is kept, so it is shown once),
 * `client_secret_expires_at` 0 (secrets do not expire) for a confidential client, and the
 * registration access token and URI. The token is the one just issued, or the one the client just
 * presented: it is kept only hashed, and RFC 7592 §3 requires it in every response.
 */
export function clientInformation(
  ctx: Pick<ServerContext, 'config'>,
  client: ClientRecord,
  credentials: { clientSecret?: string | null; registrationAccessToken: string },
): ClientInformation {
  const confidential = usesClientSecret(client.tokenEndpointAuthMethod);
  return {
    client_id: client.clientId,
    ...(credentials.clientSecret ? { client_secret: credentials.clientSecret } : {}),
    client_id_issued_at: Math.floor(client.createdAt / 1000),
    ...(confidential ? { client_secret_expires_at: 0 } : {}),
    ...clientMetadataOf(client),
    registration_access_token: credentials.registrationAccessToken,
    registration_client_uri: urlTo(ctx, 'registrationClient', { id: client.clientId }),
  };
}

/** A client just registered, with what is shown to it once. */
export interface DynamicRegistration {
  client: ClientRecord;
  clientSecret: string | null;
  registrationAccessToken: string;
}

/**
 * Registers a client from its metadata (RFC 7591 §3.1), validated under `allowed`, issuing its
 * secret (confidential clients) and its registration access token, both kept only as keyed hashes.
 * Audits `client.registered`.
 *
 * @param spend spends what the registration costs (a use of the initial access token) right before
 *   the client is stored, after the metadata was found acceptable; false refuses it.
 * @throws {OAuthError} `invalid_client_metadata`, `invalid_redirect_uri`, `unapproved_software_statement`.
 */
export async function registerDynamicClient(
  ctx: RegistrationContext,
  input: unknown,
  grant: { via: ClientRegistration['via']; allowed: RegistrationAllowance; initialAccessTokenId: string | null; spend?: () => Promise<boolean> },
): Promise<DynamicRegistration> {
  const metadata = validateClientMetadata(input, registrationMetadataOptions(ctx, grant.allowed));
  if (grant.spend && !(await grant.spend())) {
    throw new OAuthError('invalid_token', 'the initial access token is invalid, expired or used up', {
      status: 401,
      headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' },
    });
  }
  const registrationAccessToken = randomToken(32);
  const clientSecret = usesClientSecret(metadata.token_endpoint_auth_method) ? newClientSecret() : null;
  const now = ctx.clock.now();
  const client: ClientRecord = {
    clientId: newClientId(),
    clientSecretHash: clientSecret === null ? null : ctx.secrets.hash(clientSecret, CLIENT_SECRET_PURPOSE),
    ...clientRecordFields(metadata),
    registration: {
      via: grant.via,
      initialAccessTokenId: grant.initialAccessTokenId,
      accessTokenHash: ctx.secrets.hash(registrationAccessToken, REGISTRATION_TOKEN_PURPOSE),
      allowed: grant.allowed,
    },
    createdAt: now,
    updatedAt: now,
  };
  await ctx.store.clients.create(client);
  await ctx.audit.record(
    auditEvent('client.registered', {
      client_id: client.clientId,
      via: grant.via,
      ...(grant.initialAccessTokenId ? { token: grant.initialAccessTokenId } : {}),
      auth_method: client.tokenEndpointAuthMethod,
      grant_types: client.grantTypes,
      redirect_hosts: redirectHosts(client),
    }),
  );
  return { client, clientSecret, registrationAccessToken };
}

/** The hosts (or private-use schemes) of a client's redirect URIs: what the audit log shows. */
function redirectHosts(client: Pick<ClientRecord, 'redirectUris'>): string[] {
  return [...new Set(client.redirectUris.map(redirectDomainOf))];
}

/**
 * Where a redirect URI sends an answer, for people (the consent page, the audit log): its host name,
 * or for an app on the device its private-use scheme (`com.example.app`).
 */
export function redirectDomainOf(redirectUri: string): string {
  if (!URL.canParse(redirectUri)) return '';
  const url = new URL(redirectUri);
  return url.host === '' ? url.protocol.replace(/:$/, '') : url.hostname;
}

/**
 * The dynamically registered client `clientId` whose registration access token is `token`, or
 * `undefined`, the same for an unknown client, a client an operator registered and a wrong token
 * (RFC 7592 §2.1: 401 either way, never telling whether the client exists). The token's hash is
 * computed and compared in constant time in every case.
 */
export async function findRegisteredClient(ctx: Pick<ServerContext, 'store' | 'secrets'>, clientId: string, token: string): Promise<ClientRecord | undefined> {
  const client = await ctx.store.clients.get(clientId);
  const stored = client?.registration?.accessTokenHash ?? '';
  const matches = ctx.secrets.verifyHash(token, REGISTRATION_TOKEN_PURPOSE, stored);
  return client?.registration && matches ? client : undefined;
}

/** Members a client may not send in an update (RFC 7592 §2.2): the server's own. */
const SERVER_MEMBERS = ['registration_access_token', 'registration_client_uri', 'client_secret_expires_at', 'client_id_issued_at'];

/**
 * Replaces a registered client's metadata (RFC 7592 §2.2): the request holds every field (an
 * omitted one is cleared, that is, back to its default), validated as at registration under the
 * allowance it registered with; what an operator set on the client (its resources, served resources,
 * extension metadata such as `require_mfa`) stays ({@link withClientMetadata}). `client_id` must be its own; `client_secret`, when sent, must be
 * its current secret (a client never picks its secret); the secret and the registration access
 * token are kept (RFC 7592 §2.2 lets the server issue new ones; it does not). A client stays
 * public or confidential, as registered: turning one into the other would need a secret issued or
 * dropped through an update, which is the operator's to do. Audits `client.registration_updated`.
 *
 * @throws {OAuthError} `invalid_request` for a server member, `invalid_client_metadata` or
 *   `invalid_redirect_uri` for a field.
 */
export async function updateRegisteredClient(
  ctx: RegistrationContext,
  client: ClientRecord & { registration: ClientRegistration },
  input: unknown,
): Promise<ClientRecord> {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    throw new OAuthError('invalid_client_metadata', 'the client metadata must be a JSON object');
  const body = input as Record<string, unknown>;
  if (SERVER_MEMBERS.some((member) => member in body)) {
    throw new OAuthError(
      'invalid_request',
      'the request must not include registration_access_token, registration_client_uri, client_secret_expires_at or client_id_issued_at',
    );
  }
  if (body.client_id !== client.clientId) throw new OAuthError('invalid_client_metadata', 'client_id must be the client identifier of this registration');
  if (body.client_secret !== undefined) {
    const matches =
      typeof body.client_secret === 'string' &&
      client.clientSecretHash !== null &&
      ctx.secrets.verifyHash(body.client_secret, CLIENT_SECRET_PURPOSE, client.clientSecretHash);
    if (!matches) throw new OAuthError('invalid_client_metadata', 'client_secret does not match the current secret: a client cannot choose its secret');
  }
  const { client_id: _id, client_secret: _secret, ...metadata } = body;
  const validated = validateClientMetadata(metadata, registrationMetadataOptions(ctx, client.registration.allowed));
  if ((validated.token_endpoint_auth_method === 'none') !== (client.tokenEndpointAuthMethod === 'none')) {
    throw new OAuthError(
      'invalid_client_metadata',
      'a registered client stays public or confidential: token_endpoint_auth_method cannot switch between none and a secret',
    );
  }
  const updated: ClientRecord = { ...withClientMetadata(client, validated), updatedAt: ctx.clock.now() };
  if (!(await ctx.store.clients.update(updated))) throw new OAuthError('invalid_token', 'the registration access token is invalid', { status: 401 });
  await ctx.audit.record(
    auditEvent('client.registration_updated', { client_id: client.clientId, grant_types: updated.grantTypes, redirect_hosts: redirectHosts(updated) }),
  );
  return updated;
}

/**
 * Deletes a registered client (RFC 7592 §2.3), as `gatehouse clients remove` does: it can no longer
 * authenticate or start a sign-in, so its refresh tokens are useless; access tokens already issued
 * run out with their lifetime. Audits `client.registration_deleted`.
 */
export async function deleteRegisteredClient(ctx: RegistrationContext, client: ClientRecord): Promise<void> {
  await ctx.store.clients.delete(client.clientId);
  await ctx.audit.record(auditEvent('client.registration_deleted', { client_id: client.clientId }));
}
