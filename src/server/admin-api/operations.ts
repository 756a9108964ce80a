import type { z } from 'zod';
import type { RouteName } from '../routes.js';
import { AUDIT_SEARCH_PARAMETERS } from './schemas.js';
import {
  auditEventListSchema,
  auditVerificationSchema,
  factorsResetSchema,
  invitationCreateSchema,
  invitationSchema,
  issuedRegistrationTokenSchema,
  registrationTokenCreateSchema,
  registrationTokenListSchema,
  settingsSchema,
  clientCreateSchema,
  clientListSchema,
  clientSchema,
  clientSecretSchema,
  clientUpdateSchema,
  registeredClientSchema,
  sessionsRevokedSchema,
  signingKeyListSchema,
  userSessionListSchema,
  userConsentListSchema,
  userCreateSchema,
  userListSchema,
  userSchema,
  userUpdateSchema,
} from './schemas.js';

/** The scopes of the admin API: `admin` reads and writes, `admin:read` only reads. */
export type AdminScope = 'admin' | 'admin:read';

export type AdminMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** One operation of the admin API: where, what it needs, and what it takes and answers. */
export interface AdminOperation {
  /** Stable name (the OpenAPI `operationId`, and the key of its handler). */
  id: string;
  route: RouteName;
  method: AdminMethod;
  summary: string;
  /** The scope it needs: `admin:read` is satisfied by `admin` too. */
  scope: AdminScope;
  /** Its JSON request body, when it takes one. */
  request?: z.ZodType;
  /** Its success status and body (`undefined`: no body, 204). */
  status: 200 | 201 | 204;
  response?: z.ZodType;
  /** Takes `limit` and `offset`. */
  paginated?: boolean;
  /** Answers 404 for an unknown `{id}`. */
  byId?: boolean;
  /** Its query parameters, as OpenAPI parameter objects without `in` (`GET /audit/events`). */
  query?: readonly { name: string; description: string; schema: Record<string, unknown>; explode?: boolean }[];
}

/**
 * Every operation of the admin API, in the order the OpenAPI document lists them. The router
 * mounts exactly these (`router.ts`), and the document is generated from them (`openapi.ts`): a
 * test compares the two.
 */
