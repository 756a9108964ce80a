import { bearerChallenge } from '../../core/bearer-challenge.js';
import { DPOP_AUTHORIZATION, dpopChallenge, DpopProofError } from '../../core/dpop.js';
import { OAuthError } from '../../core/errors.js';
import type { UserRecord } from '../../stores/contract.js';
import { userClaims } from '../claims.js';
import type { ServerContext } from '../context.js';
import { endpoint, type EndpointInput } from '../http/endpoint.js';
import { readForm } from '../http/form.js';
import { pipeline } from '../http/pipeline.js';
import { json, NO_STORE } from '../http/responses.js';
import { urlTo } from '../routes.js';
import { parseScope } from '../scope.js';
import { findActiveAccessToken, type AccessTokenClaims } from '../tokens/access-token.js';
import { dpopNonceHeader, verifyRequestProof } from '../tokens/dpop.js';

type BearerErrorCode = 'invalid_request' | 'invalid_token' | 'insufficient_scope';

/**
 * Both schemes are offered in every challenge (RFC 9449 §7.1): the error in the scheme the request
 * used, the other bare.
 */
function bearerError(error: BearerErrorCode, description: string, status: number, scheme: Scheme = 'Bearer'): OAuthError {
  const challenge =
    scheme === 'DPoP'
      ? `${bearerChallenge({ realm: 'gatehouse' })}, ${dpopChallenge({ realm: 'gatehouse', error, description })}`
      : `${bearerChallenge({ realm: 'gatehouse', error, description })}, ${dpopChallenge({ realm: 'gatehouse' })}`;
  return new OAuthError(error, description, { status, headers: { 'WWW-Authenticate': challenge } });
}

type Scheme = 'Bearer' | 'DPoP';

/**
 * The bearer token of the request: the `Authorization` header (RFC 6750 §2.1) or, for a
 * form-encoded POST, the `access_token` body parameter (§2.2). Both at once is an error (§2). A
 * request without credentials gets the bare challenge and no error information (§3.1).
 */
async function readBearerToken({ ctx, request }: Pick<EndpointInput, 'ctx' | 'request'>): Promise<Response | { token: string; scheme: Scheme }> {
  const header = request.headers.get('authorization');
  let fromBody: string | undefined;
  if (request.method === 'POST' && (request.headers.get('content-type') ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded')) {
    fromBody = (await readForm(request, { maxBodyBytes: ctx.config.limits.maxBodyBytes })).get('access_token');
  }
  if (header !== null) {
    if (fromBody !== undefined) throw bearerError('invalid_request', 'use one way of sending the access token', 400);
    const dpop = DPOP_AUTHORIZATION.exec(header);
    if (dpop) return { token: dpop[1]!, scheme: 'DPoP' };
    const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(header);
    if (!match) throw bearerError('invalid_request', 'the Authorization header is not a Bearer or DPoP token', 400);
    return { token: match[1]!, scheme: 'Bearer' };
  }
  if (fromBody !== undefined) return { token: fromBody, scheme: 'Bearer' };
  const challenge = `${bearerChallenge({ realm: 'gatehouse' })}, ${dpopChallenge({ realm: 'gatehouse' })}`;
  return new Response(null, { status: 401, headers: { 'WWW-Authenticate': challenge, ...NO_STORE } });
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
 * RFC 9449 §7: a token presented under the DPoP scheme comes with a proof for this request, its
 * `ath` the token's hash, and a bound token's key must be the proof's; a bound token presented as
 * a Bearer token is refused (§7.2: else DPoP would protect nothing). An unbound token under the
 * DPoP scheme is accepted with a valid proof.
 */
async function checkDpopBinding({
  ctx,
  request,
  token,
  scheme,
  claims,
}: {
  ctx: Parameters<typeof verifyRequestProof>[0];
  request: Request;
  token: string;
  scheme: Scheme;
  claims: AccessTokenClaims;
}): Promise<undefined> {
  const jkt = claims.cnf?.jkt;
  if (scheme === 'Bearer') {
    if (jkt !== undefined) throw bearerError('invalid_token', 'a DPoP-bound access token must be sent with the DPoP scheme and a proof', 401);
    return undefined;
  }
  let proof;
  try {
    proof = await verifyRequestProof(ctx, request, { url: urlTo(ctx, 'userinfo'), accessToken: token, clientId: claims.client_id });
  } catch (error) {
    if (!(error instanceof DpopProofError)) throw error;
    // §9: 401 with the challenge, and a fresh nonce when one is what was missing.
    const challenge = `${dpopChallenge({ realm: 'gatehouse', error: error.error, description: error.message })}, ${bearerChallenge({ realm: 'gatehouse' })}`;
    throw new OAuthError(error.error, error.message, { status: 401, headers: { 'WWW-Authenticate': challenge, ...dpopNonceHeader(ctx) } });
  }
  if (proof === undefined) throw bearerError('invalid_token', 'a DPoP token needs a DPoP proof', 401, 'DPoP');
  if (jkt !== undefined && proof.jkt !== jkt) throw bearerError('invalid_token', 'the DPoP proof key is not the one the token is bound to', 401, 'DPoP');
  return undefined;
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
    .step(checkDpopBinding)
    .step(checkAudience)
    .step(checkOpenidScope)
    .step(loadTokenUser)
    .respond(answerClaims),
);
