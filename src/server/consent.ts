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

/** True while the consent (grant) exists and has not been revoked. */
export async function isConsentActive(ctx: ServerContext, consentId: string): Promise<boolean> {
  const grant = await ctx.options.store.grants.get(consentId);
  return grant !== undefined && grant.revokedAt === null;
}
