import { pathTo, urlTo } from '../routes.js';
import { revokeConsentOf } from '../admin/user-sessions.js';
import type { RegistrationResponseJSON } from '@simplewebauthn/server';
import { auditEvent } from '../audit/events.js';
import { StoreConflictError, type MfaFactorRecord } from '../../stores/contract.js';
import {
  renderAccountPage,
  renderContactVerifyPage,
  renderMfaEnrollPage,
  renderRecoveryCodesPage,
  renderSignedOutPage,
  describeScopes,
  describeSignInMethods,
  formatDate,
  shownTimeAgo,
  timeAgo,
  type AccountApp,
  type AccountDetails,
} from '../../ui/index.js';
import type { MessageKey, Translator } from '../../ui/i18n/index.js';
import type { MessageText } from '../../ui/message-text.js';
import { normaliseEmailAddress, readEmailAddress } from '../accounts/email-address.js';
import { accountEmailsAvailable } from '../accounts/emails.js';
import { EDITABLE_CLAIMS } from '../accounts/profile-edit.js';
import { builtInLabel } from '../interaction/account-client.js';
import type { ServerContext } from '../context.js';
import { endpoint, type EndpointInput } from '../http/endpoint.js';
import { readBody, type FormParams } from '../http/form.js';
import { htmlResponse } from '../http/html.js';
import { pipeline } from '../http/pipeline.js';
import { json, oauthErrorResponse, redirect } from '../http/responses.js';
import { OAuthError } from '../../core/errors.js';
import { maskedContact, webauthnScriptPath } from '../interaction/pages.js';
import { pageBase } from '../http/pages.js';
import { messageLanguage, pageLanguage } from '../http/page-language.js';
import { DEFAULT_TOTP_LABEL, regenerateRecoveryCodes, remainingRecoveryCodes, startTotpEnrolment, totpSecretOf, useTotpCode } from '../mfa/factors.js';
import { checkOneTimeCode, sendOneTimeCode } from '../mfa/one-time-codes.js';
import { passkeyRegistrationOptions, registerPasskey } from '../mfa/passkeys.js';
import { factorAdded } from '../mfa/factor-added.js';
import { claimPendingContact, releasePendingContact } from '../mfa/pending-contacts.js';
import type { Sender } from '../mfa/senders/sender.js';
import { otpauthUri, qrSvg } from '../mfa/totp.js';
import { csrfToken, existingBrowserId, identifyBrowser, verifyCsrf, type Browser } from '../session/browser.js';
import {
  dropSession,
  endSession,
  loadSession,
  SESSION,
  sessionKeyOf,
  SIGN_IN_EVENT,
  userOwner,
  type Session,
  type SessionState,
  type SignInContext,
} from '../session/sessions.js';
import {
  ACCOUNT_CSRF_SUBJECT,
  accountUrl,
  checkAccountCsrf,
  readAccountForm,
  recentlyAuthenticated,
  requireAccountSession,
  requireRecentSignIn,
  requireSession,
  signInToAccount,
  type AccountSession,
} from '../steps/account.js';

/** Fixed messages shown after an action (never text from the request), by the `?notice=` that names them. */
const NOTICES: Record<string, MessageKey> = {
  'totp-added': 'accountNotice.totpAdded',
  'passkey-added': 'accountNotice.passkeyAdded',
  'contact-added': 'accountNotice.contactAdded',
  'factor-removed': 'accountNotice.factorRemoved',
  'sessions-ended': 'accountNotice.sessionsEnded',
  'signed-in-again': 'accountNotice.signedInAgain',
  'app-removed': 'accountNotice.appRemoved',
  'profile-updated': 'accountNotice.profileUpdated',
  'phone-changed': 'accountNotice.phoneChanged',
  'email-changed': 'accountNotice.emailChanged',
  'password-changed': 'accountNotice.passwordChanged',
  'password-set': 'accountNotice.passwordSet',
};

/** What the account pages' contexts need besides their capabilities: the request's language hints. */
type WithLanguages = { request?: Pick<ServerContext['request'], 'languages'> };

/** What an account action's steps see: the request, the signed-in user and (for forms) the CSRF-checked form. */
export type AccountInput = EndpointInput & AccountSession;
export type AccountFormInput = AccountInput & { form: FormParams };

// ---------------------------------------------------------------------------------------------
// The account page

/** What a session or sign-in record holds for the account page (older records lack the context). */
type SignInRecord = SignInContext & { amr: string[] };

/** The label a passkey gets when none is given. */
const DEFAULT_PASSKEY_LABEL = 'Passkey';

/**
 * A factor's label as the page shows it: the user's own name for it or its masked number or
 * address; an unnamed one (stored with its English default) by its kind, in the page's language.
 */
