/**
 * The named checks of an authorization request (RFC 6749 §4.1.1, RFC 7636 §4.3, OIDC Core
 * §3.1.2.1), in the order the authorize endpoint runs them. The first two decide where errors go:
 * until the client and its redirect URI are known good, errors are shown on a page (no open
 * redirect, RFC 6749 §4.1.2.1); after them, every refusal is redirected to the client with
 * `state` and `iss`. Each check reads `params` and adds what it validated.
 */
import { OAuthError } from '../../core/errors.js';
import type { ClientRecord } from '../../stores/contract.js';
import type { ServerContext } from '../context.js';
import type { FormParams } from '../http/form.js';
import { ClientDocumentError } from '../clients/client-documents.js';
import { findClient, type ClientLookupContext } from '../clients/find-client.js';
import { isFapi2 } from '../clients/profiles.js';
import { canMeetAcr } from '../mfa/policy.js';
import { checkResources } from '../resource-indicators.js';
import { parseScope } from '../scope.js';
import { verifyIdTokenHint } from '../tokens/id-token.js';
import { ClaimsParameterError, parseClaimsParameter, type ClaimsRequest } from './claims-parameter.js';
import { matchRedirectUri } from './redirect-uri-match.js';
import { AuthorizationError, refuse, type AuthorizationTarget, type Prompt, type RequestedClaims, type ResponseMode } from './request.js';

interface Params {
  params: FormParams;
}
interface Targeted extends Params {
  target: AuthorizationTarget;
}

const PROMPTS: readonly Prompt[] = ['none', 'login', 'consent', 'select_account'];

/** The `prompt` values accepted, as discovery lists them: `create` while sign-up is open. */
export function supportedPrompts(ctx: Pick<ServerContext, 'config'>): Prompt[] {
  return ctx.config.accounts.signUp === 'open' ? [...PROMPTS, 'create'] : [...PROMPTS];
}
/** RFC 7636 §4.2: the S256 challenge is the base64url SHA-256 of the verifier: 43 characters. */
const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;
const MAX_PARAM_LENGTH = 2048;
/** Longest accepted `claims` parameter (a JSON object, OIDC Core §5.5). */
const MAX_CLAIMS_LENGTH = 8192;

/**
 * `client_id` names a registered client, or the metadata document of one (errors on a page:
 * nothing is trusted yet; a document that cannot be used leaves no redirect URI to trust either,
 * CIMD §5.1: the request is aborted). The reason is logged, never shown.
 */
export async function checkClient({ ctx, params }: Params & { ctx: ClientLookupContext }): Promise<{ client: ClientRecord }> {
  const clientId = params.get('client_id');
  if (clientId === undefined) throw new AuthorizationError('invalid_request', 'client_id is required');
  let client: ClientRecord | undefined;
  try {
    client = await findClient(ctx, clientId);
  } catch (error) {
    if (error instanceof ClientDocumentError) throw new AuthorizationError('invalid_client', 'the client metadata document could not be used');
    throw error;
  }
  if (!client) throw new AuthorizationError('invalid_client', 'the client is not registered');
  return { client };
}

/**
 * `redirect_uri` is registered for the client, compared exactly (RFC 9700 §4.1.3; loopback ports
 * for native apps, RFC 8252 §7.3); optional when exactly one is registered and the request is not
 * OpenID (OAuth 2.1 §4.1.1). From here on errors are redirected: the target is known good.
 */
export function checkRedirectUri({ params, client }: Params & { client: ClientRecord }): {
  redirectUri: string;
  redirectUriGiven: boolean;
  target: AuthorizationTarget;
} {
  const given = params.get('redirect_uri');
  let redirectUri: string;
  if (given !== undefined) {
    if (!matchRedirectUri(client, given)) throw new AuthorizationError('invalid_request', 'redirect_uri is not registered for this client');
    redirectUri = given;
  } else if (client.redirectUris.length === 1 && !(params.get('scope') ?? '').split(' ').includes('openid')) {
    redirectUri = client.redirectUris[0]!;
  } else {
    throw new AuthorizationError('invalid_request', 'redirect_uri is required');
  }
  // An unknown response_mode is refused next, but its error still needs a mode: the default.
  const responseMode: ResponseMode = params.get('response_mode') === 'form_post' ? 'form_post' : 'query';
  return { redirectUri, redirectUriGiven: given !== undefined, target: { redirectUri, responseMode, state: params.get('state') } };
}

/** `response_mode` is `query` (the default for `code`) or `form_post` (OAuth 2.0 Form Post Response Mode). */
export function checkResponseMode({ params, target }: Targeted): { responseMode: ResponseMode } {
  const mode = params.get('response_mode');
  if (mode !== undefined && mode !== 'query' && mode !== 'form_post')
    refuse(target, 'invalid_request', 'response_mode is not supported (use query or form_post)');
  return { responseMode: target.responseMode };
}

