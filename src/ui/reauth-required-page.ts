import { html, type HtmlValue } from './escape.js';
import { postForm, submitButton } from './form.js';
import { messagesOf, renderDocument, type PageBase } from './layout.js';
import { LOCK_ICON } from './mfa-icons.js';

/** View model of {@link renderReauthRequiredPage}. */
export interface ReauthRequiredPageView extends PageBase {
  /** Where "Sign in again" posts to. */
  action: string;
  /** Sent back in the hidden `csrf` field. */
  csrfToken: string;
  /** Why, in plain words, such as "To remove a sign-in method, sign in again first." (`i18n.t('reauth.remove')`). */
  message: HtmlValue;
}

/**
 * Asks the user to sign in again before a sensitive change (such as removing a second factor)
 * when their last sign-in is not recent enough. Posts `csrf` to `action`.
 */
export function renderReauthRequiredPage(view: ReauthRequiredPageView): string {
  const { t } = messagesOf(view);
  const form = postForm({
    action: view.action,
    csrfToken: view.csrfToken,
    content: submitButton({ label: t('reauth.submit'), variant: 'primary', className: 'submit' }),
  });
  return renderDocument(
    view,
    t('reauth.title'),
    html`<div class="page-icon" aria-hidden="true">${LOCK_ICON}</div><h1>${t('reauth.title')}</h1><p class="lead">${view.message}</p>${form}`,
  );
}
