import { signedInAs, type AccountSummary } from './account.js';
import { html, type SafeHtml } from './escape.js';
import { newPasswordField, postForm, textField } from './form.js';
import { renderDocument, type PageBase } from './layout.js';
import { alertBox, noticeBox } from './message-box.js';
import { APP_ICON, CODES_ICON, DEVICE_ICON, DOWNLOAD_ICON, KEY_ICON, MAIL_ICON, PHONE_ICON } from './mfa-icons.js';
import { passkeyForm, passkeyScripts } from './passkey.js';
import { safeUrl } from './safe-url.js';
import type { ShownTime } from './time.js';

/** A second factor as the account page lists it. */
export interface AccountFactor {
  /** Posted as `factor` to remove it. */
  id: string;
  type: 'totp' | 'webauthn' | 'sms' | 'email';
  /** The user's name for it ("Work phone"), or the masked number or address. */
  label: string;
  /** Human-readable date, such as "12 March 2025". */
  createdAt: string;
  lastUsedAt?: string;
}

/** A time as words ("2 hours ago"), or with its exact moment for `<time>` (see `shownTimeAgo`). */
export type AccountTime = string | ShownTime;

/** A signed-in browser session. */
export interface AccountSession {
  id: string;
  /** Whether it is the session viewing the page. */
  current: boolean;
  /** When it signed in, such as "2 hours ago". */
  signedInAt: AccountTime;
  /** How it signed in, such as "Password + passkey" (see `describeSignInMethods`). */
  methods: string;
  /** Browser and system, such as "Chrome on macOS" (see `deviceName`); unknown when absent. */
  device?: string;
  /** The address it signed in from. */
  address?: string;
}

/** One line of the sign-in history. */
export interface AccountSignIn {
  /** When, such as "2 hours ago". */
  at: AccountTime;
  method: string;
  /** The application signed in to, when there was one. */
  client?: string;
  /** Browser and system, such as "Chrome on macOS". */
  device?: string;
  /** The address it signed in from. */
  address?: string;
  /** Such as "Signed in" or "Wrong code". */
  outcome: string;
}

/** An application the user allowed (a remembered consent). */
export interface AccountApp {
  consentId: string;
  name: string;
  /** The allowed scopes in plain words. */
  access: string[];
  grantedAt: string;
}

/** Where the account page's forms and passkey script go. */
export interface AccountPageActions {
  /** POST: start setting up an authenticator app. */
  addTotp: string;
  /** POST (script): WebAuthn registration options, answered with `{ options, challengeId }`. */
  addPasskeyOptions: string;
  /** POST (script): JSON `{ challengeId, response, label }`; answers `{ redirect }` or any 2xx. */
  addPasskeyVerify: string;
  /** POST `channel` (`sms` | `email`) and `to`. */
  addContact: string;
  /** POST `factor`. */
  removeFactor: string;
  /** POST: replace the recovery codes. */
  regenerateRecoveryCodes: string;
  /** POST: end every session but this one. */
  signOutOthers: string;
  /** POST `grant` (the consent id; the form field keeps its old name): withdraw an application's access. */
  revokeApp?: string;
  /** POST: end this session. */
  signOut: string;
  /** POST: sign in again (needed before adding or removing a method, see `reauthNeeded`). */
  reauth?: string;
  /** The `@simplewebauthn/browser` UMD bundle (same origin). */
  passkeyScriptUrl: string;
  /** POST the profile claims (`name`, `given_name`, `family_name`, `picture`, `locale`, `zoneinfo`). */
  updateProfile?: string;
  /** POST `phone`: a code goes to it by text message. */
  changePhone?: string;
  /** POST `email`: a code and a link go to the new address. */
  changeEmail?: string;
  /** GET: the page to type the code sent to a new address. */
  confirmEmail?: string;
  /** POST `new_password` (and `current_password` when the account has one). */
  changePassword?: string;
  /** GET: the account's data as a JSON download. */
  exportData?: string;
  /** GET: the page confirming the deletion of the account. */
  deleteAccount?: string;
}

