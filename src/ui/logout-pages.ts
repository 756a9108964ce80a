import { html } from './escape.js';
import { decisionButtons, postForm } from './form.js';
import { messagesOf, renderDocument, type PageBase } from './layout.js';

/** View model of {@link renderLogoutConfirmPage}. */
export interface LogoutConfirmPageView extends PageBase {
  /** Where the form posts to. */
  action: string;
  /** Sent back in the hidden `csrf` field. */
  csrfToken: string;
  /** The application that asked for the logout, when known. */
  clientName?: string;
  /** Carried through the confirmation, e.g. `post_logout_redirect_uri`, `state`, `id_token_hint`. */
  hiddenFields?: Record<string, string>;
}

/**
 * Asks the user to confirm an RP-Initiated Logout (OpenID Connect RP-Initiated Logout 1.0 §2), so a
 * third-party page cannot sign them out unasked. Posts `decision=logout` or `decision=stay` with
 * `csrf` and every hidden field.
 */
export function renderLogoutConfirmPage(view: LogoutConfirmPageView): string {
  const { t } = messagesOf(view);
  const product = view.branding.productName;
  const requestedBy =
    view.clientName !== undefined && view.clientName !== ''
      ? html`<p class="lead">${t('logout.requestedBy', { client: view.clientName })}</p>`
      : html`<p class="lead">${t('logout.thisDevice', { product })}</p>`;
  const form = postForm({
    action: view.action,
    csrfToken: view.csrfToken,
    hiddenFields: view.hiddenFields,
    content: decisionButtons('decision', { value: 'stay', label: t('logout.stay') }, { value: 'logout', label: t('logout.submit') }),
  });
  return renderDocument(view, t('logout.title'), html`<h1>${t('logout.heading', { product })}</h1>${requestedBy}${form}`);
}

/** Shown after signing out when there is no application to return to. */
export function renderSignedOutPage(view: PageBase): string {
  const { t } = messagesOf(view);
  return renderDocument(
    view,
    t('signedOut.title'),
    html`<h1>${t('signedOut.heading')}</h1><p class="lead">${t('signedOut.message', { product: view.branding.productName })}</p>`,
  );
}
