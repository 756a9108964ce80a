import { OAuthError } from '../../core/errors.js';
import type { ClientRecord } from '../../stores/contract.js';
import { grantableScope as grantableAdminScope } from '../admin-api/admin-scopes.js';
import { auditEvent } from '../audit/events.js';
import { consentedResources, findConsent, isConsentActive } from '../consent.js';
import type { ServerContext } from '../context.js';
import type { FormParams } from '../http/form.js';
import { resolveAudience } from '../resource-indicators.js';
import { parseScope } from '../scope.js';
import { findActiveAccessToken, issueAccessToken, revokeAccessToken, type ActorClaim } from '../tokens/access-token.js';
import { verifyIdToken } from '../tokens/id-token.js';
import { isFamilyRevoked } from '../tokens/token-family.js';
import type { GrantResult, TokenBinding } from './index.js';

/** The grant type of OAuth 2.0 Token Exchange (RFC 8693 §2.1). */
export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';

/** RFC 8693 §3: the token type identifiers Gatehouse accepts and issues. */
const TOKEN_TYPES = {
  accessToken: 'urn:ietf:params:oauth:token-type:access_token',
  idToken: 'urn:ietf:params:oauth:token-type:id_token',
} as const;

/**
 * Most actors one token may name, the current one and its nested prior actors (RFC 8693 §4.1): a
 * chain of exchanges cannot grow a token without bound.
 */
export const MAX_ACTORS = 5;

/** Key of a client's token exchange policy in {@link ClientRecord.extra}. */
export const TOKEN_EXCHANGE_POLICY = 'token_exchange';

/** What a client may do with token exchange, beyond exchanging the tokens issued to itself. */
export interface TokenExchangePolicy {
  /**
   * May exchange without an actor token and get a token without `act` (impersonation, RFC 8693
   * §1.1). Off: the client is recorded as the actor (delegation).
   */
  impersonation: boolean;
}

/** The client's {@link TokenExchangePolicy}, from its metadata; nothing beyond its own tokens by default. */
export function tokenExchangePolicy(client: ClientRecord): TokenExchangePolicy {
  const stored = client.extra[TOKEN_EXCHANGE_POLICY];
  const policy = stored !== null && typeof stored === 'object' && !Array.isArray(stored) ? stored : {};
  return { impersonation: policy.impersonation === true };
}

/** A subject or actor token, verified, with what the exchange needs of it. */
export interface PresentedToken {
  type: 'access_token' | 'id_token';
  sub: string;
  /** The client it was issued to: `client_id` of an access token; the audience of an ID token. */
  issuedTo: string[];
  audience: string[];
  /** Its scope; for an ID token, the scope of the consent it rests on (narrowed as at sign-in). */
  scope: string[];
  /** For an ID token, the authentication methods of its sign-in. */
  amr: string[];
  act: ActorClaim | undefined;
  /** Expiry, seconds since the epoch. */
  exp: number;
  familyId: string | null;
  consentId: string | null;
  familyIssuedAt: number | undefined;
}

/**
 * A token of this server of the given RFC 8693 §3 type, valid now: for an access token the checks
 * of introspection and UserInfo (`findActiveAccessToken`: signature or hash, issuer, expiry,
 * revocation, consent); for an ID token its signature, issuer and expiry, and the standing consent
 * of its user to the client it was issued to. `undefined` for anything else, garbage included.
 */
async function readPresentedToken(
  ctx: Pick<ServerContext, 'clock' | 'config' | 'keys' | 'secrets' | 'store'>,
  token: string,
  type: string,
  client: ClientRecord,
): Promise<PresentedToken | undefined> {
  if (type === TOKEN_TYPES.accessToken) {
    const active = await findActiveAccessToken(ctx, token);
    if (!active) return undefined;
    const { claims } = active;
    return {
      type: 'access_token',
      sub: claims.sub,
      issuedTo: [claims.client_id],
      audience: Array.isArray(claims.aud) ? claims.aud : [claims.aud],
      scope: parseScope(claims.scope),
      act: claims.act,
      amr: [],
      exp: claims.exp,
      familyId: active.familyId,
      consentId: active.consentId,
      familyIssuedAt: active.familyIssuedAt,
    };
  }
  const verified = await verifyIdToken(ctx, token, { now: ctx.clock.now() });
  // An ID token stands for its user at the client it was issued to, and only while the user's
  // consent to that client stands: it is only ever the requesting client's own (checked again by the caller).
  if (!verified?.audience.includes(client.clientId)) return undefined;
  const consent = await findConsent(ctx, verified.sub, client.clientId);
  // The ID token's issue time stands for its token family's start: a revocation after it ends it.
  const familyIssuedAt = verified.iat * 1000;
  if (!consent || !(await isConsentActive(ctx, consent.id, familyIssuedAt))) return undefined;
  return {
    type: 'id_token',
    sub: verified.sub,
    issuedTo: verified.audience,
    audience: verified.audience,
    scope: parseScope(consent.scope),
    act: undefined,
    amr: verified.amr,
    exp: verified.exp,
    familyId: null,
    consentId: consent.id,
    familyIssuedAt,
  };
}

