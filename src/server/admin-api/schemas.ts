/**
 * The admin API's request and response bodies (issue 18), in one place: the endpoints validate
 * requests with them, and the OpenAPI document (`openapi.ts`) is generated from them
 * (`z.toJSONSchema`), so the two cannot drift apart. Wire names are snake_case, as in RFC 7591
 * (clients) and OpenID Connect (users).
 */
import { z } from 'zod';

/** Most entries of a list a request may set (redirect URIs, resources, addresses). */
const MAX_LIST = 100;

const text = (max: number) => z.string().min(1).max(max);
const uriList = z.array(text(2000)).max(MAX_LIST);
const grantType = z.enum(['authorization_code', 'refresh_token', 'client_credentials']);
const authMethod = z.enum(['client_secret_basic', 'client_secret_post', 'none']);
const signingAlg = z.enum(['ES256', 'RS256']);
const timestamp = z.iso.datetime().describe('RFC 3339 date-time, UTC');

/** `POST /clients`: a client to register. Absent members get the defaults of `gatehouse clients add`. */
export const clientCreateSchema = z
  .strictObject({
    client_name: text(200),
    redirect_uris: uriList.optional(),
    post_logout_redirect_uris: uriList.optional(),
    grant_types: z.array(grantType).min(1).max(3).optional(),
    scope: z.string().max(2000).optional().describe('space-separated scope tokens the client may be granted'),
    token_endpoint_auth_method: authMethod.optional(),
    id_token_signed_response_alg: signingAlg.optional(),
    resources: uriList.optional(),
    is_resource_server: z.boolean().optional(),
    logo_uri: text(2000).optional(),
    client_uri: text(2000).optional(),
    require_mfa: z.boolean().optional(),
    allowed_ips: z.array(text(100)).max(MAX_LIST).optional(),
  })
  .describe('A client to register');

/** `PATCH /clients/{id}`: the lists to replace, each whole; at least one. */
export const clientUpdateSchema = z
  .strictObject({
    redirect_uris: uriList.optional(),
    post_logout_redirect_uris: uriList.optional(),
    resources: uriList.optional(),
  })
  .refine((body) => Object.keys(body).length > 0, { error: 'give at least one of redirect_uris, post_logout_redirect_uris, resources' })
  .meta({ description: 'The lists to replace, each whole', minProperties: 1 });

/** A client as the API shows it: every registered member but the secret (its hash is never shown). */
export const clientSchema = z
  .looseObject({
    client_id: z.string(),
    client_name: z.string(),
    redirect_uris: z.array(z.string()),
    post_logout_redirect_uris: z.array(z.string()),
    grant_types: z.array(grantType),
    scope: z.string(),
    token_endpoint_auth_method: authMethod,
    id_token_signed_response_alg: signingAlg,
    resources: z.array(z.string()),
    is_resource_server: z.boolean(),
    logo_uri: z.string().optional(),
    client_uri: z.string().optional(),
    require_mfa: z.boolean().optional(),
    allowed_ips: z.array(z.string()).optional(),
    created_at: timestamp,
  })
  .describe('A registered client');

/** `POST /clients`: the client and its secret, shown this once (`null` for a public client). */
export const registeredClientSchema = clientSchema.extend({ client_secret: z.string().nullable() }).describe('A registered client and its secret, shown once');

/** `POST /clients/{id}/secret`: the new secret, shown this once; the old one no longer works. */
export const clientSecretSchema = z.object({ client_id: z.string(), client_secret: z.string() }).describe('A new client secret, shown once');

/** `POST /users`: a user to create. */
export const userCreateSchema = z
  .strictObject({
    username: text(64).describe('2 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit; stored lower-cased'),
    email: text(254).optional(),
    email_verified: z.boolean().optional(),
    name: text(200).optional(),
    password: text(4096).optional().describe('8 to 1024 characters; none: the user cannot sign in with a password'),
  })
  .describe('A user to create');