function factorLabel(factor: MfaFactorRecord, i18n: Translator): string {
  if (factor.type === 'sms' || factor.type === 'email') return maskedContact(factor);
  if (factor.type === 'totp' && factor.label === DEFAULT_TOTP_LABEL) return i18n.text('accountPage.factor.totp');
  if (factor.type === 'webauthn' && factor.label === DEFAULT_PASSKEY_LABEL) return i18n.text('accountPage.factor.webauthn');
  return factor.label;
}

/** A sign-in's methods in words, with the provider's label for `fed` ("GitHub"). */
function methodsInWords(ctx: Pick<ServerContext, 'upstreams'>, record: SignInRecord, i18n: Translator): string {
  const provider = record.provider === undefined ? undefined : (ctx.upstreams.get(record.provider)?.label ?? record.provider);
  return describeSignInMethods(record.amr, { ...(provider ? { provider } : {}), ...(record.code ? { code: record.code } : {}) }, i18n);
}

/** What the account page says besides its content: a known notice (else the request's `?notice=`), an error. */
export interface AccountView {
  /** A key of the fixed notices (`?notice=` otherwise). */
  notice?: string;
  error?: MessageText;
  /** What is wrong with each profile field, after a profile post. */
  fieldErrors?: AccountDetails['fieldErrors'];
  /** The page's status (default 200). */
  status?: number;
}

/** The account's own details for the Profile, Email and Password sections. */
function accountDetails(ctx: Pick<ServerContext, 'config'>, user: Session['user'], view: AccountView): AccountDetails {
  const profile: AccountDetails['profile'] = {};
  for (const claim of EDITABLE_CLAIMS) if (user.profile[claim] !== undefined) profile[claim] = user.profile[claim];
  return {
    email: user.email,
    emailVerified: user.emailVerified,
    hasPassword: user.passwordHash !== null,
    passwordMinLength: ctx.config.accounts.passwordMinLength,
    profile,
    ...(user.profile.phone_number && user.profile.phone_number_verified ? { phone: user.profile.phone_number } : {}),
    ...(view.fieldErrors ? { fieldErrors: view.fieldErrors } : {}),
  };
}

/**
 * The account page of the signed-in user: factors, recovery codes, sessions, applications and
 * recent sign-ins. Also how an action that failed shows its error (`view.error`) on the page.
 */
