import { OAuthError } from '../core/errors.js';
import type { ClientAuthMethod, ClientRecord } from '../stores/contract.js';
import type { FormParams } from './http/form.js';
import { parseIpRanges } from './protection/ip-ranges.js';
import type { AuditLog } from './audit/audit-log.js';
import { auditEvent } from './audit/events.js';
import { rateLimitedError, recordRateLimitHit } from './protection/rate-limited.js';
import { clientAddress, type ServerContext } from './context.js';
import { ClientDocumentError } from './clients/client-documents.js';
import { findClient } from './clients/find-client.js';
import { decodeJwt } from 'jose';
import { StoreConflictError } from '../stores/contract.js';
import { CLIENT_SIGNING_ALGS, ClientJwtRefused, ClientKeysUnavailable, verifyClientJwt } from './clients/client-keys.js';
import { profileSigningAlgs } from './clients/profiles.js';

/** Purpose label of the keyed hash of client secrets. */
export const CLIENT_SECRET_PURPOSE = 'client-secret';

/** What the request presented, before it is checked against the registry. */
interface PresentedCredentials {
  method: ClientAuthMethod;
  clientId: string;
  clientSecret?: string;
  /** The JWT of `private_key_jwt` (RFC 7523 §2.2), not yet verified. */
  assertion?: string;
}

/** RFC 7523 §2.2: the `client_assertion_type` of a JWT client assertion. */
export const JWT_BEARER_ASSERTION = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** Longest accepted lifetime of a client assertion (`exp` from now, and from `iat`): seconds. */
const MAX_ASSERTION_LIFETIME_SECONDS = 300;
/** Clock difference tolerated between the client and this server, seconds. */
const ASSERTION_SKEW_SECONDS = 30;
const MAX_ASSERTION_LENGTH = 8192;
const MAX_JTI_LENGTH = 256;
/** Artifact kind recording a client assertion's `jti` as used (RFC 7523 §3 item 7), until the assertion expires. */
const USED_ASSERTION = 'client_assertion_jti';

/** Authentication methods this server supports at its token, introspection and revocation endpoints. */
export const CLIENT_AUTH_METHODS: readonly ClientAuthMethod[] = ['client_secret_basic', 'client_secret_post', 'none', 'private_key_jwt'];

/** Whether a client of this method is given a secret (the `client_secret_*` methods; not `none`, not `private_key_jwt`). */
export function usesClientSecret(method: ClientAuthMethod): boolean {
  return method === 'client_secret_basic' || method === 'client_secret_post';
}

/** What client authentication works with. */
export type ClientAuthContext = Pick<
  ServerContext,
  'store' | 'secrets' | 'audit' | 'limits' | 'metrics' | 'request' | 'clientDocuments' | 'clientKeys' | 'clock' | 'config'
>;

/**
 * Authenticates the client of a back-channel request (RFC 6749 §2.3).
 * Exactly one method may be used (§2.3: "MUST NOT use more than one authentication method").
 * Every failure is `invalid_client` (401 with `WWW-Authenticate`, §5.2) without saying whether the
 * client exists. Spend, then check: each attempt takes a point of the client id + address budget
 * (`clientAuthPerClientIp`) before the secret is compared, and a success gives it back, so a flood
 * of guesses gets `429` once the budget is spent, even with the right secret inside it.
 */