/** `PATCH /users/{id}`: what to change; at least one. `null` clears the name or the email. */
export const userUpdateSchema = z
  .strictObject({
    name: z.string().max(200).nullable().optional(),
    email: z.string().max(254).nullable().optional().describe('a new address is unverified'),
    disabled: z.boolean().optional().describe('true also signs the user out everywhere and ends their tokens'),
  })
  .refine((body) => Object.keys(body).length > 0, { error: 'give at least one of name, email, disabled' })
  .meta({ description: 'What to change about a user', minProperties: 1 });

/** A user as the API shows it: never the password hash. */
export const userSchema = z
  .looseObject({
    sub: z.string(),
    username: z.string(),
    email: z.string().nullable(),
    email_verified: z.boolean(),
    name: z.string().optional(),
    has_password: z.boolean(),
    disabled: z.boolean(),
    roles: z.array(z.enum(['admin'])).describe('admin: the admin console and admin tokens (with a second factor)'),
    created_at: timestamp,
  })
  .describe('A user; profile claims (given_name, locale...) besides');

/** `POST /users/{id}/sessions/revoke`: what was ended. */
export const sessionsRevokedSchema = z
  .object({
    sub: z.string(),
    sessions_ended: z.int().min(0),
    consents_marked: z.int().min(0).describe('consents whose tokens were ended; the consents stand'),
    revoked_at: timestamp,
  })
  .describe('Sessions and tokens ended');

/** `GET /users/{id}/sessions`: the user's sign-in sessions; never a session key. */
export const userSessionListSchema = z
  .object({
    sub: z.string(),
    items: z.array(
      z.object({
        sid: z.string().describe('the public session id (the ID token sid claim)'),
        device: z.string().nullable().describe('browser and system, such as "Chrome on macOS"'),
        ip: z.string().nullable().describe('the client address of the sign-in'),
        methods: z.array(z.string()).describe('RFC 8176 authentication methods'),
        created_at: timestamp,
        expires_at: timestamp,
      }),
    ),
  })
  .describe("A user's sign-in sessions, newest first");

/** `GET /users/{id}/consents`: the user's standing consents. */
export const userConsentListSchema = z
  .object({
    sub: z.string(),
    items: z.array(
      z.object({
        id: z.string(),
        client_id: z.string(),
        client_name: z.string().nullable(),
        scope: z.string(),
        created_at: timestamp,
        updated_at: timestamp,
      }),
    ),
  })
  .describe("A user's standing consents to clients");

/** A signing key: its public facts only, never the private half (nor the public JWK: that is the JWKS). */
export const signingKeySchema = z
  .object({
    kid: z.string(),
    alg: signingAlg,
    status: z.enum(['active', 'retired']),
    published: z.boolean().describe('active, or retired recently enough that tokens it signed may be live: in the JWKS'),
    created_at: timestamp,
    retired_at: timestamp.nullable(),
  })
  .describe('A signing key (public facts only)');

/** `GET /keys` and `POST /keys/rotate`: keys, all (stored order) or the new ones. */
export const signingKeyListSchema = z.object({ items: z.array(signingKeySchema) }).describe('Signing keys');

/** A page of a list. */
function pageOf<T extends z.ZodType>(item: T, description: string) {
  return z.object({ items: z.array(item), limit: z.int().min(1), offset: z.int().min(0) }).describe(description);
}

export const clientListSchema = pageOf(clientSchema, 'A page of clients, in registration order');
export const userListSchema = pageOf(userSchema, 'A page of users');

/** Every error body: RFC 6749 §5.2's members, and the fields at fault for `invalid_request`. */
export const errorSchema = z
  .object({
    error: z.string(),
    error_description: z.string(),
    fields: z.array(z.object({ field: z.string().describe('dotted path of the member, e.g. redirect_uris.0'), message: z.string() })).optional(),
  })
  .describe('An error');

/** `limit` and `offset` of the list routes. */
export const PAGE_LIMITS = { defaultLimit: 50, maxLimit: 200 } as const;
