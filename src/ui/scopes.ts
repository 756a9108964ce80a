import { englishMessages, type MessageKey, type Translator } from './i18n/messages.js';

/**
 * The messages describing the standard OpenID Connect scopes (Core §5.4, §11). A Map, not an
 * object literal, so that scopes named like `constructor` or `__proto__` are unknown.
 */
const SCOPE_MESSAGES = new Map<string, MessageKey>([
  ['openid', 'scope.openid'],
  ['profile', 'scope.profile'],
  ['email', 'scope.email'],
  ['address', 'scope.address'],
  ['phone', 'scope.phone'],
  ['offline_access', 'scope.offline_access'],
]);

/**
 * Describe requested scopes in words an end-user understands, for the consent page, in the
 * language of `i18n` (English unless given). `openid` comes first, the rest keep their order;
 * duplicates and empty strings are dropped. Unknown scopes are still listed, so that consent
 * never covers something the user was not shown.
 *
 * @example
 * describeScopes(['email', 'openid']);
 * // [{ scope: 'openid', description: 'Sign you in with your account' },
 * //  { scope: 'email', description: 'See your email address' }]
 */
export function describeScopes(scopes: string[], i18n: Translator = englishMessages()): { scope: string; description: string }[] {
  const unique = [...new Set(scopes.filter((scope) => scope !== ''))];
  const ordered = unique.includes('openid') ? ['openid', ...unique.filter((s) => s !== 'openid')] : unique;
  return ordered.map((scope) => {
    const key = SCOPE_MESSAGES.get(scope);
    return { scope, description: key ? i18n.text(key) : i18n.text('scope.other', { scope }) };
  });
}

/** The messages naming the standard claims (OIDC Core §5.1) a client may ask for one by one. */
const CLAIM_MESSAGES = new Map<string, MessageKey>([
  ['name', 'claim.name'],
  ['given_name', 'claim.given_name'],
  ['family_name', 'claim.family_name'],
  ['middle_name', 'claim.middle_name'],
  ['nickname', 'claim.nickname'],
  ['preferred_username', 'claim.preferred_username'],
  ['profile', 'claim.profile'],
  ['picture', 'claim.picture'],
  ['website', 'claim.website'],
  ['gender', 'claim.gender'],
  ['birthdate', 'claim.birthdate'],
  ['zoneinfo', 'claim.zoneinfo'],
  ['locale', 'claim.locale'],
  ['updated_at', 'claim.updated_at'],
  ['email', 'claim.email'],
  ['email_verified', 'claim.email_verified'],
  ['address', 'claim.address'],
  ['phone_number', 'claim.phone_number'],
  ['phone_number_verified', 'claim.phone_number_verified'],
]);

/**
 * Names claims asked for one by one (the `claims` parameter, OIDC Core §5.5) in words, for the
 * consent page; duplicates dropped, an unknown claim named as it is (quoted).
 *
 * @example
 * describeClaims(['email', 'name']); // ['your email address', 'your name']
 */
export function describeClaims(claims: readonly string[], i18n: Translator = englishMessages()): string[] {
  return [...new Set(claims)].map((claim) => {
    const key = CLAIM_MESSAGES.get(claim);
    return key ? i18n.text(key) : i18n.text('claim.other', { claim });
  });
}
