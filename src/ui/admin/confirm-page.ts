import { html } from '../escape.js';
import { postForm, submitButton } from '../form.js';
import { renderAdminPage, type AdminPageBase } from './layout.js';

/** View model of {@link renderAdminConfirmPage}. */
export interface AdminConfirmView extends AdminPageBase {
  /** The question, such as "Rotate the secret of Shop?", in the page's language. */
  heading: string;
  /** What will happen, in plain words, one point a line, in the page's language. */
  consequences: string[];
  /** Where the confirming form posts (the action itself, with `confirm=yes`). */
  action: string;
  /** Other fields the action needs (which consent, say). */
  fields?: Record<string, string>;
  /** The confirming button's label ("Rotate secret"). */
  confirmLabel: string;
  /** Where Cancel goes back to. */
  cancel: string;
}

/**
 * Asks before a dangerous action (delete, rotate, revoke all): what will happen, then Cancel (back
 * to where the admin came from) and the confirming button, posting `confirm=yes` with the CSRF token.
 */
export function renderAdminConfirmPage(view: AdminConfirmView): string {
  const { t } = view.i18n;
  const form = postForm({
    action: view.action,
    csrfToken: view.csrfToken,
    hiddenFields: { ...view.fields, confirm: 'yes' },
    content: html`<div class="actions"><a class="button button-secondary" href="${view.cancel}">${t('adminConsole.cancel')}</a>${submitButton({ label: view.confirmLabel, variant: 'primary', className: 'button-danger' })}</div>`,
  });
  return renderAdminPage(
    view,
    view.heading,
    html`<p class="lead">${t('adminConsole.confirm.lead')}</p><ul class="confirm-list">${view.consequences.map((line) => html`<li>${line}</li>`)}</ul>${form}`,
  );
}
