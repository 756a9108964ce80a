import * as oauth from 'oauth4webapi';
import { randomToken } from '../core/encoding.js';
import type { ClientContext } from './context.js';
import { checkTokenBinding, createSessionKey, retryOnNonce } from './dpop.js';
import { OAuthProviderError, OAuthValidationError, translateError } from './errors.js';
import { profileFromClaims, type Profile } from './profile.js';
import type { ClientSession } from './sessions/session.js';
import { tokenSetFrom, type TokenSet } from './token-set.js';
import { clearTransactionCookie, readTransaction, safeReturnTo, transactionCookie, type Transaction } from './transaction.js';

export interface AuthorizationUrlOptions {
  /** Scopes for this sign-in. Default: the client's. */
  scopes?: string[];
  prompt?: string;
  loginHint?: string;
  /** A path on this site to return to after sign-in. */
  returnTo?: string;
  /** Extra authorization request parameters. */
  params?: Record<string, string>;
}

/**
 * Step one: where to send the browser. Creates PKCE (S256), `state` and (for OpenID providers)
 * `nonce`, and keeps them in a short-lived encrypted cookie to send along with the redirect.
 */
export async function createAuthorizationUrl(ctx: ClientContext, options: AuthorizationUrlOptions = {}): Promise<{ url: URL; setCookie: string }> {
  const as = await ctx.server();
  if (!as.authorization_endpoint) throw new OAuthValidationError('invalid_response', 'the provider has no authorization endpoint');
  const codeVerifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const nonce = ctx.preset.openid ? oauth.generateRandomNonce() : undefined;
  const url = new URL(as.authorization_endpoint);
  const params: Record<string, string> = {
    ...ctx.preset.authorizationParams,
    ...options.params,
    client_id: ctx.options.clientId,
    redirect_uri: ctx.options.redirectUri,
    response_type: 'code',
    scope: (options.scopes ?? ctx.scopes).join(' '),
    state,
    code_challenge: await oauth.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    ...(nonce ? { nonce } : {}),
    ...(options.prompt ? { prompt: options.prompt } : {}),
    ...(options.loginHint ? { login_hint: options.loginHint } : {}),
  };
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  const setCookie = transactionCookie(ctx, { state, nonce, codeVerifier, returnTo: safeReturnTo(options.returnTo), createdAt: ctx.now() });
  return { url, setCookie };
}

/** The outcome of a successful callback. */
export interface SignInResult {
  session: ClientSession;
  profile: Profile;
  tokens: TokenSet;
  /** Validated ID-token claims (OpenID providers). */
  idTokenClaims: Record<string, unknown> | undefined;
  /** Where to send the user now: the `returnTo` given at sign-in, if it was a local path. */
  returnTo: string | undefined;
}

/**
 * Step two: the callback. Checks `state` against the cookie, `iss` (RFC 9207, mix-up defence),
 * exchanges the code with the PKCE verifier, validates the ID token (signature, `iss`, `aud`,
 * `exp`, `nonce`, `azp`), and builds the profile. Accepts GET (query) and POST (form_post).
 * @throws {OAuthProviderError} the provider sent an OAuth error.
 * @throws {OAuthValidationError} a response failed validation.
 */
