import { html } from './escape.js';
import type { Translator } from './i18n/messages.js';
import { newPasswordField, postForm, submitButton, textField } from './form.js';
import { renderDocument, type PageBase } from './layout.js';
import { alertBox } from './message-box.js';

/** View model of {@link renderInvitationPage}. */
export interface InvitationPageView extends PageBase {
  i18n: Translator;
  /** Where the form posts to. */
  action: string;
  csrfToken: string;
  /** The invitation link's secret, posted back in a hidden field. */
  token: string;
  /** The invited address (the account's, verified by the link). */
  email: string;
  /** The name to prefill: the one the operator gave, or the one just typed. */
  name?: string;
  /** The shortest password accepted, for the hint and `minlength`. */
  passwordMinLength: number;
  /** Why the password was refused, as a sentence. */
  error?: string;
}

/**
 * "Set your password": the invited address, the name (prefilled, optional) and a new password,
 * posted as `name`, `password`, `token` and `csrf`.
 */
export function renderInvitationPage(view: InvitationPageView): string {
  const { t, text } = view.i18n;
  const hasError = view.error !== undefined && view.error !== '';
  const form = postForm({
    action: view.action,
    csrfToken: view.csrfToken,
    hiddenFields: { token: view.token },
    content: [
      // For password managers: the account the new password belongs to.
      html`<input type="email" name="username" value="${view.email}" autocomplete="username" readonly hidden>`,
      textField({
        id: 'name',
        name: 'name',
        label: t('invitation.name'),
        type: 'text',
        autocomplete: 'name',
        value: view.name,
        optional: true,
        verbatim: false,
        i18n: view.i18n,
      }),
      newPasswordField({
        id: 'password',
        name: 'password',
        label: text('invitation.password'),
        minLength: view.passwordMinLength,
        autofocus: true,
        invalid: hasError,
        describedBy: hasError ? 'invitation-error' : undefined,
        i18n: view.i18n,
      }),
      submitButton({ label: t('invitation.submit'), variant: 'primary', className: 'submit' }),
    ],
  });
  return renderDocument(
    view,
    t('invitation.title'),
    html`<h1>${t('invitation.title')}</h1><p class="lead">${t('invitation.lead', { email: view.email })}</p><div class="body">${alertBox('invitation-error', view.error)}${form}</div>`,
  );
}

/** View model of {@link renderInvitationReadyPage}. */
export interface InvitationReadyPageView extends PageBase {
  i18n: Translator;
  email: string;
  /** "Sign in" goes here (the account page, which asks to sign in). */
  signInUrl: string;
}

/** "Your account is ready": the invitation is accepted; sign in with the new password. */
export function renderInvitationReadyPage(view: InvitationReadyPageView): string {
  const { t } = view.i18n;
  return renderDocument(
    view,
    t('invitation.ready.title'),
    html`<h1>${t('invitation.ready.title')}</h1><p class="lead">${t('invitation.ready.lead', { email: view.email })}</p><div class="body"><a class="button button-primary submit" href="${view.signInUrl}">${t('invitation.ready.signIn')}</a></div>`,
  );
}