async function renderAccount(
  ctx: Pick<ServerContext, 'clock' | 'config' | 'secrets' | 'store' | 'upstreams' | 'clientDocuments'> & WithLanguages,
  request: Request,
  session: Session,
  browser: Browser,
  view: AccountView = {},
): Promise<Response> {
  // The switcher comes back here by GET; a page answering a post (an action's error) has none.
  const shown = request.method === 'GET' || request.method === 'HEAD';
  const language = pageLanguage(ctx, [], shown ? pathTo(ctx, 'account') : undefined);
  const { i18n } = language;
  const when = (ms: number) => formatDate(ms, i18n);
  const now = ctx.clock.now();
  const { store } = ctx;
  const userId = session.user.id;
  const factors = (await store.factors.listByUser(userId)).filter((factor) => factor.type !== 'recovery_codes' && factor.data.confirmed === true);
  const hasRecovery = await hasRecoveryCodes(ctx, userId);
  const current = sessionKeyOf(ctx, request);
  const sessions = (await store.artifacts.listByOwner<SignInRecord & { authTime: number }>(SESSION, userOwner(userId)))
    // This device first, then the most recent.
    .sort((a, b) => Number(b.id === current) - Number(a.id === current) || b.value.authTime - a.value.authTime);
  const consents = (await store.consents.listBySubject(userId)).filter((consent) => consent.revokedAt === null);
  const apps: AccountApp[] = [];
  for (const consent of consents) {
    // An application known by its metadata document is listed too, so its access can be removed here.
    const name = (await store.clients.get(consent.clientId))?.clientName ?? ctx.clientDocuments?.label(consent.clientId);
    if (name === undefined) continue;
    apps.push({
      consentId: consent.id,
      name,
      access: describeScopes(consent.scope.split(' ').filter(Boolean), i18n).map((entry) => entry.description),
      grantedAt: when(consent.createdAt),
    });
  }
  const signIns = await store.artifacts.listByOwner<SignInRecord & { at: number; clientId: string | null }>(SIGN_IN_EVENT, userOwner(userId), 20);
  const names = new Map<string, string>();
  for (const event of signIns) {
    const clientId = event.value.clientId;
    if (clientId && !names.has(clientId))
      names.set(
        clientId,
        builtInLabel(clientId, i18n) ??
          (await store.clients.get(clientId))?.clientName ??
          ctx.clientDocuments?.label(clientId) ??
          i18n.text('accountPage.signIns.removedApp'),
      );
  }
  const recoveryCodesLeft = hasRecovery ? await remainingRecoveryCodes(ctx, userId) : undefined;
  const noticeKey = view.notice ?? new URL(request.url).searchParams.get('notice') ?? '';
  const reauthNeeded = !(await recentlyAuthenticated(ctx, session));
  return htmlResponse(
    ctx,
    (nonce) =>
      renderAccountPage({
        ...pageBase(ctx),
        ...language,
        nonce,
        csrfToken: csrfToken(ctx, browser.id, ACCOUNT_CSRF_SUBJECT),
        account: { ...(session.user.profile.name ? { name: session.user.profile.name } : {}), login: session.user.email ?? session.user.username },
        factors: factors.map((factor) => ({
          id: factor.id,
          type: factor.type as 'totp' | 'webauthn' | 'sms' | 'email',
          label: factorLabel(factor, i18n),
          createdAt: when(factor.createdAt),
          ...(factor.lastUsedAt ? { lastUsedAt: timeAgo(factor.lastUsedAt, now, i18n) } : {}),
        })),
        recoveryCodesLeft,
        sessions: sessions.map((record) => ({
          id: record.id.slice(0, 8),
          current: record.id === current,
          signedInAt: shownTimeAgo(record.value.authTime * 1000, now, i18n),
          methods: methodsInWords(ctx, record.value, i18n),
          ...(record.value.device ? { device: record.value.device } : {}),
          ...(record.value.ip ? { address: record.value.ip } : {}),
        })),
        apps,
        signIns: signIns.map((event) => ({
          at: shownTimeAgo(event.value.at, now, i18n),
          method: methodsInWords(ctx, event.value, i18n),
          ...(event.value.clientId ? { client: names.get(event.value.clientId) ?? '' } : {}),
          ...(event.value.device ? { device: event.value.device } : {}),
          ...(event.value.ip ? { address: event.value.ip } : {}),
          outcome: i18n.text('accountPage.signIns.signedIn'),
        })),
        actions: {
          addTotp: pathTo(ctx, 'accountTotp'),
          addPasskeyOptions: pathTo(ctx, 'accountPasskeyOptions'),
          addPasskeyVerify: pathTo(ctx, 'accountPasskeys'),
          addContact: pathTo(ctx, 'accountContacts'),
          removeFactor: pathTo(ctx, 'accountFactorRemove'),
          regenerateRecoveryCodes: pathTo(ctx, 'accountRecoveryCodes'),
          signOutOthers: pathTo(ctx, 'accountEndOtherSessions'),
          revokeApp: pathTo(ctx, 'accountRevokeApp'),
          signOut: pathTo(ctx, 'accountLogout'),
          reauth: pathTo(ctx, 'accountReauth'),
          passkeyScriptUrl: webauthnScriptPath(ctx),
          updateProfile: pathTo(ctx, 'accountProfile'),
          ...(ctx.config.mfa.senders.sms ? { changePhone: pathTo(ctx, 'accountPhone') } : {}),
          ...(accountEmailsAvailable(ctx) ? { changeEmail: pathTo(ctx, 'accountEmail'), confirmEmail: pathTo(ctx, 'accountEmailConfirm') } : {}),
          changePassword: pathTo(ctx, 'accountPassword'),
          // Needs a recent sign-in: the page offers "Sign in again" instead while `reauthNeeded`.
          exportData: pathTo(ctx, 'accountExport'),
          deleteAccount: pathTo(ctx, 'accountDelete'),
        },
        details: accountDetails(ctx, session.user, view),
        reauthNeeded,
        ...(Object.hasOwn(NOTICES, noticeKey) ? { notice: { key: NOTICES[noticeKey]! } } : {}),
        ...(view.error ? { error: view.error } : {}),
      }),
    { setCookies: browser.setCookie ? [browser.setCookie] : [], scripts: true, ...(view.status ? { status: view.status } : {}) },
  );
}

/** The account page again, saying what went wrong with the action just posted (the browser has its cookie). */
export function accountWithError(
  { ctx, request, session, browserId }: AccountInput,
  error: MessageText,
  view: Omit<AccountView, 'error'> = {},
): Promise<Response> {
  return renderAccount(ctx, request, session, { id: browserId, setCookie: undefined }, { ...view, error });
}

/** The page, giving a browser without the cookie its id (the page's forms are bound to it). */
function showAccount({ ctx, request, session }: EndpointInput & { session: Session }): Promise<Response> {
  return renderAccount(ctx, request, session, identifyBrowser(ctx, request));
}

/** GET /account — factors, recovery codes, sessions and recent sign-ins of the signed-in user. */
export const accountPage = endpoint(pipeline<EndpointInput>('account').step(requireSession).respond(showAccount));

// ---------------------------------------------------------------------------------------------
// Recovery codes

/** Whether the user has a set of recovery codes (used up or not). */
async function hasRecoveryCodes(ctx: Pick<ServerContext, 'store'>, userId: string): Promise<boolean> {
  return (await ctx.store.factors.listByUser(userId)).some((factor) => factor.type === 'recovery_codes');
}

/**
 * Shows a new set of recovery codes once, with a way back to the account page (saying `notice`
 * there: what was just added, when the codes came with it).
 */
