import { fetchWithDeadline } from '../core/deadline-fetch.js';
import { isLoopbackHost } from '../core/urls.js';
import { adminSettings } from '../server/config/schema.js';
import { NO_ENDPOINT } from '../server/http/responses.js';
import type { AuditSearch, AuditVerificationJson } from '../server/admin/audit.js';
import type { NewClientInput } from '../server/admin/clients.js';
import type { SigningKeyView } from '../server/admin/keys.js';
import type { NewUserInput } from '../server/admin/users.js';
import { AUDIT_PAGE_LIMITS } from '../server/admin-api/schemas.js';
import type { AuditEventJson } from '../server/audit/audit-log.js';
import { urlTo, type RouteName } from '../server/routes.js';
import type { AdminOperations, Described } from './admin-operations.js';
import { UsageError } from './io.js';

/** Deadline of one call to the admin API, answer included, unless `GATEHOUSE_SERVER_TIMEOUT` says otherwise (milliseconds). */
const DEFAULT_TIMEOUT_MS = 10_000;
/** The largest page the admin API gives (`PAGE_LIMITS.maxLimit`): lists are read a page at a time. */
const PAGE = 200;

/** A server's admin API to call: its issuer URL, the bearer token, and the deadline of each call. */
export interface RemoteTarget {
  issuerUrl: URL;
  /** Where the server serves its admin routes (`admin.path`): `GATEHOUSE_ADMIN_PATH`, as the server reads it, else `/admin`. */
  adminPath: string;
  token: string;
  timeoutMs: number;
}

/**
 * The target of `--server URL`: the server's issuer URL (the admin API is below it, at
 * `/admin/api/v1`). https only: the admin token (and, coming back, client secrets) would otherwise
 * cross the network readable by anyone on the path; plain http only for a loopback address, which
 * never leaves the machine (as RFC 8252 §7.3 allows for redirect URIs).
 */
export function remoteTarget(server: string, token: string, env: NodeJS.ProcessEnv): RemoteTarget {
  let issuerUrl: URL;
  try {
    issuerUrl = new URL(server);
  } catch {
    throw new UsageError(`--server must be the server's URL, such as https://id.example.com, not "${server}"`);
  }
  const loopback = isLoopbackHost(issuerUrl.hostname);
  if (issuerUrl.protocol !== 'https:' && !(issuerUrl.protocol === 'http:' && loopback)) {
    throw new UsageError(`--server must use https (plain http only for a loopback address): the token would cross the network in the clear`);
  }
  if (issuerUrl.search || issuerUrl.hash || issuerUrl.username || issuerUrl.password) {
    throw new UsageError('--server must be the issuer URL alone, without a query, fragment or credentials');
  }
  if (!/^[\x21-\x7E]+$/.test(token)) throw new UsageError('the admin token must be one line of printable characters');
  const raw = env.GATEHOUSE_SERVER_TIMEOUT;
  const timeoutMs = raw === undefined || raw === '' ? DEFAULT_TIMEOUT_MS : Number(raw);
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 600_000) {
    throw new UsageError('GATEHOUSE_SERVER_TIMEOUT must be a whole number of milliseconds from 1 to 600000');
  }
  const path = adminSettings.shape.path.safeParse(env.GATEHOUSE_ADMIN_PATH === '' ? undefined : env.GATEHOUSE_ADMIN_PATH);
  if (!path.success) throw new UsageError(`GATEHOUSE_ADMIN_PATH ${path.error.issues[0]?.message ?? 'is not a valid path'}`);
  return { issuerUrl, adminPath: path.data, token, timeoutMs };
}

/** An admin API error body (RFC 6749 §5.2, with `fields` for invalid input). */
interface ErrorBody {
  error?: unknown;
  error_description?: unknown;
  fields?: { field?: unknown; message?: unknown }[];
}

/** Keeps what the server said to printable text of bounded length: it is shown on a terminal. */
function printable(value: unknown): string {
  return String(value)
    .replace(/[^\x20-\x7E]/g, '')
    .slice(0, 300);
}

/** The server's refusal as one clean line: what it said, its fields, and the status. */
async function refusal(response: Response, server: string): Promise<Error> {
  let body: ErrorBody = {};
  try {
    body = (await response.json()) as ErrorBody;
  } catch {
    // No JSON body: a bare 401 challenge, or something other than the admin API answered.
  }
  // No admin API at this path: not JSON (something else answered), or the server's own "no endpoint".
  if (response.status === 404 && (typeof body.error !== 'string' || body.error_description === NO_ENDPOINT)) {
    return new Error(`${server} has no admin API here (404): is it turned off (GATEHOUSE_ADMIN_API=false), or served under another GATEHOUSE_ADMIN_PATH?`);
  }
  if (typeof body.error !== 'string') {
    if (response.status === 401) return new Error(`${server} refused the request (401): no valid admin token`);
    return new Error(`${server} answered ${response.status} without an admin API error`);
  }
  const fields = (body.fields ?? []).map((field) => `${printable(field.field)} ${printable(field.message)}`);
  const detail = typeof body.error_description === 'string' ? printable(body.error_description) : printable(body.error);
  return new Error(`${server} refused (${response.status} ${printable(body.error)}): ${detail}${fields.length > 0 ? `; ${fields.join('; ')}` : ''}`);
}