export async function authenticateClient(ctx: ClientAuthContext, request: Request, params: FormParams): Promise<ClientRecord> {
  const { secrets, audit, limits } = ctx;
  const presented = presentedCredentials(request, params);
  const ip = clientAddress(ctx);
  let client: ClientRecord | undefined;
  let documentRefused = false;
  try {
    client = await findClient(ctx, presented.clientId);
  } catch (error) {
    // CIMD: a document that cannot be fetched or is invalid is no client: invalid_client, as an
    // unknown one (the reason is logged where the document was refused).
    if (!(error instanceof ClientDocumentError)) throw error;
    documentRefused = true;
  }
  const attempt = await limits.reserve([{ limiter: 'clientAuthPerClientIp', key: `${presented.clientId}|${ip}` }]);
  if (attempt.limited) {
    await recordRateLimitHit(ctx, attempt.limited, client ? { client_id: client.clientId } : {});
    throw rateLimitedError(attempt.limited);
  }
  const failed = async (reason: string) => {
    // Bounded: a flood of unknown client ids (or wrong secrets) cannot grow the audit chain without end.
    if (await limits.auditAllowed(`client.authentication_failed:${reason}`, client === undefined ? ip : `${presented.clientId}|${ip}`)) {
      audit.recordLater(auditEvent('client.authentication_failed', { ...(client ? { client_id: client.clientId } : {}), reason }));
    }
    return invalidClient('client authentication failed');
  };
  if (!client) throw await failed(documentRefused ? 'metadata_document_refused' : 'unknown_client');
  // Same answer as for an unknown client: saying which method is expected would confirm the client exists.
  if (client.tokenEndpointAuthMethod !== presented.method) throw await failed('wrong_method');
  if (presented.method === 'private_key_jwt') {
    const refused = await checkClientAssertion(ctx, client, presented.assertion!);
    if (refused !== undefined) throw await failed(refused);
  } else if (presented.method !== 'none') {
    const valid =
      client.clientSecretHash !== null &&
      presented.clientSecret !== undefined &&
      secrets.verifyHash(presented.clientSecret, CLIENT_SECRET_PURPOSE, client.clientSecretHash);
    if (!valid) throw await failed('bad_secret');
  }
  await attempt.refund();
  await checkClientAddress(client, audit, ctx.request.ip);
  return client;
}

/**
 * `private_key_jwt` (RFC 7523 §2.2, §3; OIDC Core §9): the assertion is signed by one of the client's
 * keys with an asymmetric algorithm (its `token_endpoint_auth_signing_alg`, else any of
 * {@link CLIENT_SIGNING_ALGS}); `iss` and `sub` are its client id; `aud` is this server's issuer
 * identifier as the sole value, and nothing else, not even the token endpoint URL:
 * draft-ietf-oauth-rfc7523bis §4 (the audience injection attack: a client that trusts several
 * servers could be led to sign an assertion for an endpoint URL a malicious server claims, which
 * that server then replays here; only the issuer identifier, which RFC 9207/8414 bind to one
 * server, cannot be claimed by another); `exp` is required and at most
 * {@link MAX_ASSERTION_LIFETIME_SECONDS} away; `jti` is required and single use (§3 item 7),
 * recorded atomically in the store until the assertion expires, so a replay fails on every
 * instance however many race. Returns the refusal's reason, or `undefined` when the assertion holds.
 */
async function checkClientAssertion(ctx: ClientAuthContext, client: ClientRecord, assertion: string): Promise<string | undefined> {
  let payload;
  try {
    payload = await verifyClientJwt(ctx.clientKeys, ctx.clock, client, assertion, {
      algorithms: profileSigningAlgs(client, client.tokenEndpointAuthSigningAlg !== undefined ? [client.tokenEndpointAuthSigningAlg] : CLIENT_SIGNING_ALGS),
      types: ['jwt', 'client-authentication+jwt'],
      audience: ctx.config.issuer,
      maxLifetimeSeconds: MAX_ASSERTION_LIFETIME_SECONDS,
      skewSeconds: ASSERTION_SKEW_SECONDS,
    });
  } catch (error) {
    if (error instanceof ClientJwtRefused || error instanceof ClientKeysUnavailable) return `assertion_${error.reason}`;
    throw error;
  }
  if (payload.sub !== client.clientId) return 'assertion_sub';
  // A signed request object (RFC 9101) of the same client is no assertion, though signed by the same
  // key with the issuer as audience: it always holds response_type, an assertion never does
  // (cross-JWT confusion, RFC 8725 §2.8; request objects travel through the browser).
  if (payload.response_type !== undefined) return 'assertion_type';
  const jti = payload.jti;
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > MAX_JTI_LENGTH) return 'assertion_jti';
  // Spend and check at once: the store's put is an atomic insert, so of N racing uses one records the jti.
  try {
    await ctx.store.artifacts.put({
      kind: USED_ASSERTION,
      id: ctx.secrets.hash(`${client.clientId}\n${jti}`, USED_ASSERTION),
      value: null,
      ownerId: null,
      expiresAt: (payload.exp! + ASSERTION_SKEW_SECONDS) * 1000,
    });
  } catch (error) {
    if (error instanceof StoreConflictError) return 'assertion_replayed';
    throw error;
  }
  return undefined;
}