/** Free-text parameters are bounded, so a request cannot grow the stored interaction without end. */
export function checkParameterLengths({ params, target }: Targeted): undefined {
  for (const name of ['state', 'nonce', 'login_hint', 'acr_values', 'ui_locales']) {
    if ((params.get(name)?.length ?? 0) > MAX_PARAM_LENGTH) refuse(target, 'invalid_request', `${name} is too long`);
  }
}

/** `response_type=code` only (OAuth 2.1: no implicit flow), and the client may use it. */
export function checkResponseType({ params, target, client }: Targeted & { client: ClientRecord }): undefined {
  const responseType = params.get('response_type');
  if (responseType === undefined) refuse(target, 'invalid_request', 'response_type is required');
  if (responseType !== 'code') refuse(target, 'unsupported_response_type', 'only response_type=code is supported');
  if (!client.grantTypes.includes('authorization_code')) refuse(target, 'unauthorized_client', 'this client is not allowed to use the authorization code flow');
}

/**
 * PKCE with S256 for every client (OAuth 2.1 §4.1.1, RFC 9700 §2.1.1, RFC 7636 §4.2), with the one
 * exception OAuth 2.1 §7.5.2 allows (`mayOmitPkce`): a request of a client an operator registered
 * with `allowNonceWithoutPkce` may come without a challenge (then `codeChallenge` is absent, and the
 * token request must not send a verifier).
 */
export function checkPkce({ params, target, client }: Targeted & { client: ClientRecord }): { codeChallenge: string | undefined } {
  const codeChallenge = params.get('code_challenge');
  if (codeChallenge === undefined && params.get('code_challenge_method') === undefined && mayOmitPkce(client, params)) return { codeChallenge: undefined };
  if (codeChallenge === undefined) refuse(target, 'invalid_request', 'code_challenge is required (PKCE with S256)');
  if (params.get('code_challenge_method') !== 'S256') refuse(target, 'invalid_request', 'code_challenge_method must be S256');
  if (!S256_CHALLENGE.test(codeChallenge)) refuse(target, 'invalid_request', 'code_challenge is not a valid S256 challenge');
  return { codeChallenge };
}

/**
 * OAuth 2.1 §7.5.2: a client may go without PKCE only when it is confidential, uses OpenID Connect
 * and sends a `nonce` (which then binds the code to its session, OIDC Core §15.5.2), and the
 * operator allowed it for this client (`allowNonceWithoutPkce`; by default every client needs PKCE).
 */
function mayOmitPkce(client: ClientRecord, params: FormParams): boolean {
  return (
    client.allowNonceWithoutPkce === true &&
    client.tokenEndpointAuthMethod !== 'none' &&
    !isFapi2(client) &&
    // Split only: a malformed scope is refused by checkScope next, the verdict then moot.
    (params.get('scope') ?? '').split(' ').includes('openid') &&
    (params.get('nonce') ?? '') !== ''
  );
}

/** `scope` is well formed (RFC 6749 §3.3), allowed for the client, and not empty. */
export function checkScope({ params, target, client }: Targeted & { client: ClientRecord }): { scope: string[] } {
  try {
    return { scope: requestedScope(params.get('scope'), client) };
  } catch (error) {
    return refuse(target, 'invalid_scope', (error as Error).message);
  }
}

/**
 * The rule of {@link checkScope}, for every request that asks a user for scopes (the device
 * authorization request too): well-formed, registered for the client, not empty. Throws
 * `invalid_scope` (an `OAuthError`, fixed text) otherwise.
 */
export function requestedScope(raw: string | undefined, client: ClientRecord): string[] {
  const scope = parseScope(raw);
  const allowed = parseScope(client.scope);
  if (scope.some((token) => !allowed.includes(token))) throw new OAuthError('invalid_scope', 'a requested scope is not allowed for this client');
  if (scope.length === 0) throw new OAuthError('invalid_scope', 'scope is required');
  return scope;
}

/**
 * The RFC 8707 `resource` values (§2.1): each one the server knows and the client may have tokens
 * for (`checkResources`), else `invalid_target`, redirected. The grant is then for these.
 */
export async function checkResourceIndicators({
  ctx,
  params,
  target,
  client,
}: Targeted & { ctx: Pick<ServerContext, 'config' | 'store'>; client: ClientRecord }): Promise<{ resources: string[] }> {
  try {
    return { resources: await checkResources(ctx, params.getAll('resource'), client) };
  } catch (error) {
    if (error instanceof OAuthError) refuse(target, error.error, error.message);
    throw error;
  }
}

/**
 * `prompt` values are known, and `none` stands alone (OIDC Core §3.1.2.1). `create` (OpenID Connect
 * Prompt Create 1.0 §4.1) is supported only while sign-up is open; otherwise it is refused as any
 * value outside `prompt_values_supported` is (`invalid_request`).
 */
