import { randomToken } from '../../core/encoding.js';
import { StoreConflictError } from '../../stores/contract.js';
import type { ServerContext } from '../context.js';
import { auditEvent } from '../audit/events.js';

/**
 * A token family: the code of one authorization and every refresh and access token descended from
 * it. Its artifacts are owned by the family id, so one call drops them all. Distinct from the
 * user's consent (a durable `ConsentRecord`): ending one family — a replayed code, a reused or revoked
 * refresh token — leaves the user's other devices signed in.
 */
export function newFamilyId(): string {
  return randomToken(16);
}

/** Tombstone kind: marks a revoked family so tokens a racing request stores afterwards are dropped too. */
const REVOKED_FAMILY = 'revoked_family';

export type FamilyRevocationReason = 'code_replay' | 'refresh_reuse' | 'revoked';

/** Revokes every code and token of the family (RFC 6749 §4.1.2, RFC 9700 §4.14.2, RFC 7009 §2.1). */
export async function revokeFamily(
  ctx: Pick<ServerContext, 'audit' | 'clock' | 'config' | 'store'>,
  familyId: string,
  reason: FamilyRevocationReason,
  clientId: string,
): Promise<void> {
  const { store } = ctx;
  try {
    await store.artifacts.put({
      kind: REVOKED_FAMILY,
      id: familyId,
      value: { reason },
      ownerId: null,
      expiresAt: ctx.clock.now() + ctx.config.tokens.refreshTokenTtl * 1000,
    });
  } catch (error) {
    if (!(error instanceof StoreConflictError)) throw error;
  }
  await store.artifacts.deleteByOwner(familyId);
  // Reuse and replay mean one of two holders is an attacker: recorded as detected, and the family revoked.
  const type = reason === 'revoked' ? 'token.family_revoked' : reason === 'code_replay' ? 'code.replay_detected' : 'refresh.reuse_detected';
  await ctx.audit.record(auditEvent(type, { client_id: clientId, family: familyId }));
}

/** True once the family was revoked (until the tombstone expires with the longest-lived token). */
export async function isFamilyRevoked(ctx: Pick<ServerContext, 'store'>, familyId: string): Promise<boolean> {
  return (await ctx.store.artifacts.get(REVOKED_FAMILY, familyId)) !== undefined;
}