function recoveryCodesPage(
  ctx: Pick<ServerContext, 'config' | 'secrets'> & WithLanguages,
  browserId: string,
  codes: string[],
  notice?: keyof typeof NOTICES,
): Response {
  return htmlResponse(ctx, (nonce) =>
    renderRecoveryCodesPage({
      ...pageBase(ctx),
      // No switcher: the codes are shown this once, and a reload must not show them again.
      ...pageLanguage(ctx),
      nonce,
      codes,
      continueAction: pathTo(ctx, 'accountDone'),
      csrfToken: csrfToken(ctx, browserId, ACCOUNT_CSRF_SUBJECT),
      continueLabel: { key: 'accountPage.recovery.done' },
      ...(notice ? { hiddenFields: { notice } } : {}),
    }),
  );
}

/**
 * After a method was added: the first one (whichever kind) also brings recovery codes, shown at
 * once; `undefined` when the user has a set already.
 */
async function recoveryCodesIfFirst(
  ctx: Pick<ServerContext, 'clock' | 'config' | 'secrets' | 'store'> & WithLanguages,
  userId: string,
  browserId: string,
  notice: keyof typeof NOTICES,
): Promise<Response | undefined> {
  if (await hasRecoveryCodes(ctx, userId)) return undefined;
  return recoveryCodesPage(ctx, browserId, await regenerateRecoveryCodes(ctx, userId), notice);
}

/** After a method was added: its recovery codes when it is the first, otherwise the account page saying `notice`. */
async function afterFactorAdded(
  ctx: Pick<ServerContext, 'clock' | 'config' | 'secrets' | 'store'> & WithLanguages,
  userId: string,
  browserId: string,
  notice: keyof typeof NOTICES,
): Promise<Response> {
  return (await recoveryCodesIfFirst(ctx, userId, browserId, notice)) ?? redirect(accountUrl(ctx, notice));
}

/**
 * A passkey is added by a script (JSON), which cannot show a page: the recovery codes of a first
 * passkey are shown by the page the script goes to next ({@link accountNewRecoveryCodes}). This
 * single-use offer, bound to the browser and the user and made by the add itself (CSRF-checked,
 * recently signed in), is what lets that GET create codes: without it, a session cookie alone
 * could mint recovery codes (a second factor) for a user who has none.
 */
const RECOVERY_CODES_OFFER = 'recovery_codes_offer';
const RECOVERY_CODES_OFFER_TTL_MS = 5 * 60_000;
const offerId = (ctx: Pick<ServerContext, 'secrets'>, browserId: string, userId: string) => ctx.secrets.hash(`${browserId}\0${userId}`, 'recovery-codes-offer');

/** The offer made by adding a first passkey in this browser, used up here whatever comes next. */
async function consumeRecoveryCodesOffer({ ctx, session, browserId }: AccountInput): Promise<{ offered: boolean }> {
  const offer = await ctx.store.artifacts.consume(RECOVERY_CODES_OFFER, offerId(ctx, browserId, session.user.id), ctx.clock.now());
  return { offered: Boolean(offer) };
}

/** The codes of a first passkey (when offered and still the first set); otherwise the account page. */
async function showFirstRecoveryCodes({ ctx, session, browserId, offered }: AccountInput & { offered: boolean }): Promise<Response> {
  const page = offered ? await recoveryCodesIfFirst(ctx, session.user.id, browserId, 'passkey-added') : undefined;
  return page ?? redirect(accountUrl(ctx, offered ? 'passkey-added' : undefined));
}

/** GET /account/recovery-codes/new — the recovery codes of a first passkey, once; otherwise the account page. */
export const accountNewRecoveryCodes = endpoint(
  pipeline<EndpointInput>('account.recovery-codes.new').step(requireAccountSession).step(consumeRecoveryCodesOffer).respond(showFirstRecoveryCodes),
);

/** A new set of recovery codes, shown once; the old codes stop working. */
async function replaceRecoveryCodes({ ctx, session, browserId }: AccountFormInput): Promise<Response> {
  const codes = await regenerateRecoveryCodes(ctx, session.user.id);
  await factorAdded(ctx, session.user, 'recovery_codes');
  return recoveryCodesPage(ctx, browserId, codes);
}

/** POST /account/recovery-codes — a new set; the old codes stop working. */
export const accountRecoveryCodes = endpoint(
  pipeline<EndpointInput>('account.recovery-codes')
    .step(requireAccountSession)
    .step(readAccountForm)
    .step(checkAccountCsrf)
    .step(requireRecentSignIn('add'))
    .respond(replaceRecoveryCodes),
);

/** Back to the account page, with the in-between page's `notice` (a known one only). */
function backToAccount({ ctx, form }: AccountFormInput): Response {
  const notice = form.get('notice') ?? '';
  return redirect(accountUrl(ctx, Object.hasOwn(NOTICES, notice) ? notice : undefined));
}

