import { DpopProofError, type DpopProof } from '../../core/dpop.js';
import { OAuthError } from '../../core/errors.js';
import { auditEvent } from '../audit/events.js';
import type { ClientRecord, GrantType } from '../../stores/contract.js';
import type { ServerContext } from '../context.js';
import { GRANT_HANDLERS, type GrantHandler, type GrantResult } from '../grants/index.js';
import { endpoint, type EndpointInput } from '../http/endpoint.js';
import type { FormParams } from '../http/form.js';
import { pipeline } from '../http/pipeline.js';
import { json, NO_STORE } from '../http/responses.js';
import { urlTo } from '../routes.js';
import { rateLimitedError, recordRateLimitHit } from '../protection/rate-limited.js';
import { authenticateCaller } from '../steps/authenticate-client.js';
import { readFormBody } from '../steps/read-form.js';
import { clientRequestProof, dpopNonceHeader, requiresDpop, tokenEndpointProofError } from '../tokens/dpop.js';

/**
 * Token requests per client (`tokenPerClient`), counted after the client is authenticated; the
 * device authorization endpoint spends from it too (each request there stores a new authorization).
 */
export async function spendTokenBudget({
  ctx,
  client,
}: {
  ctx: Pick<ServerContext, 'limits' | 'metrics' | 'audit' | 'request'>;
  client: ClientRecord;
}): Promise<void> {
  const limited = await ctx.limits.consume('tokenPerClient', client.clientId);
  if (!limited) return;
  await recordRateLimitHit(ctx, limited, { client_id: client.clientId });
  throw rateLimitedError(limited);
}

/** The grant named by `grant_type` (RFC 6749 §4): implemented here, and registered for the client. */
function selectGrant({ form, client }: { form: FormParams; client: ClientRecord }): { grantType: GrantType; handler: GrantHandler } {
  const grantType = form.get('grant_type');
  if (grantType === undefined) throw new OAuthError('invalid_request', 'grant_type is required');
  // Own keys only: `constructor` or `__proto__` must not reach Object.prototype.
  const handler = Object.hasOwn(GRANT_HANDLERS, grantType) ? GRANT_HANDLERS[grantType as GrantType] : undefined;
  if (!handler) throw new OAuthError('unsupported_grant_type', 'the grant_type is not supported');
  if (!client.grantTypes.includes(grantType as GrantType)) {
    throw new OAuthError('unauthorized_client', 'this client is not allowed to use this grant_type');
  }
  return { grantType: grantType as GrantType, handler };
}

/**
 * The request's DPoP proof (RFC 9449 §5), for the token endpoint's own URL: its key is the one every
 * grant binds the tokens it issues to (`cnf.jkt`, §6). A client registered with
 * `dpop_bound_access_tokens` must send one (§5.2).
 */
async function checkDpopProof({
  ctx,
  request,
  client,
}: {
  ctx: Parameters<typeof clientRequestProof>[0];
  request: Request;
  client: ClientRecord;
}): Promise<{ dpop: DpopProof | undefined }> {
  const dpop = await clientRequestProof(ctx, request, client, urlTo(ctx, 'token'));
  if (dpop === undefined && requiresDpop(client)) {
    throw tokenEndpointProofError(ctx, new DpopProofError('invalid_dpop_proof', 'this client must send a DPoP proof'));
  }
  return { dpop };
}

/** Runs the grant: its own checks, then the tokens. */
async function runGrant({
  ctx,
  client,
  form,
  handler,
  dpop,
}: {
  ctx: Pick<
    ServerContext,
    'audit' | 'clock' | 'config' | 'keys' | 'limits' | 'logger' | 'metrics' | 'network' | 'request' | 'secrets' | 'store' | 'upstreams' | 'urls'
  >;
  client: ClientRecord;
  form: FormParams;
  handler: GrantHandler;
  dpop: DpopProof | undefined;
}): Promise<GrantResult> {
  return handler(ctx, client, form, { jkt: dpop?.jkt });
}

/** The token response (RFC 6749 §5.1): JSON, never cached; counted, and audited after the answer. */
function answerTokens({
  ctx,
  client,
  grantType,
  tokens,
  subject,
}: {
  ctx: Pick<ServerContext, 'audit' | 'clock' | 'config' | 'metrics' | 'secrets'>;
  client: ClientRecord;
  grantType: GrantType;
} & GrantResult): Response {
  ctx.metrics.tokensIssued.inc({ grant_type: grantType });
  // The highest-volume event: written by the audit queue, after the response (same chain).
  ctx.audit.recordLater(
    auditEvent('token.issued', {
      client_id: client.clientId,
      ...(subject !== undefined ? { sub: subject } : {}),
      grant_type: grantType,
      scope: tokens.scope ?? null,
      with_refresh: tokens.refresh_token !== undefined,
    }),
  );
  // RFC 9449 §8.2: a fresh nonce with every answer while nonces are on, so clients keep theirs current.
  return json(tokens, 200, { ...NO_STORE, ...dpopNonceHeader(ctx) });
}

/**
 * The token endpoint (RFC 6749 §3.2): authenticate the client, then run the grant named by
 * `grant_type`. Every answer carries `Cache-Control: no-store` (§5.1).
 */
export const tokenEndpoint = endpoint(
  pipeline<EndpointInput>('token')
    .step(readFormBody)
    .step(authenticateCaller)
    .step(spendTokenBudget)
    .step(selectGrant)
    .step(checkDpopProof)
    .step(runGrant)
    .respond(answerTokens),
);
