import { OAuthError } from '../../core/errors.js';
import type { ArtifactRecord, ClientRecord } from '../../stores/contract.js';
import type { ServerContext } from '../context.js';
import { isFapi2 } from '../clients/profiles.js';
import type { FormParams } from '../http/form.js';
import { resolveAudience } from '../resource-indicators.js';
import { parseScope } from '../scope.js';
import { findSuccessor, REFRESH_TOKEN, refreshTokenId, rememberSuccessor, type RefreshTokenState } from '../tokens/refresh-token.js';
import { revokeFamily } from '../tokens/token-family.js';
import { activeConsentUser, issueUserTokens, refreshTokenKey, type UserTokensInput } from '../tokens/user-tokens.js';
import type { GrantResult, TokenBinding } from './index.js';

/** How long a losing concurrent request waits for the winner's successor inside the grace window. */
const SUCCESSOR_WAIT_MS = 2000;
const SUCCESSOR_POLL_MS = 25;

/**
 * The refresh token grant (RFC 6749 §6) with rotation on every use (but for fapi2 clients). A rotated token presented
 * again is reuse (RFC 9700 §4.14.2): its whole token family is revoked — unless the same
 * confidential client retries within the configured grace window, which returns the same
 * successor (a benign network retry). Public clients get no grace window (see
 * {@link graceApplies}). The scope may be narrowed for the new access token; the refresh token
 * keeps its original scope.
 */
export async function refreshTokenGrant(
  ctx: Pick<ServerContext, 'audit' | 'clock' | 'config' | 'keys' | 'metrics' | 'secrets' | 'store'>,
  client: ClientRecord,
  params: FormParams,
  binding: TokenBinding,
): Promise<GrantResult> {
  const token = params.get('refresh_token');
  if (token === undefined) throw new OAuthError('invalid_request', 'refresh_token is required');
  const { store } = ctx;
  const id = refreshTokenId(ctx, token);
  const record = await store.artifacts.get<RefreshTokenState>(REFRESH_TOKEN, id);
  if (!record) throw new OAuthError('invalid_grant', 'the refresh token is invalid, expired or revoked');
  const state = record.value;
  if (state.clientId !== client.clientId) throw new OAuthError('invalid_grant', 'the refresh token was issued to another client');
  // RFC 9449 §5: a bound refresh token is redeemed only with a proof of its key (checked before it is spent).
  if (state.jkt !== undefined && binding.jkt !== state.jkt) throw new OAuthError('invalid_grant', 'the refresh token is bound to another DPoP key');

  const requested = parseScope(params.get('scope'));
  const beyond = requested.filter((scope) => !state.scope.includes(scope));
  if (beyond.length > 0) throw new OAuthError('invalid_scope', 'the requested scope exceeds what was granted');
  const scope = requested.length > 0 ? requested : state.scope;
  const audience = await resolveAudience(ctx, client, { requested: params.getAll('resource'), granted: state.resources, scope });
  const familyId = record.ownerId!;
  const user = await activeConsentUser(ctx, state.consentId, state.sub, state.familyIssuedAt);
  const base: Omit<UserTokensInput, 'refresh'> = {
    client,
    user,
    familyId,
    consentId: state.consentId,
    // Kept across rotations: a family that began before the user's access was revoked stays dead.
    familyIssuedAt: state.familyIssuedAt,
    scope,
    audience,
    authentication: { authTime: state.authTime, amr: state.amr, acr: state.acr, sid: state.sid },
    grantedResources: state.resources,
    namedClaims: { idTokenClaims: state.idTokenClaims, userinfoClaims: state.userinfoClaims },
    jkt: binding.jkt,
    refreshJkt: refreshTokenKey(client, binding.jkt, state.jkt),
  };

  // FAPI 2.0 §5.3.2.1: no rotation for a fapi2 client (a confidential client, its refresh
  // token usable by it alone): it keeps the token it has, and no new one is issued. A token rotated
  // before the client came under the profile stays spent.
  if (isFapi2(client) && record.consumedAt === null) {
    return { tokens: (await issueUserTokens(ctx, { ...base, refresh: undefined })).response, subject: user.id };
  }
  const consumed = record.consumedAt === null ? await store.artifacts.consume(REFRESH_TOKEN, id, ctx.clock.now()) : undefined;
  if (!consumed) {
    const successor = graceApplies(ctx, client) ? await successorWithinGrace(ctx, record, id) : undefined;
    if (successor === undefined) {
      ctx.metrics.refreshReuse.inc();
      await revokeFamily(ctx, familyId, 'refresh_reuse', client.clientId);
      throw new OAuthError('invalid_grant', 'the refresh token was already used; its token family is revoked');
    }
    return { tokens: (await issueUserTokens(ctx, { ...base, refresh: { reuse: successor } })).response, subject: user.id };
  }
  const { response, refreshToken } = await issueUserTokens(ctx, { ...base, refresh: { issue: state.scope } });
  if (graceApplies(ctx, client)) await rememberSuccessor(ctx, familyId, id, refreshToken!);
  return { tokens: response, subject: user.id };
}

/**
 * Whether the reuse grace window applies to the client: configured, and the client is
 * confidential. A public client (`token_endpoint_auth_method: none`) cannot authenticate, so
 * within the window anyone holding a stolen old refresh token would be handed the live successor.
 * For public clients RFC 9700 §4.14.2 relies on rotation with reuse detection in place of sender
 * constraint: any reuse must revoke the family.
 */
function graceApplies(ctx: Pick<ServerContext, 'config'>, client: ClientRecord): boolean {
  return ctx.config.tokens.refreshTokenReuseGrace > 0 && client.tokenEndpointAuthMethod !== 'none';
}

/**
 * The successor to hand back for a retry inside the grace window, waiting briefly for a concurrent
 * winner to record it. `undefined`: treat as reuse.
 */
async function successorWithinGrace(
  ctx: Pick<ServerContext, 'clock' | 'config' | 'secrets' | 'store'>,
  record: ArtifactRecord<RefreshTokenState>,
  id: string,
): Promise<string | undefined> {
  const graceMs = ctx.config.tokens.refreshTokenReuseGrace * 1000;
  if (graceMs === 0) return undefined;
  const consumedAt = record.consumedAt ?? (await ctx.store.artifacts.get(REFRESH_TOKEN, id))?.consumedAt ?? null;
  if (consumedAt === null || ctx.clock.now() - consumedAt > graceMs) return undefined;
  const deadline = Date.now() + SUCCESSOR_WAIT_MS;
  for (;;) {
    const successor = await findSuccessor(ctx, id);
    if (successor !== undefined || Date.now() >= deadline) return successor;
    await new Promise((resolve) => setTimeout(resolve, SUCCESSOR_POLL_MS));
  }
}