/**
 * Whether the client legitimately holds the subject token: it was issued to the client, or it is
 * an access token for an API the client serves as a resource server (its `servedResources`; the issuer
 * never counts, being every token's audience for UserInfo). Anything else is a token the client
 * should not have, and exchanging it would let one client turn another's tokens into its own.
 */
export function holdsSubjectToken(client: ClientRecord, token: Pick<PresentedToken, 'type' | 'issuedTo' | 'audience'>, issuer: string): boolean {
  if (token.issuedTo.includes(client.clientId)) return true;
  if (token.type !== 'access_token') return false;
  const served = client.servedResources.filter((audience) => audience !== issuer);
  return token.audience.some((audience) => served.includes(audience));
}

/**
 * The `act` claim of the new token (RFC 8693 §4.1). Delegation, the default: the requesting client
 * is the current actor, and the subject token's actors, if any, are nested as prior actors (the
 * same actor twice in a row is named once). Impersonation (only without an actor token, and only
 * when the client's policy allows it): no new actor; an `act` the subject token already carries is
 * kept, so an exchange never hides that a delegation took place.
 */
export function actorClaim(clientId: string, subjectAct: ActorClaim | undefined, impersonate: boolean): ActorClaim | undefined {
  if (impersonate) return subjectAct;
  if (subjectAct?.sub === clientId) return subjectAct;
  const act: ActorClaim = { sub: clientId, ...(subjectAct ? { act: subjectAct } : {}) };
  if (actorCount(act) > MAX_ACTORS) throw new OAuthError('invalid_request', 'the subject_token has too long a chain of delegation');
  return act;
}

function actorCount(act: ActorClaim | undefined): number {
  let count = 0;
  for (let current = act; current; current = current.act) count++;
  return count;
}

/**
 * The scope of the new token: what was asked for, which may only narrow the subject token's scope
 * and stay within the client's registered scopes (RFC 6749 §5.2 `invalid_scope`: "exceeds the scope
 * granted by the resource owner"); none asked for: all of the subject token's the client may have.
 */
export function exchangedScope(requested: string[], subjectScope: string[], clientScope: string[]): string[] {
  if (requested.some((scope) => !subjectScope.includes(scope))) {
    throw new OAuthError('invalid_scope', 'the requested scope exceeds the scope of the subject_token');
  }
  if (requested.some((scope) => !clientScope.includes(scope))) throw new OAuthError('invalid_scope', 'a requested scope is not allowed for this client');
  return requested.length > 0 ? requested : subjectScope.filter((scope) => clientScope.includes(scope));
}

/**
 * The targets of the new token: `resource` (RFC 8707) and `audience` (RFC 8693 §2.1) alike, each an
 * absolute URI the client may ask tokens for (`resolveAudience`). An `audience` that is a logical
 * name (a client id, say) is refused: the token's `aud` names resources, and a resource server
 * recognises itself by its URI (RFC 9068 §4).
 */
async function exchangedAudience(
  ctx: Pick<ServerContext, 'config' | 'store'>,
  client: ClientRecord,
  params: FormParams,
  scope: string[],
  granted: string[] | undefined,
): Promise<string[]> {
  const audiences = params.getAll('audience');
  if (audiences.some((audience) => !URL.canParse(audience) || audience.includes('#'))) {
    throw new OAuthError('invalid_target', 'audience must be the absolute URI of a resource without a fragment');
  }
  return resolveAudience(ctx, client, { requested: [...params.getAll('resource'), ...audiences], granted, scope });
}

/**
 * The resources the client's own user token may be exchanged for: those the user's consent to the
 * client is limited to (RFC 8707, `consentedResources`), as for a refresh of a grant bound to them,
 * so that an exchange does not reach an API the user never allowed the client. `undefined` (no
 * limit beyond the client's) for a consent not limited, a token without a consent (client
 * credentials), and a token held as the API it was issued for (a resource server's delegation
 * onward, RFC 8693 §1.1).
 */
