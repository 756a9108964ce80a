import { randomUUID } from 'node:crypto';
import type { ConsentRecord } from '../stores/contract.js';
import type { ServerContext } from './context.js';
import { claimsBeyondScope } from './claims.js';
import { parseScope } from './scope.js';

/** The user's standing (unrevoked) consent to a client, if any. */
export async function findConsent(ctx: Pick<ServerContext, 'store'>, sub: string, clientId: string): Promise<ConsentRecord | undefined> {
  const consents = await ctx.store.consents.listBySubject(sub);
  return consents.find((consent) => consent.clientId === clientId && consent.revokedAt === null);
}

/**
 * Key in {@link ConsentRecord.extra}: the resources (RFC 8707) the consent is limited to, as the
 * consent page named them ("Only at ..."). Absent: not limited, since the consent was given to a
 * request naming no resource, whose grant may reach any resource the client may ask for (RFC 8707
 * §2.2: a refresh names them), as do consents recorded before resources were.
 */
const CONSENTED_RESOURCES = 'resources';

/** The resources `consent` is limited to (RFC 8707), or `undefined` when it is not limited. */
export function consentedResources(consent: ConsentRecord): string[] | undefined {
  const limited = consent.extra[CONSENTED_RESOURCES];
  return Array.isArray(limited) ? limited.filter((resource): resource is string => typeof resource === 'string') : undefined;
}

/**
 * Key in {@link ConsentRecord.extra}: the user claims the user allowed the client one by one (the
 * `claims` parameter, OIDC Core §5.5), beyond those its consented scopes release. Absent: none.
 */
const CONSENTED_CLAIMS = 'claims';

/** The claims `consent` allows one by one (see {@link CONSENTED_CLAIMS}). */
function consentedClaims(consent: ConsentRecord): string[] {
  const claims = consent.extra[CONSENTED_CLAIMS];
  return Array.isArray(claims) ? claims.filter((claim): claim is string => typeof claim === 'string') : [];
}

/**
 * True when the consent already covers every requested scope, the request's resources, and the
 * claims it asks for by name (`claims`, OIDC Core §5.5: each released by a consented scope or
 * allowed one by one). A consent limited to resources covers a request naming only those, never
 * one naming none (whose grant reaches any resource), so a client the user allowed at one API is
 * not silently given a grant for another.
 */
export function consentCovers(
  consent: ConsentRecord | undefined,
  scope: readonly string[],
  resources: readonly string[] = [],
  claims: readonly string[] = [],
): boolean {
  if (!consent) return false;
  const granted = new Set(parseScope(consent.scope));
  if (!scope.every((token) => granted.has(token))) return false;
  if (claims.length > 0) {
    const allowed = new Set(consentedClaims(consent));
    if (!claimsBeyondScope(claims, [...granted]).every((claim) => allowed.has(claim))) return false;
  }
  const limited = consentedResources(consent);
  return limited === undefined || (resources.length > 0 && resources.every((resource) => limited.includes(resource)));
}

/**
 * The resources a consent is limited to once the user allowed `scope` at `resources` (none: any).
 * A consent not limited stays so only while it already covered the scopes; given new scopes at
 * some resources only, it becomes limited to those (the user is asked again for a request naming
 * none, never given more than a page named).
 */
function mergedResources(existing: ConsentRecord | undefined, scope: readonly string[], resources: readonly string[]): string[] | undefined {
  if (resources.length === 0) return undefined;
  const limited = existing ? consentedResources(existing) : undefined;
  if (existing && limited === undefined && consentCovers(existing, scope)) return undefined;
  return [...new Set([...(limited ?? []), ...resources])];
}

function withResources(extra: ConsentRecord['extra'], resources: string[] | undefined): ConsentRecord['extra'] {
  const { [CONSENTED_RESOURCES]: _previous, ...rest } = extra;
  return resources === undefined ? rest : { ...rest, [CONSENTED_RESOURCES]: resources };
}

function withClaims(extra: ConsentRecord['extra'], claims: readonly string[]): ConsentRecord['extra'] {
  return claims.length === 0 ? extra : { ...extra, [CONSENTED_CLAIMS]: [...new Set(claims)] };
}

/**
 * Records consent: extends the existing consent with the new scopes (and the resources of the
 * request, and the claims it asked for by name that the scopes do not release, see
 * {@link consentCovers}), or creates one.
 */
export async function recordConsent(
  ctx: Pick<ServerContext, 'store' | 'clock'>,
  sub: string,
  clientId: string,
  scope: readonly string[],
  resources: readonly string[] = [],
  claims: readonly string[] = [],
): Promise<ConsentRecord> {
  const now = ctx.clock.now();
  const existing = await findConsent(ctx, sub, clientId);
  if (existing && consentCovers(existing, scope, resources, claims)) return existing;
  const limitedTo = mergedResources(existing, scope, resources);
  if (existing) {
    const merged = [...new Set([...parseScope(existing.scope), ...scope])].join(' ');
    const extra = withClaims(withResources(existing.extra, limitedTo), [...consentedClaims(existing), ...claimsBeyondScope(claims, scope)]);
    const updated = { ...existing, scope: merged, extra, updatedAt: now };
    await ctx.store.consents.update(updated);
    return updated;
  }
  const consent: ConsentRecord = {
    id: randomUUID(),
    clientId,
    subject: sub,
    scope: scope.join(' '),
    extra: withClaims(withResources({}, limitedTo), claimsBeyondScope(claims, scope)),
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
