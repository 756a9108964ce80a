import { z } from 'zod';
import { NO_STORE, OAuthError } from '../../core/errors.js';
import { StoreConflictError } from '../../stores/contract.js';
import { describeClient, getClient, listClients, registerClient, removeClient, rotateClientSecret, updateClient } from '../admin/clients.js';
import { auditSubjectOf, auditVerificationJson, readAuditSearch, searchAuditEvents } from '../admin/audit.js';
import { AdminInputError } from '../admin/input-error.js';
import { listSigningKeys, retentionFor, rotateKeys } from '../admin/keys.js';
import { effectiveSettings } from '../admin/settings.js';
import { resetUserFactors } from '../admin/user-factors.js';
import { listUserConsents, listUserSessions, revokeUserConsent, revokeUserSession } from '../admin/user-sessions.js';
import { invitationJson, inviteUser } from '../accounts/invitations.js';
import { initialAccessTokenJson, issueInitialAccessToken, listInitialAccessTokens, revokeInitialAccessToken } from '../clients/initial-access-tokens.js';
import {
  createUser,
  describeUser,
  findUser,
  grantAdminRole,
  listUsers,
  removeUser,
  revokeAdminRole,
  revokeUserSessions,
  unlockUser,
  updateUser,
} from '../admin/users.js';
import { actorOf, authenticateAdmin, type AdminActor } from '../admin-api/authenticate.js';
import { adminOpenApiDocument } from '../admin-api/openapi.js';
import { ADMIN_OPERATIONS, type AdminOperation, type AdminOperationId } from '../admin-api/operations.js';
import { adminInputRefusal, conflict, invalidRequest, InvalidParametersError, zodFields } from '../admin-api/refusals.js';
import {
  AUDIT_PAGE_LIMITS,
  clientCreateSchema,
  clientUpdateSchema,
  invitationCreateSchema,
  PAGE_LIMITS,
  registrationTokenCreateSchema,
  userCreateSchema,
  userUpdateSchema,
} from '../admin-api/schemas.js';
import { auditEventToJson } from '../audit/audit-log.js';
import { verifyAuditLog } from '../audit/chain.js';
import { auditEvent, type AuditFields } from '../audit/events.js';
import { pathTo } from '../routes.js';
import type { ServerContext } from '../context.js';
import { readBody } from '../http/form.js';
import { json } from '../http/responses.js';

/** What a handler gets: the request's scope, the caller, the `{id}`, the validated body and page. */
interface AdminCall<Body = unknown> {
  ctx: ServerContext;
  actor: AdminActor;
  id: string;
  /** The route's other path parameters (`consentId`). */
  params: Record<string, string>;
  body: Body;
  page: { limit: number; offset: number };
  /** The query string's parameters. */
  query: URLSearchParams;
}

/** What a handler answers: its body (none for 204), and the audit event that records it. */
interface AdminResult {
  body?: unknown;
  event: [type: `admin.${string}`, fields: AuditFields];
}

type AdminHandler = (call: AdminCall<never>) => Promise<AdminResult>;

/** `limit` and `offset` of a list (defaults when absent); `undefined` when either is not a whole number in bounds. */
function readPage(url: URL): { limit: number; offset: number } | undefined {
  const read = (name: string, fallback: number, min: number, max: number): number | undefined => {
    const raw = url.searchParams.get(name);
    if (raw === null) return fallback;
    if (!/^[0-9]{1,10}$/.test(raw)) return undefined;
    const value = Number(raw);
    return value >= min && value <= max ? value : undefined;
  };
  const limit = read('limit', PAGE_LIMITS.defaultLimit, 1, PAGE_LIMITS.maxLimit);
  const offset = read('offset', 0, 0, 1_000_000_000);
  return limit === undefined || offset === undefined ? undefined : { limit, offset };
}