/** POST /account/done — back to the account page after an in-between page, with its `notice` (a known one only). */
export const accountDone = endpoint(
  pipeline<EndpointInput>('account.done').step(requireAccountSession).step(readAccountForm).step(checkAccountCsrf).respond(backToAccount),
);

// ---------------------------------------------------------------------------------------------
// Authenticator app (TOTP)

async function totpEnrolPage(
  ctx: Pick<ServerContext, 'config' | 'secrets'> & WithLanguages,
  session: Session,
  browserId: string,
  secret: string,
  error?: MessageText,
): Promise<Response> {
  const svg = await qrSvg(otpauthUri(ctx.config.branding.productName, session.user.email ?? session.user.username, secret));
  return htmlResponse(
    ctx,
    (nonce) =>
      renderMfaEnrollPage({
        ...pageBase(ctx),
        // No switcher: the page answers a post.
        ...pageLanguage(ctx),
        nonce,
        action: pathTo(ctx, 'accountTotpConfirm'),
        csrfToken: csrfToken(ctx, browserId, ACCOUNT_CSRF_SUBJECT),
        qrSvg: svg,
        secret,
        required: false,
        ...(error ? { error } : {}),
      }),
    { status: error ? 400 : 200 },
  );
}

/** A new secret and its QR code; one set-up at a time, so earlier unfinished ones are dropped. */
async function startTotpSetUp({ ctx, session, browserId }: AccountFormInput): Promise<Response> {
  const { store } = ctx;
  for (const factor of await store.factors.listByUser(session.user.id)) {
    if (factor.type === 'totp' && factor.data.confirmed !== true) await store.factors.delete(factor.id);
  }
  const { secret } = await startTotpEnrolment(ctx, session.user.id);
  return totpEnrolPage(ctx, session, browserId, secret);
}

/** POST /account/totp — starts setting up an authenticator app: QR code and key, confirmed by a first code. */
export const accountTotpStart = endpoint(
  pipeline<EndpointInput>('account.totp')
    .step(requireAccountSession)
    .step(readAccountForm)
    .step(checkAccountCsrf)
    .step(requireRecentSignIn('add'))
    .respond(startTotpSetUp),
);

/** The set-up being confirmed (the latest unfinished one); without one, back to the account page. */
async function findPendingTotp({ ctx, session }: AccountFormInput): Promise<Response | { pending: MfaFactorRecord }> {
  const pending = (await ctx.store.factors.listByUser(session.user.id)).filter((factor) => factor.type === 'totp' && factor.data.confirmed !== true).pop();
  if (!pending) return redirect(accountUrl(ctx));
  return { pending };
}

/** The first code from the app matches; otherwise the set-up page again, saying so (400). */
async function checkTotpCode({ ctx, session, browserId, form, pending }: AccountFormInput & { pending: MfaFactorRecord }): Promise<Response | undefined> {
  if (await useTotpCode(ctx, pending, form.get('code') ?? '')) return undefined;
  return totpEnrolPage(ctx, session, browserId, totpSecretOf(ctx, pending), { key: 'accountError.totpWrong' });
}

/** The app is on: recorded, then its recovery codes when it is the first method. */
async function turnOnTotp({ ctx, session, browserId }: AccountFormInput): Promise<Response> {
  await factorAdded(ctx, session.user, 'totp');
  return afterFactorAdded(ctx, session.user.id, browserId, 'totp-added');
}

/** POST /account/totp/confirm — the first code turns the app on; the first factor also brings recovery codes. */
export const accountTotpConfirm = endpoint(
  pipeline<EndpointInput>('account.totp.confirm')
    .step(requireAccountSession)
    .step(readAccountForm)
    .step(checkAccountCsrf)
    .step(requireRecentSignIn('add'))
    .step(findPendingTotp)
    .step(checkTotpCode)
    .respond(turnOnTotp),
);

// ---------------------------------------------------------------------------------------------
// Codes by text message or email

const PHONE = /^\+[1-9]\d{6,14}$/;

type Channel = 'sms' | 'email';

/** The channel and the number or address typed; spaces, dashes and brackets are formatting in a phone number, but part of an email address. */
function readContact({ form }: AccountFormInput): { channel: Channel; to: string } {
  const channel = form.get('channel') === 'sms' ? 'sms' : 'email';
  const typed = form.get('to') ?? '';
  return { channel, to: channel === 'sms' ? typed.replace(/[\s()-]/g, '') : normaliseEmailAddress(typed) };
}

/** A sender is configured for the channel; otherwise the account page says it is not available. */
export async function requireCodeSender(input: AccountFormInput & { channel: Channel }): Promise<Response | { sender: Sender }> {
  const sender = input.ctx.config.mfa.senders[input.channel];
  if (!sender) return accountWithError(input, { key: input.channel === 'sms' ? 'accountError.smsUnavailable' : 'accountError.emailCodesUnavailable' });
  return { sender };
}

