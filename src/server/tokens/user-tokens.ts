import { OAuthError } from '../../core/errors.js';
import type { ClientRecord, UserRecord } from '../../stores/contract.js';
import { isConsentActive } from '../consent.js';
import type { ServerContext } from '../context.js';
import type { TokenResponse } from './token-response.js';
import { issueAccessToken } from './access-token.js';
import { issueIdToken } from './id-token.js';
import { issueRefreshToken, type RefreshTokenState } from './refresh-token.js';
import { isFamilyRevoked } from './token-family.js';

export interface UserTokensInput {
  client: ClientRecord;
  user: UserRecord;
  /** The token family the tokens join. */
  familyId: string;
  /** The consent they rest on. */
  consentId: string;
  /**
   * When the family began (the code's `familyIssuedAt`), carried into every token of the family so
   * that the consent's tokens-not-before time ends them all, the ones minted by a refresh racing
   * the revocation included. `undefined` when unknown (counted as 0).
   */
  familyIssuedAt: number | undefined;
  /** Scope of this access token (may be narrower than the family's on refresh). */
  scope: string[];
  audience: string[];
  authentication: { authTime: number; amr: string[]; acr: string; sid: string };
  nonce?: string;
  /**
   * A refresh token to hand out: `issue` a new one with this (unchanging) scope, `reuse` one
   * (grace-window retry), or none.
   */
  refresh: { issue: string[] } | { reuse: string } | undefined;
  /** The resources the grant is for (RFC 8707), kept in a refresh token issued. */
  grantedResources?: readonly string[] | undefined;
  /**
   * The claims the authorization request asked for by name (OIDC Core §5.5 `claims`), covered by
   * the consent: released in the ID token and by UserInfo, kept in a refresh token issued.
   */
  namedClaims?: NamedClaims | undefined;
  /** The DPoP key of the request (RFC 9449 §6.1): the access token is bound to it. */
  jkt?: string | undefined;
  /** The DPoP key a new refresh token is bound to (§5: public clients only). */
  refreshJkt?: string | undefined;
}

/** Claims asked for by name, as codes and refresh tokens keep them (`namedClaimsState`). */
export interface NamedClaims {
  idTokenClaims?: string[] | undefined;
  userinfoClaims?: string[] | undefined;
}

/** The {@link NamedClaims} of a `claims` request, for a code's state: only the members asked for. */
export function namedClaimsState(requested: { idToken: string[]; userinfo: string[] } | undefined): { idTokenClaims?: string[]; userinfoClaims?: string[] } {
  return {
    ...(requested && requested.idToken.length > 0 ? { idTokenClaims: requested.idToken } : {}),
    ...(requested && requested.userinfo.length > 0 ? { userinfoClaims: requested.userinfo } : {}),
  };
}

/**
 * Issues the access token, and the ID token (when `openid` is in scope) and refresh token, of a
 * token family. If the family was revoked meanwhile (a concurrent replay or reuse), what was just
 * stored is deleted at once: no token outlives its family. The winning request still gets its
 * response, so a race always ends the same way — exactly one success, and the family revoked.
 */
export async function issueUserTokens(
  ctx: Pick<ServerContext, 'clock' | 'config' | 'keys' | 'secrets' | 'store'>,
  input: UserTokensInput,
): Promise<{ response: TokenResponse; refreshToken?: string }> {
  const { client, user, familyId, consentId, familyIssuedAt, scope, authentication } = input;
  const access = await issueAccessToken(ctx, {
    subject: user.id,
    clientId: client.clientId,
    scope,
    audience: input.audience,
    familyId,
    consentId,
    familyIssuedAt,
    userinfoClaims: input.namedClaims?.userinfoClaims,
    jkt: input.jkt,
  });
  let refreshToken: string | undefined;
  if (input.refresh && 'issue' in input.refresh) {
    const state: RefreshTokenState = {
      clientId: client.clientId,
      sub: user.id,
      scope: input.refresh.issue,
      consentId,
      ...(input.grantedResources && input.grantedResources.length > 0 ? { resources: [...input.grantedResources] } : {}),
      ...authentication,
      ...(familyIssuedAt !== undefined ? { familyIssuedAt } : {}),
      ...namedClaimsState({ idToken: input.namedClaims?.idTokenClaims ?? [], userinfo: input.namedClaims?.userinfoClaims ?? [] }),
      ...(input.refreshJkt !== undefined ? { jkt: input.refreshJkt } : {}),
    };
    refreshToken = await issueRefreshToken(ctx, familyId, state);
  } else if (input.refresh) {
    refreshToken = input.refresh.reuse;
  }
  const idToken = scope.includes('openid')
    ? await issueIdToken(ctx, {
        client,
        user,
        scope,
        authTime: authentication.authTime,
        amr: authentication.amr,
        acr: authentication.acr,
        sid: authentication.sid,
        namedClaims: input.namedClaims?.idTokenClaims ?? [],
        ...(input.nonce !== undefined ? { nonce: input.nonce } : {}),
        accessToken: access.token,
      })
    : undefined;

  if (await isFamilyRevoked(ctx, familyId)) await ctx.store.artifacts.deleteByOwner(familyId);
  return {
    refreshToken,
    response: {
      access_token: access.token,
      token_type: access.tokenType,
      expires_in: access.expiresIn,
      scope: scope.join(' '),
      ...(refreshToken !== undefined ? { refresh_token: refreshToken } : {}),
      ...(idToken !== undefined ? { id_token: idToken } : {}),
    },
  };
}

/**
 * The user of a consent, if the consent still stands for the token family that began at
 * `familyIssuedAt` and the user may still sign in.
 */
export async function activeConsentUser(
  ctx: Pick<ServerContext, 'store'>,
  consentId: string,
  sub: string,
  familyIssuedAt: number | undefined,
): Promise<UserRecord> {
  if (!(await isConsentActive(ctx, consentId, familyIssuedAt))) throw new OAuthError('invalid_grant', 'this authorization was revoked');
  const user = await ctx.store.users.get(sub);
  if (!user || user.disabled) throw new OAuthError('invalid_grant', 'the user can no longer sign in');
  return user;
}

/**
 * The key a new refresh token is bound to (RFC 9449 §5): a public client's is bound to the key of
 * the proof it presented (or stays bound to the one it was); a confidential client's is not, since
 * it authenticates at each refresh, while each new access token binds to the proof of that request.
 */
export function refreshTokenKey(client: ClientRecord, requestJkt: string | undefined, boundJkt?: string): string | undefined {
  if (client.tokenEndpointAuthMethod !== 'none') return undefined;
  return boundJkt ?? requestJkt;
}

/** Whether the grant may get a refresh token: the client is registered for the refresh_token grant and `offline_access` was granted, or the request is plain OAuth (no `openid`). */
export function mayIssueRefreshToken(client: ClientRecord, scope: readonly string[]): boolean {
  if (!client.grantTypes.includes('refresh_token')) return false;
  return scope.includes('offline_access') || !scope.includes('openid');
}
