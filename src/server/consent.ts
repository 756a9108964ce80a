import { randomUUID } from 'node:crypto';
import type { ConsentRecord } from '../stores/contract.js';
import type { ServerContext } from './context.js';
import { parseScope } from './scope.js';

/** The user's standing (unrevoked) consent to a client, if any. */
export async function findConsent(ctx: Pick<ServerContext, 'store'>, sub: string, clientId: string): Promise<ConsentRecord | undefined> {
  const consents = await ctx.store.consents.listBySubject(sub);
  return consents.find((consent) => consent.clientId === clientId && consent.revokedAt === null);
}

/** True when the consent already covers every requested scope. */
export function consentCovers(consent: ConsentRecord | undefined, scope: readonly string[]): boolean {
  if (!consent) return false;
  const granted = new Set(parseScope(consent.scope));
  return scope.every((token) => granted.has(token));
}

/** Records consent: extends the existing consent with the new scopes, or creates one. */
export async function recordConsent(
  ctx: Pick<ServerContext, 'store' | 'clock'>,
  sub: string,
  clientId: string,
  scope: readonly string[],
): Promise<ConsentRecord> {
  const now = ctx.clock.now();
  const existing = await findConsent(ctx, sub, clientId);
  if (existing && consentCovers(existing, scope)) return existing;
  if (existing) {
    const merged = [...new Set([...parseScope(existing.scope), ...scope])].join(' ');
    const updated = { ...existing, scope: merged, updatedAt: now };
    await ctx.store.consents.update(updated);
    return updated;
  }
  const consent: ConsentRecord = {
    id: randomUUID(),
    clientId,
    subject: sub,
    scope: scope.join(' '),
    extra: {},
    createdAt: now,
    updatedAt: now,
    revokedAt: null,
  };
  await ctx.store.consents.create(consent);
  return consent;
}

/**
 * Key in {@link ConsentRecord.extra}: milliseconds since the epoch at or before which every token
 * family resting on this consent is dead, while the consent itself stands (a password reset or
 * "sign out everywhere" ends the user's tokens without asking them to consent again).
 */
export const TOKENS_NOT_BEFORE = 'tokensNotBefore';

/** The consent with its tokens-not-before time moved to `at` (never back). */
export function withTokensNotBefore(consent: ConsentRecord, at: number): ConsentRecord {
  const previous = consent.extra[TOKENS_NOT_BEFORE];
  const notBefore = typeof previous === 'number' ? Math.max(previous, at) : at;
  return { ...consent, extra: { ...consent.extra, [TOKENS_NOT_BEFORE]: notBefore }, updatedAt: Math.max(consent.updatedAt, at) };
}

/**
 * True when a token family that began at `familyIssuedAt` was ended by the consent's
 * tokens-not-before time. A family without a recorded start (stored before the start was recorded)
 * counts as begun at 0: ended by any such revocation.
 */
export function endedByTokensNotBefore(consent: ConsentRecord, familyIssuedAt: number | undefined): boolean {
  const notBefore = consent.extra[TOKENS_NOT_BEFORE];
  return typeof notBefore === 'number' && (familyIssuedAt ?? 0) <= notBefore;
}

/**
 * True while the consent exists, has not been revoked, and did not end the token family
 * that began at `familyIssuedAt` (see {@link TOKENS_NOT_BEFORE}). Every use of a user's token —
 * code redemption, refresh, introspection, UserInfo, revocation lookup — goes through here.
 */
export async function isConsentActive(ctx: Pick<ServerContext, 'store'>, consentId: string, familyIssuedAt: number | undefined): Promise<boolean> {
  const consent = await ctx.store.consents.get(consentId);
  return consent?.revokedAt === null && !endedByTokensNotBefore(consent, familyIssuedAt);
}