async function consentLimit(ctx: Pick<ServerContext, 'store'>, client: ClientRecord, subject: PresentedToken): Promise<string[] | undefined> {
  if (subject.consentId === null || !subject.issuedTo.includes(client.clientId)) return undefined;
  const consent = await ctx.store.consents.get(subject.consentId);
  return consent ? consentedResources(consent) : undefined;
}

/** The request's parameters (RFC 8693 §2.1), each checked for presence and type before any token is looked at. */
function readExchangeRequest(params: FormParams): { subjectToken: string; subjectTokenType: string; actor?: { token: string; type: string } } {
  const subjectToken = params.get('subject_token');
  const subjectTokenType = params.get('subject_token_type');
  if (subjectToken === undefined) throw new OAuthError('invalid_request', 'subject_token is required');
  if (subjectTokenType === undefined) throw new OAuthError('invalid_request', 'subject_token_type is required');
  const actorToken = params.get('actor_token');
  const actorTokenType = params.get('actor_token_type');
  // §2.1: actor_token_type is REQUIRED with actor_token and MUST NOT be included without it.
  if (actorToken === undefined && actorTokenType !== undefined) throw new OAuthError('invalid_request', 'actor_token_type is given without actor_token');
  if (actorToken !== undefined && actorTokenType === undefined) throw new OAuthError('invalid_request', 'actor_token_type is required with actor_token');
  const supported = Object.values(TOKEN_TYPES) as string[];
  if (!supported.includes(subjectTokenType)) throw new OAuthError('invalid_request', 'the subject_token_type is not supported');
  if (actorTokenType !== undefined && !supported.includes(actorTokenType)) throw new OAuthError('invalid_request', 'the actor_token_type is not supported');
  const requested = params.get('requested_token_type');
  if (requested !== undefined && requested !== TOKEN_TYPES.accessToken) {
    throw new OAuthError('invalid_request', 'only access tokens can be requested (requested_token_type)');
  }
  return { subjectToken, subjectTokenType, ...(actorToken !== undefined ? { actor: { token: actorToken, type: actorTokenType! } } : {}) };
}

/**
 * OAuth 2.0 Token Exchange (RFC 8693): a confidential client trades a user's token it holds for an
 * access token with another audience or a narrower scope, for the same user (`sub`), never another.
 *
 * - Client: authenticated, and registered for the grant (the token endpoint checks); public clients
 *   are refused (§2.1: without client authentication anyone holding a leaked token could exchange
 *   it; RFC 9700 §2.3 audience and privilege restriction rely on knowing who asks).
 * - Subject token: an access token or ID token of this server, active, held by the client
 *   ({@link holdsSubjectToken}).
 * - Actor token (optional): must be the client's own access token (client credentials); its
 *   presence makes the exchange a delegation. Without it, delegation with the client as actor,
 *   unless the client's policy allows impersonation ({@link actorClaim}).
 * - Audience: the client's own user token reaches only the resources the user's consent is limited
 *   to, if it is (RFC 8707, {@link consentLimit}).
 * - The new token rests on the subject token's grant (token family, consent), so revoking that
 *   revokes it, and expires no later than the subject and actor tokens. No refresh token.
 *
 * Errors (§2.2.2): a token that is invalid, expired, revoked or unacceptable by policy is
 * `invalid_request` ("MUST be the invalid_request error code"); a target that cannot be served,
 * `invalid_target`; a scope beyond the subject token's, `invalid_scope`. Every outcome is audited
 * (`token.exchanged`, `token.exchange_refused`), never with a token.
 */
export async function tokenExchangeGrant(
  ctx: Pick<ServerContext, 'audit' | 'clock' | 'config' | 'keys' | 'secrets' | 'store'>,
  client: ClientRecord,
  params: FormParams,
  binding: TokenBinding,
): Promise<GrantResult> {
  const known: { sub?: string; actor?: string } = {};
  try {
    return await exchange(ctx, client, params, binding, known);
  } catch (error) {
    if (error instanceof OAuthError) {
      ctx.audit.recordLater(
        auditEvent('token.exchange_refused', {
          client_id: client.clientId,
          sub: known.sub ?? null,
          actor: known.actor ?? null,
          error: error.error,
          reason: error.message,
        }),
      );
    }
    throw error;
  }
}