/** The account's own details, as the Profile, Email and Password sections show and edit them. */
export interface AccountDetails {
  email: string | null;
  emailVerified: boolean;
  /** False for an account that signs in only through an upstream provider: it may set a first password. */
  hasPassword: boolean;
  /** Shortest password accepted (shown as a hint). */
  passwordMinLength: number;
  /** The editable claims, as stored. */
  profile: Partial<Record<ProfileField, string>>;
  /** The verified phone number, when there is one. */
  phone?: string;
  /** What is wrong with each profile field after a post (shown under the field). */
  fieldErrors?: Partial<Record<ProfileField, string>>;
}

/** The profile claims the page edits (OpenID Connect Core §5.1). */
export type ProfileField = 'name' | 'given_name' | 'family_name' | 'picture' | 'locale' | 'zoneinfo';

/** View model of {@link renderAccountPage}. */
export interface AccountPageView extends PageBase {
  /** Sent back in the hidden `csrf` field of every form, and as `X-CSRF-Token` by the passkey script. */
  csrfToken: string;
  account: AccountSummary;
  factors: AccountFactor[];
  /** Unused recovery codes left; `undefined` when the user has no set. */
  recoveryCodesLeft: number | undefined;
  sessions: AccountSession[];
  /** Newest first. */
  signIns: AccountSignIn[];
  /** Applications the user has allowed, with what they may do. */
  apps?: AccountApp[];
  actions: AccountPageActions;
  /** Profile, email and password; the sections are left out without it. */
  details?: AccountDetails;
  /** Confirmation of what just happened, such as "Passkey removed." */
  notice?: string;
  /** What went wrong with the last action. */
  error?: string;
  /**
   * The sign-in is not recent enough (or lacks the second factor) to add or remove a method: the
   * "add" forms are replaced by a "sign in again" button posting to `actions.reauth`.
   */
  reauthNeeded?: boolean;
}

const FACTOR_KIND: Record<AccountFactor['type'], { name: string; icon: SafeHtml }> = {
  totp: { name: 'Authenticator app', icon: APP_ICON },
  webauthn: { name: 'Passkey', icon: KEY_ICON },
  sms: { name: 'Text message', icon: PHONE_ICON },
  email: { name: 'Email', icon: MAIL_ICON },
};

/** A list row: icon, title over details, and an optional action at the end. */
function row(icon: SafeHtml, title: SafeHtml | string, meta: SafeHtml | string, action?: SafeHtml): SafeHtml {
  return html`<li class="row"><span class="row-icon">${icon}</span><div class="row-text"><span class="row-title">${title}</span><span class="row-meta">${meta}</span></div>${action !== undefined && html`<div class="row-action">${action}</div>`}</li>`;
}

function smallButton(label: SafeHtml | string, variant: 'primary' | 'secondary' = 'secondary'): SafeHtml {
  return html`<button type="submit" class="button button-${variant} button-small">${label}</button>`;
}

