import { createHash, timingSafeEqual } from 'node:crypto';
import { OAuthError } from '../../core/errors.js';
import type { ClientRecord } from '../../stores/contract.js';
import type { ServerContext } from '../context.js';
import type { FormParams } from '../http/form.js';
import { resolveAudience } from '../resource-indicators.js';
import { AUTHORIZATION_CODE, codeId, findRedeemedCode, rememberRedeemedCode, type AuthorizationCodeState } from '../tokens/authorization-code.js';
import { revokeFamily } from '../tokens/token-family.js';
import { activeConsentUser, issueUserTokens, mayIssueRefreshToken, refreshTokenKey } from '../tokens/user-tokens.js';
import type { GrantResult, TokenBinding } from './index.js';

/** RFC 7636 §4.1: 43 to 128 unreserved characters. */
const CODE_VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;

/** RFC 7636 §4.6: BASE64URL(SHA256(ASCII(code_verifier))) == code_challenge, compared in constant time. */
function pkceMatches(verifier: string, challenge: string): boolean {
  const computed = Buffer.from(createHash('sha256').update(verifier, 'ascii').digest('base64url'));
  const expected = Buffer.from(challenge);
  return computed.length === expected.length && timingSafeEqual(computed, expected);
}

/**
 * The code's PKCE binding (RFC 7636 §4.6). A code issued with a challenge needs its verifier, also
 * for a client allowed to go without PKCE (RFC 9700 §4.8.2, PKCE downgrade: the challenge was
 * there, so the verifier must be). A code issued without one (OAuth 2.1 §7.5.2) must come without a
 * verifier: OAuth 2.1 §4.1.3, RFC 9700 §4.8.2 ("MUST ensure that if there was no code_challenge in
 * the authorization request, a request to the token endpoint containing a code_verifier is rejected").
 */
function checkCodeVerifier(verifier: string | undefined, challenge: string | undefined): void {
  if (challenge === undefined) {
    if (verifier !== undefined) throw new OAuthError('invalid_grant', 'code_verifier was sent for a code issued without a code_challenge');
    return;
  }
  if (verifier === undefined) throw new OAuthError('invalid_grant', 'code_verifier is required: the code was issued with a code_challenge');
  if (!CODE_VERIFIER.test(verifier) || !pkceMatches(verifier, challenge)) {
    throw new OAuthError('invalid_grant', 'code_verifier does not match the code_challenge (PKCE)');
  }
}

/**
 * The authorization code grant (RFC 6749 §4.1.3, OIDC Core §3.1.3). The code is single-use and
 * bound to the client, the redirect URI and the PKCE challenge. Everything is checked before the
 * code is consumed, so a bad request does not burn it; a second use revokes every token issued
 * from it (its token family) — also after the code itself expired, for as long as those tokens
 * live (RFC 6749 §4.1.2: "SHOULD revoke (when possible) all tokens previously issued based on
 * that authorization code").
 */
export async function authorizationCodeGrant(
  ctx: Pick<ServerContext, 'audit' | 'clock' | 'config' | 'keys' | 'secrets' | 'store'>,
  client: ClientRecord,
  params: FormParams,
  binding: TokenBinding,
): Promise<GrantResult> {
  const code = params.get('code');
  if (code === undefined) throw new OAuthError('invalid_request', 'code is required');
  const verifier = params.get('code_verifier');
  // A client without the OAuth 2.1 §7.5.2 exception never has a code without a challenge.
  if (verifier === undefined && client.allowNonceWithoutPkce !== true) throw new OAuthError('invalid_request', 'code_verifier is required (PKCE)');

  const { store } = ctx;
  const id = codeId(ctx, code);
  const record = await store.artifacts.get<AuthorizationCodeState>(AUTHORIZATION_CODE, id);
  if (!record) {
    const redeemed = await findRedeemedCode(ctx, id);
    if (redeemed) return replayed(ctx, redeemed.familyId, client);
    throw new OAuthError('invalid_grant', 'the authorization code is invalid or expired');
  }
  const state = record.value;
  if (record.consumedAt !== null) return replayed(ctx, record.ownerId!, client);
  if (state.clientId !== client.clientId) throw new OAuthError('invalid_grant', 'the authorization code was issued to another client');
  const redirectUri = params.get('redirect_uri');
  if ((state.redirectUriGiven || redirectUri !== undefined) && redirectUri !== state.redirectUri) {
    throw new OAuthError('invalid_grant', 'redirect_uri does not match the one in the authorization request');
  }
  checkCodeVerifier(verifier, state.codeChallenge);
  // RFC 9449 §10.1: a code bound with dpop_jkt is redeemed only with a proof of that key.
  if (state.dpopJkt !== undefined && binding.jkt !== state.dpopJkt) {
    throw new OAuthError('invalid_grant', 'the authorization code is bound to another DPoP key');
  }
  const audience = await resolveAudience(ctx, client, { requested: params.getAll('resource'), granted: state.resources, scope: state.scope });
  const user = await activeConsentUser(ctx, state.consentId, state.sub, state.familyIssuedAt);

  const familyId = record.ownerId!;
  // Atomic: of concurrent redemptions exactly one gets here; the others are replays.
  if (!(await store.artifacts.consume(AUTHORIZATION_CODE, id, ctx.clock.now()))) {
    return replayed(ctx, familyId, client);
  }
  const withRefresh = mayIssueRefreshToken(client, state.scope);
  // The consumed code expires with its short TTL; the tombstone outlives it as long as the tokens do.
  const { accessTokenTtl, refreshTokenTtl } = ctx.config.tokens;
  const tokensLive = withRefresh ? Math.max(refreshTokenTtl, accessTokenTtl) : accessTokenTtl;
  await rememberRedeemedCode(ctx, id, { familyId, clientId: client.clientId }, tokensLive);
  const { response } = await issueUserTokens(ctx, {
    client,
    user,
    familyId,
    consentId: state.consentId,
    familyIssuedAt: state.familyIssuedAt,
    scope: state.scope,
    audience,
    authentication: { authTime: state.authTime, amr: state.amr, acr: state.acr, sid: state.sid },
    ...(state.nonce !== null ? { nonce: state.nonce } : {}),
    refresh: withRefresh ? { issue: state.scope } : undefined,
    grantedResources: state.resources,
    namedClaims: { idTokenClaims: state.idTokenClaims, userinfoClaims: state.userinfoClaims },
    jkt: binding.jkt,
    refreshJkt: refreshTokenKey(client, binding.jkt),
  });
  return { tokens: response, subject: user.id };
}

async function replayed(ctx: Pick<ServerContext, 'audit' | 'clock' | 'config' | 'store'>, familyId: string, client: ClientRecord): Promise<never> {
  await revokeFamily(ctx, familyId, 'code_replay', client.clientId);
  throw new OAuthError('invalid_grant', 'the authorization code was already used; tokens issued from it are revoked');
}
