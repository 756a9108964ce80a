import { hashPassword } from '../../core/password.js';
import type { MfaFactorRecord, UserRecord } from '../../stores/contract.js';
import { renderEmailConfirmPage } from '../../ui/index.js';
import { englishMessages } from '../../ui/i18n/index.js';
import { messageText } from '../../ui/message-text.js';
import { checkAccountCode, consumeAccountToken, peekAccountToken, type AccountCodeCheck, type AccountTokenValue } from '../accounts/account-tokens.js';
import { checkCurrentPassword } from '../accounts/current-password.js';
import { checkNewAddress, confirmEmailChange, startEmailChange, type EmailChangeOutcome } from '../accounts/email-change.js';
import { messageLanguage } from '../http/page-language.js';
import { accountEmailsAvailable, afterAnswer, sendAccountEmail } from '../accounts/emails.js';
import { checkNewPassword } from '../accounts/password-policy.js';
import { editProfile, EDITABLE_CLAIMS, withClaims, type EditableClaim } from '../accounts/profile-edit.js';
import { revokeUserAccess } from '../admin/user-access.js';
import { auditEvent } from '../audit/events.js';
import { clientAddress, type ServerContext } from '../context.js';
import { endpoint, type Endpoint, type EndpointInput } from '../http/endpoint.js';
import { readForm, type FormParams } from '../http/form.js';
import { htmlResponse } from '../http/html.js';
import { errorPage, pageBase } from '../http/pages.js';
import { pageLanguage } from '../http/page-language.js';
import type { MessageKey } from '../../ui/i18n/index.js';
import type { MessageText } from '../../ui/message-text.js';
import { pipeline } from '../http/pipeline.js';
import { redirect } from '../http/responses.js';
import { factorText } from '../mfa/factors.js';
import { releasePendingContact } from '../mfa/pending-contacts.js';
import { rateLimitedResponse, recordRateLimitHit } from '../protection/rate-limited.js';
import { pathTo } from '../routes.js';
import { csrfRefusal } from '../steps/csrf.js';
import { csrfToken, existingBrowserId, identifyBrowser } from '../session/browser.js';
import { renewSession } from '../session/sessions.js';
import {
  ACCOUNT_CSRF_SUBJECT,
  accountUrl,
  checkAccountCsrf,
  readAccountForm,
  requireAccountSession,
  requireRecentSignIn,
  requireSession,
} from '../steps/account.js';
import {
  accountWithError,
  checkContactCode,
  checkContactFormat,
  claimContact,
  contactVerifyPage,
  findContactToConfirm,
  requireCodeSender,
  sendContactCode,
  type AccountFormInput,
} from './account.js';

/**
 * The account's own details on the account page: the password (changed, or set by an account that
 * has none), the email address (changed once the new one is confirmed), the profile claims and a
 * verified phone number. Each action is a chain of the account steps (session, form, CSRF, a recent
 * sign-in where it matters) and its own rules.
 */

/** The account as stored now (the session's copy was read at the start of the request). */
async function currentUser(ctx: Pick<ServerContext, 'store'>, user: UserRecord): Promise<UserRecord> {
  return (await ctx.store.users.get(user.id)) ?? user;
}

// ---------------------------------------------------------------------------------------------
// Password

/**
 * Proof for a password change: the current password when the account has one (spent from the sign-in
 * budgets before it is verified); for an account without one (upstream sign-in only), a recent sign-in.
 */
async function requirePasswordProof(input: AccountFormInput): Promise<Response | undefined> {
  const { ctx, session, browserId, form } = input;
  if (session.user.passwordHash === null) return requireRecentSignIn('change')(input);
  const checked = await checkCurrentPassword(ctx, session.user, form.get('current_password') ?? '', browserId);
  if (checked.ok) return undefined;
  if (checked.reason === 'limited') {
    return accountWithError(input, { key: 'accountError.tooManyPasswords', values: { time: new Date(checked.retryAt) } }, { status: 429 });
  }
  await ctx.audit.record(auditEvent('password.change_failed', { sub: session.user.id, reason: 'wrong_password' }));
  return accountWithError(input, { key: 'accountError.wrongPassword' }, { status: 400 });
}