function factorsSection(view: AccountPageView): SafeHtml {
  const { actions, csrfToken } = view;
  const form = (action: string, content: SafeHtml, hiddenFields?: Record<string, string>) => postForm({ action, csrfToken, hiddenFields, content });

  const factors = view.factors.map((factor) => {
    const kind = FACTOR_KIND[factor.type];
    const used = factor.lastUsedAt !== undefined && factor.lastUsedAt !== '' ? ` · Last used ${factor.lastUsedAt}` : ' · Never used';
    return row(
      kind.icon,
      factor.label,
      // An unnamed factor is labelled with its kind; saying it twice would only add noise.
      `${factor.label === kind.name ? '' : `${kind.name} · `}Added ${factor.createdAt}${used}`,
      // The visible word is "Remove"; the hidden rest says which one, for lists of links and buttons.
      form(actions.removeFactor, smallButton(html`Remove<span class="visually-hidden"> ${factor.label}</span>`), { factor: factor.id }),
    );
  });
  const status =
    view.factors.length > 0
      ? html`<p class="section-lead"><span class="badge badge-on">On</span> You’re asked for a second step when you sign in.</p>`
      : html`<p class="section-lead"><span class="badge">Off</span> Add a second step to protect your account even if your password is stolen.</p>`;

  const left = view.recoveryCodesLeft;
  const recovery =
    left === undefined
      ? row(
          CODES_ICON,
          'Recovery codes',
          'Not created yet. Create a set so you can still sign in if you lose your devices.',
          form(actions.regenerateRecoveryCodes, smallButton('Create')),
        )
      : row(
          CODES_ICON,
          'Recovery codes',
          left <= 3
            ? html`<strong class="warning">${left === 1 ? '1 code left' : `${left} codes left`}.</strong> Create a new set before you run out.`
            : `${left} codes left. Creating a new set replaces them.`,
          form(actions.regenerateRecoveryCodes, smallButton('Create new codes')),
        );

  const passkeySrc = safeUrl(actions.passkeyScriptUrl);
  const addPasskey =
    passkeySrc !== undefined &&
    html`<li class="add-method" data-passkey-block hidden><div class="add-head"><span class="row-icon">${KEY_ICON}</span><div class="row-text"><span class="row-title">Passkey</span><span class="row-meta">Sign in with your fingerprint, face or screen lock.</span></div></div>${passkeyForm(
      {
        ceremony: 'register',
        optionsUrl: actions.addPasskeyOptions,
        verifyUrl: actions.addPasskeyVerify,
        csrfToken,
        statusId: 'add-passkey-status',
        content: html`<div class="inline-form"><div class="field"><label for="passkey-label">Name <span class="muted">(optional)</span></label><input class="input" id="passkey-label" name="label" type="text" autocomplete="off" maxlength="60" aria-describedby="passkey-label-hint"></div><button type="submit" id="add-passkey" class="button button-secondary button-small">Add passkey</button></div><p class="hint" id="passkey-label-hint">So you can tell your passkeys apart, such as “MacBook” or “Work phone”.</p>`,
      },
    )}</li>`;
  const addContact = html`<li class="add-method"><div class="add-head"><span class="row-icon">${PHONE_ICON}</span><div class="row-text"><span class="row-title">Phone number or email</span><span class="row-meta">Get a code by text message or email.</span></div></div>${form(
    actions.addContact,
    html`<div class="inline-form"><div class="field field-channel"><label for="contact-channel">Send codes by</label><select class="input" id="contact-channel" name="channel"><option value="sms">Text message</option><option value="email">Email</option></select></div>${textField({ id: 'contact-to', name: 'to', label: 'Phone number or email', type: 'text', autocomplete: 'off', describedBy: 'contact-to-hint' })}${smallButton('Send code')}</div><p class="hint" id="contact-to-hint">Phone numbers with the country code, such as +44 7700 900123.</p>`,
  )}</li>`;

  const addMethods =
    view.reauthNeeded && actions.reauth
      ? html`<p class="section-lead" id="reauth-lead">To add or remove a sign-in method, sign in again first${view.factors.length > 0 ? ', with your second step' : ''}.</p>${form(actions.reauth, html`<div class="section-actions">${smallButton('Sign in again', 'primary')}</div>`)}`
      : html`<ul class="rows">${row(APP_ICON, 'Authenticator app', 'Get codes from an app such as Google Authenticator or 1Password.', form(actions.addTotp, smallButton('Set up')))}${addPasskey}${addContact}</ul>`;
  return html`<section class="section" aria-labelledby="mfa-heading"><h2 id="mfa-heading">Two-step verification</h2>${status}
${view.factors.length > 0 && html`<ul class="rows" aria-label="Your sign-in methods">${factors}</ul>`}
<h3 class="subheading">Add a method</h3>
${addMethods}
<h3 class="subheading">Backup</h3>
<ul class="rows">${recovery}</ul></section>`;
}

/** `<time>` with the exact moment as its title, or the plain words. */
function timeText(time: AccountTime): SafeHtml {
  return typeof time === 'string' ? html`${time}` : html`<time datetime="${time.iso}" title="${time.exact}">${time.text}</time>`;
}

const present = (value: string | undefined): value is string => value !== undefined && value !== '';

/**
 * Joins details with " · ", the dot held to the word before it by a no-break space: a line
 * that wraps never starts with a dot.
 */
const SEPARATOR = '\u00a0· ';

/** "Chrome on macOS · 203.0.113.7", or whichever half is known. */
function whereFrom(device: string | undefined, address: string | undefined): string {
  return [device, address].filter(present).join(SEPARATOR);
}

