import { continueToClient, type ClientSummary } from './client.js';
import { html } from './escape.js';
import type { Translator } from './i18n/messages.js';
import { newPasswordField, powForm, powScript, submitButton, textField, type FormProofOfWork } from './form.js';
import { renderDocument, type PageBase } from './layout.js';
import { alertBox } from './message-box.js';

/** One optional profile field of the sign-up form (`accounts.signUpClaims`). */
export interface SignUpClaimField {
  /** The claim name, also the field's name: `given_name`, `website`… */
  name: string;
  label: string;
  hint?: string;
  value?: string;
}

/** View model of {@link renderSignUpPage}. */
export interface SignUpPageView extends PageBase {
  i18n: Translator;
  /** Where the form posts to. */
  action: string;
  /** Sent back in the hidden `csrf` field. */
  csrfToken: string;
  /** The application the account is created for. */
  client: ClientSummary;
  /** Shortest password accepted, said in the password's hint. */
  passwordMinLength: number;
  /** Fields refilled after a refusal (never the password). */
  email?: string;
  name?: string;
  claims: SignUpClaimField[];
  /** Why the form was refused; shown in the alert, which the field it is about points at. */
  error?: string;
  /** The name of the field the error is about (marked invalid); none: the first field points at the alert. */
  errorField?: string;
  /** The sign-in page of the same request ("Already have an account? Sign in"). */
  signInUrl: string;
  /** The proof of work the form's script solves before it is sent (see pow.js); absent when turned off. */
  pow?: FormProofOfWork;
}

const ERROR_ID = 'signup-error';

/**
 * "Create your account": email, name, password (`new-password`, with the length rule in its hint)
 * and the optional claims, posted as `email`, `name`, `password`, the claim names, `csrf` and, when
 * proof of work is on, `pow` (filled in by the script: the form is marked `data-pow`).
 */
export function renderSignUpPage(view: SignUpPageView): string {
  const { t } = view.i18n;
  const hasError = view.error !== undefined && view.error !== '';
  // The field the error is about takes the focus, is marked invalid and points at the alert; a form-wide error is pointed at by the first field.
  const about = hasError ? (view.errorField ?? 'email') : undefined;
  const marks = (name: string) => (about === name ? { autofocus: true, invalid: view.errorField !== undefined, describedBy: ERROR_ID } : {});
  const claimFields = view.claims.map((claim) =>
    textField({
      id: `claim-${claim.name}`,
      name: claim.name,
      label: claim.label,
      type: 'text',
      autocomplete: claimAutocomplete(claim.name),
      value: claim.value,
      optional: true,
      maxLength: 200,
      verbatim: !WRITTEN_CLAIMS.has(claim.name),
      ...(claim.hint !== undefined ? { hint: claim.hint } : {}),
      ...marks(claim.name),
      i18n: view.i18n,
    }),
  );
  const form = powForm({
    action: view.action,
    csrfToken: view.csrfToken,
    pow: view.pow,
    i18n: view.i18n,
    content: [
      textField({
        id: 'email',
        name: 'email',
        label: t('signUp.email'),
        type: 'email',
        autocomplete: 'email',
        value: view.email,
        autofocus: !hasError,
        maxLength: 254,
        ...marks('email'),
      }),
      textField({
        id: 'name',
        name: 'name',
        label: t('signUp.name'),
        type: 'text',
        autocomplete: 'name',
        value: view.name,
        maxLength: 200,
        verbatim: false,
        ...marks('name'),
      }),
      newPasswordField({
        id: 'password',
        name: 'password',
        label: view.i18n.text('signUp.password'),
        minLength: view.passwordMinLength,
        ...marks('password'),
        i18n: view.i18n,
      }),
      claimFields,
      submitButton({ label: t('signUp.submit'), variant: 'primary', className: 'submit' }),
    ],
  });
  return renderDocument(
    view,
    t('signUp.title'),
    html`<h1>${t('signUp.title')}</h1>${continueToClient(view.client, view.i18n)}<div class="body">${alertBox(ERROR_ID, view.error)}${form}<p class="note center">${t('signUp.signIn', { link: (content) => html`<a href="${view.signInUrl}">${content}</a>` })}</p></div>${powScript(view.pow, view.nonce)}`,
  );
}

/** Claims typed as people write them (capitals, spell-checked); the others (a username, a tag, a date, an address) verbatim. */
const WRITTEN_CLAIMS = new Set(['given_name', 'family_name', 'nickname']);

/** The `autocomplete` token of a claim's field (HTML "autofill detail tokens"), `on` when there is none. */
function claimAutocomplete(claim: string): string {
  const tokens: Record<string, string> = {
    given_name: 'given-name',
    family_name: 'family-name',
    nickname: 'nickname',
    preferred_username: 'username',
    website: 'url',
    birthdate: 'bday',
    locale: 'language',
  };
  return tokens[claim] ?? 'on';
}

/** View model of {@link renderInvitationOnlyPage}. */
export interface InvitationOnlyPageView extends PageBase {
  i18n: Translator;
  /** The sign-in page to go back to. */
  signInUrl: string;
}

/** Sign-up by invitation only (`accounts.signUp: 'invite'`): what to do instead, and the way back to sign in. */
export function renderInvitationOnlyPage(view: InvitationOnlyPageView): string {
  const { t } = view.i18n;
  return renderDocument(
    view,
    t('signUp.inviteOnly.title'),
    html`<h1>${t('signUp.inviteOnly.title')}</h1><p class="lead">${t('signUp.inviteOnly.message')}</p><div class="body"><a class="button button-secondary" href="${view.signInUrl}">${t('signUp.backToSignIn')}</a></div>`,
  );
}
