/**
 * The `claims` authorization request parameter (OIDC Core §5.5): which claims a client asks for,
 * one by one, in the ID token and from UserInfo, beyond what its scopes release.
 *
 * What this server does with each part (§5.5.1):
 * - a claim of the user this server knows (`isRequestableClaim`) is released where it was asked
 *   for (`id_token`, `userinfo`), once the user's consent covers it (the consent page names each
 *   one the scopes do not release);
 * - `essential` on such a claim changes nothing: §5.5.1 says it is no failure to return without
 *   one, and a claim the user has no value for is left out either way;
 * - `value` and `values` of such a claim are hints, not acted on;
 * - an essential `acr` in `id_token` is a requirement (§5.5.1.1): see {@link ClaimsRequest.essentialAcr};
 *   values that are not strings are ignored, and essential values none of which is a string are malformed;
 * - `sub` in `id_token` with a `value` names the only user the request may succeed for;
 * - `auth_time`, `acr`, `amr` and `sid` are in every ID token anyway; unknown claims and unknown
 *   members are ignored ("MUST be ignored").
 * A parameter of the wrong shape is refused (`invalid_request`).
 */
import { z } from 'zod';
import { isRequestableClaim } from '../claims.js';

/** §5.5.1: `null` (the default way), or an object with optional `essential`, `value`, `values`; other members ignored. */
const individualClaim = z.union([
  z.null(),
  z.looseObject({
    essential: z.boolean().optional(),
    value: z.unknown().optional(),
    values: z.array(z.unknown()).optional(),
  }),
]);
const claimsOfOneTarget = z.record(z.string(), individualClaim);
const claimsParameter = z.looseObject({ userinfo: claimsOfOneTarget.optional(), id_token: claimsOfOneTarget.optional() });

/** What a `claims` parameter asks for, as this server acts on it. */
export interface ClaimsRequest {
  /** The user claims asked for in the ID token, the ones this server knows, in order, once each. */
  idToken: string[];
  /** The user claims asked for from UserInfo, likewise. */
  userinfo: string[];
  /**
   * The values of an `acr` requested as essential for the ID token (OIDC Core §5.5.1.1), strings
   * only (`value` when `values` is absent); `[]` essential without values; absent when not essential.
   */
  essentialAcr?: string[];
  /** `id_token.sub.value`: the user the request is for (§5.5.1); absent when not given. */
  sub?: string;
}

/** Thrown by {@link parseClaimsParameter} for a parameter that is not a valid claims request. */
export class ClaimsParameterError extends Error {}

/** Parses and validates a `claims` parameter (its length is checked before). */
export function parseClaimsParameter(raw: string): ClaimsRequest {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new ClaimsParameterError('not JSON');
  }
  const parsed = claimsParameter.safeParse(json);
  if (!parsed.success) throw new ClaimsParameterError('not a claims request');
  const { id_token: idToken = {}, userinfo = {} } = parsed.data;
  const known = (target: Record<string, unknown>) => Object.keys(target).filter(isRequestableClaim);
  const request: ClaimsRequest = { idToken: known(idToken), userinfo: known(userinfo) };
  const acr = Object.hasOwn(idToken, 'acr') ? idToken.acr : null;
  if (acr?.essential === true) {
    const values = acr.values ?? (acr.value === undefined ? [] : [acr.value]);
    request.essentialAcr = values.filter((value): value is string => typeof value === 'string');
    // `acr` is a string claim. Values given, none a string: malformed, never read as "no values"
    // (that would turn an essential requirement into none, which any sign-in satisfies).
    if (values.length > 0 && request.essentialAcr.length === 0) throw new ClaimsParameterError('acr values are not strings');
  }
  const sub = Object.hasOwn(idToken, 'sub') ? idToken.sub : null;
  if (sub?.value !== undefined) {
    if (typeof sub.value !== 'string') throw new ClaimsParameterError('sub value is not a string');
    request.sub = sub.value;
  }
  return request;
}
