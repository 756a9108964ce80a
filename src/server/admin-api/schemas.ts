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
const grantType = z.enum([
  'authorization_code',
  'refresh_token',
  'client_credentials',
  'urn:ietf:params:oauth:grant-type:device_code',
  'urn:ietf:params:oauth:grant-type:token-exchange',
]);
const authMethod = z.enum(['client_secret_basic', 'client_secret_post', 'none', 'private_key_jwt']);
const signingAlg = z.enum(['ES256', 'RS256']);
const timestamp = z.iso.datetime().describe('RFC 3339 date-time, UTC');
/** Client keys (RFC 7591 §2): checked by the admin operation (public keys only, https URL, not both). */
const jwks = z
  .looseObject({
    keys: z
      .array(z.looseObject({ kty: z.string() }))
      .min(1)
      .max(20),
  })
  .describe('the client public keys, a JWK Set (private_key_jwt, request objects)');
const jwksUri = text(2000).describe('https URL of the client public keys (never with jwks)');
const clientSigningAlg = z.enum(['RS256', 'PS256', 'ES256', 'EdDSA']);

/** A client's token exchange policy (RFC 8693), beyond exchanging the tokens issued to itself. */
const tokenExchangePolicy = z
  .strictObject({
    impersonation: z
      .boolean()
      .optional()
      .describe('without an actor token, issue tokens without `act` (impersonation); default false: the client is the actor'),
  })
  .describe('Token exchange policy (needs the token exchange grant)');

/** `POST /clients`: a client to register. Absent members get the defaults of `gatehouse clients add`. */
export const clientCreateSchema = z
  .strictObject({
    client_name: text(200),
    redirect_uris: uriList.optional(),
    post_logout_redirect_uris: uriList.optional(),
    grant_types: z.array(grantType).min(1).max(4).optional(),
    scope: z.string().max(2000).optional().describe('space-separated scope tokens the client may be granted'),
    token_endpoint_auth_method: authMethod.optional(),
    id_token_signed_response_alg: signingAlg.optional(),
    resources: uriList.optional(),
    is_resource_server: z.boolean().optional(),
    served_resources: uriList.optional().describe('resource identifiers (RFC 8707) this resource server serves; each by one client'),
    logo_uri: text(2000).optional(),
    client_uri: text(2000).optional(),
    require_mfa: z.boolean().optional(),
    allowed_ips: z.array(text(100)).max(MAX_LIST).optional(),
    token_exchange: tokenExchangePolicy.optional(),
    allow_nonce_without_pkce: z
      .boolean()
      .optional()
      .describe('OAuth 2.1 section 7.5.2: a confidential OpenID client may leave PKCE out of a request with a nonce; default false'),
    dpop_bound_access_tokens: z.boolean().optional().describe('RFC 9449 §5.2: the client must use DPoP at the token endpoint'),
    profile: z.enum(['fapi2']).optional().describe('a security profile the client is held to: fapi2 (FAPI 2.0 Security Profile)'),
    require_pushed_authorization_requests: z.boolean().optional().describe('the client must push its authorization requests (RFC 9126 section 6)'),
    backchannel_logout_uri: text(2000)
      .optional()
      .describe('where logout tokens are POSTed (OpenID Connect Back-Channel Logout 1.0): https, or http on loopback'),
    backchannel_logout_session_required: z.boolean().optional().describe('the client needs sid in logout tokens (always sent)'),
    jwks: jwks.optional(),
    jwks_uri: jwksUri.optional(),
    token_endpoint_auth_signing_alg: clientSigningAlg.optional(),
    request_object_signing_alg: clientSigningAlg.optional(),
    require_signed_request_object: z.boolean().optional().describe('only signed request objects (RFC 9101 section 10.5)'),
  })
  .describe('A client to register');