function sessionsSection(view: AccountPageView): SafeHtml {
  const others = view.sessions.filter((session) => !session.current).length;
  const sessions = view.sessions.map((session) =>
    row(
      DEVICE_ICON,
      html`${present(session.device) ? session.device : 'Unknown browser'}${session.current && html`<span class="badge badge-on">This device</span>`}`,
      html`Signed in ${timeText(session.signedInAt)}${SEPARATOR}${session.methods}${present(session.address) && html`${SEPARATOR}${session.address}`}`,
    ),
  );
  const signOutOthers =
    others > 0 &&
    postForm({
      action: view.actions.signOutOthers,
      csrfToken: view.csrfToken,
      content: html`<div class="section-actions">${smallButton(others === 1 ? 'Sign out of the other session' : `Sign out of ${others} other sessions`)}</div>`,
    });
  return html`<section class="section" aria-labelledby="sessions-heading"><h2 id="sessions-heading">Sessions</h2><p class="section-lead">Where you’re signed in. If you don’t recognise one, sign out of the other sessions${view.details && view.actions.changePassword ? html` and <a href="#password-heading">change your password</a>` : ''}.</p>
<ul class="rows">${sessions}</ul>${signOutOthers}</section>`;
}

function appsSection(view: AccountPageView): SafeHtml {
  const apps = view.apps ?? [];
  const body =
    apps.length === 0
      ? html`<p class="section-lead">No applications have access to your account.</p>`
      : html`<ul class="rows">${apps.map((app) =>
          row(
            DEVICE_ICON,
            app.name,
            `${app.access.join(' · ')} · since ${app.grantedAt}`,
            view.actions.revokeApp
              ? postForm({
                  action: view.actions.revokeApp,
                  csrfToken: view.csrfToken,
                  hiddenFields: { grant: app.consentId },
                  content: smallButton('Remove access'),
                })
              : undefined,
          ),
        )}</ul>`;
  return html`<section class="section" aria-labelledby="apps-heading"><h2 id="apps-heading">Connected applications</h2><p class="section-lead">Applications you allowed to use your account. Removing one signs it out and it must ask again.</p>${body}</section>`;
}

function signInsSection(view: AccountPageView): SafeHtml {
  const body =
    view.signIns.length === 0
      ? html`<p class="section-lead">No sign-ins yet.</p>`
      : // Three columns, the application and device under the method: more do not fit a phone without scrolling.
        html`<div class="table-wrap" role="region" aria-labelledby="signins-heading" tabindex="0"><table class="table"><thead><tr><th scope="col">When</th><th scope="col">Sign-in</th><th scope="col">Result</th></tr></thead><tbody>${view.signIns.map(
          (entry) => {
            const where = whereFrom(entry.device, entry.address);
            return html`<tr><td>${timeText(entry.at)}</td><td>${entry.method}${present(entry.client) && html`<span class="cell-meta">to ${entry.client}</span>`}${where !== '' && html`<span class="cell-meta">${where}</span>`}</td><td>${entry.outcome}</td></tr>`;
          },
        )}</tbody></table></div>`;
  return html`<section class="section" aria-labelledby="signins-heading"><h2 id="signins-heading">Recent sign-ins</h2>${body}</section>`;
}

/** A profile input with its hint and its error, tied to it by `aria-describedby`; optional (no `required`). */
function profileInput(options: {
  name: ProfileField;
  label: string;
  value: string | undefined;
  error: string | undefined;
  type?: 'text' | 'url';
  autocomplete: string;
  maxlength: number;
  hint?: string;
  /** Typed exactly (a tag, a time zone, an address): no capitals added, no spell-check. Names are not. */
  verbatim?: boolean;
}): SafeHtml {
  const o = options;
  const id = `profile-${o.name.replace('_', '-')}`;
  const hintId = o.hint !== undefined ? `${id}-hint` : undefined;
  const errorId = o.error !== undefined ? `${id}-error` : undefined;
  const describedBy = [hintId, errorId].filter(Boolean).join(' ');
  return html`<div class="field"><label for="${id}">${o.label}</label><input class="input" id="${id}" name="${o.name}" type="${o.type ?? 'text'}" autocomplete="${o.autocomplete}"${o.verbatim && html` autocapitalize="none" spellcheck="false"`} maxlength="${String(o.maxlength)}"${o.value !== undefined && html` value="${o.value}"`}${errorId !== undefined && html` aria-invalid="true"`}${describedBy !== '' && html` aria-describedby="${describedBy}"`}>${hintId !== undefined && html`<p class="hint field-hint" id="${hintId}">${o.hint}</p>`}${errorId !== undefined && html`<p class="field-error" id="${errorId}">${o.error}</p>`}</div>`;
}

