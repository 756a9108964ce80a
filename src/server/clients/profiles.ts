/**
 * Per-client security profiles: a name an operator gives a client, which holds it to a published
 * profile's rules at registration and on every request, whatever else its record says.
 *
 * `fapi2`: the FAPI 2.0 Security Profile (OpenID FAPI 2.0 Security Profile, final, §5), for
 * clients of high-value APIs (banking, health). What it means here:
 * - a confidential client that authenticates with `private_key_jwt` (§5.3.2.1; mutual TLS
 *   is not supported), whose assertions name only the issuer as audience (always so here);
 * - authorization requests only through PAR (§5.3.2.2), with `redirect_uri` in the push, PKCE
 *   with S256 (no nonce exception), `iss` in the response (always so here), https redirect URIs
 *   only, a `request_uri` lifetime under 600 s;
 * - sender-constrained access tokens, with DPoP (§5.3.2.1): every token request carries
 *   a proof; codes may be bound with `dpop_jkt` or a proof at PAR (RFC 9449 §10);
 * - authorization codes live at most 60 s (§5.3.2.1: `tokens.authorizationCodeTtl` cannot
 *   be set longer);
 * - refresh tokens are not rotated (§5.3.2.1): the client keeps its refresh token, bound to
 *   the client by its authentication;
 * - PS256, ES256 or EdDSA only, for its client assertions, request objects, DPoP proofs and ID
 *   tokens (§5.4, cryptography).
 * Which grant types: the authorization code (with refresh tokens) and client credentials only.
 */
import type { ClientRecord, GrantType } from '../../stores/contract.js';

/** The profiles a client can be registered under. */
export const CLIENT_PROFILES = ['fapi2'] as const;
export type ClientProfile = (typeof CLIENT_PROFILES)[number];

/** FAPI 2.0 §5.4: the JWS algorithms allowed (RS256 is not). */
const FAPI2_SIGNING_ALGS: readonly string[] = ['PS256', 'ES256', 'EdDSA'];

/** FAPI 2.0 §5.3.2.2: a pushed request's `request_uri` lives less than 600 seconds. */
export const FAPI2_MAX_REQUEST_URI_TTL = 599;

const FAPI2_GRANTS: readonly GrantType[] = ['authorization_code', 'refresh_token', 'client_credentials'];

/** Whether the client is held to the FAPI 2.0 Security Profile. */
export function isFapi2(client: Pick<ClientRecord, 'profile'>): boolean {
  return client.profile === 'fapi2';
}

/**
 * The algorithms a client may sign with (client assertions, request objects, DPoP proofs), from
 * those the server supports: the profile's only, for a `fapi2` client.
 */
export function profileSigningAlgs(client: Pick<ClientRecord, 'profile'>, supported: readonly string[]): readonly string[] {
  return isFapi2(client) ? supported.filter((alg) => FAPI2_SIGNING_ALGS.includes(alg)) : supported;
}

/** What a client record breaks of its profile, with the setting at fault (empty: nothing). */
export function profileProblems(client: ClientRecord): { field: string; message: string }[] {
  if (!isFapi2(client)) return [];
  const problems: { field: string; message: string }[] = [];
  const problem = (field: string, message: string) => problems.push({ field, message: `the fapi2 profile ${message}` });
  if (client.tokenEndpointAuthMethod !== 'private_key_jwt') problem('auth-method', 'needs private_key_jwt client authentication (FAPI 2.0 5.3.2.1)');
  const otherGrant = client.grantTypes.find((grant) => !FAPI2_GRANTS.includes(grant));
  if (otherGrant !== undefined) problem('grant', `allows only ${FAPI2_GRANTS.join(', ')}`);
  if (client.redirectUris.some((uri) => !URL.canParse(uri) || new URL(uri).protocol !== 'https:'))
    problem('redirect-uri', 'needs https redirect URIs (FAPI 2.0 5.3.2.2)');
  if (!FAPI2_SIGNING_ALGS.includes(client.idTokenSignedResponseAlg)) problem('id-token-alg', `signs ID tokens with ${FAPI2_SIGNING_ALGS.join(', ')} only`);
  for (const [field, alg] of [
    ['token-endpoint-auth-signing-alg', client.tokenEndpointAuthSigningAlg],
    ['request-object-signing-alg', client.requestObjectSigningAlg],
  ] as const) {
    if (alg !== undefined && !FAPI2_SIGNING_ALGS.includes(alg)) problem(field, `allows ${FAPI2_SIGNING_ALGS.join(', ')} only`);
  }
  if (client.allowNonceWithoutPkce === true) problem('allow-nonce-without-pkce', 'requires PKCE for every request (FAPI 2.0 5.3.2.2)');
  return problems;
}
