import { OAuthError } from '../../core/errors.js';
import { auditEvent } from '../audit/events.js';
import type { ServerContext } from '../context.js';
import { oauthErrorResponse } from '../http/responses.js';
import { errorPage } from '../interaction/pages.js';
import type { Limited } from './rate-limits.js';

/** The error of a rate-limited API request: 429, `Retry-After` (RFC 6585 §4), an OAuth-shaped body. */
export function rateLimitedError(limited: Limited): OAuthError {
  return new OAuthError('temporarily_unavailable', `too many requests: try again in ${limited.retryAfterSeconds} seconds`, {
    status: 429,
    headers: { 'Retry-After': String(limited.retryAfterSeconds) },
  });
}

/** 429 as JSON for APIs, or a friendly page for browsers. */
export function rateLimitedResponse(ctx: ServerContext, limited: Limited, page: boolean): Response {
  // Not awaited: the refusal is answered at once (under a flood, the queue absorbs the writes).
  ctx.audit.recordLater(auditEvent('rate_limit.hit', { limiter: limited.limiter }));
  ctx.metrics.rateLimitHits.inc({ limiter: limited.limiter });
  if (!page) return oauthErrorResponse(rateLimitedError(limited));
  const minutes = Math.ceil(limited.retryAfterSeconds / 60);
  const response = errorPage(ctx, 429, 'Too many attempts', `Please wait ${minutes} minute${minutes === 1 ? '' : 's'} and try again.`);
  response.headers.set('Retry-After', String(limited.retryAfterSeconds));
  return response;
}
