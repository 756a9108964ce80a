import { OAuthError } from '../../core/errors.js';
import { userClaims } from '../claims.js';
import type { ServerContext } from '../context.js';
import { readForm } from '../http/form.js';
import { json, NO_STORE } from '../http/responses.js';
import { parseScope } from '../scope.js';
import { activeAccessToken } from '../tokens/access-token.js';

function bearerError(error: 'invalid_request' | 'invalid_token' | 'insufficient_scope', description: string, status: number): OAuthError {
  const challenge = `Bearer realm="gatehouse", error="${error}", error_description="${description}"`;
  return new OAuthError(error, description, { status, headers: { 'WWW-Authenticate': challenge } });
}

/**
 * The bearer token of the request: the `Authorization` header (RFC 6750 §2.1) or, for a
 * form-encoded POST, the `access_token` body parameter (§2.2). Both at once is an error (§2).
 */
async function bearerToken(ctx: ServerContext, request: Request): Promise<string | undefined> {
  const header = request.headers.get('authorization');
  let fromBody: string | undefined;
  if (request.method === 'POST' && (request.headers.get('content-type') ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded')) {
    fromBody = (await readForm(request, { maxBodyBytes: ctx.config.limits.maxBodyBytes })).get('access_token');
  }
  if (header !== null) {
    if (fromBody !== undefined) throw bearerError('invalid_request', 'use one way of sending the access token', 400);
    const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(header);
    if (!match) throw bearerError('invalid_request', 'the Authorization header is not a Bearer token', 400);
    return match[1]!;
  }
  return fromBody;
}

function audienceOf(aud: string | string[] | undefined): string[] {
  if (aud === undefined) return [];
  return Array.isArray(aud) ? aud : [aud];
}

/** UserInfo (OIDC Core §5.3), GET and POST: the user's claims for the token's scopes. */
export async function userinfoEndpoint(ctx: ServerContext, request: Request): Promise<Response> {
  const token = await bearerToken(ctx, request);
  // RFC 6750 §3.1: a request without credentials gets the challenge and no error information.
  if (token === undefined) return new Response(null, { status: 401, headers: { 'WWW-Authenticate': 'Bearer realm="gatehouse"', ...NO_STORE } });
  const claims = await activeAccessToken(ctx, token);
  if (!claims) throw bearerError('invalid_token', 'the access token is invalid, expired or revoked', 401);
  // RFC 9068 §4, OIDC Core §5.3: UserInfo is a resource of the issuer; a token for another API
  // (`aud` without the issuer, e.g. issued with an RFC 8707 `resource`) is not accepted here.
  if (!audienceOf(claims.aud).includes(ctx.config.issuer)) throw bearerError('invalid_token', 'the access token is not meant for UserInfo', 401);
  const scope = parseScope(claims.scope);
  if (!scope.includes('openid')) throw bearerError('insufficient_scope', 'the access token lacks the openid scope', 403);
  const user = await ctx.store.users.get(claims.sub);
  if (!user || user.disabled) throw bearerError('invalid_token', 'the access token is invalid, expired or revoked', 401);
  return json(userClaims(user, scope), 200, NO_STORE);
}
