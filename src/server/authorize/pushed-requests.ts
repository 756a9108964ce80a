/**
 * Pushed authorization requests (RFC 9126) as short-lived artifacts: the pushed endpoint stores a
 * request it validated, and the authorization endpoint takes it back, once, by its `request_uri`.
 *
 * - `pushed_request`, keyed by a keyed hash of the random part of the `request_uri` (never stored
 *   itself): the pushing client and the request's parameters, form-encoded as the authorization
 *   endpoint reads them. Consumed atomically by the first authorization request that presents it,
 *   so of any number of concurrent uses exactly one proceeds (RFC 9126 §4: "one-time use").
 */
import { randomToken } from '../../core/encoding.js';
import type { ClientRecord, Json } from '../../stores/contract.js';
import type { ServerContext } from '../context.js';
import { OAuthError } from '../../core/errors.js';
import { parseForm, type FormParams } from '../http/form.js';
import { FAPI2_MAX_REQUEST_URI_TTL, isFapi2 } from '../clients/profiles.js';
import { AUTHORIZATION_REPEATABLE } from './params.js';
import { verifyRequestObject, type RequestObjectContext } from './request-object.js';
import { refuse, AuthorizationError, type AuthorizationTarget } from './request.js';

/** RFC 9126 §2.2: the URN prefix of the `request_uri` values this server issues. */
export const PAR_REQUEST_URI_PREFIX = 'urn:ietf:params:oauth:request_uri:';
const PUSHED_REQUEST = 'pushed_request';
const PURPOSE = 'par-request-uri';
/** 32 random bytes (256 bits; RFC 9126 §7.1 asks for a value that cannot be guessed). */
const REFERENCE_BYTES = 32;
/** The longest `request_uri` that can be one of ours: the prefix and a base64url reference. */
const MAX_REQUEST_URI_LENGTH = PAR_REQUEST_URI_PREFIX.length + 64;

/**
 * What the pushed request's body holds that is no part of the authorization request: the client's
 * credentials (RFC 6749 §2.3.1 `client_secret`; RFC 7523 §2.2 assertions). They authenticate the
 * push and are never stored.
 */
const CLIENT_AUTH_PARAMETERS = new Set(['client_secret', 'client_assertion', 'client_assertion_type']);

interface PushedRequest {
  [key: string]: Json | undefined;
  clientId: string;
  /** The authorization request's parameters, form-encoded. */
  params: string;
  /** Milliseconds: when the `request_uri` stops working (judged by the server's clock as well as the store's). */
  expiresAt: number;
  /** The parameters are a signed request object's, verified at push (RFC 9126 §3). */
  requestObject?: true;
}

const artifactId = (ctx: Pick<ServerContext, 'secrets'>, reference: string) => ctx.secrets.hash(reference, PURPOSE);

/**
 * The authorization request parameters of a pushed request's body (RFC 9126 §2.1), for the
 * authorization endpoint's checks, which run on them next. The one place a pushed body's
 * `request` or `request_uri` is decided:
 * - `request_uri` is refused (§2.1: "The request_uri authorization request parameter is one
 *   exception, and it MUST NOT be provided");
 * - `request`, a signed request object (RFC 9126 §3, RFC 9101), is verified with the client's
 *   keys, and then only its parameters are used (RFC 9101 §5: the others of the body are ignored);
 *   a client registered with `require_signed_request_object` must push one (`invalid_request`);
 * - `client_id`, when present, names the authenticated client (§2.1), and is filled in when the
 *   client authenticated without it (HTTP Basic);
 * - the client's credentials are left out.
 */
export async function pushedParameters({
  ctx,
  form,
  client,
}: {
  ctx: RequestObjectContext;
  form: FormParams;
  client: ClientRecord;
}): Promise<{ params: FormParams; requestObject: boolean }> {
  const clientId = form.get('client_id');
  if (clientId !== undefined && clientId !== client.clientId)
    throw new AuthorizationError('invalid_request', 'client_id does not match the authenticated client');
  if (form.get('request_uri') !== undefined) throw new AuthorizationError('invalid_request', 'request_uri must not be pushed (RFC 9126 section 2.1)');
  const request = form.get('request');
  let source = form;
  if (request !== undefined) {
    try {
      source = await verifyRequestObject(ctx, client, request);
    } catch (error) {
      if (error instanceof OAuthError) throw new AuthorizationError(error.error, error.message);
      throw error;
    }
  } else if (client.requireSignedRequestObject === true) {
    throw new AuthorizationError('invalid_request', 'this client must send its request as a signed request object');
  }
  // FAPI 2.0 §5.3.2.2: the redirect URI is always in the pushed request.
  if (isFapi2(client) && source.get('redirect_uri') === undefined) throw new AuthorizationError('invalid_request', 'redirect_uri is required');
  const search = new URLSearchParams();
  for (const [name, value] of source.entries()) if (!CLIENT_AUTH_PARAMETERS.has(name) && name !== 'client_id') search.append(name, value);
  search.set('client_id', client.clientId);
  return { params: parseForm(search.toString(), AUTHORIZATION_REPEATABLE), requestObject: request !== undefined };
}