export function checkPrompt({ ctx, params, target }: Targeted & { ctx: Pick<ServerContext, 'config'> }): { prompt: Prompt[] } {
  const prompt = (params.get('prompt') ?? '').split(' ').filter(Boolean) as Prompt[];
  const supported = supportedPrompts(ctx);
  if (prompt.some((value) => !supported.includes(value))) refuse(target, 'invalid_request', 'prompt holds a value that is not supported');
  if (prompt.includes('none') && prompt.length > 1) refuse(target, 'invalid_request', 'prompt=none cannot be combined with other values');
  return { prompt };
}

/** `max_age` is a non-negative number of seconds (OIDC Core §3.1.2.1). */
export function checkMaxAge({ params, target }: Targeted): { maxAge: number | undefined } {
  const value = params.get('max_age');
  if (value === undefined) return { maxAge: undefined };
  if (!/^\d{1,10}$/.test(value)) refuse(target, 'invalid_request', 'max_age must be a non-negative integer');
  return { maxAge: Number(value) };
}

/** `id_token_hint` is an ID token this server issued to this client (any expiry: it identifies, it does not authenticate). */
export async function checkIdTokenHint({
  ctx,
  params,
  target,
  client,
}: Targeted & { ctx: Pick<ServerContext, 'keys' | 'config'>; client: ClientRecord }): Promise<{ hintedSub: string | undefined }> {
  const token = params.get('id_token_hint');
  if (token === undefined) return { hintedSub: undefined };
  const hint = await verifyIdTokenHint(ctx, token);
  if (!hint?.audience.includes(client.clientId)) refuse(target, 'invalid_request', 'id_token_hint is not a valid ID token of this server for this client');
  return { hintedSub: hint.sub };
}

/**
 * The `claims` parameter (OIDC Core §5.5), parsed and validated (`parseClaimsParameter`: how each
 * part is acted on); malformed: `invalid_request`. Individual claims count only in an OpenID
 * request (without `openid` there is no ID token, and UserInfo refuses the token). An essential
 * `acr` none of whose values this server can meet (`canMeetAcr`: not `2` while `mfa.policy` is
 * `off`) is a failed authentication before it starts
 * (§5.5.1.1: "MUST treat that outcome as a failed authentication attempt"): `access_denied`.
 * `id_token.sub.value` names the user as `id_token_hint` does (§5.5.1: a positive answer only for
 * that user); naming another user than the hint can never succeed: `login_required`.
 */
export function checkClaims({
  ctx,
  params,
  target,
  scope,
  hintedSub,
}: Targeted & { ctx: Pick<ServerContext, 'config'>; scope: readonly string[]; hintedSub?: string | undefined }): {
  essentialAcr: string[] | undefined;
  requestedClaims: RequestedClaims | undefined;
  claimedSub: string | undefined;
} {
  const none = { essentialAcr: undefined, requestedClaims: undefined, claimedSub: undefined };
  const param = params.get('claims');
  if (param === undefined) return none;
  if (param.length > MAX_CLAIMS_LENGTH) refuse(target, 'invalid_request', 'claims is too long');
  let claims: ClaimsRequest;
  try {
    claims = parseClaimsParameter(param);
  } catch (error) {
    if (error instanceof ClaimsParameterError) refuse(target, 'invalid_request', 'claims must be a JSON object (OIDC Core section 5.5)');
    throw error;
  }
  const strings = claims.essentialAcr;
  if (strings && strings.length > 0 && !strings.some((acr) => canMeetAcr(acr, ctx.config.mfa.policy)))
    refuse(target, 'access_denied', 'the essential acr requested cannot be met by this server');
  if (claims.sub !== undefined && hintedSub !== undefined && claims.sub !== hintedSub)
    refuse(target, 'login_required', 'the claims sub value and id_token_hint name different users');
  const openid = scope.includes('openid');
  const named = openid && (claims.idToken.length > 0 || claims.userinfo.length > 0);
  return {
    essentialAcr: strings,
    requestedClaims: named ? { idToken: claims.idToken, userinfo: claims.userinfo } : undefined,
    claimedSub: claims.sub,
  };
}

/** RFC 7638 SHA-256 thumbprint: 32 bytes, base64url without padding. */
const JWK_THUMBPRINT = /^[A-Za-z0-9_-]{43}$/;

/**
 * `dpop_jkt` (RFC 9449 §10): the thumbprint of the DPoP key the code is bound to; the token request
 * must then prove possession of that key. Absent: the code is not bound.
 */
export function checkDpopJkt({ params, target }: Targeted): { dpopJkt: string | undefined } {
  const dpopJkt = params.get('dpop_jkt');
  if (dpopJkt !== undefined && !JWK_THUMBPRINT.test(dpopJkt)) refuse(target, 'invalid_request', 'dpop_jkt is not a JWK SHA-256 thumbprint');
  return { dpopJkt };
}