/** The JSON body, validated by the operation's schema; a Response when it is not acceptable. */
async function readJsonBody(ctx: ServerContext, request: Request, schema: z.ZodType): Promise<Response | { body: unknown }> {
  const type = (request.headers.get('content-type') ?? '').toLowerCase();
  if (!/^application\/json\s*(;|$)/.test(type)) return invalidRequest('the body must be JSON (Content-Type: application/json)');
  const text = await readBody(request, ctx.config.limits.maxBodyBytes);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return invalidRequest('the body is not valid JSON');
  }
  // zod 4 keeps the value off an issue unless asked: `issueMessage` needs it to tell a missing
  // member ("is required") from one of the wrong type. It stays here: `zodFields` never quotes it.
  const result = schema.safeParse(parsed, { reportInput: true });
  if (!result.success) return invalidRequest('the request has invalid fields', zodFields(result.error));
  return { body: result.data };
}

const clientEvent = (type: `admin.${string}`, clientId: string, extra: AuditFields = {}): AdminResult['event'] => [
  type,
  { target_client_id: clientId, ...extra },
];
const userEvent = (type: `admin.${string}`, sub: string, extra: AuditFields = {}): AdminResult['event'] => [type, { target_sub: sub, ...extra }];

/** How long retired keys stay published, as the server's key ring counts it. */
const keyRetention = (ctx: ServerContext): number => retentionFor(ctx.config.tokens.accessTokenTtl, ctx.config.tokens.idTokenTtl);

/** The filters of `GET /audit/events` its audit event names (never their values). */
const AUDIT_FILTERS = ['from', 'to', 'type', 'user', 'client', 'address', 'outcome'];

