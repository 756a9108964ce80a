import { z } from 'zod';
import type { ServerConfig } from '../context.js';
import { ROUTES, routePath, urlTo } from '../routes.js';
import { ADMIN_OPERATIONS, type AdminOperation } from './operations.js';
import {
  auditEventListSchema,
  auditVerificationSchema,
  factorsResetSchema,
  invitationCreateSchema,
  invitationSchema,
  issuedRegistrationTokenSchema,
  registrationTokenCreateSchema,
  registrationTokenListSchema,
  registrationTokenSchema,
  settingsSchema,
  clientCreateSchema,
  clientListSchema,
  clientSchema,
  clientSecretSchema,
  clientUpdateSchema,
  errorSchema,
  PAGE_LIMITS,
  registeredClientSchema,
  sessionsRevokedSchema,
  signingKeyListSchema,
  userConsentListSchema,
  signingKeySchema,
  userSessionListSchema,
  userCreateSchema,
  userListSchema,
  userSchema,
  userUpdateSchema,
} from './schemas.js';

/** The schemas under `components.schemas`, by name; requests as their input type, the rest as output. */
const COMPONENTS: readonly (readonly [name: string, schema: z.ZodType, io: 'input' | 'output'])[] = [
  ['ClientCreate', clientCreateSchema, 'input'],
  ['ClientUpdate', clientUpdateSchema, 'input'],
  ['Client', clientSchema, 'output'],
  ['RegisteredClient', registeredClientSchema, 'output'],
  ['ClientSecret', clientSecretSchema, 'output'],
  ['ClientList', clientListSchema, 'output'],
  ['UserCreate', userCreateSchema, 'input'],
  ['UserUpdate', userUpdateSchema, 'input'],
  ['User', userSchema, 'output'],
  ['UserList', userListSchema, 'output'],
  ['SessionsRevoked', sessionsRevokedSchema, 'output'],
  ['UserSessionList', userSessionListSchema, 'output'],
  ['UserConsentList', userConsentListSchema, 'output'],
  ['SigningKey', signingKeySchema, 'output'],
  ['SigningKeyList', signingKeyListSchema, 'output'],
  ['FactorsReset', factorsResetSchema, 'output'],
  ['InvitationCreate', invitationCreateSchema, 'input'],
  ['Invitation', invitationSchema, 'output'],
  ['AuditEventList', auditEventListSchema, 'output'],
  ['AuditVerification', auditVerificationSchema, 'output'],
  ['Settings', settingsSchema, 'output'],
  ['RegistrationTokenCreate', registrationTokenCreateSchema, 'input'],
  ['RegistrationToken', registrationTokenSchema, 'output'],
  ['IssuedRegistrationToken', issuedRegistrationTokenSchema, 'output'],
  ['RegistrationTokenList', registrationTokenListSchema, 'output'],
  ['Error', errorSchema, 'output'],
];

/** What each scope allows, for the security scheme's flows. */
const ADMIN_SCOPE_DESCRIPTIONS = { admin: 'read and change clients and users', 'admin:read': 'read clients and users' };

/** The OpenAPI path of a route: `/admin/api/v1/clients/{id}` for `/admin/api/v1/clients/:id`. */
function openApiPath(pattern: string): string {
  return pattern.replace(/:([A-Za-z]+)/g, '{$1}');
}

/** What the path parameters other than `{id}` name. */
const PATH_PARAMETERS: Record<string, string> = { consentId: 'the consent id', sid: 'the session id (sid) from the sessions list' };

function ref(schema: z.ZodType): { $ref: string } {
  const entry = COMPONENTS.find(([, candidate]) => candidate === schema);
  if (!entry) throw new TypeError('admin API schema missing from the OpenAPI components');
  return { $ref: `#/components/schemas/${entry[0]}` };
}

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, target: 'draft-2020-12' });
  return rest;
}

const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: ref(errorSchema) } } });