/**
 * Stores a validated pushed request and returns its `request_uri` (256 random bits after the
 * RFC 9126 prefix; only their keyed hash is stored) and lifetime in seconds (`par.requestUriTtl`).
 */
export async function storePushedRequest(
  ctx: Pick<ServerContext, 'clock' | 'config' | 'secrets' | 'store'>,
  client: ClientRecord,
  params: FormParams,
  requestObject: boolean,
): Promise<{ requestUri: string; expiresIn: number }> {
  // FAPI 2.0 §5.3.2.2: under 600 seconds for its clients.
  const expiresIn = isFapi2(client) ? Math.min(ctx.config.par.requestUriTtl, FAPI2_MAX_REQUEST_URI_TTL) : ctx.config.par.requestUriTtl;
  const expiresAt = ctx.clock.now() + expiresIn * 1000;
  const reference = randomToken(REFERENCE_BYTES);
  const search = new URLSearchParams(params.entries());
  const value: PushedRequest = { clientId: client.clientId, params: search.toString(), expiresAt, ...(requestObject ? { requestObject: true as const } : {}) };
  await ctx.store.artifacts.put({ kind: PUSHED_REQUEST, id: artifactId(ctx, reference), value, ownerId: null, expiresAt });
  return { requestUri: `${PAR_REQUEST_URI_PREFIX}${reference}`, expiresIn };
}

/**
 * The authorization endpoint's first rule after reading the request (RFC 9126 §4): a `request_uri`
 * of this server's pushed requests, with the `client_id` of the client that pushed it, stands for
 * the pushed request, whose parameters replace the request's (any other query parameter is
 * ignored). It is consumed here, once: a reused, expired, unknown or other client's `request_uri`
 * is `invalid_request_uri`, shown on a page (nothing of the request is trusted yet to redirect to,
 * RFC 6749 §4.1.2.1). A browser reloading the authorization URL after that gets the same page;
 * the sign-in it started goes on at its interaction's own URL (§4 allows reloads to be accepted:
 * not done, so a leaked `request_uri` is worth nothing once used).
 *
 * Any other `request_uri` (a request object by reference, RFC 9101) is left to
 * `checkRequestObject`. `pushed` says whether the request came through `/par`, `requestObject`
 * whether its parameters are a signed request object's, verified at push.
 */
export async function resolvePushedRequest({
  ctx,
  params,
}: {
  ctx: Pick<ServerContext, 'clock' | 'secrets' | 'store'>;
  params: FormParams;
}): Promise<{ params: FormParams; pushed: boolean; requestObject: boolean }> {
  const requestUri = params.get('request_uri');
  if (!requestUri?.startsWith(PAR_REQUEST_URI_PREFIX)) return { params, pushed: false, requestObject: false };
  const clientId = params.get('client_id');
  if (clientId === undefined) throw new AuthorizationError('invalid_request', 'client_id is required');
  const invalid = () => new AuthorizationError('invalid_request_uri', 'the request_uri is unknown, expired or already used, or was pushed by another client');
  if (requestUri.length > MAX_REQUEST_URI_LENGTH) throw invalid();
  const id = artifactId(ctx, requestUri.slice(PAR_REQUEST_URI_PREFIX.length));
  const now = ctx.clock.now();
  // Looked at before it is consumed: another client's request_uri is refused without spending it.
  const found = await ctx.store.artifacts.get<PushedRequest>(PUSHED_REQUEST, id);
  if (found?.consumedAt !== null || found.value.clientId !== clientId || found.value.expiresAt <= now) throw invalid();
  if (!(await ctx.store.artifacts.consume(PUSHED_REQUEST, id, now))) throw invalid();
  return { params: parseForm(found.value.params, AUTHORIZATION_REPEATABLE), pushed: true, requestObject: found.value.requestObject === true };
}

/**
 * RFC 9126 §6: a client registered with `require_pushed_authorization_requests`, or any client
 * while `par.required` is on, must push its requests. A request sent straight to the authorization
 * endpoint is refused with `invalid_request`, redirected: by now its client and redirect URI are
 * registered ones (RFC 6749 §4.1.2.1), as at any other refused parameter.
 */
export function requirePushedRequest({
  ctx,
  client,
  target,
  pushed,
}: {
  ctx: Pick<ServerContext, 'config'>;
  client: ClientRecord;
  target: AuthorizationTarget;
  pushed: boolean;
}): undefined {
  if (pushed || !pushedRequestsRequired(ctx, client)) return;
  refuse(target, 'invalid_request', 'this client must push its authorization requests (RFC 9126 pushed authorization requests)');
}

/** Whether `client` must use pushed authorization requests: registered so (or under the fapi2 profile), or the server requires them of every client. */
function pushedRequestsRequired(ctx: Pick<ServerContext, 'config'>, client: Pick<ClientRecord, 'requirePushedAuthorizationRequests' | 'profile'>): boolean {
  return ctx.config.par.required || client.requirePushedAuthorizationRequests === true || isFapi2(client);
}