/** What went wrong reaching the server at all: the deadline, or the connection's error code. */
function unreachable(error: unknown, server: string, timeoutMs: number): Error {
  if (error instanceof DOMException && error.name === 'TimeoutError') return new Error(`${server} did not answer within ${timeoutMs} ms`);
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
  const reason = typeof cause?.code === 'string' ? cause.code : typeof cause?.message === 'string' ? cause.message : (error as Error).message;
  return new Error(`could not reach ${server}: ${reason}`);
}

/** A body without the members left undefined (absent flags): JSON.stringify drops them anyway, said here. */
function defined(body: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(body).filter(([, value]) => value !== undefined));
}

/** `POST /clients`: the command's input under the API's (RFC 7591) names. */
function clientBody(input: NewClientInput): Record<string, unknown> {
  return defined({
    client_name: input.name,
    redirect_uris: input.redirectUris,
    post_logout_redirect_uris: input.postLogoutRedirectUris,
    grant_types: input.grantTypes,
    scope: input.scope,
    token_endpoint_auth_method: input.authMethod,
    id_token_signed_response_alg: input.idTokenSignedResponseAlg,
    resources: input.resources,
    is_resource_server: input.isResourceServer,
    served_resources: input.servedResources,
    logo_uri: input.logoUri,
    client_uri: input.clientUri,
    require_mfa: input.requireMfa,
    allowed_ips: input.allowedIps,
    token_exchange: input.exchangeImpersonation ? { impersonation: true } : undefined,
    allow_nonce_without_pkce: input.allowNonceWithoutPkce === true ? true : undefined,
    profile: input.profile,
    dpop_bound_access_tokens: input.dpopBoundAccessTokens,
    require_pushed_authorization_requests: input.requirePushedAuthorizationRequests,
    backchannel_logout_uri: input.backchannelLogoutUri,
    backchannel_logout_session_required: input.backchannelLogoutSessionRequired,
    jwks: input.jwks,
    jwks_uri: input.jwksUri,
    token_endpoint_auth_signing_alg: input.tokenEndpointAuthSigningAlg,
    request_object_signing_alg: input.requestObjectSigningAlg,
    require_signed_request_object: input.requireSignedRequestObject === true ? true : undefined,
  });
}

/**
 * `GET /audit/events`'s query for a search (as `readAuditSearch` read it from the flags), `limit`
 * events to a page: the API reads it back with the same function.
 */
function auditQuery(search: AuditSearch, user: string | undefined, limit: number): URLSearchParams {
  const query = new URLSearchParams();
  const set = (name: string, value: string | number | undefined) => {
    if (value !== undefined) query.set(name, String(value));
  };
  set('from', search.from === undefined ? undefined : new Date(search.from).toISOString());
  set('to', search.to === undefined ? undefined : new Date(search.to).toISOString());
  for (const type of search.types ?? []) query.append('type', type);
  set('user', user);
  set('client', search.clientId);
  set('address', search.ip);
  set('outcome', search.outcome);
  set('before', search.before);
  set('limit', limit);
  return query;
}

/** `POST /users`: the command's input under the API's names. */
function userBody(input: NewUserInput): Record<string, unknown> {
  return defined({ username: input.username, email: input.email, email_verified: input.emailVerified, name: input.name, password: input.password });
}

/**
 * The admin operations through a running server's admin API: each an HTTPS call with the bearer
 * token and a deadline (the whole exchange, {@link fetchWithDeadline}). The server does the work
 * and audits it with the token's client (and person); a refusal comes back as an error whose
 * message is the server's, in one line (the command exits non-zero).
 */