function profileSection(view: AccountPageView, details: AccountDetails): SafeHtml | false {
  const { actions, csrfToken } = view;
  if (!actions.updateProfile) return false;
  const { profile, fieldErrors = {} } = details;
  const field = (name: ProfileField, label: string, extra: { autocomplete: string; maxlength: number; type?: 'url'; hint?: string; verbatim?: boolean }) =>
    profileInput({ name, label, value: profile[name], error: fieldErrors[name], ...extra });
  const form = postForm({
    action: actions.updateProfile,
    csrfToken,
    content: html`<div class="form-grid">${field('name', 'Full name', { autocomplete: 'name', maxlength: 100 })}${field('given_name', 'First name', { autocomplete: 'given-name', maxlength: 100 })}${field('family_name', 'Last name', { autocomplete: 'family-name', maxlength: 100 })}${field('locale', 'Language', { autocomplete: 'off', maxlength: 35, hint: 'A language tag, such as en-GB.', verbatim: true })}${field('zoneinfo', 'Time zone', { autocomplete: 'off', maxlength: 64, hint: 'Such as Europe/London.', verbatim: true })}${field('picture', 'Picture address', { autocomplete: 'photo', maxlength: 2048, type: 'url', hint: 'An https:// link to an image.', verbatim: true })}</div><div class="section-actions">${smallButton('Save profile', 'primary')}</div>`,
  });
  const phone =
    actions.changePhone &&
    html`<h3 class="subheading">Phone number</h3><ul class="rows"><li class="add-method"><div class="add-head"><span class="row-icon">${PHONE_ICON}</span><div class="row-text"><span class="row-title">${details.phone ?? 'No phone number'}${details.phone !== undefined && html`<span class="badge badge-on">Verified</span>`}</span><span class="row-meta">Applications you allow to see your phone number get this one.</span></div></div>${postForm(
      {
        action: actions.changePhone,
        csrfToken,
        content: html`<div class="inline-form"><div class="field"><label for="profile-phone">${details.phone === undefined ? 'Add a number' : 'New number'}</label><input class="input" id="profile-phone" name="phone" type="tel" autocomplete="tel" maxlength="20" required aria-describedby="profile-phone-hint"></div>${smallButton('Send code')}</div><p class="hint" id="profile-phone-hint">With the country code, such as +44 7700 900123. We text a code to confirm it.</p>`,
      },
    )}</li></ul>`;
  return html`<section class="section" aria-labelledby="profile-heading"><h2 id="profile-heading">Profile</h2><p class="section-lead">What applications you allow to see your profile learn about you.</p>${form}${phone}</section>`;
}

function emailSection(view: AccountPageView, details: AccountDetails): SafeHtml {
  const { actions, csrfToken } = view;
  const current = row(
    MAIL_ICON,
    html`${details.email ?? 'No email address'}${details.email !== null && (details.emailVerified ? html`<span class="badge badge-on">Verified</span>` : html`<span class="badge">Not verified</span>`)}`,
    'Where we send security notices and password resets.',
  );
  // Without an email sender the address is shown but cannot be changed here.
  const form =
    actions.changeEmail !== undefined &&
    html`<li class="add-method">${postForm({
      action: actions.changeEmail,
      csrfToken,
      content: html`<div class="inline-form"><div class="field"><label for="new-email">New email address</label><input class="input" id="new-email" name="email" type="email" autocomplete="email" maxlength="254" required aria-describedby="new-email-hint"></div>${smallButton('Send code')}</div><p class="hint" id="new-email-hint">Your account keeps its current address until you confirm the new one with the code we send to it.${actions.confirmEmail !== undefined && html` <a href="${actions.confirmEmail}">I have a code</a>`}</p>`,
    })}</li>`;
  return html`<section class="section" aria-labelledby="email-heading"><h2 id="email-heading">Email address</h2><ul class="rows">${current}${form}</ul></section>`;
}