/** The new password meets the policy (length, not guessable, not the user's own details); otherwise the reason. */
async function checkChosenPassword(input: AccountFormInput): Promise<Response | { newPassword: string }> {
  const { ctx, session, form } = input;
  const newPassword = form.get('new_password') ?? '';
  const { user } = session;
  const verdict = checkNewPassword(ctx.config, newPassword, { username: user.username, email: user.email, name: user.profile.name ?? null });
  // The account page is still English: the policy's reason in English until it is translated.
  if (!verdict.ok) return accountWithError(input, messageText(englishMessages(), verdict.reason)!, { status: 400 });
  return { newPassword };
}

/**
 * The new password is stored, then everything the account is signed in with ends
 * ({@link revokeUserAccess}: every session and every application's tokens; the consents stay), so
 * whoever knew the old password keeps nothing. This browser carries on in a renewed session (same
 * sign-in, new cookie). A notice goes to the account's address.
 */
async function changePassword({ ctx, session, newPassword }: AccountFormInput & { newPassword: string }): Promise<Response> {
  const hadPassword = session.user.passwordHash !== null;
  const user = await currentUser(ctx, session.user);
  await ctx.store.users.update({ ...user, passwordHash: await hashPassword(newPassword), updatedAt: ctx.clock.now() });
  const revoked = await revokeUserAccess(ctx.store, ctx.clock, user.id);
  const renewed = await renewSession(ctx, session.state);
  await ctx.audit.record(auditEvent('password.changed', { sub: user.id, set: !hadPassword, sessions_ended: Math.max(revoked.sessions - 1, 0) }));
  if (user.email) {
    const to = user.email;
    const i18n = messageLanguage(ctx, { account: user.profile, atThisRequest: true });
    afterAnswer(ctx, 'the password-changed notice', () => sendAccountEmail(ctx, { to, template: 'password_changed', i18n }));
  }
  return redirect(accountUrl(ctx, hadPassword ? 'password-changed' : 'password-set'), { cookies: [renewed.setCookie] });
}

/** POST /account/password — `current_password` (when the account has one) and `new_password`. */
export const accountPassword = endpoint(
  pipeline<EndpointInput>('account.password')
    .step(requireAccountSession)
    .step(readAccountForm)
    .step(checkAccountCsrf)
    .step(requirePasswordProof)
    .step(checkChosenPassword)
    .respond(changePassword),
);

// ---------------------------------------------------------------------------------------------
// Email address

/** The email-change page: the code form, or (from the link) one button. */
function emailConfirmPage(
  ctx: Pick<ServerContext, 'config' | 'secrets' | 'request'>,
  browser: { id: string; setCookie?: string | undefined },
  options: { mode: 'code' | 'link'; action: string; address?: string; error?: MessageText; status?: number; returnTo?: string },
): Response {
  return htmlResponse(
    ctx,
    (nonce) =>
      renderEmailConfirmPage({
        ...pageBase(ctx),
        ...pageLanguage(ctx, [], options.returnTo),
        nonce,
        action: options.action,
        csrfToken: csrfToken(ctx, browser.id, ACCOUNT_CSRF_SUBJECT),
        mode: options.mode,
        accountUrl: pathTo(ctx, 'account'),
        ...(options.address ? { address: options.address } : {}),
        ...(options.error ? { error: options.error } : {}),
      }),
    { status: options.status ?? (options.error ? 400 : 200), setCookies: browser.setCookie ? [browser.setCookie] : [] },
  );
}

/** Account emails can go out; otherwise the account page says changing the address is not available. */
async function requireEmailSender(input: AccountFormInput): Promise<Response | undefined> {
  if (accountEmailsAvailable(input.ctx)) return undefined;
  return accountWithError(input, { key: 'accountError.emailChangeUnavailable' }, { status: 400 });
}

