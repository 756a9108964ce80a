/**
 * The named steps of the pages people use without being signed in and outside a sign-in (forgotten
 * password, the links of account emails): the browser cookie their CSRF tokens are bound to, the
 * CSRF check, the per-address budget of requests that send an email, and "is this turned on".
 */
import { spendLinkTry, type PeekedAccountLink } from '../accounts/account-tokens.js';
import { accountEmailsAvailable } from '../accounts/emails.js';
import { clientAddress } from '../context.js';
import type { EndpointInput } from '../http/endpoint.js';
import { errorPage } from '../http/pages.js';
import { rateLimitedResponse } from '../protection/rate-limited.js';
import { existingBrowserId, identifyBrowser } from '../session/browser.js';
import { csrfRefusal, type PostedForm } from './csrf.js';

/** The browser id the page's CSRF tokens are bound to, and the cookie to set when it was just made. */
export interface WithBrowser {
  browserId: string;
  setCookies: string[];
}

/** A page showing a form: the browser's id, given one when it has none. */
export function withBrowser({ ctx, request }: Pick<EndpointInput, 'ctx' | 'request'>): WithBrowser {
  const browser = identifyBrowser(ctx, request);
  return { browserId: browser.id, setCookies: browser.setCookie ? [browser.setCookie] : [] };
}

const NOT_ACCEPTED = { key: 'error.selfServiceForm.message' } as const;

/** A form post: it must carry the browser cookie its CSRF token is bound to; otherwise a 403 page. */
export function requireBrowserCookie({ ctx, request }: Pick<EndpointInput, 'ctx' | 'request'>): WithBrowser | Response {
  const browserId = existingBrowserId(ctx, request);
  return browserId ? { browserId, setCookies: [] } : errorPage(ctx, 403, { key: 'error.notAccepted.title' }, NOT_ACCEPTED);
}

/** A step checking the form's `csrf` against this browser and `subject`; otherwise a 403 page. */
export function checkFormCsrf(subject: string) {
  return function checkFormCsrf({ ctx, browserId, form }: PostedForm): Response | undefined {
    return csrfRefusal(ctx, { browserId, subject, token: form.get('csrf') }, NOT_ACCEPTED);
  };
}

/**
 * Spends one point of `accountEmailsPerIp` for the client address before anything else is done
 * (never given back: each such request may send an email); used up: the "too many attempts" page.
 */
export async function spendAccountEmailPerIp({ ctx, request }: Pick<EndpointInput, 'ctx' | 'request'>): Promise<Response | undefined> {
  const { limited } = await ctx.limits.reserve([{ limiter: 'accountEmailsPerIp', key: clientAddress(ctx) }]);
  return limited ? rateLimitedResponse(ctx, limited, request) : undefined;
}

/** The feature needs account emails (an email sender that carries them); without one, a 404 page. */
export function requireAccountEmails({ ctx }: Pick<EndpointInput, 'ctx'>): Response | undefined {
  return accountEmailsAvailable(ctx) ? undefined : errorPage(ctx, 404, { key: 'error.lifecycleOff.title' }, { key: 'error.accountEmailsOff.message' });
}

/** A password try spent with an emailed link: `succeeded()` gives the address's point back once the password is set. */
export interface PasswordTry {
  succeeded(): Promise<void>;
}

/**
 * Spends, before a password posted with an emailed link (a reset, an invitation) is checked (the
 * password policy, then argon2id): a point of `signInPerIp` for the client address, so one address
 * cannot run the policy across many links, then one of the link's own tries ({@link spendLinkTry}),
 * so a link, valid or not for its holder's passwords, bounds the work it lets anyone run. Over the
 * address's budget: the "too many attempts" page. The link's tries used up: `spent()` (the link no
 * longer works), without any check, and the address's point goes back (nothing was checked).
 */
export async function spendPasswordTry(
  { ctx, request }: Pick<EndpointInput, 'ctx' | 'request'>,
  link: Pick<PeekedAccountLink, 'id' | 'expiresAt'>,
  spent: () => Response,
): Promise<Response | { passwordTry: PasswordTry }> {
  const budget = await ctx.limits.reserve([{ limiter: 'signInPerIp', key: clientAddress(ctx) }]);
  if (budget.limited) return rateLimitedResponse(ctx, budget.limited, request);
  const attempt = await spendLinkTry(ctx, link);
  if (!attempt.allowed) {
    await budget.refund();
    return spent();
  }
  return { passwordTry: { succeeded: () => budget.refund() } };
}