/** A phone number in E.164 or an email address; otherwise the account page says what to enter. */
export async function checkContactFormat(input: AccountFormInput & { channel: Channel; to: string }): Promise<Response | undefined> {
  const { channel, to } = input;
  if (channel === 'sms' ? PHONE.test(to) : readEmailAddress(to) !== undefined) return undefined;
  return accountWithError(input, { key: channel === 'sms' ? 'accountError.phoneFormat' : 'accountError.emailFormat' });
}

/** A place among the contacts waiting for their code (a few at most); otherwise the account page says so. */
export async function claimContact(input: AccountFormInput & { channel: Channel; to: string }): Promise<Response | { factor: MfaFactorRecord }> {
  const factor = await claimPendingContact(input.ctx, input.session.user.id, input.channel, input.to);
  if (!factor) return accountWithError(input, { key: 'accountError.tooManyPending' });
  return { factor };
}

/**
 * Sends the code, within the sending limits; when none went out, the pending contact gives its
 * place back and the account page says when to try again. A code sent moments ago to the same
 * destination is still valid: the same page asks for it.
 */
export async function sendContactCode(input: AccountFormInput & { factor: MfaFactorRecord; sender: Sender }): Promise<Response | undefined> {
  const { ctx, factor, sender } = input;
  const sent = await sendOneTimeCode(ctx, factor, 'verify_contact', sender, messageLanguage(ctx));
  if (sent.sent || sent.reason !== 'limited') return undefined;
  await releasePendingContact(ctx, factor, { dropFactor: true });
  return accountWithError(input, { key: 'accountError.tooManyCodes', values: { time: new Date(sent.retryAt) } });
}

/** Where a contact's code is confirmed: a second factor's (`accountContactsConfirm`) or the profile phone's (`accountPhoneConfirm`). */
export type ContactConfirmRoute = 'accountContactsConfirm' | 'accountPhoneConfirm';

/** The page asking for the code sent to a new phone number or address, posting to `route`. */
export function contactVerifyPage(
  ctx: Pick<ServerContext, 'config' | 'secrets'> & WithLanguages,
  browserId: string,
  factor: MfaFactorRecord,
  route: ContactConfirmRoute,
  error?: MessageText,
): Response {
  return htmlResponse(
    ctx,
    (nonce) =>
      renderContactVerifyPage({
        ...pageBase(ctx),
        // No switcher: the page answers a post.
        ...pageLanguage(ctx),
        nonce,
        action: pathTo(ctx, route),
        csrfToken: csrfToken(ctx, browserId, ACCOUNT_CSRF_SUBJECT),
        factorId: factor.id,
        masked: maskedContact(factor),
        ...(error ? { error } : {}),
      }),
    { status: error ? 400 : 200 },
  );
}

/** The page asking for the code just sent. */
function askForContactCode({ ctx, browserId, factor }: AccountFormInput & { factor: MfaFactorRecord }): Response {
  return contactVerifyPage(ctx, browserId, factor, 'accountContactsConfirm');
}

/** POST /account/contacts — a phone number (E.164) or email to receive codes; verified by a code before use. */
export const accountContactAdd = endpoint(
  pipeline<EndpointInput>('account.contacts')
    .step(requireAccountSession)
    .step(readAccountForm)
    .step(checkAccountCsrf)
    .step(requireRecentSignIn('add'))
    .step(readContact)
    .step(requireCodeSender)
    .step(checkContactFormat)
    .step(claimContact)
    .step(sendContactCode)
    .respond(askForContactCode),
);

/** The user's own phone or email being confirmed; otherwise back to the account page. */
export async function findContactToConfirm({ ctx, session, form }: AccountFormInput): Promise<Response | { factor: MfaFactorRecord }> {
  const factor = await ctx.store.factors.get(form.get('factor') ?? '');
  if (factor?.userId !== session.user.id || (factor.type !== 'sms' && factor.type !== 'email')) return redirect(accountUrl(ctx));
  return { factor };
}

/** A step: the code sent there matches; otherwise the code page (posting to `route`) again, saying why (400). */
export function checkContactCode(route: ContactConfirmRoute) {
  return async function checkContactCode({ ctx, browserId, form, factor }: AccountFormInput & { factor: MfaFactorRecord }): Promise<Response | undefined> {
    const checked = await checkOneTimeCode(ctx, factor, 'verify_contact', form.get('code') ?? '');
    if (checked.ok) return undefined;
    return contactVerifyPage(ctx, browserId, factor, route, { key: checked.reason === 'wrong' ? 'accountError.codeWrong' : 'accountError.contactCodeExpired' });
  };
}

/** The contact is confirmed and usable: recorded, then its recovery codes when it is the first method. */
async function confirmContact({ ctx, session, browserId, factor }: AccountFormInput & { factor: MfaFactorRecord }): Promise<Response> {
  const now = ctx.clock.now();
  await ctx.store.factors.update({ ...factor, data: { ...factor.data, confirmed: true }, updatedAt: now });
  await releasePendingContact(ctx, factor, { dropFactor: false });
  await factorAdded(ctx, session.user, factor.type);
  return afterFactorAdded(ctx, session.user.id, browserId, 'contact-added');
}