/**
 * A client registered with `allowed_ips` may call the token, introspection and revocation
 * endpoints only from those addresses (IPv4/IPv6 CIDR); anything else is refused, and logged.
 */
async function checkClientAddress(client: ClientRecord, audit: AuditLog, ip: string | null): Promise<void> {
  const allowed = client.extra.allowed_ips;
  if (!Array.isArray(allowed) || allowed.length === 0) return;
  if (parseIpRanges(allowed as string[], 'allowed_ips').has(ip)) return;
  await audit.record(auditEvent('client.address_refused', { client_id: client.clientId }));
  throw new OAuthError('unauthorized_client', 'requests for this client are not allowed from this address', { status: 403 });
}

function presentedCredentials(request: Request, params: FormParams): PresentedCredentials {
  const authorization = request.headers.get('authorization');
  const bodyId = params.get('client_id');
  const bodySecret = params.get('client_secret');
  const assertionType = params.get('client_assertion_type');
  const assertion = params.get('client_assertion');
  if (assertionType !== undefined || assertion !== undefined) {
    if (authorization !== null || bodySecret !== undefined) {
      throw new OAuthError('invalid_request', 'the client must not use more than one authentication method');
    }
    return presentedAssertion(assertionType, assertion, bodyId);
  }
  if (authorization !== null) {
    const basic = parseBasic(authorization);
    if (bodySecret !== undefined) {
      throw new OAuthError('invalid_request', 'the client must not use more than one authentication method');
    }
    if (bodyId !== undefined && bodyId !== basic.clientId) {
      throw new OAuthError('invalid_request', 'client_id in the body does not match the Authorization header');
    }
    return { method: 'client_secret_basic', ...basic };
  }
  if (bodyId === undefined) throw invalidClient('client authentication is required');
  if (bodySecret !== undefined) return { method: 'client_secret_post', clientId: bodyId, clientSecret: bodySecret };
  return { method: 'none', clientId: bodyId };
}

/**
 * RFC 7521 §4.2: `client_assertion_type` and `client_assertion` together; the client is the
 * assertion's `iss` (read here unverified, to find its keys), and a `client_id` in the body must
 * name the same client.
 */
function presentedAssertion(type: string | undefined, assertion: string | undefined, bodyId: string | undefined): PresentedCredentials {
  if (type !== JWT_BEARER_ASSERTION) throw invalidClient('client_assertion_type is not supported');
  if (assertion === undefined || assertion.length > MAX_ASSERTION_LENGTH) throw invalidClient('client_assertion is missing or too long');
  let iss: unknown;
  try {
    iss = decodeJwt(assertion).iss;
  } catch {
    throw invalidClient('client_assertion is not a JWT');
  }
  if (typeof iss !== 'string' || iss === '') throw invalidClient('client_assertion has no iss');
  if (bodyId !== undefined && bodyId !== iss) throw invalidClient('client_id does not match the client assertion');
  return { method: 'private_key_jwt', clientId: iss, assertion };
}

/**
 * HTTP Basic with the client id and secret each form-urlencoded before Base64 (RFC 6749 §2.3.1),
 * so `+` in either part stands for a space and `%2B` for a plus.
 */
function parseBasic(header: string): { clientId: string; clientSecret: string } {
  const match = /^basic +([A-Za-z0-9+/]+={0,2}) *$/i.exec(header);
  if (!match) throw invalidClient('the Authorization header is not valid HTTP Basic credentials');
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw invalidClient('the Authorization header is not valid HTTP Basic credentials');
  try {
    const clientId = formDecode(decoded.slice(0, colon));
    const clientSecret = formDecode(decoded.slice(colon + 1));
    if (!clientId) throw new Error('empty client id');
    return { clientId, clientSecret };
  } catch {
    throw invalidClient('the Authorization header is not valid HTTP Basic credentials');
  }
}

function formDecode(value: string): string {
  return decodeURIComponent(value.replace(/\+/g, ' '));
}

/** RFC 6749 §5.2 `invalid_client`; RFC 7235 §3.1 requires `WWW-Authenticate` on every 401. */
export function invalidClient(description: string): OAuthError {
  return new OAuthError('invalid_client', description, {
    status: 401,
    headers: { 'WWW-Authenticate': 'Basic realm="gatehouse", charset="UTF-8"' },
  });
}
