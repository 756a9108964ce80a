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

/** The user's standard claims for the granted scopes; `sub` always. Absent values are left out. */
export function userClaims(user: UserRecord, scope: readonly string[]): Record<string, unknown> {
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
  return claims;
}
