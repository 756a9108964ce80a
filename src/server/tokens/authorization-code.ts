import { StoreConflictError } from '../../stores/contract.js';
import { issueOpaqueCredential } from './opaque-credential.js';
import type { ServerContext } from '../context.js';

/** Artifact kind of authorization codes, keyed by a hash of the code. */
export const AUTHORIZATION_CODE = 'authorization_code';
/**
 * Artifact kind remembering a redeemed code (keyed by the same hash) for as long as the tokens
 * issued from it live, so that a replay after the code itself expired still revokes them.
 */
const REDEEMED_CODE = 'redeemed_code';
const CODE_PURPOSE = 'authorization-code';

/** What a code stands for: bound to the client, the redirect URI and the PKCE challenge. */
export interface AuthorizationCodeState {
  [key: string]: string | number | boolean | string[] | null | undefined;
  clientId: string;
  redirectUri: string;
  redirectUriGiven: boolean;
  /**
   * The PKCE challenge; absent for a code of a request without one (OAuth 2.1 §7.5.2), which the
   * token request must then redeem without a verifier.
   */
  codeChallenge?: string;
  scope: string[];
  nonce: string | null;
  sub: string;
  authTime: number;
  amr: string[];
  acr: string;
  sid: string;
  /** The user's consent (a `ConsentRecord`) this authorization rests on. */
  consentId: string;
  /** The resources of the authorization request (RFC 8707 §2.1); absent when it named none. */
  resources?: string[];
  /** Claims asked for by name (OIDC Core §5.5 `claims`) for the ID token; absent when none. */
  idTokenClaims?: string[];
  /** Claims asked for by name for UserInfo; absent when none. */
  userinfoClaims?: string[];
  /**
   * When the token family this code opens began, in milliseconds (set by
   * {@link issueAuthorizationCode}; absent in codes stored before it was recorded). Every token of
   * the family carries it, for the consent's tokens-not-before check (`isConsentActive`).
   */
  familyIssuedAt?: number;
  /** RFC 9449 §10: the DPoP key (`dpop_jkt`) the token request must prove. */
  dpopJkt?: string;
}

/** What a redeemed-code tombstone holds: the family to revoke on a replay. */
export interface RedeemedCodeState {
  [key: string]: string;
  familyId: string;
  clientId: string;
}

/** Keyed hash under which a code (or a presented code) is stored. */
export function codeId(ctx: Pick<ServerContext, 'secrets'>, code: string): string {
  return ctx.secrets.hash(code, CODE_PURPOSE);
}

/**
 * When a family opened now from a session signed in at `authTime` (seconds) begins: now, but never
 * after the end of that sign-in's second. So a code issued from a session that existed before an
 * operator revoked the user's access counts as older than the revocation even when the request
 * loaded the session just before the revocation and stored the code just after it; a session
 * signed in after the revocation always yields a later time.
 */
export function familyStart(now: number, authTime: number): number {
  return Math.min(now, authTime * 1000 + 999);
}

/**
 * Issues a single-use code living at most `authorizationCodeTtl` (≤ 60 s). It opens a new token
 * family: the tokens redeemed from it share its family id, so a replay can revoke them all. Its
 * `familyIssuedAt` is set here (any given value is replaced).
 */
export function issueAuthorizationCode(
  ctx: Pick<ServerContext, 'clock' | 'config' | 'secrets' | 'store'>,
  familyId: string,
  state: AuthorizationCodeState,
): Promise<string> {
  const value: AuthorizationCodeState = { ...state, familyIssuedAt: familyStart(ctx.clock.now(), state.authTime) };
  return issueOpaqueCredential(ctx, { kind: AUTHORIZATION_CODE, purpose: CODE_PURPOSE, familyId, value, ttlSeconds: ctx.config.tokens.authorizationCodeTtl });
}

/**
 * Records that the code stored under `id` was redeemed into `familyId`, for `lifetimeSeconds` (as
 * long as the longest-lived token issued from it). Owned by no family, so revoking the family does
 * not forget it: a later replay is still recognised (RFC 6749 §4.1.2).
 */
export async function rememberRedeemedCode(
  ctx: Pick<ServerContext, 'clock' | 'store'>,
  id: string,
  state: RedeemedCodeState,
  lifetimeSeconds: number,
): Promise<void> {
  try {
    await ctx.store.artifacts.put({ kind: REDEEMED_CODE, id, value: state, ownerId: null, expiresAt: ctx.clock.now() + lifetimeSeconds * 1000 });
  } catch (error) {
    // Only one request consumes a code, so a clash can only be a leftover of the same redemption.
    if (!(error instanceof StoreConflictError)) throw error;
  }
}

/** The family a redeemed code opened, while its tokens may still live. */
export async function findRedeemedCode(ctx: Pick<ServerContext, 'store'>, id: string): Promise<RedeemedCodeState | undefined> {
  return (await ctx.store.artifacts.get<RedeemedCodeState>(REDEEMED_CODE, id))?.value;
}
