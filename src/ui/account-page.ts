import { signedInAs, type AccountSummary } from './account.js';
import { html, type HtmlValue, type SafeHtml } from './escape.js';
import { newPasswordField, postForm, textField } from './form.js';
import type { MessageKey, Translator } from './i18n/messages.js';
import { messagesOf, renderDocument, type PageBase } from './layout.js';
import { alertBox, noticeBox } from './message-box.js';
import { messageText, type MessageText } from './message-text.js';
import { APP_ICON, CODES_ICON, DEVICE_ICON, DOWNLOAD_ICON, KEY_ICON, MAIL_ICON, PHONE_ICON } from './mfa-icons.js';
import { passkeyForm, passkeyMessages, passkeyScripts } from './passkey.js';
import { safeUrl } from './safe-url.js';
import type { ShownTime } from './time.js';

/** A second factor as the account page lists it. */
export interface AccountFactor {
  /** Posted as `factor` to remove it. */
  id: string;
  type: 'totp' | 'webauthn' | 'sms' | 'email';
  /** The user's name for it ("Work phone"), or the masked number or address. */
  label: string;
  /** Human-readable date in the page's language, such as "12 March 2025" (see `formatDate`). */
  createdAt: string;
  /** Such as "2 hours ago" (see `timeAgo`). */
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
  fieldErrors?: Partial<Record<ProfileField, MessageText>>;
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
  /** Confirmation of what just happened, such as `{ key: 'accountNotice.factorRemoved' }`. */
  notice?: MessageText;
  /** What went wrong with the last action, such as `{ key: 'accountError.wrongPassword' }`. */
  error?: MessageText;
  /**
   * The sign-in is not recent enough (or lacks the second factor) to add or remove a method: the
   * "add" forms are replaced by a "sign in again" button posting to `actions.reauth`.
   */
  reauthNeeded?: boolean;
}

const FACTOR_KIND: Record<AccountFactor['type'], { name: MessageKey; icon: SafeHtml }> = {
  totp: { name: 'accountPage.factor.totp', icon: APP_ICON },
  webauthn: { name: 'accountPage.factor.webauthn', icon: KEY_ICON },
  sms: { name: 'accountPage.factor.sms', icon: PHONE_ICON },
  email: { name: 'accountPage.factor.email', icon: MAIL_ICON },
};

/** Text only screen readers hear (the rest of a button's name). */
const visuallyHidden = (content: HtmlValue[]) => html`<span class="visually-hidden">${content}</span>`;

/** A list row: icon, title over details, and an optional action at the end. */
function row(icon: SafeHtml, title: SafeHtml | string, meta: SafeHtml | string, action?: SafeHtml): SafeHtml {
  return html`<li class="row"><span class="row-icon">${icon}</span><div class="row-text"><span class="row-title">${title}</span><span class="row-meta">${meta}</span></div>${action !== undefined && html`<div class="row-action">${action}</div>`}</li>`;
}

function smallButton(label: SafeHtml | string, variant: 'primary' | 'secondary' = 'secondary'): SafeHtml {
  return html`<button type="submit" class="button button-${variant} button-small">${label}</button>`;
}

