import { issueOpaqueCredential } from './opaque-credential.js';
import type { ServerContext } from '../context.js';

/** Artifact kind of refresh tokens, keyed by a hash of the token. */
export const REFRESH_TOKEN = 'refresh_token';
/** Artifact kind holding, for the reuse grace window, the encrypted successor of a rotated token. */
const REFRESH_SUCCESSOR = 'refresh_successor';
const REFRESH_PURPOSE = 'refresh-token';

/** What a refresh token stands for. Its scope never changes across rotations (RFC 6749 §6). */
export interface RefreshTokenState {
  [key: string]: string | number | string[] | undefined;
  clientId: string;
  sub: string;
  scope: string[];
  authTime: number;
  amr: string[];
  acr: string;
  sid: string;
  consentId: string;
  /** The resources of the grant (RFC 8707 §2.2: a refresh may name only those); absent when none. */
  resources?: string[];
  /** Claims asked for by name (OIDC Core §5.5 `claims`) for the ID token, kept across rotations; absent when none. */
  idTokenClaims?: string[];
  /** Claims asked for by name for UserInfo, kept across rotations; absent when none. */
  userinfoClaims?: string[];
  /**
   * When its token family began (the code's `familyIssuedAt`), in milliseconds, kept across
   * rotations; absent in tokens stored before it was recorded (then counted as 0).
   */
  familyIssuedAt?: number;
  /**
   * The DPoP key a public client's refresh token is bound to (RFC 9449 §5): it is redeemed only
   * with a proof of that key. Absent: unbound (a confidential client's, or issued without DPoP).
   */
  jkt?: string;
}

export function refreshTokenId(ctx: Pick<ServerContext, 'secrets'>, token: string): string {
  return ctx.secrets.hash(token, REFRESH_PURPOSE);
}

/** Issues an opaque refresh token (256 bits) in the family, stored only as a keyed hash. */
export function issueRefreshToken(
  ctx: Pick<ServerContext, 'clock' | 'config' | 'secrets' | 'store'>,
  familyId: string,
  state: RefreshTokenState,
): Promise<string> {
  return issueOpaqueCredential(ctx, { kind: REFRESH_TOKEN, purpose: REFRESH_PURPOSE, familyId, value: state, ttlSeconds: ctx.config.tokens.refreshTokenTtl });
}

/** Keeps the successor of a rotated token for the grace window, encrypted and bound to the old token's id. */
export async function rememberSuccessor(
  ctx: Pick<ServerContext, 'clock' | 'config' | 'secrets' | 'store'>,
  familyId: string,
  oldId: string,
  successor: string,
): Promise<void> {
  await ctx.store.artifacts.put({
    kind: REFRESH_SUCCESSOR,
    id: oldId,
    value: ctx.secrets.encrypt(successor, `refresh-successor:${oldId}`),
    ownerId: familyId,
    expiresAt: ctx.clock.now() + ctx.config.tokens.refreshTokenReuseGrace * 1000,
  });
}

/** The successor of a rotated token within the grace window, if it was recorded. */
export async function findSuccessor(ctx: Pick<ServerContext, 'secrets' | 'store'>, oldId: string): Promise<string | undefined> {
  const record = await ctx.store.artifacts.get<string>(REFRESH_SUCCESSOR, oldId);
  return record ? ctx.secrets.decrypt(record.value, `refresh-successor:${oldId}`) : undefined;
}