/** A valid address, at an allowed domain, other than the current one; otherwise the account page says why. */
async function readNewAddress(input: AccountFormInput): Promise<Response | { address: string }> {
  const checked = checkNewAddress(input.ctx.config, input.session.user, input.form.get('email') ?? '');
  if (!checked.ok) return accountWithError(input, checked.reason, { status: 400 });
  return { address: checked.address };
}

/** One point from the address's account-email budget (`accountEmailsPerIp`), spent before anything is looked up. */
async function spendEmailBudget(input: AccountFormInput): Promise<Response | undefined> {
  const { ctx, request } = input;
  const limited = await ctx.limits.consume('accountEmailsPerIp', clientAddress(ctx));
  if (!limited) return undefined;
  await recordRateLimitHit(ctx, limited);
  return rateLimitedResponse(ctx, limited, request);
}

/**
 * The link and code go to the new address and a notice to the current one, after the answer, so the
 * page (and its timing) is the same whether or not another account has the address.
 */
async function requestEmailChange({ ctx, session, browserId, address }: AccountFormInput & { address: string }): Promise<Response> {
  const user = session.user;
  await ctx.audit.record(auditEvent('email.change_requested', { sub: user.id }));
  afterAnswer(ctx, 'the email change', () => startEmailChange(ctx, user, address));
  return emailConfirmPage(ctx, { id: browserId }, { mode: 'code', action: pathTo(ctx, 'accountEmailConfirm'), address });
}

/** POST /account/email — `email`: a code and a link go to the new address; the account keeps its address until confirmed. */
export const accountEmail = endpoint(
  pipeline<EndpointInput>('account.email')
    .step(requireAccountSession)
    .step(readAccountForm)
    .step(checkAccountCsrf)
    .step(requireRecentSignIn('change'))
    .step(requireEmailSender)
    .step(readNewAddress)
    .step(spendEmailBudget)
    .respond(requestEmailChange),
);

const CODE_REFUSALS: Record<'wrong' | 'expired' | 'locked', MessageKey> = {
  wrong: 'accountError.codeWrong',
  expired: 'accountError.emailCodeExpired',
  locked: 'accountError.emailCodeLocked',
};

/** The code sent to the new address matches (five tries per code, spent first); otherwise the code page again. */
async function checkEmailCode({ ctx, session, browserId, form }: AccountFormInput): Promise<Response | { change: AccountTokenValue }> {
  const checked: AccountCodeCheck<AccountTokenValue> = await checkAccountCode(ctx, 'email_change', session.user.id, form.get('code') ?? '');
  if (checked.ok) return { change: checked.value };
  return emailConfirmPage(ctx, { id: browserId }, { mode: 'code', action: pathTo(ctx, 'accountEmailConfirm'), error: { key: CODE_REFUSALS[checked.reason] } });
}

/** What a refused change says (the address was taken meanwhile, or the account is gone). */
const CHANGE_REFUSALS: Record<Extract<EmailChangeOutcome, { changed: false }>['reason'], MessageKey> = {
  taken: 'accountError.addressTaken',
  gone: 'accountError.changeGone',
};

/** Sets the confirmed address (verified), records it, and goes back to the account page. */
async function applyEmailChange(
  { ctx, browserId, change }: EndpointInput & { browserId: string; change: AccountTokenValue },
  mode: 'code' | 'link',
): Promise<Response> {
  const outcome = await confirmEmailChange(ctx, change);
  if (!outcome.changed) {
    return emailConfirmPage(
      ctx,
      { id: browserId },
      { mode, action: pathTo(ctx, 'accountEmailConfirm'), error: { key: CHANGE_REFUSALS[outcome.reason] }, status: 409 },
    );
  }
  await ctx.audit.record(auditEvent('email.changed', { sub: outcome.user.id, by: mode }));
  return redirect(accountUrl(ctx, 'email-changed'));
}

/** POST /account/email/confirm — `code`: the code sent to the new address, by the signed-in user. */
const accountEmailConfirmByCode = endpoint(
  pipeline<EndpointInput>('account.email.confirm')
    .step(requireAccountSession)
    .step(readAccountForm)
    .step(checkAccountCsrf)
    .step(checkEmailCode)
    .respond((input) => applyEmailChange(input, 'code')),
);

