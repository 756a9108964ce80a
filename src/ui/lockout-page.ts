import { html } from './escape.js';
import { messagesOf, renderDocument, type PageBase } from './layout.js';
import { LOCK_ICON } from './mfa-icons.js';
import { safeUrl } from './safe-url.js';
import type { ShownTime } from './time.js';

/** View model of {@link renderLockoutPage}. */
export interface LockoutPageView extends PageBase {
  /**
   * What was limited: `account` (too many attempts at one account: another account still works)
   * or `network` (too many requests from this address, whatever the account).
   */
  reason: 'account' | 'network';
  /** When to try again: "14:35 UTC", with the exact time for `<time>` (`retryTime(until, now, i18n)`). */
  retryAt: ShownTime;
  /** How long that is from now, such as "15 minutes" (`durationUntil(until, now, i18n)`). */
  retryIn: string;
  /** The login page of the same sign-in request, for "Use another account" (`account` only). */
  anotherAccountUrl?: string;
  /** "Forgot your password?" (the password reset of issue 17), shown when given. */
  forgotPasswordUrl?: string;
}

/**
 * "Too many attempts" (HTTP 429): why, when to try again (a time, not only "in 15 minutes"), and
 * the ways on that still work — "Use another account" back to the login page of the same sign-in
 * request, and (with issue 17) "Forgot your password?". Links only: no form, no script.
 *
 * @example
 * renderLockoutPage({ branding, nonce, reason: 'account', retryAt: retryTime(until, now), retryIn: '15 minutes',
 *   anotherAccountUrl: '/interaction/abc' });
 */
export function renderLockoutPage(view: LockoutPageView): string {
  const { t } = messagesOf(view);
  const why = view.reason === 'account' ? t('lockout.account') : t('lockout.network');
  const another = view.reason === 'account' ? safeUrl(view.anotherAccountUrl) : undefined;
  // Issue 17 adds the password reset here: a lockout is often someone who forgot their password.
  const forgot = safeUrl(view.forgotPasswordUrl);
  const links =
    (another !== undefined || forgot !== undefined) &&
    html`<div class="stacked-actions">${another !== undefined && html`<a class="button button-secondary" href="${another}">${t('lockout.anotherAccount')}</a>`}${forgot !== undefined && html`<a class="button button-secondary" href="${forgot}">${t('lockout.forgotPassword')}</a>`}</div>`;
  return renderDocument(
    view,
    t('lockout.title'),
    html`<div class="page-icon" aria-hidden="true">${LOCK_ICON}</div><h1>${t('lockout.title')}</h1><p class="lead">${why}</p>
<p class="retry">${t('lockout.retry', { time: html`<time datetime="${view.retryAt.iso}" title="${view.retryAt.exact}">${view.retryAt.text}</time>`, duration: view.retryIn })}</p>${links}`,
  );
}
