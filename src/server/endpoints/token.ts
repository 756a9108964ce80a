import { OAuthError } from '../../core/errors.js';
import { auditEvent } from '../audit/events.js';
import type { GrantType } from '../../stores/contract.js';
import { authenticateClient } from '../client-auth.js';
import type { ServerContext } from '../context.js';
import { GRANT_HANDLERS } from '../grants/index.js';
import { readForm } from '../http/form.js';
import { json, NO_STORE } from '../http/responses.js';
import { rateLimitedError, recordRateLimitHit } from '../protection/rate-limited.js';

/**
 * The token endpoint (RFC 6749 §3.2): authenticate the client, then run the grant named by
 * `grant_type`. Every answer carries `Cache-Control: no-store` (§5.1).
 */
export async function tokenEndpoint(ctx: ServerContext, request: Request): Promise<Response> {
  const params = await readForm(request, { maxBodyBytes: ctx.config.limits.maxBodyBytes, repeatable: ['resource'] });
  const client = await authenticateClient(ctx, request, params);
  const limited = await ctx.limits.consume('tokenPerClient', client.clientId);
  if (limited) {
    await recordRateLimitHit(ctx, limited, { client_id: client.clientId });
    throw rateLimitedError(limited);
  }
  const grantType = params.get('grant_type');
  if (grantType === undefined) throw new OAuthError('invalid_request', 'grant_type is required');
  // Own keys only: `constructor` or `__proto__` must not reach Object.prototype.
  const handler = Object.hasOwn(GRANT_HANDLERS, grantType) ? GRANT_HANDLERS[grantType as GrantType] : undefined;
  if (!handler) throw new OAuthError('unsupported_grant_type', 'the grant_type is not supported');
  if (!client.grantTypes.includes(grantType as GrantType)) {
    throw new OAuthError('unauthorized_client', 'this client is not allowed to use this grant_type');
  }
  const body = await handler(ctx, client, params);
  ctx.metrics.tokensIssued.inc({ grant_type: grantType as GrantType });
  // The highest-volume event: written by the audit queue, after the response (same chain).
  ctx.audit.recordLater(auditEvent('token.issued', { client_id: client.clientId, grant_type: grantType, scope: body.scope ?? null, with_refresh: body.refresh_token !== undefined }));
  return json(body, 200, NO_STORE);
}