/** The link's token, from the query (the emailed link, and the form it shows, carry it there). */
function linkToken(request: Request): string {
  return new URL(request.url).searchParams.get('token') ?? '';
}

/** The form of the link's page, CSRF-checked against this browser's cookie; otherwise a 403 page. */
async function readLinkForm({ ctx, request }: EndpointInput): Promise<Response | { browserId: string; form: FormParams }> {
  const browserId = existingBrowserId(ctx, request);
  const form = await readForm(request, { maxBodyBytes: ctx.config.limits.maxBodyBytes });
  const posted = { browserId, subject: ACCOUNT_CSRF_SUBJECT, token: form.get('csrf') };
  return csrfRefusal(ctx, posted, { key: 'accountError.linkFormNotAccepted' }) ?? { browserId: browserId!, form };
}

/** The error page of a link used up or expired. */
const linkUsedPage = (ctx: Pick<ServerContext, 'config' | 'request'>) =>
  errorPage(ctx, 400, { key: 'accountError.linkUsed.title' }, { key: 'accountError.linkUsed.message' });

/** The link is used up (once, whoever races); otherwise a page saying it no longer works. */
async function consumeLink({ ctx, request }: EndpointInput): Promise<Response | { change: AccountTokenValue }> {
  const change = await consumeAccountToken(ctx, 'email_change', linkToken(request));
  if (!change) return linkUsedPage(ctx);
  return { change };
}

/**
 * POST /account/email/confirm?token=… — the button of the emailed link's page. Whoever has the link
 * has the new mailbox, and the change was asked by the account's own recent sign-in: no session is
 * needed (the link may be opened on another device).
 */
const accountEmailConfirmByLink = endpoint(
  pipeline<EndpointInput>('account.email.confirm-link')
    .step(readLinkForm)
    .step(consumeLink)
    .respond((input) => applyEmailChange(input, 'link')),
);

/**
 * GET /account/email/confirm — with the emailed link's `token`, a page with one button (a mail
 * scanner that opens links uses nothing up); without, the code form for the signed-in user.
 */
async function showEmailConfirm({ ctx, request }: EndpointInput): Promise<Response> {
  const token = linkToken(request);
  const browser = identifyBrowser(ctx, request);
  if (token === '') {
    const signedIn = await requireSession({ ctx, request });
    if (signedIn instanceof Response) return signedIn;
    const returnTo = pathTo(ctx, 'accountEmailConfirm');
    return emailConfirmPage(ctx, browser, { mode: 'code', action: returnTo, returnTo });
  }
  const change = await peekAccountToken(ctx, 'email_change', token);
  if (!change) return linkUsedPage(ctx);
  const action = `${pathTo(ctx, 'accountEmailConfirm')}?token=${encodeURIComponent(token)}`;
  return emailConfirmPage(ctx, browser, { mode: 'link', action, address: change.email });
}

const accountEmailConfirmPage = endpoint(pipeline<EndpointInput>('account.email.confirm-page').respond(showEmailConfirm));

/** `/account/email/confirm`: the page (GET), the code (POST), or the link's button (POST with `?token=`). */
export const accountEmailConfirm: Endpoint = (ctx, request, id, params) => {
  if (request.method === 'GET' || request.method === 'HEAD') return accountEmailConfirmPage(ctx, request, id, params);
  return new URL(request.url).searchParams.has('token')
    ? accountEmailConfirmByLink(ctx, request, id, params)
    : accountEmailConfirmByCode(ctx, request, id, params);
};

// ---------------------------------------------------------------------------------------------
// Profile and phone number

/** The posted claims, checked; otherwise the account page with each field's error (400). */
async function readProfile(input: AccountFormInput): Promise<Response | { profile: UserRecord['profile']; changed: EditableClaim[] }> {
  const submitted: Partial<Record<EditableClaim, string>> = {};
  for (const claim of EDITABLE_CLAIMS) submitted[claim] = input.form.get(claim) ?? '';
  const edit = editProfile(input.session.user.profile, submitted);
  if (!edit.ok) return accountWithError(input, { key: 'accountError.profile' }, { status: 400, fieldErrors: edit.errors });
  return { profile: edit.profile, changed: edit.changed };
}

