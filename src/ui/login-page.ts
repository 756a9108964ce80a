import { continueToClient, type ClientSummary } from './client.js';
import { html } from './escape.js';
import { postForm, submitButton, textField } from './form.js';
import { ALERT_ICON } from './icons.js';
import { renderDocument, type PageBase } from './layout.js';
import { passkeyForm, passkeyScripts } from './passkey.js';

/** View model of {@link renderLoginPage}. */
export interface LoginPageView extends PageBase {
  /** Where the form posts to. */
  action: string;
  /** Sent back in the hidden `csrf` field. */
  csrfToken: string;
  /** The application the user signs in to. */
  client: ClientSummary;
  /** `login_hint` (OpenID Connect Core §3.1.2.1) or the name just tried; prefills the username. */
  loginHint?: string;
  /** Message for the user after a failed attempt, such as "Incorrect username or password." */
  error?: string;
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
  const hasError = view.error !== undefined && view.error !== '';
  const alert = hasError && html`<div class="alert" id="login-error" role="alert">${ALERT_ICON}<p>${view.error}</p></div>`;
  // With an error the user reads the alert first; autofocus would make screen readers skip it.
  const describedBy = hasError ? 'login-error' : undefined;
  const form = postForm({
    action: view.action,
    csrfToken: view.csrfToken,
    content: [
      textField({
        id: 'username',
        name: 'username',
        label: 'Username or email',
        type: 'text',
        autocomplete: 'username',
        value: view.loginHint,
        autofocus: !hasError,
        invalid: hasError,
        describedBy,
      }),
      textField({
        id: 'password',
        name: 'password',
        label: 'Password',
        type: 'password',
        autocomplete: 'current-password',
        invalid: hasError,
        describedBy,
      }),
      view.forgotPasswordUrl !== undefined && html`<p class="field-link"><a href="${view.forgotPasswordUrl}">Forgot password?</a></p>`,
      submitButton({ label: 'Sign in', variant: 'primary', className: 'submit' }),
      // The same form, to another action: the username field holds the address; no password needed.
      view.emailCodeAction !== undefined &&
        html`<button type="submit" class="button button-secondary email-code" formaction="${view.emailCodeAction}" formnovalidate>Email me a sign-in code</button>`,
    ],
  });
  const upstreams = view.upstreams ?? [];
  const divider = html`<div class="divider" role="separator"><span>or</span></div>`;
  const alternatives =
    upstreams.length > 0 &&
    html`${divider}<div class="upstreams">${upstreams.map((upstream) =>
      postForm({
        action: upstream.action,
        csrfToken: view.csrfToken,
        content: submitButton({ label: `Continue with ${upstream.label}`, variant: 'secondary', className: 'upstream' }),
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
      content: html`<button type="submit" id="passkey-button" class="button button-secondary upstream">Sign in with a passkey</button>`,
    })}</div>${passkeyScripts(view.passkey.scriptUrl, view.nonce)}`;
  const signUp = view.signUpUrl !== undefined && html`<p class="note center">New here? <a href="${view.signUpUrl}">Create an account</a></p>`;
  return renderDocument(
    view,
    'Sign in',
    html`<h1>Sign in</h1>${continueToClient(view.client)}<div class="body">${alert}${form}${alternatives}${passkey}${signUp}</div>`,
  );
}