/** Each operation's work: the same functions `gatehouse clients` and `gatehouse users` call (`server/admin/`). */
const HANDLERS = {
  getOpenApi: ({ ctx }) => Promise.resolve({ body: adminOpenApiDocument(ctx), event: ['admin.openapi_shown', {}] }),
  async listClients({ ctx, page }) {
    const clients = await listClients(ctx.store, page);
    return { body: { items: clients.map(describeClient), ...page }, event: ['admin.clients_listed', { count: clients.length }] };
  },
  async createClient({ ctx, body }: AdminCall<z.output<typeof clientCreateSchema>>) {
    const { client, clientSecret } = await registerClient(
      ctx.store,
      ctx.secrets,
      {
        name: body.client_name,
        redirectUris: body.redirect_uris,
        postLogoutRedirectUris: body.post_logout_redirect_uris,
        grantTypes: body.grant_types,
        scope: body.scope,
        authMethod: body.token_endpoint_auth_method,
        idTokenSignedResponseAlg: body.id_token_signed_response_alg,
        resources: body.resources,
        isResourceServer: body.is_resource_server,
        servedResources: body.served_resources,
        logoUri: body.logo_uri,
        clientUri: body.client_uri,
        requireMfa: body.require_mfa,
        allowedIps: body.allowed_ips,
        exchangeImpersonation: body.token_exchange?.impersonation,
        allowNonceWithoutPkce: body.allow_nonce_without_pkce,
        profile: body.profile,
        dpopBoundAccessTokens: body.dpop_bound_access_tokens,
        requirePushedAuthorizationRequests: body.require_pushed_authorization_requests,
        backchannelLogoutUri: body.backchannel_logout_uri,
        backchannelLogoutSessionRequired: body.backchannel_logout_session_required,
        jwks: body.jwks,
        jwksUri: body.jwks_uri,
        tokenEndpointAuthSigningAlg: body.token_endpoint_auth_signing_alg,
        requestObjectSigningAlg: body.request_object_signing_alg,
        requireSignedRequestObject: body.require_signed_request_object,
      },
      ctx.clock.now(),
    );
    return {
      body: { ...describeClient(client), client_secret: clientSecret },
      event: clientEvent('admin.client_created', client.clientId, { grant_types: client.grantTypes }),
    };
  },
  async getClient({ ctx, id }) {
    const client = await getClient(ctx.store, id);
    return { body: describeClient(client), event: clientEvent('admin.client_shown', client.clientId) };
  },
  async updateClient({ ctx, id, body }: AdminCall<z.output<typeof clientUpdateSchema>>) {
    const changes = {
      redirectUris: body.redirect_uris,
      postLogoutRedirectUris: body.post_logout_redirect_uris,
      resources: body.resources,
      servedResources: body.served_resources,
      requirePushedAuthorizationRequests: body.require_pushed_authorization_requests,
      backchannelLogoutUri: body.backchannel_logout_uri,
      backchannelLogoutSessionRequired: body.backchannel_logout_session_required,
      jwks: body.jwks,
      jwksUri: body.jwks_uri,
    };
    const client = await updateClient(ctx.store, id, changes, ctx.clock.now());
    return { body: describeClient(client), event: clientEvent('admin.client_updated', client.clientId, { changed: Object.keys(body) }) };
  },
  async deleteClient({ ctx, id }) {
    await removeClient(ctx.store, id);
    return { event: clientEvent('admin.client_removed', id) };
  },
  async rotateClientSecret({ ctx, id }) {
    const { client, clientSecret } = await rotateClientSecret(ctx.store, ctx.secrets, id, ctx.clock.now());
    return { body: { client_id: client.clientId, client_secret: clientSecret }, event: clientEvent('admin.client_secret_rotated', client.clientId) };
  },
  async listUsers({ ctx, page }) {
    const users = await listUsers(ctx.store, page);
    return { body: { items: users.map(describeUser), ...page }, event: ['admin.users_listed', { count: users.length }] };
  },
  async createUser({ ctx, body }: AdminCall<z.output<typeof userCreateSchema>>) {
    const user = await createUser(
      ctx.store,
      { username: body.username, email: body.email, emailVerified: body.email_verified, name: body.name, password: body.password },
      ctx.clock.now(),
    );
    return { body: describeUser(user), event: userEvent('admin.user_created', user.id) };
  },
  async getUser({ ctx, id }) {
    const user = await findUser(ctx.store, id);
    return { body: describeUser(user), event: userEvent('admin.user_shown', user.id) };
  },
  async updateUser({ ctx, id, body }: AdminCall<z.output<typeof userUpdateSchema>>) {
    const user = await updateUser(ctx.store, ctx.clock, id, body);
    return { body: describeUser(user), event: userEvent('admin.user_updated', user.id, { changed: Object.keys(body) }) };
  },
  async deleteUser({ ctx, id }) {
    const user = await removeUser(ctx.store, ctx.clock, id);
    return { event: userEvent('admin.user_removed', user.id, { sessions_revoked: true }) };
  },
  async unlockUser({ ctx, id }) {
    const user = await unlockUser(ctx.store, ctx.clock, id, ctx.config.protection.rateLimits);
    return { body: describeUser(user), event: userEvent('admin.user_unlocked', user.id) };
  },
  async revokeUserSessions({ ctx, id }) {
    const { user, revoked } = await revokeUserSessions(ctx.store, ctx.clock, id);
    return {
      body: { sub: user.id, sessions_ended: revoked.sessions, consents_marked: revoked.consents, revoked_at: new Date(revoked.at).toISOString() },
      event: userEvent('admin.user_sessions_revoked', user.id, { sessions_ended: revoked.sessions }),
    };
  },
  async listUserSessions({ ctx, id }) {
    const sessions = await listUserSessions(ctx.store, id);
    return { body: sessions, event: userEvent('admin.user_sessions_listed', sessions.sub, { count: sessions.items.length }) };
  },
  async listUserConsents({ ctx, id }) {
    const consents = await listUserConsents(ctx.store, id);
    return { body: consents, event: userEvent('admin.user_consents_listed', consents.sub, { count: consents.items.length }) };
  },
  async revokeUserConsent({ ctx, id, params }) {
    const { sub, consent } = await revokeUserConsent(ctx.store, ctx.clock.now(), id, params.consentId ?? '');
    return { event: userEvent('admin.consent_revoked', sub, { target_client_id: consent.clientId, consent_id: consent.id }) };
  },
  async grantAdminRole({ ctx, id }) {
    const { user, changed } = await grantAdminRole(ctx.store, ctx.clock, id);
    return { body: describeUser(user), event: userEvent('admin.role_granted', user.id, { role: 'admin', changed }) };
  },
  async revokeAdminRole({ ctx, id }) {
    const { user, changed } = await revokeAdminRole(ctx.store, ctx.clock, id);
    return { body: describeUser(user), event: userEvent('admin.role_revoked', user.id, { role: 'admin', changed }) };
  },
  async listKeys({ ctx }) {
    const items = await listSigningKeys(ctx.store, ctx.clock.now(), keyRetention(ctx));
    return { body: { items }, event: ['admin.keys_listed', { count: items.length }] };
  },
  async rotateKeys({ ctx }) {
    const now = ctx.clock.now();
    const items = await rotateKeys(ctx.store, ctx.secrets, now, keyRetention(ctx));
    // This process signs with the new keys at once; others pick them up at their next key refresh.
    await ctx.keys.refresh(now);
    return { body: { items }, event: ['admin.keys_rotated', { kids: items.map((key) => key.kid) }] };
  },
  async revokeUserSession({ ctx, id, params }) {
    const { sub, sid } = await revokeUserSession(ctx.store, ctx.clock.now(), id, params.sid ?? '');
    return { event: userEvent('admin.user_session_revoked', sub, { sid }) };
  },
  async resetUserFactors({ ctx, id }) {
    const { user, removed } = await resetUserFactors(ctx.store, id);
    return { body: { sub: user.id, factors_removed: removed }, event: userEvent('admin.user_factors_reset', user.id, { removed }) };
  },
  async inviteUser({ ctx, body }: AdminCall<z.output<typeof invitationCreateSchema>>) {
    // As `gatehouse users invite` without --print-link: the link goes only to the address, so an email sender is required.
    const { invitation } = await inviteUser(ctx, { email: body.email, ...(body.name ? { name: body.name } : {}) }, { requireEmail: true });
    return { body: { ...invitationJson(invitation), emailed: true }, event: ['admin.user_invited', { invitation: invitation.id }] };
  },
  async searchAuditEvents({ ctx, query }) {
    const single = (name: string) => query.get(name) ?? undefined;
    const read = readAuditSearch(
      {
        from: single('from'),
        to: single('to'),
        types: query.has('type') ? query.getAll('type') : undefined,
        user: single('user'),
        client: single('client'),
        address: single('address'),
        outcome: single('outcome'),
        before: single('before'),
        limit: single('limit'),
      },
      AUDIT_PAGE_LIMITS,
    );
    if (!read.ok) throw new InvalidParametersError(read.problems.map(({ field, message }) => ({ field: field === 'types' ? 'type' : field, message })));
    const search = read.search;
    // An unknown user is searched for as a sub: no events, the same answer as a user without any.
    if (read.user !== undefined) search.subject = await auditSubjectOf(ctx.store, read.user);
    const { events, nextBefore } = await searchAuditEvents(ctx.store, search);
    const next = new URLSearchParams(query);
    next.set('before', String(nextBefore));
    return {
      body: { events: events.map(auditEventToJson), next: nextBefore === undefined ? null : `${pathTo(ctx, 'adminApiAuditEvents')}?${next}` },
      event: ['admin.audit_searched', { count: events.length, filters: AUDIT_FILTERS.filter((name) => query.has(name)) }],
    };
  },
  async verifyAuditChain({ ctx }) {
    const result = auditVerificationJson(await verifyAuditLog(ctx.store.audit, ctx.secrets));
    return { body: result, event: ['admin.audit_verified', { ok: result.ok, count: result.count }] };
  },
  getSettings: ({ ctx }) => Promise.resolve({ body: effectiveSettings(ctx.config), event: ['admin.settings_shown', {}] }),
  async listRegistrationTokens({ ctx }) {
    const items = (await listInitialAccessTokens(ctx)).map(initialAccessTokenJson);
    return { body: { items }, event: ['admin.registration_tokens_listed', { count: items.length }] };
  },
  async createRegistrationToken({ ctx, body }: AdminCall<z.output<typeof registrationTokenCreateSchema>>) {
    const { token, info } = await issueInitialAccessToken(ctx, {
      label: body.label,
      maxUses: body.max_uses,
      ttlSeconds: body.ttl,
      clientTypes: body.client_types,
      grantTypes: body.grant_types,
    });
    return { body: { ...initialAccessTokenJson(info), token }, event: ['admin.registration_token_issued', { token: info.id }] };
  },
  async revokeRegistrationToken({ ctx, id }) {
    const info = await revokeInitialAccessToken(ctx, id);
    return { event: ['admin.registration_token_revoked', { token: info.id }] };
  },
} satisfies Record<AdminOperationId, AdminHandler>;

