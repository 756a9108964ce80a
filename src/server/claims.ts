import type { UserRecord } from '../stores/contract.js';

/** Claims released per scope (OIDC Core §5.4). */
const SCOPE_CLAIMS: Record<string, readonly string[]> = {
  profile: [
    'name',
    'family_name',
    'given_name',
    'middle_name',
    'nickname',
    'preferred_username',
    'profile',
    'picture',
    'website',
    'gender',
    'birthdate',
    'zoneinfo',
    'locale',
    'updated_at',
  ],
  email: ['email', 'email_verified'],
  address: ['address'],
  phone: ['phone_number', 'phone_number_verified'],
};

/** The OpenID scopes this server understands, in the order they are advertised. */
export const OPENID_SCOPES = ['openid', 'profile', 'email', 'address', 'phone', 'offline_access'] as const;

/** Every claim this server can release, for discovery's `claims_supported`. */
export const SUPPORTED_CLAIMS = ['sub', 'iss', 'auth_time', 'acr', 'amr', 'sid', ...Object.values(SCOPE_CLAIMS).flat()];

/**
 * The user's claims a client may ask for by name in the `claims` parameter (OIDC Core §5.5): the
 * ones the scopes release. Others (`auth_time`, `acr`, `amr`, `sid`) are in every ID token already;
 * names this server does not know are ignored (§5.5: "not understood MUST be ignored").
 */
const NAMED_CLAIMS: ReadonlySet<string> = new Set(Object.values(SCOPE_CLAIMS).flat());

/** Whether `name` is a user claim the `claims` parameter can ask for (see {@link NAMED_CLAIMS}). */
export function isRequestableClaim(name: string): boolean {
  return NAMED_CLAIMS.has(name);
}

/**
 * The claims of `names` that `scope` does not release: what a consent must cover beyond its
 * scopes, and what the consent page names one by one (OIDC Core §5.5: a client may ask for single
 * claims without their scope).
 */
export function claimsBeyondScope(names: readonly string[], scope: readonly string[]): string[] {
  const released = new Set(scope.flatMap((token) => SCOPE_CLAIMS[token] ?? []));
  return [...new Set(names)].filter((name) => NAMED_CLAIMS.has(name) && !released.has(name));
}

/**
 * The user's standard claims for the granted scopes, and the claims named one by one (`named`: the
 * `claims` parameter's, OIDC Core §5.5, covered by the user's consent); `sub` always. Absent values
 * are left out.
 */
export function userClaims(user: UserRecord, scope: readonly string[], named: readonly string[] = []): Record<string, unknown> {
  const all: Record<string, unknown> = {
    ...user.profile,
    preferred_username: user.profile.preferred_username ?? user.username,
    updated_at: Math.floor(user.updatedAt / 1000),
    email: user.email ?? undefined,
    email_verified: user.email ? user.emailVerified : undefined,
  };
  const claims: Record<string, unknown> = { sub: user.id };
  for (const granted of scope) {
    for (const name of SCOPE_CLAIMS[granted] ?? []) {
      if (all[name] !== undefined) claims[name] = all[name];
    }
  }
  for (const name of named) {
    if (NAMED_CLAIMS.has(name) && all[name] !== undefined) claims[name] = all[name];
  }
  return claims;
}
