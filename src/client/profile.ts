/**
 * A signed-in user as every provider is normalised to, plus what the provider said verbatim.
 */
export interface Profile {
  /** The preset's id: `google`, `github`, `gatehouse`, ... */
  provider: string;
  /** The provider's stable user id (OIDC `sub`; GitHub's numeric id as a string). */
  sub: string;
  email: string | undefined;
  /** True only when the provider vouches for the address. */
  emailVerified: boolean;
  name: string | undefined;
  picture: string | undefined;
  /** ID-token claims and UserInfo / API fields as received. */
  raw: Record<string, unknown>;
}

/** A profile from standard OpenID Connect claims (OIDC Core §5.1). */
export function profileFromClaims(provider: string, claims: Record<string, unknown>): Profile {
  const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);
  return {
    provider,
    sub: String(claims.sub),
    email: text(claims.email),
    emailVerified: claims.email_verified === true || claims.email_verified === 'true',
    name: text(claims.name) ?? text(claims.preferred_username),
    picture: text(claims.picture),
    raw: claims,
  };
}
