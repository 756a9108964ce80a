/**
 * Signed request objects (RFC 9101, OIDC Core §6.1): an authorization request whose parameters come
 * as a JWS the client signed with one of its registered keys, so nobody between the client and this
 * server (the browser, an extension, a proxy) can change them.
 */
import { OAuthError } from '../../core/errors.js';
import type { ClientRecord } from '../../stores/contract.js';
import { CLIENT_SIGNING_ALGS, ClientJwtRefused, ClientKeysUnavailable, verifyClientJwt } from '../clients/client-keys.js';
import { profileSigningAlgs } from '../clients/profiles.js';
import type { ServerContext } from '../context.js';
import { parseForm, type FormParams } from '../http/form.js';
import { AUTHORIZATION_REPEATABLE } from './params.js';
import { AuthorizationError } from './request.js';

/** Longest accepted lifetime of a request object (`exp` from now, and from `iat`), seconds: FAPI's 60 minutes. */
const MAX_REQUEST_OBJECT_LIFETIME_SECONDS = 3600;
const SKEW_SECONDS = 30;
/** Longest accepted `request` parameter. */
const MAX_REQUEST_OBJECT_LENGTH = 16_384;
/** JWT claims of the request object itself, not authorization request parameters. */
const JWT_CLAIMS = new Set(['iss', 'aud', 'exp', 'iat', 'nbf', 'jti', 'sub']);

/** What verifying a request object works with. */
export type RequestObjectContext = Pick<ServerContext, 'clock' | 'config' | 'clientKeys'>;

/** The `request_object_signing_alg_values_supported` of discovery: asymmetric only, never `none` or HMAC. */
export const REQUEST_OBJECT_SIGNING_ALGS: readonly string[] = CLIENT_SIGNING_ALGS;

function invalidRequestObject(description: string): OAuthError {
  return new OAuthError('invalid_request_object', description);
}

/**
 * Verifies a request object (`request`, RFC 9101 §6.1) of `client` and returns the authorization
 * request's parameters: those inside it, and only those (RFC 9101 §5: the server "MUST only use the
 * parameters in the Request Object"; OIDC Core §6.1's merge with the outer parameters is what
 * RFC 9101 replaced, so an outer parameter other than `client_id` is ignored, not merged).
 *
 * Checked: the signature by one of the client's keys (`jwks`/`jwks_uri`) under its
 * `request_object_signing_alg`, else any of {@link REQUEST_OBJECT_SIGNING_ALGS}: an unsigned
 * (`alg: none`) object is refused, required or not (simplest safe rule; FAPI forbids them); `iss`
 * the client; `aud` this server's issuer alone (RFC 9101 §4 "SHOULD", required here);
 * `exp` present and at most {@link MAX_REQUEST_OBJECT_LIFETIME_SECONDS} away; `nbf`/`iat` not in
 * the future; `client_id` inside equal to the client's (§5); no `request` or `request_uri` inside.
 * `jti` is not made single use: the object authorizes nothing by itself (the code, PKCE and `state`
 * bind the flow), and pushed requests (RFC 9126) are single use on their own.
 *
 * The pushed authorization request endpoint calls this at push time (RFC 9126 §3).
 *
 * @throws {OAuthError} `invalid_request_object` (400), with a fixed description.
 */
export async function verifyRequestObject(ctx: RequestObjectContext, client: ClientRecord, jws: string): Promise<FormParams> {
  if (jws.length > MAX_REQUEST_OBJECT_LENGTH) throw invalidRequestObject('the request object is too long');
  let payload: Record<string, unknown>;
  try {
    payload = await verifyClientJwt(ctx.clientKeys, ctx.clock, client, jws, {
      algorithms: profileSigningAlgs(client, client.requestObjectSigningAlg !== undefined ? [client.requestObjectSigningAlg] : REQUEST_OBJECT_SIGNING_ALGS),
      types: ['jwt', 'oauth-authz-req+jwt'],
      audience: ctx.config.issuer,
      maxLifetimeSeconds: MAX_REQUEST_OBJECT_LIFETIME_SECONDS,
      skewSeconds: SKEW_SECONDS,
    });
  } catch (error) {
    if (error instanceof ClientKeysUnavailable) throw invalidRequestObject('the request object cannot be verified: the client keys are not available');
    if (error instanceof ClientJwtRefused) throw invalidRequestObject(`the request object is not valid (${error.reason.replace(/_/g, ' ')})`);
    throw error;
  }
  if (payload.client_id !== client.clientId) throw invalidRequestObject('client_id in the request object does not match the request');
  if (payload.request !== undefined || payload.request_uri !== undefined) throw invalidRequestObject('a request object must not hold request or request_uri');
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(payload)) {
    if (JWT_CLAIMS.has(name) || value === null || value === '') continue;
    if (AUTHORIZATION_REPEATABLE.includes(name)) {
      const values = Array.isArray(value) ? value : [value];
      if (!values.every((item) => typeof item === 'string')) throw invalidRequestObject(`${name} must be a string or an array of strings`);
      for (const item of values) search.append(name, item);
    } else if (typeof value === 'string') {
      search.append(name, value);
    } else if (typeof value === 'number' || typeof value === 'boolean') {
      search.append(name, String(value));
    } else if (typeof value === 'object' && !Array.isArray(value)) {
      // JSON-valued parameters (`claims`, OIDC Core §5.5) travel as JSON objects inside (RFC 9101 §4).
      search.append(name, JSON.stringify(value));
    } else {
      throw invalidRequestObject('a parameter of the request object has a value of the wrong type');
    }
  }
  return parseForm(search.toString(), AUTHORIZATION_REPEATABLE);
}

/**
 * The authorization endpoint's step: when the request carries `request` (or `request_uri`), its
 * parameters replace the outer ones for every check after it, `redirect_uri` included. It runs
 * before the redirect URI is checked, so its refusals are shown on a page (RFC 6749 §4.1.2.1: the
 * redirect URI of an unverified request is not trusted). A client registered with
 * `require_signed_request_object` (RFC 9101 §10.5) must send one: `invalid_request` otherwise.
 */
export async function checkRequestObject({
  ctx,
  params,
  client,
  requestObject,
}: {
  ctx: RequestObjectContext;
  params: FormParams;
  client: ClientRecord;
  requestObject: boolean;
}): Promise<{ params: FormParams }> {
  // Parameters pushed as a signed request object were verified at push (RFC 9126 §3).
  if (requestObject) return { params };
  const request = params.get('request');
  const requestUri = params.get('request_uri');
  try {
    if (request !== undefined && requestUri !== undefined) throw new OAuthError('invalid_request', 'request and request_uri must not be used together');
    // `request_uri` (RFC 9101 §5.2) by reference, a URL of the client's, stays refused: fetching it
    // would be one more way to make the server fetch (discovery: request_uri_parameter_supported false).
    // A pushed request's `urn:ietf:params:oauth:request_uri:` (RFC 9126 §4) was resolved before
    // this step (resolvePushedRequest), so any request_uri here is by reference.
    if (requestUri !== undefined) throw new OAuthError('request_uri_not_supported', 'request_uri is not supported');
    if (request === undefined) {
      if (client.requireSignedRequestObject === true) throw new OAuthError('invalid_request', 'this client must send its request as a signed request object');
      return { params };
    }
    return { params: await verifyRequestObject(ctx, client, request) };
  } catch (error) {
    if (error instanceof OAuthError) throw new AuthorizationError(error.error, error.message);
    throw error;
  }
}
