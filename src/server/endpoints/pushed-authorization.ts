import { OAuthError } from '../../core/errors.js';
import type { ClientRecord } from '../../stores/contract.js';
import { auditEvent } from '../audit/events.js';
import { checkRedirectUri } from '../authorize/checks.js';
import { AUTHORIZATION_REPEATABLE } from '../authorize/params.js';
import { pushedParameters, storePushedRequest } from '../authorize/pushed-requests.js';
import type { ServerContext } from '../context.js';
import { endpoint, type EndpointInput } from '../http/endpoint.js';
import { parseForm, readForm, type FormParams } from '../http/form.js';
import { pipeline } from '../http/pipeline.js';
import { json, NO_STORE } from '../http/responses.js';
import { urlTo } from '../routes.js';
import { authenticateCaller } from '../steps/authenticate-client.js';
import { clientRequestProof } from '../tokens/dpop.js';
import { checkAuthorizationParameters } from './authorize.js';
import { spendTokenBudget } from './token.js';

/** The form-encoded body (RFC 9126 §2.1), read as the authorization endpoint reads a POSTed request: only `resource` may repeat. */
async function readPushedRequest({ ctx, request }: Pick<EndpointInput, 'ctx' | 'request'>): Promise<{ form: FormParams }> {
  return { form: await readForm(request, { maxBodyBytes: ctx.config.limits.maxBodyBytes, repeatable: AUTHORIZATION_REPEATABLE }) };
}

/**
 * RFC 9449 §10.1: a DPoP proof sent with the push binds the authorization code to its key, as a
 * `dpop_jkt` parameter does; when both are sent they must name the same key (else
 * `invalid_dpop_proof`). A refused proof is answered as at the token endpoint (400, with a fresh
 * `DPoP-Nonce` when a nonce was missing).
 */
async function bindToProofKey({
  ctx,
  request,
  client,
  params,
}: {
  ctx: Parameters<typeof clientRequestProof>[0];
  request: Request;
  client: ClientRecord;
  params: FormParams;
}): Promise<{ params: FormParams }> {
  const proof = await clientRequestProof(ctx, request, client, urlTo(ctx, 'pushedAuthorizationRequest'));
  if (proof === undefined) return { params };
  const given = params.get('dpop_jkt');
  if (given !== undefined) {
    if (given !== proof.jkt) throw new OAuthError('invalid_dpop_proof', 'dpop_jkt does not name the key of the DPoP proof');
    return { params };
  }
  const bound = new URLSearchParams(params.entries());
  bound.set('dpop_jkt', proof.jkt);
  return { params: parseForm(bound.toString(), AUTHORIZATION_REPEATABLE) };
}

/**
 * RFC 9126 §2.2: `201 Created` with the `request_uri` and its lifetime, never cached. Audited as
 * `authorization.pushed` (bounded per client, as the flood of a misbehaving client must not grow
 * the audit chain without end).
 */
async function answerPushedRequest({
  ctx,
  client,
  params,
  requestObject,
}: {
  ctx: Pick<ServerContext, 'audit' | 'clock' | 'config' | 'limits' | 'secrets' | 'store'>;
  client: ClientRecord;
  params: FormParams;
  requestObject: boolean;
}): Promise<Response> {
  const { requestUri, expiresIn } = await storePushedRequest(ctx, client, params, requestObject);
  if (await ctx.limits.auditAllowed('authorization.pushed', client.clientId)) {
    ctx.audit.recordLater(auditEvent('authorization.pushed', { client_id: client.clientId, scope: params.get('scope') ?? '' }));
  }
  return json({ request_uri: requestUri, expires_in: expiresIn }, 201, NO_STORE);
}

/**
 * The pushed authorization request endpoint (RFC 9126 §2): POST, the client authenticated as at
 * the token endpoint (public clients with `client_id` alone, §2.1), counted on the client's token
 * budget before any work, then the authorization request's own checks, every refusal answered as
 * JSON (§2.3), never redirected.
 */
export const pushedAuthorizationEndpoint = endpoint(
  checkAuthorizationParameters(
    pipeline<EndpointInput>('pushed-authorization')
      .step(readPushedRequest)
      .step(authenticateCaller)
      .step(spendTokenBudget)
      .step(pushedParameters)
      .step(bindToProofKey)
      .step(checkRedirectUri),
  ).respond(answerPushedRequest),
);