/** Saves the changed claims onto the account as stored now; the audit event names them, never their values. */
async function saveProfile({
  ctx,
  session,
  profile,
  changed,
}: AccountFormInput & { profile: UserRecord['profile']; changed: EditableClaim[] }): Promise<Response> {
  if (changed.length > 0) {
    const user = await currentUser(ctx, session.user);
    const updated = withClaims(user.profile, Object.fromEntries(changed.map((claim) => [claim, profile[claim]])));
    await ctx.store.users.update({ ...user, profile: updated, updatedAt: ctx.clock.now() });
    await ctx.audit.record(auditEvent('profile.updated', { sub: user.id, fields: changed }));
  }
  return redirect(accountUrl(ctx, 'profile-updated'));
}

/** POST /account/profile — `name`, `given_name`, `family_name`, `picture`, `locale`, `zoneinfo` (empty removes one). */
export const accountProfile = endpoint(
  pipeline<EndpointInput>('account.profile').step(requireAccountSession).step(readAccountForm).step(checkAccountCsrf).step(readProfile).respond(saveProfile),
);

/** The typed number, its formatting (spaces, dashes, brackets) dropped; checked as E.164 by the next step. */
function readPhone({ form }: AccountFormInput): { channel: 'sms'; to: string } {
  return { channel: 'sms', to: (form.get('phone') ?? '').replace(/[\s()-]/g, '') };
}

/** The page asking for the code just texted, posting to the profile phone's confirmation. */
function askForPhoneCode({ ctx, browserId, factor }: AccountFormInput & { factor: MfaFactorRecord }): Response {
  return contactVerifyPage(ctx, browserId, factor, 'accountPhoneConfirm');
}

/**
 * POST /account/phone — `phone`: a code goes to it by text message (the second-factor contacts'
 * machinery: a pending contact, the code-sending budgets); confirmed, it becomes the profile's
 * verified `phone_number`. Left out of the page without an SMS sender.
 */
export const accountPhone = endpoint(
  pipeline<EndpointInput>('account.phone')
    .step(requireAccountSession)
    .step(readAccountForm)
    .step(checkAccountCsrf)
    .step(requireRecentSignIn('change'))
    .step(readPhone)
    .step(requireCodeSender)
    .step(checkContactFormat)
    .step(claimContact)
    .step(sendContactCode)
    .respond(askForPhoneCode),
);

/** A pending (unconfirmed) phone number of the user's; a second factor already in use is not a profile number. */
function requirePendingPhone({ ctx, factor }: AccountFormInput & { factor: MfaFactorRecord }): Response | undefined {
  return factor.type === 'sms' && factor.data.confirmed !== true ? undefined : redirect(accountUrl(ctx));
}

/** The number is the profile's verified `phone_number`; the pending contact it was sent through is dropped. */
async function savePhone({ ctx, session, factor }: AccountFormInput & { factor: MfaFactorRecord }): Promise<Response> {
  const user = await currentUser(ctx, session.user);
  const profile = { ...user.profile, phone_number: factorText(factor, 'to'), phone_number_verified: true };
  await ctx.store.users.update({ ...user, profile, updatedAt: ctx.clock.now() });
  await releasePendingContact(ctx, factor, { dropFactor: true });
  await ctx.audit.record(auditEvent('profile.updated', { sub: user.id, fields: ['phone_number'] }));
  return redirect(accountUrl(ctx, 'phone-changed'));
}

/** POST /account/phone/confirm — `factor` and `code`: the texted code proves the number. */
export const accountPhoneConfirm = endpoint(
  pipeline<EndpointInput>('account.phone.confirm')
    .step(requireAccountSession)
    .step(readAccountForm)
    .step(checkAccountCsrf)
    .step(requireRecentSignIn('change'))
    .step(findContactToConfirm)
    .step(requirePendingPhone)
    .step(checkContactCode('accountPhoneConfirm'))
    .respond(savePhone),
);