/** POST /account/contacts/confirm — the code proves the phone or email is the user's; the first factor also brings recovery codes. */
export const accountContactConfirm = endpoint(
  pipeline<EndpointInput>('account.contacts.confirm')
    .step(requireAccountSession)
    .step(readAccountForm)
    .step(checkAccountCsrf)
    .step(requireRecentSignIn('add'))
    .step(findContactToConfirm)
    .step(checkContactCode('accountContactsConfirm'))
    .respond(confirmContact),
);

// ---------------------------------------------------------------------------------------------
// Removing a method, signing in again, sessions, applications, signing out

/** Removes the user's own factor named by the form (another user's is silently ignored). */
async function removeFactor({ ctx, session, form }: AccountFormInput): Promise<Response> {
  const factor = await ctx.store.factors.get(form.get('factor') ?? '');
  if (factor?.userId === session.user.id) {
    await ctx.store.factors.delete(factor.id);
    await ctx.audit.record(auditEvent('mfa.factor_removed', { sub: session.user.id, type: factor.type }));
  }
  return redirect(accountUrl(ctx, 'factor-removed'));
}

/** POST /account/factors/remove — needs a recent sign-in ({@link recentlyAuthenticated}). */
export const accountFactorRemove = endpoint(
  pipeline<EndpointInput>('account.factors.remove')
    .step(requireAccountSession)
    .step(readAccountForm)
    .step(checkAccountCsrf)
    .step(requireRecentSignIn('remove'))
    .respond(removeFactor),
);

/** Off to sign in again (`prompt=login`). */
function signInAgain({ ctx, request }: AccountFormInput): Promise<Response> {
  return signInToAccount(ctx, request, true);
}

/** POST /account/reauth — sign in again (password, and second factor when set up). */
export const accountReauth = endpoint(
  pipeline<EndpointInput>('account.reauth').step(requireAccountSession).step(readAccountForm).step(checkAccountCsrf).respond(signInAgain),
);

/** Ends every session of the user but this browser's. */
async function endOtherSessions({ ctx, request, session }: AccountFormInput): Promise<Response> {
  const current = sessionKeyOf(ctx, request);
  const { store } = ctx;
  for (const record of await store.artifacts.listByOwner<SessionState>(SESSION, userOwner(session.user.id))) {
    if (record.id !== current) await dropSession(store, ctx.clock.now(), record);
  }
  await ctx.audit.record(auditEvent('session.others_ended', { sub: session.user.id }));
  return redirect(accountUrl(ctx, 'sessions-ended'));
}

/** POST /account/sessions/others — signs out every other session of the user. */
export const accountEndOtherSessions = endpoint(
  pipeline<EndpointInput>('account.sessions.others').step(requireAccountSession).step(readAccountForm).step(checkAccountCsrf).respond(endOtherSessions),
);

/** Revokes the user's own, still active consent named by the form (others are silently ignored). */
async function revokeAppAccess({ ctx, session, form }: AccountFormInput): Promise<Response> {
  const consent = await revokeConsentOf(ctx.store, ctx.clock.now(), session.user.id, form.get('grant') ?? '');
  if (consent) {
    await ctx.audit.record(auditEvent('consent.revoked', { client_id: consent.clientId, sub: session.user.id }));
  }
  return redirect(accountUrl(ctx, 'app-removed'));
}

/**
 * POST /account/apps/revoke — withdraws an application's access: the consent is revoked, so its
 * refresh tokens stop working and its access tokens introspect inactive at once, and it must ask
 * again next time.
 */
export const accountRevokeApp = endpoint(
  pipeline<EndpointInput>('account.apps.revoke').step(requireAccountSession).step(readAccountForm).step(checkAccountCsrf).respond(revokeAppAccess),
);

/** Ends this browser's session: the signed-out page, clearing the cookie. */
async function signOut({ ctx, request }: AccountFormInput): Promise<Response> {
  const clear = await endSession(ctx, request);
  return htmlResponse(ctx, (nonce) => renderSignedOutPage({ ...pageBase(ctx), ...pageLanguage(ctx), nonce }), { setCookies: [clear] });
}

/** POST /account/logout — signs this browser out. */
export const accountLogout = endpoint(
  pipeline<EndpointInput>('account.logout').step(requireAccountSession).step(readAccountForm).step(checkAccountCsrf).respond(signOut),
);

// ---------------------------------------------------------------------------------------------
// Passkeys: JSON calls from the account page's script

const NO_CACHE = { 'Cache-Control': 'no-store' };

/** The script's call comes from a signed-in browser with its cookie; otherwise 401 `login_required`. */
async function requireSignedInCaller({ ctx, request }: EndpointInput): Promise<Response | AccountSession> {
  const session = await loadSession(ctx, request);
  const browserId = existingBrowserId(ctx, request);
  if (!session || !browserId) return oauthErrorResponse(new OAuthError('login_required', 'sign in first', { status: 401 }));
  return { session, browserId };
}

