import { issueOpaqueCredential } from './opaque-credential.js';
import type { ServerContext } from '../context.js';

/** Artifact kind of authorization codes, keyed by a hash of the code. */
export const AUTHORIZATION_CODE = 'authorization_code';
const CODE_PURPOSE = 'authorization-code';

/** What a code stands for: bound to the client, the redirect URI and the PKCE challenge. */
export interface AuthorizationCodeState {
  [key: string]: string | number | boolean | string[] | null;
  clientId: string;
  redirectUri: string;
  redirectUriGiven: boolean;
  codeChallenge: string;
  scope: string[];
  nonce: string | null;
  sub: string;
  authTime: number;
  amr: string[];
  acr: string;
  sid: string;
  /** The consent (durable grant) this authorization rests on. */
  consentId: string;
}

/** Keyed hash under which a code (or a presented code) is stored. */
export function codeId(ctx: ServerContext, code: string): string {
  return ctx.secretKeys.hash(code, CODE_PURPOSE);
}

/**
 * Issues a single-use code living at most `authorizationCodeTtl` (≤ 60 s). It opens a new token
 * family: the tokens redeemed from it share its family id, so a replay can revoke them all.
 */
export function issueAuthorizationCode(ctx: ServerContext, familyId: string, state: AuthorizationCodeState): Promise<string> {
  return issueOpaqueCredential(ctx, { kind: AUTHORIZATION_CODE, purpose: CODE_PURPOSE, familyId, value: state, ttlSeconds: ctx.options.tokens.authorizationCodeTtl });
}