function operationObject(operation: AdminOperation): Record<string, unknown> {
  const parameters: Record<string, unknown>[] = [];
  if (operation.byId) {
    const what = operation.route.startsWith('adminApiUser') ? 'the user: sub, username or email' : 'the client_id';
    parameters.push({ name: 'id', in: 'path', required: true, description: what, schema: { type: 'string' } });
    for (const [, name] of ROUTES[operation.route].matchAll(/:([A-Za-z]+)/g)) {
      if (name !== 'id') parameters.push({ name, in: 'path', required: true, description: PATH_PARAMETERS[name ?? ''] ?? name, schema: { type: 'string' } });
    }
  }
  for (const parameter of operation.query ?? []) parameters.push({ ...parameter, in: 'query', required: false });
  if (operation.paginated) {
    parameters.push(
      {
        name: 'limit',
        in: 'query',
        required: false,
        schema: { type: 'integer', minimum: 1, maximum: PAGE_LIMITS.maxLimit, default: PAGE_LIMITS.defaultLimit },
      },
      { name: 'offset', in: 'query', required: false, schema: { type: 'integer', minimum: 0, default: 0 } },
    );
  }
  const success =
    operation.response === undefined
      ? operation.id === 'getOpenApi'
        ? { description: 'The OpenAPI 3.1 document', content: { 'application/json': { schema: { type: 'object' } } } }
        : { description: 'Done; no body' }
      : { description: 'Success', content: { 'application/json': { schema: ref(operation.response) } } };
  const responses: Record<string, unknown> = { [String(operation.status)]: success };
  if (operation.request || operation.paginated || operation.byId || operation.query)
    responses['400'] = errorResponse('invalid_request: a field, a parameter or the body is wrong (fields names each)');
  responses['401'] = errorResponse('invalid_token; without any token, a bare WWW-Authenticate: Bearer challenge and no body');
  responses['403'] = errorResponse(`insufficient_scope: the token lacks ${operation.scope === 'admin' ? 'the admin scope' : 'admin or admin:read'}`);
  if (operation.byId) responses['404'] = errorResponse('invalid_request: no record with this id');
  if (operation.id === 'createUser' || operation.id === 'updateUser') responses['409'] = errorResponse('invalid_request: the username or email is taken');
  return {
    operationId: operation.id,
    summary: operation.summary,
    security: [{ gatehouse: [operation.scope] }],
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(operation.request ? { requestBody: { required: true, content: { 'application/json': { schema: ref(operation.request) } } } } : {}),
    responses,
  };
}

/**
 * The admin API's OpenAPI 3.1 document, from the operation table and the zod schemas the
 * endpoints validate with. Paths are below the issuer (its URL is the one server), as served:
 * under `admin.path` (`/ops/api/v1/clients` for `admin.path=/ops`).
 */
export function adminOpenApiDocument(ctx: { config: Pick<ServerConfig, 'issuer' | 'issuerUrl' | 'admin'> }): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const operation of ADMIN_OPERATIONS as readonly AdminOperation[]) {
    const path = openApiPath(routePath(ctx.config, operation.route));
    (paths[path] ??= {})[operation.method.toLowerCase()] = operationObject(operation);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Gatehouse admin API',
      version: '1',
      description:
        'Manage the clients, users, signing keys and audit log of this Gatehouse server, and read its settings. Tokens with the admin (read and write) or admin:read scope: client_credentials, or a person holding the admin role signed in with a second factor (authorization code). See docs/admin-api.md.',
    },
    servers: [{ url: ctx.config.issuer }],
    paths,
    components: {
      schemas: Object.fromEntries(COMPONENTS.map(([name, schema, io]) => [name, jsonSchema(schema, io)])),
      securitySchemes: {
        gatehouse: {
          type: 'oauth2',
          description:
            'An access token of this server with the admin or admin:read scope: a client for itself (client_credentials), or a person who holds the admin role and signed in with a second factor (authorization code with PKCE).',
          flows: {
            clientCredentials: { tokenUrl: urlTo(ctx, 'token'), scopes: ADMIN_SCOPE_DESCRIPTIONS },
            authorizationCode: { authorizationUrl: urlTo(ctx, 'authorization'), tokenUrl: urlTo(ctx, 'token'), scopes: ADMIN_SCOPE_DESCRIPTIONS },
          },
        },
      },
    },
  };
}