/** `PATCH /clients/{id}`: the lists to replace, each whole; at least one. */
export const clientUpdateSchema = z
  .strictObject({
    redirect_uris: uriList.optional(),
    post_logout_redirect_uris: uriList.optional(),
    resources: uriList.optional(),
    served_resources: uriList.optional(),
    require_pushed_authorization_requests: z.boolean().optional().describe('require (true) or stop requiring (false) pushed authorization requests (RFC 9126)'),
    backchannel_logout_uri: text(2000).nullable().optional().describe('a new back-channel logout URI; null removes it'),
    backchannel_logout_session_required: z.boolean().optional().describe('with backchannel_logout_uri: the client needs sid in logout tokens'),
    jwks: jwks.optional(),
    jwks_uri: jwksUri.optional(),
  })
  .refine((body) => Object.keys(body).length > 0, { error: 'give at least one member to change' })
  .meta({ description: 'The lists to replace, each whole, and the settings to change', minProperties: 1 });

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
    served_resources: z.array(z.string()),
    logo_uri: z.string().optional(),
    client_uri: z.string().optional(),
    require_mfa: z.boolean().optional(),
    allowed_ips: z.array(z.string()).optional(),
    token_exchange: tokenExchangePolicy.optional(),
    allow_nonce_without_pkce: z.boolean().optional(),
    dpop_bound_access_tokens: z.boolean().optional(),
    profile: z.enum(['fapi2']).optional(),
    require_pushed_authorization_requests: z.boolean().optional(),
    backchannel_logout_uri: z.string().optional(),
    backchannel_logout_session_required: z.boolean().optional(),
    jwks: jwks.optional(),
    jwks_uri: z.string().optional(),
    token_endpoint_auth_signing_alg: clientSigningAlg.optional(),
    request_object_signing_alg: clientSigningAlg.optional(),
    require_signed_request_object: z.boolean().optional(),
    registration: z
      .object({ via: z.enum(['open', 'initial-access-token']), initial_access_token: z.string().nullable() })
      .optional()
      .describe('present for a client that registered itself (RFC 7591): how, and with which initial access token'),
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

/** `POST /users/{id}/factors/reset`: how many second factors were removed. */
export const factorsResetSchema = z
  .object({ sub: z.string(), factors_removed: z.int().min(0).describe('authenticator apps, passkeys, code channels and recovery codes') })
  .describe("A user's second factors removed");

/** `POST /invitations`: an address to invite (the link goes by email, as `gatehouse users invite` sends it). */
export const invitationCreateSchema = z
  .strictObject({
    email: text(254),
    name: text(200).optional().describe('used in the email and suggested on the set-up page'),
  })
  .describe('An address to invite');

/** `POST /invitations`: the pending invitation (never its link: that goes only to the address). */
export const invitationSchema = z
  .object({
    id: z.string().describe('the invitation id (gatehouse users invitations revoke ID)'),
    email: z.string(),
    name: z.string().nullable(),
    invited_at: timestamp,
    expires_at: timestamp,
    emailed: z.literal(true),
  })
  .describe('A pending invitation, emailed');

const auditEventSchema = z
  .object({
    seq: z.int().min(1),
    time: timestamp,
    type: z.string(),
    outcome: z.enum(['success', 'failure']),
    request_id: z.string().nullable(),
    client_id: z.string().nullable(),
    subject: z.string().nullable(),
    ip: z.string().nullable(),
    user_agent: z.string().nullable(),
    details: z.record(z.string(), z.unknown()).describe('event-specific fields; never a secret'),
    prev_hash: z.string(),
    hash: z.string(),
  })
  .describe('An audit event, as `gatehouse audit tail --json` prints it');

/** `GET /audit/events`: a page of events, newest first, and the path of the next page. */
export const auditEventListSchema = z
  .object({
    events: z.array(auditEventSchema),
    next: z.string().nullable().describe('the path (and query) of the next, older page; null on the last'),
  })
  .describe('Audit events, newest first');