async function exchange(
  ctx: Pick<ServerContext, 'audit' | 'clock' | 'config' | 'keys' | 'secrets' | 'store'>,
  client: ClientRecord,
  params: FormParams,
  binding: TokenBinding,
  known: { sub?: string; actor?: string },
): Promise<GrantResult> {
  if (client.tokenEndpointAuthMethod === 'none') throw new OAuthError('unauthorized_client', 'public clients cannot use token exchange');
  const request = readExchangeRequest(params);
  const requestedScope = parseScope(params.get('scope'));

  const subject = await readPresentedToken(ctx, request.subjectToken, request.subjectTokenType, client);
  if (!subject) throw new OAuthError('invalid_request', 'the subject_token is invalid, expired or revoked');
  known.sub = subject.sub;
  if (!holdsSubjectToken(client, subject, ctx.config.issuer)) {
    throw new OAuthError('invalid_request', 'the subject_token was neither issued to this client nor for an API it serves');
  }
  if (subject.consentId !== null) {
    const user = await ctx.store.users.get(subject.sub);
    if (!user || user.disabled) throw new OAuthError('invalid_request', 'the user of the subject_token can no longer sign in');
    // An ID token stands for its user's consent, narrowed as at sign-in (`admin` and `admin:read`
    // only for an admin whose sign-in, by the ID token's `amr`, passed a second factor): an ID token
    // of a password-only sign-in never becomes an admin token, whatever the consent once recorded.
    if (subject.type === 'id_token') subject.scope = grantableAdminScope(subject.scope, user, subject.amr);
  }

  let actorExp: number | undefined;
  if (request.actor) {
    const actor = await readPresentedToken(ctx, request.actor.token, request.actor.type, client);
    if (!actor) throw new OAuthError('invalid_request', 'the actor_token is invalid, expired or revoked');
    known.actor = actor.sub;
    // The actor must be the client itself: a token of another user or client would let the client
    // claim to act for someone it cannot prove it is (an ID token always stands for a user).
    if (actor.type !== 'access_token' || actor.sub !== client.clientId || !actor.issuedTo.includes(client.clientId)) {
      throw new OAuthError('invalid_request', 'the actor_token must be an access token of the requesting client itself');
    }
    actorExp = actor.exp;
  }
  const impersonate = request.actor === undefined && tokenExchangePolicy(client).impersonation;
  const act = actorClaim(client.clientId, subject.act, impersonate);
  known.actor = act?.sub;

  const scope = exchangedScope(requestedScope, subject.scope, parseScope(client.scope));
  const audience = await exchangedAudience(ctx, client, params, scope, await consentLimit(ctx, client, subject));

  const issued = await issueAccessToken(ctx, {
    subject: subject.sub,
    clientId: client.clientId,
    scope,
    audience,
    familyId: subject.familyId,
    consentId: subject.consentId,
    familyIssuedAt: subject.familyIssuedAt,
    act,
    notAfter: Math.min(subject.exp, actorExp ?? Infinity),
    // RFC 9449 §6: bound to the key the requesting client proves, whatever bound the subject token.
    jkt: binding.jkt,
  });
  // The subject's family revoked while this ran (a concurrent reuse or revocation): no token
  // outlives its family, as in `issueUserTokens`.
  if (subject.familyId !== null && (await isFamilyRevoked(ctx, subject.familyId))) {
    await revokeAccessToken(ctx, issued.claims);
    throw new OAuthError('invalid_request', 'the subject_token is invalid, expired or revoked');
  }
  ctx.audit.recordLater(
    auditEvent('token.exchanged', {
      client_id: client.clientId,
      sub: subject.sub,
      // Not `subject_token_type`: the audit log redacts every key naming a token.
      subject_type: subject.type,
      subject_client_id: subject.type === 'access_token' ? subject.issuedTo[0]! : client.clientId,
      actor: act?.sub ?? null,
      impersonation: impersonate,
      audience,
      scope: scope.join(' '),
    }),
  );
  return {
    tokens: {
      access_token: issued.token,
      // RFC 8693 §2.2.1: REQUIRED; an OAuth access token, used as a Bearer or DPoP (RFC 9449 §5) token.
      issued_token_type: TOKEN_TYPES.accessToken,
      token_type: issued.tokenType,
      expires_in: issued.expiresIn,
      // §2.2.1: REQUIRED unless identical to the scope requested; always given.
      ...(scope.length > 0 ? { scope: scope.join(' ') } : {}),
    },
    subject: subject.sub,
  };
}