export function remoteAdmin(target: RemoteTarget): AdminOperations {
  const send = fetchWithDeadline(globalThis.fetch.bind(globalThis), target.timeoutMs);
  const server = target.issuerUrl.origin;
  const located = { config: { issuerUrl: target.issuerUrl, admin: { path: target.adminPath } } };
  // The route table the server mounts, below the issuer's path; the parameters each route takes are checked by the calls below.
  const urlOf = urlTo as (ctx: typeof located, name: RouteName, params: Record<string, string>) => string;
  /** One call to `url` (on the server's origin): its JSON answer, or the server's refusal as an error. */
  const fetchJson = async <T>(method: string, url: string, body?: unknown): Promise<T> => {
    let response: Response;
    try {
      response = await send(url, {
        method,
        headers: { Authorization: `Bearer ${target.token}`, Accept: 'application/json', ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        redirect: 'error',
      });
    } catch (error) {
      throw unreachable(error, server, target.timeoutMs);
    }
    if (!response.ok) throw await refusal(response, server);
    try {
      return (response.status === 204 ? undefined : await response.json()) as T;
    } catch (error) {
      throw unreachable(error, server, target.timeoutMs);
    }
  };
  const call = <T>(method: string, route: RouteName, params: Record<string, string> = {}, body?: unknown, query = ''): Promise<T> =>
    fetchJson<T>(method, urlOf(located, route, params) + query, body);
  /**
   * The page after this one: the server's `next` (a path and query on its own origin, or `null`),
   * asking for at most `remaining` events. A `next` elsewhere is refused: the token goes with it.
   */
  const nextAuditPage = (next: string | null, remaining: number): string | undefined => {
    if (next === null || remaining <= 0) return undefined;
    const url = new URL(next, server);
    if (url.origin !== server) throw new Error(`${server} answered a next page on another origin`);
    url.searchParams.set('limit', String(Math.min(remaining, AUDIT_PAGE_LIMITS.maxLimit)));
    return url.href;
  };
  /** Every item of a paginated list, a page at a time. */
  const all = async (route: RouteName): Promise<Described[]> => {
    const items: Described[] = [];
    for (let offset = 0; ; offset += PAGE) {
      const page = await call<{ items: Described[] }>('GET', route, {}, undefined, `?limit=${PAGE}&offset=${offset}`);
      items.push(...page.items);
      if (page.items.length < PAGE) return items;
    }
  };
  const user = (id: string) => ({ id });
  return {
    listClients: () => all('adminApiClients'),
    getClient: (clientId) => call('GET', 'adminApiClient', { id: clientId }),
    registerClient: (input) => call('POST', 'adminApiClients', {}, clientBody(input)),
    updateClient: (clientId, changes) =>
      call(
        'PATCH',
        'adminApiClient',
        { id: clientId },
        defined({
          redirect_uris: changes.redirectUris,
          post_logout_redirect_uris: changes.postLogoutRedirectUris,
          resources: changes.resources,
          served_resources: changes.servedResources,
          require_pushed_authorization_requests: changes.requirePushedAuthorizationRequests,
          backchannel_logout_uri: changes.backchannelLogoutUri,
          backchannel_logout_session_required: changes.backchannelLogoutSessionRequired,
          jwks: changes.jwks,
          jwks_uri: changes.jwksUri,
        }),
      ),
    removeClient: (clientId) => call('DELETE', 'adminApiClient', { id: clientId }),
    rotateClientSecret: (clientId) => call('POST', 'adminApiClientSecret', { id: clientId }),
    listUsers: () => all('adminApiUsers'),
    getUser: (login) => call('GET', 'adminApiUser', user(login)),
    createUser: (input) => call('POST', 'adminApiUsers', {}, userBody(input)),
    removeUser: (login) => call('DELETE', 'adminApiUser', user(login)),
    revokeUserSessions: (login) => call('POST', 'adminApiUserSessionsRevoke', user(login)),
    unlockUser: (login) => call('POST', 'adminApiUserUnlock', user(login)),
    grantAdminRole: (login) => call('PUT', 'adminApiUserAdminRole', user(login)),
    revokeAdminRole: (login) => call('DELETE', 'adminApiUserAdminRole', user(login)),
    listKeys: async () => (await call<{ items: SigningKeyView[] }>('GET', 'adminApiKeys')).items,
    rotateKeys: async () => (await call<{ items: SigningKeyView[] }>('POST', 'adminApiKeysRotate')).items,
    async auditEvents(search, user) {
      const events: AuditEventJson[] = [];
      const first = auditQuery(search, user, Math.min(search.limit, AUDIT_PAGE_LIMITS.maxLimit));
      let url: string | undefined = `${urlOf(located, 'adminApiAuditEvents', {})}?${first}`;
      while (url !== undefined) {
        const page: { events: AuditEventJson[]; next: string | null } = await fetchJson('GET', url);
        events.push(...page.events);
        url = nextAuditPage(page.next, search.limit - events.length);
      }
      return events.slice(0, search.limit);
    },
    verifyAudit: () => call<AuditVerificationJson>('POST', 'adminApiAuditVerify'),
    close: () => Promise.resolve(),
  };
}
