import { OAuthError } from '../../core/errors.js';
import { auditEvent } from '../audit/events.js';
import { clientAddress, type ServerContext } from '../context.js';
import { oauthErrorResponse } from '../http/responses.js';
import { lockoutPage } from '../interaction/pages.js';
import type { LimiterName, Limited } from './rate-limits.js';
import { pathTo } from '../routes.js';

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
export async function recordRateLimitHit(
  ctx: Pick<ServerContext, 'metrics' | 'limits' | 'audit' | 'request'>,
  limited: Limited,
  fields: { client_id?: string } = {},
): Promise<void> {
  ctx.metrics.rateLimitHits.inc({ limiter: limited.limiter });
  if (await ctx.limits.auditAllowed('rate_limit.hit', `${limited.limiter}|${clientAddress(ctx)}`)) {
    ctx.audit.recordLater(auditEvent('rate_limit.hit', { limiter: limited.limiter, ...fields }));
  }
}

/** Limits on one account: another account may still sign in from here. */
const ACCOUNT_LIMITERS: ReadonlySet<LimiterName> = new Set(['signInPerAccountIp', 'signInPerAccount']);

/**
 * 429 as JSON for APIs, or for browsers the lockout page: when to try again, and — for a limit on
 * one account, when `page` is the request of a sign-in (`/interaction/:id/…`) — "Use another
 * account", back to that sign-in's login page.
 */
export async function rateLimitedResponse(
  ctx: Pick<ServerContext, 'audit' | 'clock' | 'config' | 'limits' | 'metrics' | 'request'>,
  limited: Limited,
  page: boolean | Request,
): Promise<Response> {
  await recordRateLimitHit(ctx, limited);
  if (page === false) return oauthErrorResponse(rateLimitedError(limited));
  const reason = ACCOUNT_LIMITERS.has(limited.limiter) ? 'account' : 'network';
  const id = reason === 'account' && page !== true ? interactionIdOf(ctx, page) : undefined;
  const response = lockoutPage(ctx, reason, limited.retryAfterSeconds, id);
  response.headers.set('Retry-After', String(limited.retryAfterSeconds));
  return response;
}

/** The interaction id of a sign-in page's path (`{issuer path}/interaction/:id/…`). */
function interactionIdOf(ctx: Pick<ServerContext, 'config'>, request: Request): string | undefined {
  const prefix = pathTo(ctx, 'interaction', { id: '' });
  const path = new URL(request.url).pathname;
  if (!path.startsWith(prefix)) return undefined;
  const id = path.slice(prefix.length).split('/')[0] ?? '';
  return /^[A-Za-z0-9_-]{32}$/.test(id) ? id : undefined;
}
