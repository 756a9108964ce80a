import type { ServerContext } from '../context.js';

/**
 * Revokes a grant and every token and code it owns, after a replayed code (RFC 6749 §4.1.2) or a
 * reused refresh token (RFC 9700 §4.14.2): one of the two holders is an attacker, and the server
 * cannot tell which.
 */
export async function revokeGrantFamily(ctx: ServerContext, grantId: string, reason: 'code_replay' | 'refresh_reuse', clientId: string): Promise<void> {
  await ctx.options.store.grants.revoke(grantId, ctx.options.clock.now());
  ctx.logger.warn({ event: `${reason.replace('_', '.')}_detected`, client_id: clientId, grant_id: grantId }, 'grant revoked: a single-use credential was used twice');
}