export async function completeSignIn(ctx: ClientContext, request: Request): Promise<{ result: SignInResult; clearTransaction: string }> {
  const params = request.method === 'POST' ? new URLSearchParams(await request.text()) : new URL(request.url).searchParams;
  let transaction: Transaction;
  let clear: string;
  try {
    ({ transaction, clear } = readTransaction(ctx, request, params.get('state') ?? undefined));
  } catch (error) {
    throw withCookies(error, clearTransactionCookie(ctx, params.get('state') ?? undefined));
  }
  const as = await ctx.server();
  // RFC 9449 §2: a key pair of the session's own, made now, so the code is exchanged for tokens
  // bound to it; it lives and ends with the session.
  const dpop = ctx.dpop ? await createSessionKey(ctx.client, ctx.dpop.alg, ctx.dpop.keepsObjects) : undefined;
  const tokenRequestOptions = dpop ? { ...ctx.tokenRequestOptions, DPoP: dpop.handle } : ctx.tokenRequestOptions;
  let response: oauth.TokenEndpointResponse;
  let bound = false;
  try {
    const validated = oauth.validateAuthResponse(as, ctx.client, params, transaction.state);
    let tokenResponse!: Response;
    response = await retryOnNonce(dpop?.handle, async () => {
      tokenResponse = await oauth.authorizationCodeGrantRequest(
        as,
        ctx.client,
        ctx.clientAuth,
        validated,
        ctx.options.redirectUri,
        transaction.codeVerifier,
        tokenRequestOptions,
      );
      return oauth.processAuthorizationCodeResponse(as, ctx.client, tokenResponse, {
        expectedNonce: transaction.nonce ?? oauth.expectNoNonce,
        requireIdToken: ctx.preset.openid,
      });
    });
    if (ctx.dpop) bound = checkTokenBinding(ctx.dpop.required, response.token_type);
    // oauth4webapi checks the ID token's claims, not its signature: OIDC Core §3.1.3.7 lets a
    // client rely on TLS instead, but a custom fetch or plain http would then trust anyone.
    if (response.id_token) await oauth.validateApplicationLevelSignature(as, tokenResponse, ctx.signatureOptions);
  } catch (error) {
    // The attempt is over whatever went wrong: its sign-in cookie goes with the error.
    throw withCookies(await translateError(error, { issuer: as.issuer }), [clear]);
  }
  const now = ctx.now();
  const tokens = tokenSetFrom(response, now);
  const idTokenClaims = oauth.getValidatedIdTokenClaims(response) as Record<string, unknown> | undefined;
  if (idTokenClaims && ctx.preset.checkClaims) {
    try {
      ctx.preset.checkClaims(idTokenClaims);
    } catch (error) {
      throw withCookies(error, [clear]);
    }
  }
  const dpopHandle = bound ? dpop!.handle : undefined;
  const profile = await buildProfile(ctx, as, tokens, idTokenClaims, dpopHandle);
  const session: ClientSession = {
    id: randomToken(32),
    provider: ctx.preset.id,
    issuer: as.issuer,
    boundTo: ctx.binding,
    profile,
    tokens,
    sid: typeof idTokenClaims?.sid === 'string' ? idTokenClaims.sid : undefined,
    createdAt: now,
    expiresAt: now + ctx.sessionTtl * 1000,
    ...(bound ? { dpop: dpop!.key } : {}),
  };
  if (bound) ctx.dpopHandles.remember(session.id, dpop!.key, dpop!.handle);
  return { result: { session, profile, tokens, idTokenClaims, returnTo: transaction.returnTo }, clearTransaction: clear };
}

/**
 * Claims from the provider's UserInfo endpoint, with a DPoP proof (and `Authorization: DPoP`) when
 * the token is bound, retried once on `use_dpop_nonce` (RFC 9449 §9).
 */
export async function requestUserInfo(
  ctx: ClientContext,
  as: oauth.AuthorizationServer,
  accessToken: string,
  expectedSubject: string | typeof oauth.skipSubjectCheck,
  dpop: oauth.DPoPHandle | undefined,
): Promise<Record<string, unknown>> {
  const options = dpop ? { ...ctx.requestOptions, DPoP: dpop } : ctx.requestOptions;
  try {
    return await retryOnNonce(dpop, async () => {
      const response = await oauth.userInfoRequest(as, ctx.client, accessToken, options);
      return oauth.processUserInfoResponse(as, ctx.client, expectedSubject, response);
    });
  } catch (error) {
    throw await translateError(error);
  }
}

function withCookies(error: unknown, cookies: string[]): unknown {
  if (error instanceof OAuthProviderError || error instanceof OAuthValidationError) error.setCookies.push(...cookies);
  return error;
}

async function buildProfile(
  ctx: ClientContext,
  as: oauth.AuthorizationServer,
  tokens: TokenSet,
  idTokenClaims: Record<string, unknown> | undefined,
  dpop: oauth.DPoPHandle | undefined,
): Promise<Profile> {
  const expected = typeof idTokenClaims?.sub === 'string' ? idTokenClaims.sub : oauth.skipSubjectCheck;
  const userinfo = () => requestUserInfo(ctx, as, tokens.accessToken, expected, dpop);
  if (ctx.preset.profile) return ctx.preset.profile({ tokens, idTokenClaims, userinfo, fetch: ctx.fetch });
  const claims = idTokenClaims ?? {};
  // ID tokens often leave out profile claims (OIDC Core §5.4): complete them from UserInfo.
  const incomplete = claims.email === undefined || claims.name === undefined;
  const merged = incomplete && as.userinfo_endpoint ? { ...claims, ...(await userinfo()) } : claims;
  return profileFromClaims(ctx.preset.id, merged);
}