function passwordSection(view: AccountPageView, details: AccountDetails): SafeHtml | false {
  const { actions, csrfToken } = view;
  if (!actions.changePassword) return false;
  const current =
    details.hasPassword &&
    textField({ id: 'current-password', name: 'current_password', label: 'Current password', type: 'password', autocomplete: 'current-password' });
  const form = postForm({
    action: actions.changePassword,
    csrfToken,
    content: html`<input type="text" name="username" autocomplete="username" value="${details.email ?? ''}" hidden><div class="form-grid form-grid-aligned">${current}${newPasswordField({ id: 'new-password', name: 'new_password', label: 'New password', minLength: details.passwordMinLength })}</div><div class="section-actions">${smallButton(details.hasPassword ? 'Change password' : 'Set password', 'primary')}</div>`,
  });
  const lead = details.hasPassword
    ? 'Changing it signs you out everywhere else.'
    : 'Your account has no password: you sign in another way. You can set one to sign in with it too.';
  return html`<section class="section" aria-labelledby="password-heading"><h2 id="password-heading">Password</h2><p class="section-lead">${lead}</p>${form}</section>`;
}

function dataSection(view: AccountPageView): SafeHtml | false {
  const href = view.actions.exportData;
  if (href === undefined) return false;
  const lead = html`<p class="section-lead">A file with your profile, sign-in methods, sessions, connected applications and recent sign-ins. It holds no passwords or keys.</p>`;
  // The download needs a recent sign-in: until then, the way to it is to sign in again (a link
  // would only fetch the "sign in again" page).
  const action =
    view.reauthNeeded && view.actions.reauth
      ? html`<p class="section-lead">To download your data, sign in again first.</p>${postForm({ action: view.actions.reauth, csrfToken: view.csrfToken, content: html`<div class="section-actions section-actions-start">${smallButton('Sign in again')}</div>` })}`
      : // The server sends it as an attachment (Content-Disposition), so the page stays.
        html`<div class="section-actions section-actions-start"><a class="button button-secondary button-small button-link" href="${href}">${DOWNLOAD_ICON}<span>Download my data</span></a></div>`;
  return html`<section class="section" aria-labelledby="data-heading"><h2 id="data-heading">Download your data</h2>${lead}${action}</section>`;
}

function deleteSection(view: AccountPageView): SafeHtml | false {
  const href = view.actions.deleteAccount;
  if (href === undefined) return false;
  return html`<section class="section section-danger" aria-labelledby="delete-heading"><h2 id="delete-heading">Delete account</h2><p class="section-lead">Deleting your account signs you out everywhere, ends the access of every application and removes your sign-in methods. It cannot be undone.</p><div class="section-actions section-actions-start"><a class="button button-danger button-small button-link" href="${href}">Delete my account…</a></div></section>`;
}

/**
 * The user's own account page: profile (with a verified phone number), email address, password,
 * second factors (list, remove, add an authenticator app, a passkey, a phone number or email;
 * recovery codes), connected applications, sessions, recent sign-ins, a download of the account's
 * data, deleting the account, and sign-out. Every form
 * posts `csrf`; the passkey is added by a nonce-carrying script (see `passkeyScripts`) and offered
 * only where the browser supports passkeys. Everything else works with JavaScript off.
 *
 * @example
 * renderAccountPage({ branding, nonce, csrfToken, account: { login: 'ada@example.com' }, factors: [],
 *   recoveryCodesLeft: undefined, sessions: [], signIns: [], actions });
 */
export function renderAccountPage(view: AccountPageView): string {
  const passkeySrc = safeUrl(view.actions.passkeyScriptUrl);
  const signOut = postForm({
    action: view.actions.signOut,
    csrfToken: view.csrfToken,
    content: smallButton('Sign out'),
  });
  return renderDocument(
    view,
    'Your account',
    html`<div class="wide-page"><h1>Your account</h1><div class="account-bar">${signedInAs(view.account)}${signOut}</div>
${alertBox('account-error', view.error)}${noticeBox('account-notice', view.notice)}
${view.details && profileSection(view, view.details)}
${view.details && emailSection(view, view.details)}
${view.details && passwordSection(view, view.details)}
${factorsSection(view)}
${appsSection(view)}
${sessionsSection(view)}
${signInsSection(view)}
${dataSection(view)}
${deleteSection(view)}</div>${passkeySrc !== undefined && passkeyScripts(passkeySrc, view.nonce)}`,
  );
}
