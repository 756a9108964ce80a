import { bearerChallenge } from '../../core/bearer-challenge.js';
import { OAuthError } from '../../core/errors.js';
import type { UserRecord } from '../../stores/contract.js';
import { userClaims } from '../claims.js';
import type { ServerContext } from '../context.js';
import { endpoint, type EndpointInput } from '../http/endpoint.js';
import { readForm } from '../http/form.js';
import { pipeline } from '../http/pipeline.js';
import { json, NO_STORE } from '../http/responses.js';
import { parseScope } from '../scope.js';
import { findActiveAccessToken, type AccessTokenClaims } from '../tokens/access-token.js';

type BearerErrorCode = 'invalid_request' | 'invalid_token' | 'insufficient_scope';

function bearerError(error: BearerErrorCode, description: string, status: number): OAuthError {
  return new OAuthError(error, description, { status, headers: { 'WWW-Authenticate': bearerChallenge({ realm: 'gatehouse', error, description }) } });
}

/**
 * The bearer token of the request: the `Authorization` header (RFC 6750 §2.1) or, for a
 * form-encoded POST, the `access_token` body parameter (§2.2). Both at once is an error (§2). A
 * request without credentials gets the bare challenge and no error information (§3.1).
 */
async function readBearerToken({ ctx, request }: Pick<EndpointInput, 'ctx' | 'request'>): Promise<Response | { token: string }> {
  const header = request.headers.get('authorization');
  let fromBody: string | undefined;
  if (request.method === 'POST' && (request.headers.get('content-type') ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded')) {
    fromBody = (await readForm(request, { maxBodyBytes: ctx.config.limits.maxBodyBytes })).get('access_token');
  }
  if (header !== null) {
    if (fromBody !== undefined) throw bearerError('invalid_request', 'use one way of sending the access token', 400);
    const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(header);
    if (!match) throw bearerError('invalid_request', 'the Authorization header is not a Bearer token', 400);
    return { token: match[1]! };
  }
  if (fromBody !== undefined) return { token: fromBody };
  return new Response(null, { status: 401, headers: { 'WWW-Authenticate': bearerChallenge({ realm: 'gatehouse' }), ...NO_STORE } });
}

/** A valid, unexpired, unrevoked access token of this server (see `activeAccessToken`: its record, its hash or signature, `iss`, its consent). */
async function checkAccessToken({
  ctx,
  token,
}: {
  ctx: Pick<ServerContext, 'clock' | 'config' | 'keys' | 'secrets' | 'store'>;
  token: string;
}): Promise<{ claims: AccessTokenClaims; namedClaims: string[] }> {
  const active = await findActiveAccessToken(ctx, token);
  if (!active) throw bearerError('invalid_token', 'the access token is invalid, expired or revoked', 401);
  return { claims: active.claims, namedClaims: active.userinfoClaims };
}

/**
 * RFC 9068 §4, OIDC Core §5.3: UserInfo is a resource of the issuer; a token for another API
 * (`aud` without the issuer, e.g. issued with an RFC 8707 `resource`) is not accepted here.
 */
function checkAudience({ ctx, claims }: { ctx: Pick<ServerContext, 'config'>; claims: AccessTokenClaims }): undefined {
  const audience = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!audience.includes(ctx.config.issuer)) throw bearerError('invalid_token', 'the access token is not meant for UserInfo', 401);
}

/** OIDC Core §5.3: UserInfo needs the `openid` scope (403 `insufficient_scope`, RFC 6750 §3.1). */
function checkOpenidScope({ claims }: { claims: AccessTokenClaims }): { scope: string[] } {
  const scope = parseScope(claims.scope);
  if (!scope.includes('openid')) throw bearerError('insufficient_scope', 'the access token lacks the openid scope', 403);
  return { scope };
}

/** The token's user, if they may still sign in. */
async function loadTokenUser({ ctx, claims }: { ctx: Pick<ServerContext, 'store'>; claims: AccessTokenClaims }): Promise<{ user: UserRecord }> {
  const user = await ctx.store.users.get(claims.sub);
  if (!user || user.disabled) throw bearerError('invalid_token', 'the access token is invalid, expired or revoked', 401);
  return { user };
}

/**
 * The user's claims for the token's scopes (OIDC Core §5.4), and those its authorization request
 * asked for by name for UserInfo (§5.5 `claims`, covered by the consent), never cached.
 */
function answerClaims({ user, scope, namedClaims }: { user: UserRecord; scope: string[]; namedClaims: string[] }): Response {
  return json(userClaims(user, scope, namedClaims), 200, NO_STORE);
}

/** UserInfo (OIDC Core §5.3), GET and POST. */
export const userinfoEndpoint = endpoint(
  pipeline<EndpointInput>('userinfo')
    .step(readBearerToken)
    .step(checkAccessToken)
    .step(checkAudience)
    .step(checkOpenidScope)
    .step(loadTokenUser)
    .respond(answerClaims),
);