/** `POST /audit/verify`: the chain's verification, as `gatehouse audit verify --json`. */
export const auditVerificationSchema = z
  .union([
    z.object({ ok: z.literal(true), count: z.int().min(0), last_seq: z.int().min(0), last_hash: z.string() }),
    z.object({
      ok: z.literal(false),
      count: z.int().min(0),
      seq: z.int().min(1).describe('the first event found edited, removed or reordered'),
      problem: z.enum(['edited', 'removed', 'reordered']),
      message: z.string(),
    }),
  ])
  .describe("The audit chain's verification");

/** `GET /settings`: the effective settings; secrets show `[redacted]`. */
export const settingsSchema = z
  .looseObject({ issuer: z.string(), secret: z.literal('[redacted]'), upstreams: z.array(z.string()).describe('upstream provider ids') })
  .describe('The effective settings, nested as the library options (docs/configuration.md); every secret redacted');

/** `limit` of `GET /audit/events`. */
export const AUDIT_PAGE_LIMITS = { defaultLimit: 100, maxLimit: 500 } as const;

/** The query parameters of `GET /audit/events` (read by `readAuditSearch`, shared with `gatehouse audit tail`). */
export const AUDIT_SEARCH_PARAMETERS = [
  { name: 'from', description: 'events at or after this RFC 3339 date-time', schema: { type: 'string', format: 'date-time' } },
  { name: 'to', description: 'events before this RFC 3339 date-time', schema: { type: 'string', format: 'date-time' } },
  { name: 'type', description: 'an event type (repeat for any of several)', schema: { type: 'array', items: { type: 'string' } }, explode: true },
  { name: 'user', description: 'a sub, username or email; events about that user', schema: { type: 'string' } },
  { name: 'client', description: 'a client_id', schema: { type: 'string' } },
  { name: 'address', description: 'a client IP address', schema: { type: 'string' } },
  { name: 'outcome', description: 'success or failure', schema: { type: 'string', enum: ['success', 'failure'] } },
  { name: 'before', description: 'the cursor of the next page (use next)', schema: { type: 'integer', minimum: 1 } },
  {
    name: 'limit',
    description: 'events per page',
    schema: { type: 'integer', minimum: 1, maximum: AUDIT_PAGE_LIMITS.maxLimit, default: AUDIT_PAGE_LIMITS.defaultLimit },
  },
] as const;

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

const clientType = z.enum(['public', 'confidential']);

/** `POST /registration/tokens`: an initial access token to issue (RFC 7591 §3), as `gatehouse registration tokens create`. */
export const registrationTokenCreateSchema = z
  .strictObject({
    label: z.string().max(100).optional().describe('what the token is for, shown in the list'),
    max_uses: z.int().min(1).max(100).optional().describe('registrations it allows; default 1'),
    ttl: z.int().min(60).max(31_536_000).optional().describe('seconds until it expires; default 604800 (7 days)'),
    client_types: z.array(clientType).min(1).max(2).optional().describe('the client types it may register; default both'),
    grant_types: z.array(grantType).min(1).max(3).optional().describe('the grant types a client it registers may use; default every one the server supports'),
  })
  .describe('An initial access token to issue');

/** An initial access token as the API shows it: never the token itself (but once, when issued). */
export const registrationTokenSchema = z
  .object({
    id: z.string().describe('names the token (DELETE /registration/tokens/{id}); it does not open anything'),
    label: z.string().nullable(),
    max_uses: z.int().min(1),
    uses: z.int().min(0),
    client_types: z.array(clientType),
    grant_types: z.array(grantType),
    issued_at: timestamp,
    expires_at: timestamp,
  })
  .describe('An initial access token for dynamic client registration');

/** `POST /registration/tokens`: the token, shown this once, and what it allows. */
export const issuedRegistrationTokenSchema = registrationTokenSchema
  .extend({ token: z.string().describe('the initial access token: a Bearer token for POST /register; shown this once') })
  .describe('An initial access token, shown once');

/** `GET /registration/tokens`: the unexpired tokens. */
export const registrationTokenListSchema = z.object({ items: z.array(registrationTokenSchema) }).describe('Initial access tokens, newest expiry first');