function factorsSection(view: AccountPageView, i18n: Translator): SafeHtml {
  const { t } = i18n;
  const { actions, csrfToken } = view;
  const form = (action: string, content: SafeHtml, hiddenFields?: Record<string, string>) => postForm({ action, csrfToken, hiddenFields, content });

  const factors = view.factors.map((factor) => {
    const kind = FACTOR_KIND[factor.type];
    const name = i18n.text(kind.name);
    const used = present(factor.lastUsedAt) ? i18n.text('accountPage.factor.lastUsed', { when: factor.lastUsedAt }) : i18n.text('accountPage.factor.neverUsed');
    return row(
      kind.icon,
      factor.label,
      // An unnamed factor is labelled with its kind; saying it twice would only add noise.
      [...(factor.label === name ? [] : [name]), i18n.text('accountPage.factor.added', { date: factor.createdAt }), used].join(' · '),
      // The visible word is "Remove"; the hidden rest says which one, for lists of links and buttons.
      form(actions.removeFactor, smallButton(t('accountPage.factor.remove', { label: factor.label, hidden: visuallyHidden })), { factor: factor.id }),
    );
  });
  const status =
    view.factors.length > 0
      ? html`<p class="section-lead"><span class="badge badge-on">${t('accountPage.mfa.on')}</span> ${t('accountPage.mfa.onLead')}</p>`
      : html`<p class="section-lead"><span class="badge">${t('accountPage.mfa.off')}</span> ${t('accountPage.mfa.offLead')}</p>`;

  const left = view.recoveryCodesLeft;
  const recovery =
    left === undefined
      ? row(
          CODES_ICON,
          t('accountPage.recovery.title'),
          t('accountPage.recovery.none'),
          form(actions.regenerateRecoveryCodes, smallButton(t('accountPage.recovery.create'))),
        )
      : row(
          CODES_ICON,
          t('accountPage.recovery.title'),
          left <= 3
            ? t('accountPage.recovery.few', { count: left, warning: (content) => html`<strong class="warning">${content}</strong>` })
            : t('accountPage.recovery.left', { count: left }),
          form(actions.regenerateRecoveryCodes, smallButton(t('accountPage.recovery.createNew'))),
        );

  const passkeySrc = safeUrl(actions.passkeyScriptUrl);
  const addPasskey =
    passkeySrc !== undefined &&
    html`<li class="add-method" data-passkey-block hidden><div class="add-head"><span class="row-icon">${KEY_ICON}</span><div class="row-text"><span class="row-title">${t('accountPage.factor.webauthn')}</span><span class="row-meta">${t('accountPage.passkey.meta')}</span></div></div>${passkeyForm(
      {
        ceremony: 'register',
        optionsUrl: actions.addPasskeyOptions,
        verifyUrl: actions.addPasskeyVerify,
        csrfToken,
        statusId: 'add-passkey-status',
        messages: passkeyMessages(i18n, 'register'),
        content: html`<div class="inline-form"><div class="field"><label for="passkey-label">${t('accountPage.passkey.name')} <span class="muted">${t('form.optional')}</span></label><input class="input" id="passkey-label" name="label" type="text" autocomplete="off" maxlength="60" aria-describedby="passkey-label-hint"></div><button type="submit" id="add-passkey" class="button button-secondary button-small">${t('accountPage.passkey.add')}</button></div><p class="hint" id="passkey-label-hint">${t('accountPage.passkey.hint')}</p>`,
      },
    )}</li>`;
  const addContact = html`<li class="add-method"><div class="add-head"><span class="row-icon">${PHONE_ICON}</span><div class="row-text"><span class="row-title">${t('accountPage.contact.title')}</span><span class="row-meta">${t('accountPage.contact.meta')}</span></div></div>${form(
    actions.addContact,
    html`<div class="inline-form"><div class="field field-channel"><label for="contact-channel">${t('accountPage.contact.channel')}</label><select class="input" id="contact-channel" name="channel"><option value="sms">${t('accountPage.factor.sms')}</option><option value="email">${t('accountPage.factor.email')}</option></select></div>${textField({ id: 'contact-to', name: 'to', label: t('accountPage.contact.title'), type: 'text', autocomplete: 'off', describedBy: 'contact-to-hint', i18n })}${smallButton(t('accountPage.sendCode'))}</div><p class="hint" id="contact-to-hint">${t('accountPage.contact.hint')}</p>`,
  )}</li>`;

  const addMethods =
    view.reauthNeeded && actions.reauth
      ? html`<p class="section-lead" id="reauth-lead">${view.factors.length > 0 ? t('accountPage.mfa.reauthSecondStep') : t('accountPage.mfa.reauth')}</p>${form(actions.reauth, html`<div class="section-actions">${smallButton(t('reauth.submit'), 'primary')}</div>`)}`
      : html`<ul class="rows">${row(APP_ICON, t('accountPage.factor.totp'), t('accountPage.totp.meta'), form(actions.addTotp, smallButton(t('accountPage.totp.setUp'))))}${addPasskey}${addContact}</ul>`;
  return html`<section class="section" aria-labelledby="mfa-heading"><h2 id="mfa-heading">${t('mfa.title')}</h2>${status}
${view.factors.length > 0 && html`<ul class="rows" aria-label="${i18n.text('accountPage.mfa.listLabel')}">${factors}</ul>`}
<h3 class="subheading">${t('accountPage.mfa.addMethod')}</h3>
${addMethods}
<h3 class="subheading">${t('accountPage.mfa.backup')}</h3>
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

function sessionsSection(view: AccountPageView, i18n: Translator): SafeHtml {
  const { t } = i18n;
  const others = view.sessions.filter((session) => !session.current).length;
  const sessions = view.sessions.map((session) =>
    row(
      DEVICE_ICON,
      html`${present(session.device) ? session.device : t('accountPage.sessions.unknownBrowser')}${session.current && html`<span class="badge badge-on">${t('accountPage.sessions.thisDevice')}</span>`}`,
      html`${t('accountPage.sessions.signedIn', { when: timeText(session.signedInAt) })}${SEPARATOR}${session.methods}${present(session.address) && html`${SEPARATOR}${session.address}`}`,
    ),
  );
  const signOutOthers =
    others > 0 &&
    postForm({
      action: view.actions.signOutOthers,
      csrfToken: view.csrfToken,
      content: html`<div class="section-actions">${smallButton(t('accountPage.sessions.signOutOthers', { count: others }))}</div>`,
    });
  return html`<section class="section" aria-labelledby="sessions-heading"><h2 id="sessions-heading">${t('accountPage.sessions.heading')}</h2><p class="section-lead">${
    view.details && view.actions.changePassword
      ? t('accountPage.sessions.leadPassword', { link: (content) => html`<a href="#password-heading">${content}</a>` })
      : t('accountPage.sessions.lead')
  }</p>
<ul class="rows">${sessions}</ul>${signOutOthers}</section>`;
}

function appsSection(view: AccountPageView, i18n: Translator): SafeHtml {
  const { t } = i18n;
  const apps = view.apps ?? [];
  const body =
    apps.length === 0
      ? html`<p class="section-lead">${t('accountPage.apps.none')}</p>`
      : html`<ul class="rows">${apps.map((app) =>
          row(
            DEVICE_ICON,
            app.name,
            [...app.access, i18n.text('accountPage.apps.since', { date: app.grantedAt })].join(' · '),
            view.actions.revokeApp
              ? postForm({
                  action: view.actions.revokeApp,
                  csrfToken: view.csrfToken,
                  hiddenFields: { grant: app.consentId },
                  content: smallButton(t('accountPage.apps.remove')),
                })
              : undefined,
          ),
        )}</ul>`;
  return html`<section class="section" aria-labelledby="apps-heading"><h2 id="apps-heading">${t('accountPage.apps.heading')}</h2><p class="section-lead">${t('accountPage.apps.lead')}</p>${body}</section>`;
}

function signInsSection(view: AccountPageView, i18n: Translator): SafeHtml {
  const { t } = i18n;
  const body =
    view.signIns.length === 0
      ? html`<p class="section-lead">${t('accountPage.signIns.none')}</p>`
      : // Three columns, the application and device under the method: more do not fit a phone without scrolling.
        html`<div class="table-wrap" role="region" aria-labelledby="signins-heading" tabindex="0"><table class="table"><thead><tr><th scope="col">${t('accountPage.signIns.when')}</th><th scope="col">${t('accountPage.signIns.method')}</th><th scope="col">${t('accountPage.signIns.result')}</th></tr></thead><tbody>${view.signIns.map(
          (entry) => {
            const where = whereFrom(entry.device, entry.address);
            return html`<tr><td>${timeText(entry.at)}</td><td>${entry.method}${present(entry.client) && html`<span class="cell-meta">${t('accountPage.signIns.to', { client: entry.client })}</span>`}${where !== '' && html`<span class="cell-meta">${where}</span>`}</td><td>${entry.outcome}</td></tr>`;
          },
        )}</tbody></table></div>`;
  return html`<section class="section" aria-labelledby="signins-heading"><h2 id="signins-heading">${t('accountPage.signIns.heading')}</h2>${body}</section>`;
}

/** A profile input with its hint and its error, tied to it by `aria-describedby`; optional (no `required`). */
function profileInput(options: {
  name: ProfileField;
  label: SafeHtml;
  value: string | undefined;
  error: string | undefined;
  type?: 'text' | 'url';
  autocomplete: string;
  maxlength: number;
  hint?: SafeHtml;
  /** Typed exactly (a tag, a time zone, an address): no capitals added, no spell-check. Names are not. */
  verbatim?: boolean;
  /** The first field in error: it takes the focus when the page loads. */
  autofocus?: boolean;
}): SafeHtml {
  const o = options;
  const id = `profile-${o.name.replace('_', '-')}`;
  const hintId = o.hint !== undefined ? `${id}-hint` : undefined;
  const errorId = o.error !== undefined ? `${id}-error` : undefined;
  const describedBy = [hintId, errorId].filter(Boolean).join(' ');
  return html`<div class="field"><label for="${id}">${o.label}</label><input class="input" id="${id}" name="${o.name}" type="${o.type ?? 'text'}" autocomplete="${o.autocomplete}"${o.verbatim && html` autocapitalize="none" spellcheck="false"`} maxlength="${String(o.maxlength)}"${o.value !== undefined && html` value="${o.value}"`}${o.autofocus === true && html` autofocus`}${errorId !== undefined && html` aria-invalid="true"`}${describedBy !== '' && html` aria-describedby="${describedBy}"`}>${hintId !== undefined && html`<p class="hint field-hint" id="${hintId}">${o.hint}</p>`}${errorId !== undefined && html`<p class="field-error" id="${errorId}">${o.error}</p>`}</div>`;
}

/** The profile form's fields, in the order it shows them. */
const PROFILE_FIELDS: readonly ProfileField[] = ['name', 'given_name', 'family_name', 'locale', 'zoneinfo', 'picture'];

function profileSection(view: AccountPageView, details: AccountDetails, i18n: Translator): SafeHtml | false {
  const { t } = i18n;
  const { actions, csrfToken } = view;
  if (!actions.updateProfile) return false;
  const { profile, fieldErrors = {} } = details;
  const firstInError = PROFILE_FIELDS.find((name) => fieldErrors[name] !== undefined);
  const field = (name: ProfileField, label: SafeHtml, extra: { autocomplete: string; maxlength: number; type?: 'url'; hint?: SafeHtml; verbatim?: boolean }) =>
    profileInput({ name, label, value: profile[name], error: messageText(i18n, fieldErrors[name]), autofocus: name === firstInError, ...extra });
  const form = postForm({
    action: actions.updateProfile,
    csrfToken,
    content: html`<div class="form-grid">${field('name', t('accountPage.profile.name'), { autocomplete: 'name', maxlength: 100 })}${field('given_name', t('accountPage.profile.givenName'), { autocomplete: 'given-name', maxlength: 100 })}${field('family_name', t('accountPage.profile.familyName'), { autocomplete: 'family-name', maxlength: 100 })}${field('locale', t('accountPage.profile.locale'), { autocomplete: 'off', maxlength: 35, hint: t('accountPage.profile.localeHint'), verbatim: true })}${field('zoneinfo', t('accountPage.profile.zoneinfo'), { autocomplete: 'off', maxlength: 64, hint: t('accountPage.profile.zoneinfoHint'), verbatim: true })}${field('picture', t('accountPage.profile.picture'), { autocomplete: 'photo', maxlength: 2048, type: 'url', hint: t('accountPage.profile.pictureHint'), verbatim: true })}</div><div class="section-actions">${smallButton(t('accountPage.profile.save'), 'primary')}</div>`,
  });
  const phone =
    actions.changePhone &&
    html`<h3 class="subheading">${t('accountPage.phone.heading')}</h3><ul class="rows"><li class="add-method"><div class="add-head"><span class="row-icon">${PHONE_ICON}</span><div class="row-text"><span class="row-title">${details.phone ?? t('accountPage.phone.none')}${details.phone !== undefined && html`<span class="badge badge-on">${t('accountPage.verified')}</span>`}</span><span class="row-meta">${t('accountPage.phone.meta')}</span></div></div>${postForm(
      {
        action: actions.changePhone,
        csrfToken,
        content: html`<div class="inline-form"><div class="field"><label for="profile-phone">${details.phone === undefined ? t('accountPage.phone.add') : t('accountPage.phone.new')}</label><input class="input" id="profile-phone" name="phone" type="tel" autocomplete="tel" maxlength="20" required aria-describedby="profile-phone-hint"></div>${smallButton(t('accountPage.sendCode'))}</div><p class="hint" id="profile-phone-hint">${t('accountPage.phone.hint')}</p>`,
      },
    )}</li></ul>`;
  return html`<section class="section" aria-labelledby="profile-heading"><h2 id="profile-heading">${t('accountPage.profile.heading')}</h2><p class="section-lead">${t('accountPage.profile.lead')}</p>${form}${phone}</section>`;
}

function emailSection(view: AccountPageView, details: AccountDetails, i18n: Translator): SafeHtml {
  const { t } = i18n;
  const { actions, csrfToken } = view;
  const current = row(
    MAIL_ICON,
    html`${details.email ?? t('accountPage.email.none')}${details.email !== null && (details.emailVerified ? html`<span class="badge badge-on">${t('accountPage.verified')}</span>` : html`<span class="badge">${t('accountPage.notVerified')}</span>`)}`,
    t('accountPage.email.meta'),
  );
  // Without an email sender the address is shown but cannot be changed here.
  const form =
    actions.changeEmail !== undefined &&
    html`<li class="add-method">${postForm({
      action: actions.changeEmail,
      csrfToken,
      content: html`<div class="inline-form"><div class="field"><label for="new-email">${t('accountPage.email.new')}</label><input class="input" id="new-email" name="email" type="email" autocomplete="email" maxlength="254" required aria-describedby="new-email-hint"></div>${smallButton(t('accountPage.sendCode'))}</div><p class="hint" id="new-email-hint">${t('accountPage.email.hint')}${actions.confirmEmail !== undefined && html` <a href="${actions.confirmEmail}">${t('accountPage.email.haveCode')}</a>`}</p>`,
    })}</li>`;
  return html`<section class="section" aria-labelledby="email-heading"><h2 id="email-heading">${t('accountPage.email.heading')}</h2><ul class="rows">${current}${form}</ul></section>`;
}

function passwordSection(view: AccountPageView, details: AccountDetails, i18n: Translator): SafeHtml | false {
  const { t } = i18n;
  const { actions, csrfToken } = view;
  if (!actions.changePassword) return false;
  const current =
    details.hasPassword &&
    textField({
      id: 'current-password',
      name: 'current_password',
      label: t('accountPage.password.current'),
      type: 'password',
      autocomplete: 'current-password',
      i18n,
    });
  const form = postForm({
    action: actions.changePassword,
    csrfToken,
    content: html`<input type="text" name="username" autocomplete="username" value="${details.email ?? ''}" hidden><div class="form-grid form-grid-aligned">${current}${newPasswordField({ id: 'new-password', name: 'new_password', label: t('accountPage.password.new'), minLength: details.passwordMinLength, i18n })}</div><div class="section-actions">${smallButton(details.hasPassword ? t('accountPage.password.change') : t('accountPage.password.set'), 'primary')}</div>`,
  });
  const lead = details.hasPassword ? t('accountPage.password.leadChange') : t('accountPage.password.leadSet');
  return html`<section class="section" aria-labelledby="password-heading"><h2 id="password-heading">${t('accountPage.password.heading')}</h2><p class="section-lead">${lead}</p>${form}</section>`;
}

function dataSection(view: AccountPageView, i18n: Translator): SafeHtml | false {
  const { t } = i18n;
  const href = view.actions.exportData;
  if (href === undefined) return false;
  const lead = html`<p class="section-lead">${t('accountPage.data.lead')}</p>`;
  // The download needs a recent sign-in: until then, the way to it is to sign in again (a link
  // would only fetch the "sign in again" page).
  const action =
    view.reauthNeeded && view.actions.reauth
      ? html`<p class="section-lead">${t('accountPage.data.reauth')}</p>${postForm({ action: view.actions.reauth, csrfToken: view.csrfToken, content: html`<div class="section-actions section-actions-start">${smallButton(t('reauth.submit'))}</div>` })}`
      : // The server sends it as an attachment (Content-Disposition), so the page stays.
        html`<div class="section-actions section-actions-start"><a class="button button-secondary button-small button-link" href="${href}">${DOWNLOAD_ICON}<span>${t('accountPage.data.download')}</span></a></div>`;
  return html`<section class="section" aria-labelledby="data-heading"><h2 id="data-heading">${t('accountPage.data.heading')}</h2>${lead}${action}</section>`;
}

function deleteSection(view: AccountPageView, i18n: Translator): SafeHtml | false {
  const { t } = i18n;
  const href = view.actions.deleteAccount;
  if (href === undefined) return false;
  return html`<section class="section section-danger" aria-labelledby="delete-heading"><h2 id="delete-heading">${t('accountPage.delete.heading')}</h2><p class="section-lead">${t('accountPage.delete.lead')}</p><div class="section-actions section-actions-start"><a class="button button-danger button-small button-link" href="${href}">${t('accountPage.delete.button')}</a></div></section>`;
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
/** Whether a profile field is marked in error (it takes the focus, not the page's alert). */
function hasFieldErrors(view: AccountPageView): boolean {
  return Object.keys(view.details?.fieldErrors ?? {}).length > 0;
}

export function renderAccountPage(view: AccountPageView): string {
  const i18n = messagesOf(view);
  const { t } = i18n;
  const passkeySrc = safeUrl(view.actions.passkeyScriptUrl);
  const signOut = postForm({
    action: view.actions.signOut,
    csrfToken: view.csrfToken,
    content: smallButton(t('accountPage.signOut')),
  });
  return renderDocument(
    view,
    t('accountPage.title'),
    html`<div class="wide-page"><h1>${t('accountPage.title')}</h1><div class="account-bar">${signedInAs(view.account, i18n)}${signOut}</div>
${alertBox('account-error', messageText(i18n, view.error), { focus: !hasFieldErrors(view) })}${noticeBox('account-notice', messageText(i18n, view.notice))}
${view.details && profileSection(view, view.details, i18n)}
${view.details && emailSection(view, view.details, i18n)}
${view.details && passwordSection(view, view.details, i18n)}
${factorsSection(view, i18n)}
${appsSection(view, i18n)}
${sessionsSection(view, i18n)}
${signInsSection(view, i18n)}
${dataSection(view, i18n)}
${deleteSection(view, i18n)}</div>${passkeySrc !== undefined && passkeyScripts(passkeySrc, view.nonce)}`,
  );
}
