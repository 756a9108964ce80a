import type { ClientRecord } from '../../stores/contract.js';
import type { ServerContext } from '../context.js';
import type { AuthorizationRequest } from '../interaction/authorization-request.js';
import { usableFactors } from './factors.js';

/**
 * Authentication context class references (OIDC Core §2 `acr`): `1` one factor, `2` more than one.
 * The PAPE multi-factor policy URI is accepted as a synonym in `acr_values`.
 */
export const ACR_SINGLE_FACTOR = '1';
export const ACR_MULTI_FACTOR = '2';
const MULTI_FACTOR_ACRS = new Set([ACR_MULTI_FACTOR, 'http://schemas.openid.net/pape/policies/2007/06/multi-factor']);

/** What the sign-in of one user for one request needs. */
export interface MfaRequirement {
  /** A second factor must be verified. */
  required: boolean;
  /** The user has a usable second factor (else they are walked through enrolment). */
  enrolled: boolean;
}

/**
 * The MFA policy for a user signing in to a client: off; or required when the user set a factor
 * up (optional policy), when the global policy is `required`, when the client is registered with
 * `require_mfa`, or when the request asks for it (`acr_values=2`, step-up).
 */
export async function mfaRequirement(ctx: ServerContext, client: ClientRecord, request: AuthorizationRequest, userId: string): Promise<MfaRequirement> {
  const policy = ctx.options.mfa.policy;
  if (policy === 'off') return { required: false, enrolled: false };
  const enrolled = (await usableFactors(ctx, userId)).length > 0;
  const demanded = policy === 'required' || client.extra.require_mfa === true || request.acrValues.some((acr) => MULTI_FACTOR_ACRS.has(acr));
  return { required: enrolled || demanded, enrolled };
}

/** The `acr` for a set of `amr` values. */
export function acrFor(amr: readonly string[]): string {
  return amr.includes('mfa') ? ACR_MULTI_FACTOR : ACR_SINGLE_FACTOR;
}