export const ADMIN_OPERATIONS = [
  { id: 'getOpenApi', route: 'adminApiOpenApi', method: 'GET', summary: 'This OpenAPI 3.1 document', scope: 'admin:read', status: 200 },
  {
    id: 'listClients',
    route: 'adminApiClients',
    method: 'GET',
    summary: 'List clients',
    scope: 'admin:read',
    status: 200,
    response: clientListSchema,
    paginated: true,
  },
  {
    id: 'createClient',
    route: 'adminApiClients',
    method: 'POST',
    summary: 'Register a client (its secret is shown once)',
    scope: 'admin',
    request: clientCreateSchema,
    status: 201,
    response: registeredClientSchema,
  },
  { id: 'getClient', route: 'adminApiClient', method: 'GET', summary: 'Show a client', scope: 'admin:read', status: 200, response: clientSchema, byId: true },
  {
    id: 'updateClient',
    route: 'adminApiClient',
    method: 'PATCH',
    summary: "Replace a client's redirect URIs, post-logout redirect URIs or resources",
    scope: 'admin',
    request: clientUpdateSchema,
    status: 200,
    response: clientSchema,
    byId: true,
  },
  { id: 'deleteClient', route: 'adminApiClient', method: 'DELETE', summary: 'Remove a client', scope: 'admin', status: 204, byId: true },
  {
    id: 'rotateClientSecret',
    route: 'adminApiClientSecret',
    method: 'POST',
    summary: "Replace a confidential client's secret (shown once; the old one stops working)",
    scope: 'admin',
    status: 200,
    response: clientSecretSchema,
    byId: true,
  },
  {
    id: 'listUsers',
    route: 'adminApiUsers',
    method: 'GET',
    summary: 'List users',
    scope: 'admin:read',
    status: 200,
    response: userListSchema,
    paginated: true,
  },
  {
    id: 'createUser',
    route: 'adminApiUsers',
    method: 'POST',
    summary: 'Create a user',
    scope: 'admin',
    request: userCreateSchema,
    status: 201,
    response: userSchema,
  },
  {
    id: 'getUser',
    route: 'adminApiUser',
    method: 'GET',
    summary: 'Show a user (by sub, username or email)',
    scope: 'admin:read',
    status: 200,
    response: userSchema,
    byId: true,
  },
  {
    id: 'updateUser',
    route: 'adminApiUser',
    method: 'PATCH',
    summary: "Change a user's name, email or disabled flag",
    scope: 'admin',
    request: userUpdateSchema,
    status: 200,
    response: userSchema,
    byId: true,
  },
  {
    id: 'deleteUser',
    route: 'adminApiUser',
    method: 'DELETE',
    summary: 'Remove a user, ending their sessions and tokens first',
    scope: 'admin',
    status: 204,
    byId: true,
  },
  {
    id: 'unlockUser',
    route: 'adminApiUserUnlock',
    method: 'POST',
    summary: "End a user's sign-in lockouts and throttling",
    scope: 'admin',
    status: 200,
    response: userSchema,
    byId: true,
  },
  {
    id: 'revokeUserSessions',
    route: 'adminApiUserSessionsRevoke',
    method: 'POST',
    summary: 'Sign a user out everywhere and end their tokens',
    scope: 'admin',
    status: 200,
    response: sessionsRevokedSchema,
    byId: true,
  },
  {
    id: 'listUserSessions',
    route: 'adminApiUserSessions',
    method: 'GET',
    summary: "List a user's sign-in sessions (device, address, methods; never a session key)",
    scope: 'admin:read',
    status: 200,
    response: userSessionListSchema,
    byId: true,
  },
  {
    id: 'revokeUserSession',
    route: 'adminApiUserSession',
    method: 'DELETE',
    summary: 'Sign a user out of one session (by its sid, from the list); tokens stay until they expire or their consent is revoked',
    scope: 'admin',
    status: 204,
    byId: true,
  },
  {
    id: 'resetUserFactors',
    route: 'adminApiUserFactorsReset',
    method: 'POST',
    summary: "Remove all of a user's second factors (they sign in with their password until they set up a new one)",
    scope: 'admin',
    status: 200,
    response: factorsResetSchema,
    byId: true,
  },
  {
    id: 'listUserConsents',
    route: 'adminApiUserConsents',
    method: 'GET',
    summary: "List a user's standing consents to clients",
    scope: 'admin:read',
    status: 200,
    response: userConsentListSchema,
    byId: true,
  },
  {
    id: 'revokeUserConsent',
    route: 'adminApiUserConsent',
    method: 'DELETE',
    summary: "Withdraw a client's access to a user (as the account page's Remove access): it must ask again",
    scope: 'admin',
    status: 204,
    byId: true,
  },
  {
    id: 'grantAdminRole',
    route: 'adminApiUserAdminRole',
    method: 'PUT',
    summary: 'Give a user the admin role (the admin console, admin tokens; always with a second factor)',
    scope: 'admin',
    status: 200,
    response: userSchema,
    byId: true,
  },
  {
    id: 'revokeAdminRole',
    route: 'adminApiUserAdminRole',
    method: 'DELETE',
    summary: "Take the admin role from a user: their admin tokens stop working at their next call (even the last admin's)",
    scope: 'admin',
    status: 200,
    response: userSchema,
    byId: true,
  },
  {
    id: 'listKeys',
    route: 'adminApiKeys',
    method: 'GET',
    summary: 'List the signing keys (kid, alg, status; never a private part)',
    scope: 'admin:read',
    status: 200,
    response: signingKeyListSchema,
  },
  {
    id: 'rotateKeys',
    route: 'adminApiKeysRotate',
    method: 'POST',
    summary: 'Make new active ES256 and RS256 keys; earlier ones stay published until their tokens expire',
    scope: 'admin',
    status: 200,
    response: signingKeyListSchema,
  },
  {
    id: 'inviteUser',
    route: 'adminApiInvitations',
    method: 'POST',
    summary: 'Invite an address: a single-use link to set a password goes to it by email',
    scope: 'admin',
    request: invitationCreateSchema,
    status: 201,
    response: invitationSchema,
  },
  {
    id: 'searchAuditEvents',
    route: 'adminApiAuditEvents',
    method: 'GET',
    summary: 'Search the audit log, newest first: by time, type, user, client, address and outcome',
    scope: 'admin:read',
    status: 200,
    response: auditEventListSchema,
    query: AUDIT_SEARCH_PARAMETERS,
  },
  {
    id: 'verifyAuditChain',
    route: 'adminApiAuditVerify',
    method: 'POST',
    summary: "Verify the audit log's hash chain (changes nothing)",
    scope: 'admin:read',
    status: 200,
    response: auditVerificationSchema,
  },
  {
    id: 'getSettings',
    route: 'adminApiSettings',
    method: 'GET',
    summary: 'The effective settings of this server, every secret redacted',
    scope: 'admin:read',
    status: 200,
    response: settingsSchema,
  },
  {
    id: 'listRegistrationTokens',
    route: 'adminApiRegistrationTokens',
    method: 'GET',
    summary: 'List the unexpired initial access tokens of dynamic client registration (never the tokens themselves)',
    scope: 'admin:read',
    status: 200,
    response: registrationTokenListSchema,
  },
  {
    id: 'createRegistrationToken',
    route: 'adminApiRegistrationTokens',
    method: 'POST',
    summary: 'Issue an initial access token for dynamic client registration (shown once; scoped, expiring, counted)',
    scope: 'admin',
    request: registrationTokenCreateSchema,
    status: 201,
    response: issuedRegistrationTokenSchema,
  },
  {
    id: 'revokeRegistrationToken',
    route: 'adminApiRegistrationToken',
    method: 'DELETE',
    summary: 'Revoke an initial access token (clients it registered stay)',
    scope: 'admin',
    status: 204,
    byId: true,
  },
] as const satisfies readonly AdminOperation[];

export type AdminOperationId = (typeof ADMIN_OPERATIONS)[number]['id'];
