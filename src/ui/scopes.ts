/** Plain-language descriptions of the standard OpenID Connect scopes (Core §5.4, §11). */
// A Map, not an object literal, so that scopes named like `constructor` or `__proto__` are unknown.
const SCOPE_DESCRIPTIONS = new Map<string, string>([
  ['openid', 'Sign you in with your account'],
  ['profile', 'See your name, profile picture and basic profile details'],
  ['email', 'See your email address'],
  ['address', 'See your postal address'],
  ['phone', 'See your phone number'],
  ['offline_access', 'Keep access when you are not using the app, until you revoke it'],
]);

/**
 * Describe requested scopes in words an end-user understands, for the consent page. `openid` comes
 * first, the rest keep their order; duplicates and empty strings are dropped. Unknown scopes are
 * still listed, so that consent never covers something the user was not shown.
 *
 * @example
 * describeScopes(['email', 'openid']);
 * // [{ scope: 'openid', description: 'Sign you in with your account' },
 * //  { scope: 'email', description: 'See your email address' }]
 */
export function describeScopes(scopes: string[]): { scope: string; description: string }[] {
  const unique = [...new Set(scopes.filter((scope) => scope !== ''))];
  const ordered = unique.includes('openid') ? ['openid', ...unique.filter((s) => s !== 'openid')] : unique;
  return ordered.map((scope) => ({
    scope,
    description: SCOPE_DESCRIPTIONS.get(scope) ?? `Use the "${scope}" permission`,
  }));
}

/** Plain-language names of the standard claims (OIDC Core §5.1) a client may ask for one by one. */
const CLAIM_NAMES = new Map<string, string>([
  ['name', 'your name'],
  ['given_name', 'your given name'],
  ['family_name', 'your family name'],
  ['middle_name', 'your middle name'],
  ['nickname', 'your nickname'],
  ['preferred_username', 'your username'],
  ['profile', 'your profile page'],
  ['picture', 'your profile picture'],
  ['website', 'your website'],
  ['gender', 'your gender'],
  ['birthdate', 'your birthdate'],
  ['zoneinfo', 'your time zone'],
  ['locale', 'your language'],
  ['updated_at', 'when your profile last changed'],
  ['email', 'your email address'],
  ['email_verified', 'whether your email address is verified'],
  ['address', 'your postal address'],
  ['phone_number', 'your phone number'],
  ['phone_number_verified', 'whether your phone number is verified'],
]);

/**
 * Names claims asked for one by one (the `claims` parameter, OIDC Core §5.5) in words, for the
 * consent page; duplicates dropped, an unknown claim named as it is.
 *
 * @example
 * describeClaims(['email', 'name']); // ['your email address', 'your name']
 */
export function describeClaims(claims: readonly string[]): string[] {
  return [...new Set(claims)].map((claim) => CLAIM_NAMES.get(claim) ?? `"${claim}"`);
}
