import { OAuthError } from '../../core/errors.js';
import { auditEvent } from '../audit/events.js';
import type { ServerContext } from '../context.js';
import { oauthErrorResponse } from '../http/responses.js';
import { errorPage } from '../interaction/pages.js';
import type { Limited } from './rate-limits.js';
import { currentIp } from '../http/request-context.js';

/** The error of a rate-limited API request: 429, `Retry-After` (RFC 6585 §4), an OAuth-shaped body. */
export function rateLimitedError(limited: Limited): OAuthError {
  return new OAuthError('temporarily_unavailable', `too many requests: try again in ${limited.retryAfterSeconds} seconds`, {
    status: 429,
    headers: { 'Retry-After': String(limited.retryAfterSeconds) },
  });
}

/**
 * Counts a refusal in the metrics and the audit log. Audit events are bounded (10 a minute per
 * limiter and address, in each process): a flood is visible, yet cannot grow the chain without end.
 * Not awaited: the refusal is answered at once (the audit queue writes it after).
 */
export async function recordRateLimitHit(ctx: ServerContext, limited: Limited, fields: { client_id?: string } = {}): Promise<void> {
  ctx.metrics.rateLimitHits.inc({ limiter: limited.limiter });
  if (await ctx.protection.rateLimits.auditAllowed('rate_limit.hit', `${limited.limiter}|${currentIp()}`)) {
    ctx.audit.recordLater(auditEvent('rate_limit.hit', { limiter: limited.limiter, ...fields }));
  }
}

/** 429 as JSON for APIs, or a friendly page for browsers. */
export async function rateLimitedResponse(ctx: ServerContext, limited: Limited, page: boolean): Promise<Response> {
  await recordRateLimitHit(ctx, limited);
  if (!page) return oauthErrorResponse(rateLimitedError(limited));
  const minutes = Math.ceil(limited.retryAfterSeconds / 60);
  const response = errorPage(ctx, 429, 'Too many attempts', `Please wait ${minutes} minute${minutes === 1 ? '' : 's'} and try again.`);
  response.headers.set('Retry-After', String(limited.retryAfterSeconds));
  return response;
}
