import { bearerChallenge } from '../../core/bearer-challenge.js';
import { NO_STORE, OAuthError } from '../../core/errors.js';
import type { ServerContext } from '../context.js';
import { parseScope } from '../scope.js';
import { activeAccessToken } from '../tokens/access-token.js';
import { holdsAdminRole } from './admin-scopes.js';
import type { AdminScope } from './operations.js';

/**
 * Who is calling the admin API: the client its token was issued to, and the subject: the client
 * itself (client_credentials) or the person who signed in (an admin).
 */
export interface AdminActor {
  clientId: string;
  sub: string;
  /** The token has `admin` (read and write), not only `admin:read`. */
  mayWrite: boolean;
}

/** `realm` of the admin API's challenges. */
const REALM = 'gatehouse-admin';

/** An RFC 6750 §3.1 refusal: the error in the body and in `WWW-Authenticate`. */
function bearerRefusal(error: 'invalid_request' | 'invalid_token' | 'insufficient_scope', description: string, scope?: AdminScope): OAuthError {
  const challenge = bearerChallenge({ realm: REALM, error, description, ...(scope ? { scope: [scope] } : {}) });
  return new OAuthError(error, description, { headers: { 'WWW-Authenticate': challenge } });
}

/**
 * The caller of an admin API operation that needs `scope`, from its bearer token (RFC 6750 §2.1,
 * the `Authorization` header only): an access token of this server, active (checked as UserInfo
 * and introspection check them: `activeAccessToken`), for this server (`aud` the issuer or the
 * default audience), whose client is still registered, with `admin`, or `admin:read` for a read.
 * Obtained either by a client for itself (client_credentials: `sub` is the client), or by a person
 * through the authorization code flow: then the user must exist, not be disabled and hold the
 * `admin` role now, at this call ({@link holdsAdminRole}), whatever held when the token was
 * issued, so a revoked role or a disabled account is refused at once (`403`).
 *
 * No token: `401` with a bare challenge (a Response, §3.1: no error information). A bad header:
 * `400` `invalid_request`; a bad token: `401` `invalid_token`; missing scope: `403`
 * `insufficient_scope`, naming the scope needed. A refusal after the token was read carries its actor.
 */
export async function authenticateAdmin(
  ctx: Pick<ServerContext, 'clock' | 'config' | 'keys' | 'secrets' | 'store'>,
  request: Request,
  scope: AdminScope,
): Promise<Response | AdminActor> {
  const header = request.headers.get('authorization');
  if (header === null) {
    return new Response(null, { status: 401, headers: { 'WWW-Authenticate': bearerChallenge({ realm: REALM }), ...NO_STORE } });
  }
  const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(header);
  if (!match) throw bearerRefusal('invalid_request', 'the Authorization header is not a Bearer token');
  const claims = await activeAccessToken(ctx, match[1]!);
  if (!claims) throw bearerRefusal('invalid_token', 'the access token is invalid, expired or revoked');
  const audience = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  const { issuer, tokens } = ctx.config;
  if (!audience.includes(issuer) && !audience.includes(tokens.defaultAudience)) {
    throw bearerRefusal('invalid_token', 'the access token is not meant for this server');
  }
  if (!(await ctx.store.clients.get(claims.client_id))) throw bearerRefusal('invalid_token', 'the access token is invalid, expired or revoked');
  const actor = { clientId: claims.client_id, sub: claims.sub };
  if (claims.sub !== claims.client_id && !holdsAdminRole(await ctx.store.users.get(claims.sub))) {
    throw withActor(bearerRefusal('insufficient_scope', 'the signed-in user does not hold the admin role', scope), actor);
  }
  const granted = parseScope(claims.scope);
  const mayWrite = granted.includes('admin');
  if (!mayWrite && !(scope === 'admin:read' && granted.includes('admin:read'))) {
    const description = scope === 'admin' ? 'this operation needs the admin scope' : 'this operation needs the admin or admin:read scope';
    throw withActor(bearerRefusal('insufficient_scope', description, scope), actor);
  }
  return { ...actor, mayWrite };
}

/** An error raised once the caller is known, so that its refusal is audited with them. */
export interface ActorError {
  actor: Omit<AdminActor, 'mayWrite'>;
}

function withActor(error: OAuthError, actor: Omit<AdminActor, 'mayWrite'>): OAuthError & ActorError {
  return Object.assign(error, { actor });
}

/** The caller a refusal carries, when the token was good enough to say who they are. */
export function actorOf(error: unknown): Omit<AdminActor, 'mayWrite'> | undefined {
  return error instanceof OAuthError && 'actor' in error ? (error as OAuthError & ActorError).actor : undefined;
}
