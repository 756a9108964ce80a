import { randomToken } from '../../core/encoding.js';
import { StoreConflictError } from '../../stores/contract.js';
import type { ServerContext } from '../context.js';

/**
 * A token family: the code of one authorization and every refresh and access token descended from
 * it. Its artifacts are owned by the family id, so one call drops them all. Distinct from the
 * user's consent (the durable grant): ending one family — a replayed code, a reused or revoked
 * refresh token — leaves the user's other devices signed in.
 */
export function newFamilyId(): string {
  return randomToken(16);
}

/** Tombstone kind: marks a revoked family so tokens a racing request stores afterwards are dropped too. */
const REVOKED_FAMILY = 'revoked_family';

export type FamilyRevocationReason = 'code_replay' | 'refresh_reuse' | 'revoked';

/** Revokes every code and token of the family (RFC 6749 §4.1.2, RFC 9700 §4.14.2, RFC 7009 §2.1). */
export async function revokeFamily(ctx: ServerContext, familyId: string, reason: FamilyRevocationReason, clientId: string): Promise<void> {
  const { store } = ctx.options;
  try {
    await store.artifacts.put({
      kind: REVOKED_FAMILY,
      id: familyId,
      value: { reason },
      grantId: null,
      expiresAt: ctx.options.clock.now() + ctx.options.tokens.refreshTokenTtl * 1000,
    });
  } catch (error) {
    if (!(error instanceof StoreConflictError)) throw error;
  }
  await store.artifacts.deleteByGrant(familyId);
  const event = reason === 'revoked' ? 'token.family_revoked' : `${reason.replace('_', '.')}_detected`;
  const log = reason === 'revoked' ? ctx.logger.info.bind(ctx.logger) : ctx.logger.warn.bind(ctx.logger);
  log({ event, client_id: clientId, family: familyId }, reason === 'revoked' ? 'token family revoked' : 'a single-use credential was used twice: its token family is revoked');
}

/** True once the family was revoked (until the tombstone expires with the longest-lived token). */
export async function isFamilyRevoked(ctx: ServerContext, familyId: string): Promise<boolean> {
  return (await ctx.options.store.artifacts.get(REVOKED_FAMILY, familyId)) !== undefined;
}
