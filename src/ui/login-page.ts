import { continueToClient, type ClientSummary } from './client.js';
import { html, type HtmlValue } from './escape.js';
import { postForm, submitButton, textField } from './form.js';
import { ALERT_ICON } from './icons.js';
import type { MessageKey, Translator } from './i18n/messages.js';
import { renderDocument, type PageBase } from './layout.js';
import { passkeyForm, passkeyMessages, passkeyScripts } from './passkey.js';

/** View model of {@link renderLoginPage}. */
export interface LoginPageView extends PageBase {
  /** The page's language: every word on it comes from the catalogs. */
  i18n: Translator;
  /** Where the form posts to. */
  action: string;
  /** Sent back in the hidden `csrf` field. */
  csrfToken: string;
  /** The application the user signs in to. */
  client: ClientSummary;
  /** `login_hint` (OpenID Connect Core §3.1.2.1) or the name just tried; prefills the username. */
  loginHint?: string;
  /**
   * Message for the user after a failed attempt: a catalog message (`login.error.incorrect`), or
   * text already in the user's language (an upstream provider's refusal).
   */
  error?: MessageKey | { text: string };
  /** Upstream providers offered as "Continue with …", each a form posting to its `action`. */
  upstreams?: { label: string; action: string }[];
  /** Offers "Sign in with a passkey" (passwordless, WebAuthn); see `passkeyScripts` for the protocol. */
  passkey?: { optionsUrl: string; verifyUrl: string; scriptUrl: string };
  /** "Forgot password?" under the password field links here (when account emails can be sent). */
  forgotPasswordUrl?: string;
  /** "Create account" links here (when sign-up is open). */
  signUpUrl?: string;
  /** "Email me a sign-in code" posts the username field here (passwordless by email). */
  emailCodeAction?: string;
}

/**
 * The sign-in page: username or email and password, posted as `username`, `password` and `csrf`.
 *
 * @example
 * renderLoginPage({ branding: DEFAULT_BRANDING, nonce, action: '/login', csrfToken, client: { name: 'Acme' } });
 */
export function renderLoginPage(view: LoginPageView): string {
  const { t } = view.i18n;
  const error: HtmlValue = typeof view.error === 'string' ? t(view.error) : view.error?.text;
  const hasError = error !== undefined && error !== '';
  const alert = hasError && html`<div class="alert" id="login-error" role="alert">${ALERT_ICON}<p>${error}</p></div>`;
  // After an error the fields are marked invalid and described by the alert, and the focus lands on
  // the first one to type again: the password when the username was filled in again, else the
  // username. A screen reader reads the error with the field; a keyboard user types at once.
  const describedBy = hasError ? 'login-error' : undefined;
  const focusPassword = hasError && view.loginHint !== undefined && view.loginHint !== '';
  const form = postForm({
    action: view.action,
    csrfToken: view.csrfToken,
    content: [
      textField({
        id: 'username',
        name: 'username',
        label: t('login.username'),
        type: 'text',
        autocomplete: 'username',
        value: view.loginHint,
        autofocus: !focusPassword,
        invalid: hasError,
        describedBy,
      }),
      textField({
        id: 'password',
        name: 'password',
        label: t('login.password'),
        type: 'password',
        autocomplete: 'current-password',
        autofocus: focusPassword,
        invalid: hasError,
        describedBy,
      }),
      view.forgotPasswordUrl !== undefined && html`<p class="field-link"><a href="${view.forgotPasswordUrl}">${t('login.forgotPassword')}</a></p>`,
      submitButton({ label: t('login.submit'), variant: 'primary', className: 'submit' }),
      // The same form, to another action: the username field holds the address; no password needed.
      view.emailCodeAction !== undefined &&
        html`<button type="submit" class="button button-secondary email-code" formaction="${view.emailCodeAction}" formnovalidate>${t('login.emailCode')}</button>`,
    ],
  });
  const upstreams = view.upstreams ?? [];
  const divider = html`<div class="divider" role="separator"><span>${t('login.or')}</span></div>`;
  const alternatives =
    upstreams.length > 0 &&
    html`${divider}<div class="upstreams">${upstreams.map((upstream) =>
      postForm({
        action: upstream.action,
        csrfToken: view.csrfToken,
        content: submitButton({ label: t('login.continueWith', { provider: upstream.label }), variant: 'secondary', className: 'upstream' }),
      }),
    )}</div>`;
  // Shown only once the script finds WebAuthn supported (data-passkey-block stays hidden otherwise).
  // Set apart from the password form by "or", as the providers are (after them, it joins their list).
  const passkey =
    view.passkey &&
    html`<div data-passkey-block hidden>${upstreams.length === 0 && divider}${passkeyForm({
      ceremony: 'authenticate',
      optionsUrl: view.passkey.optionsUrl,
      verifyUrl: view.passkey.verifyUrl,
      csrfToken: view.csrfToken,
      statusId: 'passkey-status',
      messages: passkeyMessages(view.i18n),
      content: html`<button type="submit" id="passkey-button" class="button button-secondary upstream">${t('login.passkey')}</button>`,
    })}</div>${passkeyScripts(view.passkey.scriptUrl, view.nonce)}`;
  const signUp =
    view.signUpUrl !== undefined &&
    html`<p class="note center">${t('login.signUp', { link: (content) => html`<a href="${view.signUpUrl}">${content}</a>` })}</p>`;
  return renderDocument(
    view,
    t('login.title'),
    html`<h1>${t('login.title')}</h1>${continueToClient(view.client, view.i18n)}<div class="body">${alert}${form}${alternatives}${passkey}${signUp}</div>`,
  );
}
