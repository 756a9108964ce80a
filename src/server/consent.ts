import { randomUUID } from 'node:crypto';
import type { GrantRecord } from '../stores/contract.js';
import type { ServerContext } from './context.js';
import { parseScope } from './scope.js';

/** The user's active grant (remembered consent) for a client, if any. */
export async function findGrant(ctx: ServerContext, sub: string, clientId: string): Promise<GrantRecord | undefined> {
  const grants = await ctx.options.store.grants.listBySubject(sub);
  return grants.find((grant) => grant.clientId === clientId && grant.revokedAt === null);
}

/** True when the grant already covers every requested scope. */
export function grantCovers(grant: GrantRecord | undefined, scope: readonly string[]): boolean {
  if (!grant) return false;
  const granted = new Set(parseScope(grant.scope));
  return scope.every((token) => granted.has(token));
}

/** Records consent: extends the existing grant with the new scopes, or creates one. */
export async function recordConsent(ctx: ServerContext, sub: string, clientId: string, scope: readonly string[]): Promise<GrantRecord> {
  const now = ctx.options.clock.now();
  const existing = await findGrant(ctx, sub, clientId);
  if (existing && grantCovers(existing, scope)) return existing;
  if (existing) {
    const merged = [...new Set([...parseScope(existing.scope), ...scope])].join(' ');
    const updated = { ...existing, scope: merged, updatedAt: now };
    await ctx.options.store.grants.update(updated);
    return updated;
  }
  const grant: GrantRecord = { id: randomUUID(), clientId, subject: sub, scope: scope.join(' '), extra: {}, createdAt: now, updatedAt: now, revokedAt: null };
  await ctx.options.store.grants.create(grant);
  return grant;
}

/**
 * Key in {@link GrantRecord.extra}: milliseconds since the epoch at or before which every token
 * family resting on this consent is dead, while the consent itself stands (a password reset or
 * "sign out everywhere" ends the user's tokens without asking them to consent again).
 */
export const TOKENS_NOT_BEFORE = 'tokensNotBefore';

/** The grant with its tokens-not-before time moved to `at` (never back). */
export function withTokensNotBefore(grant: GrantRecord, at: number): GrantRecord {
  const previous = grant.extra[TOKENS_NOT_BEFORE];
  const notBefore = typeof previous === 'number' ? Math.max(previous, at) : at;
  return { ...grant, extra: { ...grant.extra, [TOKENS_NOT_BEFORE]: notBefore }, updatedAt: Math.max(grant.updatedAt, at) };
}

/**
 * True when a token family that began at `familyIssuedAt` was ended by the grant's
 * tokens-not-before time. A family without a recorded start (stored before the start was recorded)
 * counts as begun at 0: ended by any such revocation.
 */
export function endedByTokensNotBefore(grant: GrantRecord, familyIssuedAt: number | undefined): boolean {
  const notBefore = grant.extra[TOKENS_NOT_BEFORE];
  return typeof notBefore === 'number' && (familyIssuedAt ?? 0) <= notBefore;
}

/**
 * True while the consent (grant) exists, has not been revoked, and did not end the token family
 * that began at `familyIssuedAt` (see {@link TOKENS_NOT_BEFORE}). Every use of a user's token —
 * code redemption, refresh, introspection, UserInfo, revocation lookup — goes through here.
 */
export async function isConsentActive(ctx: ServerContext, consentId: string, familyIssuedAt: number | undefined): Promise<boolean> {
  const grant = await ctx.options.store.grants.get(consentId);
  return grant !== undefined && grant.revokedAt === null && !endedByTokensNotBefore(grant, familyIssuedAt);
}