/** Records an admin call with its caller: the acting client (and its subject) and the outcome. */
async function auditCall(ctx: ServerContext, actor: Pick<AdminActor, 'clientId' | 'sub'>, [type, fields]: AdminResult['event']): Promise<void> {
  await ctx.audit.record(auditEvent(type, { client_id: actor.clientId, ...(actor.sub !== actor.clientId ? { sub: actor.sub } : {}), ...fields }));
}

/** Fields whose {@link StoreConflictError} is the caller's doing (`409`); any other conflict is the server's. */
const UNIQUE_FIELDS = new Set(['username', 'email']);

/**
 * One admin API operation as an endpoint: the caller authenticated and checked for the
 * operation's scope, the page or body read and validated, the work done by the admin function,
 * and the call audited (`admin.*`) with the caller, a refusal too (`admin.request_refused`) once the
 * caller is known. Bad input is `400` with the fields at fault, an unknown id `404`: never a 500.
 */
function adminApiEndpoint(operation: AdminOperation) {
  const handle = (call: AdminCall<never>): Promise<AdminResult> => HANDLERS[operation.id as AdminOperationId](call);
  return async (ctx: ServerContext, request: Request, id: string, params: Record<string, string> = {}): Promise<Response> => {
    let actor: AdminActor | undefined;
    const refused = async (response: Response, reason: string): Promise<Response> => {
      if (actor) await auditCall(ctx, actor, ['admin.request_refused', { operation: operation.id, status: response.status, reason }]);
      return response;
    };
    try {
      const authenticated = await authenticateAdmin(ctx, request, operation.scope);
      if (authenticated instanceof Response) return authenticated;
      actor = authenticated;
      const page = operation.paginated ? readPage(new URL(request.url)) : { limit: 0, offset: 0 };
      if (page === undefined) {
        return await refused(
          invalidRequest('the request has invalid parameters', [
            { field: 'limit', message: `must be a whole number from 1 to ${PAGE_LIMITS.maxLimit}` },
            { field: 'offset', message: 'must be a whole number from 0' },
          ]),
          'invalid_parameters',
        );
      }
      let body: unknown;
      if (operation.request) {
        const read = await readJsonBody(ctx, request, operation.request);
        if (read instanceof Response) return await refused(read, 'invalid_body');
        body = read.body;
      }
      const query = new URL(request.url).searchParams;
      const result = await handle({ ctx, actor, id, params, body: body as never, page, query });
      await auditCall(ctx, actor, result.event);
      if (result.body === undefined) return new Response(null, { status: operation.status, headers: NO_STORE });
      return json(result.body, operation.status, NO_STORE);
    } catch (error) {
      if (error instanceof InvalidParametersError) return await refused(invalidRequest(error.message, error.fields), 'invalid_parameters');
      if (error instanceof AdminInputError) return await refused(adminInputRefusal(error), error.code === 'ERR_NOT_FOUND' ? 'not_found' : 'invalid_input');
      // A username or email another user has (the store's unique rule; a race past the admin function's own checks).
      if (error instanceof StoreConflictError && UNIQUE_FIELDS.has(error.field)) return await refused(conflict(error.field), 'conflict');
      const known = actorOf(error);
      if (known && error instanceof OAuthError) {
        await auditCall(ctx, known, ['admin.request_refused', { operation: operation.id, status: error.status, reason: error.error }]);
      }
      throw error;
    }
  };
}

/** The admin API's operations with their endpoints, for the router. */
export const ADMIN_API_ENDPOINTS = ADMIN_OPERATIONS.map((operation) => ({ operation, endpoint: adminApiEndpoint(operation) }));