/** The `X-CSRF-Token` header carries this browser's account CSRF token; otherwise 403 `invalid_request`. */
function checkCsrfHeader({ ctx, request, browserId }: AccountInput): Response | undefined {
  if (verifyCsrf(ctx, browserId, ACCOUNT_CSRF_SUBJECT, request.headers.get('x-csrf-token') ?? undefined)) return undefined;
  return oauthErrorResponse(new OAuthError('invalid_request', 'the request was not accepted', { status: 403 }));
}

/** Adding a passkey needs a recent sign-in ({@link recentlyAuthenticated}); otherwise 403 `login_required`. */
async function requireRecentSignInForPasskey({ ctx, session }: AccountInput): Promise<Response | undefined> {
  if (await recentlyAuthenticated(ctx, session)) return undefined;
  return oauthErrorResponse(new OAuthError('login_required', 'sign in again to add a passkey', { status: 403 }));
}

/** WebAuthn creation options for the user, and the challenge they answer. */
async function passkeyOptions({ ctx, session }: AccountInput): Promise<Response> {
  const { options, challengeId } = await passkeyRegistrationOptions(ctx, session.user);
  return json({ options, challengeId }, 200, NO_CACHE);
}

/** POST /account/passkeys/options — WebAuthn creation options for a new passkey. */
export const accountPasskeyOptions = endpoint(
  pipeline<EndpointInput>('account.passkeys.options')
    .step(requireSignedInCaller)
    .step(checkCsrfHeader)
    .step(requireRecentSignInForPasskey)
    .respond(passkeyOptions),
);

const passkeyNotRegistered = () => oauthErrorResponse(new OAuthError('invalid_request', 'the passkey could not be registered'));

interface PasskeyAnswer {
  challengeId: string;
  response: RegistrationResponseJSON;
  label: string;
}

/** `{ challengeId, response, label }` from the JSON body; anything else is 400 (the passkey could not be registered). */
async function readPasskeyAnswer({ ctx, request }: EndpointInput): Promise<Response | PasskeyAnswer> {
  let body: Record<string, unknown> | undefined;
  try {
    const value = JSON.parse(await readBody(request, ctx.config.limits.maxBodyBytes)) as unknown;
    body = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    body = undefined;
  }
  if (!body || typeof body.challengeId !== 'string' || typeof body.response !== 'object') return passkeyNotRegistered();
  const label = typeof body.label === 'string' && body.label.trim() ? body.label.trim().slice(0, 60) : DEFAULT_PASSKEY_LABEL;
  return { challengeId: body.challengeId, response: body.response as RegistrationResponseJSON, label };
}

/** The answer verifies against its challenge and the passkey is stored; otherwise 400. */
async function registerNewPasskey({ ctx, session, challengeId, response, label }: AccountInput & PasskeyAnswer): Promise<Response | undefined> {
  const factor = await registerPasskey(ctx, session.user, challengeId, response, label);
  return factor ? undefined : passkeyNotRegistered();
}

/**
 * The passkey is added: recorded; the script goes on to the account page, or, for a first method,
 * to its recovery codes (by way of a single-use offer, see {@link RECOVERY_CODES_OFFER}).
 */
async function answerPasskeyAdded({ ctx, session, browserId }: AccountInput): Promise<Response> {
  await factorAdded(ctx, session.user, 'webauthn');
  if (await hasRecoveryCodes(ctx, session.user.id)) return json({ redirect: accountUrl(ctx, 'passkey-added') }, 200, NO_CACHE);
  const now = ctx.clock.now();
  const id = offerId(ctx, browserId, session.user.id);
  // A fresh offer replaces an unused one (a second passkey added before the page was seen).
  await ctx.store.artifacts.delete(RECOVERY_CODES_OFFER, id);
  try {
    await ctx.store.artifacts.put({
      kind: RECOVERY_CODES_OFFER,
      id,
      value: null,
      ownerId: userOwner(session.user.id),
      expiresAt: now + RECOVERY_CODES_OFFER_TTL_MS,
    });
  } catch (error) {
    // A concurrent add in the same browser made the offer first: there is one either way.
    if (!(error instanceof StoreConflictError)) throw error;
  }
  return json({ redirect: urlTo(ctx, 'accountNewRecoveryCodes') }, 200, NO_CACHE);
}

/** POST /account/passkeys — `{ challengeId, response, label }`: stores the verified passkey. */
export const accountPasskeyRegister = endpoint(
  pipeline<EndpointInput>('account.passkeys')
    .step(requireSignedInCaller)
    .step(checkCsrfHeader)
    .step(requireRecentSignInForPasskey)
    .step(readPasskeyAnswer)
    .step(registerNewPasskey)
    .respond(answerPasskeyAdded),
);
