import type { RegistrationResponseJSON } from '@simplewebauthn/server';
import { auditEvent } from '../audit/events.js';
import { StoreConflictError, type MfaFactorRecord } from '../../stores/contract.js';
import {
  renderAccountPage,
  renderContactVerifyPage,
  renderMfaEnrollPage,
  renderRecoveryCodesPage,
  renderReauthRequiredPage,
  renderSignedOutPage,
  describeScopes,
  describeSignInMethods,
  formatDate,
  shownTimeAgo,
  timeAgo,
  type AccountApp,
} from '../../ui/index.js';
import { ACCOUNT_CLIENT_ID } from '../interaction/account-client.js';
import type { ServerContext } from '../context.js';
import { readBody, readForm, type FormParams } from '../http/form.js';
import { htmlResponse } from '../http/html.js';
import { json, oauthErrorResponse } from '../http/responses.js';
import { OAuthError } from '../../core/errors.js';
import type { AuthorizationRequest } from '../interaction/authorization-request.js';
import { createInteraction } from '../interaction/interactions.js';
import { errorPage, interactionPath, maskedContact, pageBase, webauthnScriptPath } from '../interaction/pages.js';
import { regenerateRecoveryCodes, remainingRecoveryCodes, startTotpEnrolment, totpSecretOf, usableFactors, useTotpCode } from '../mfa/factors.js';
import { checkOneTimeCode, sendOneTimeCode } from '../mfa/one-time-codes.js';
import { passkeyRegistrationOptions, registerPasskey } from '../mfa/passkeys.js';
import { factorAdded } from '../mfa/factor-added.js';
import { claimPendingContact, releasePendingContact } from '../mfa/pending-contacts.js';
import { otpauthUri, qrSvg } from '../mfa/totp.js';
import { browserBinding, csrfToken, existingBrowserId, identifyBrowser, verifyCsrf } from '../session/browser.js';
import { endSession, loadSession, SESSION, sessionKeyOf, SIGN_IN_EVENT, userOwner, type Session, type SignInContext } from '../session/sessions.js';

const CSRF_SUBJECT = 'account';
/** Fixed messages shown after an action (never text from the request). */
const NOTICES: Record<string, string> = {
  'totp-added': 'Authenticator app turned on.',
  'passkey-added': 'Passkey added.',
  'contact-added': 'Confirmed and added.',
  'factor-removed': 'Removed.',
  'sessions-ended': 'Your other sessions are signed out.',
  'signed-in-again': 'Signed in again: you can now remove a method.',
  'app-removed': 'The application no longer has access to your account.',
};

const base = (ctx: ServerContext) => ctx.config.issuerUrl.pathname.replace(/\/$/, '');
const accountUrl = (ctx: ServerContext, notice?: string) => `${ctx.config.issuer}/account${notice ? `?notice=${notice}` : ''}`;
const seeOther = (location: string, setCookies: string[] = []) => {
  const headers = new Headers({ Location: location, 'Cache-Control': 'no-store' });
  for (const cookie of setCookies) headers.append('Set-Cookie', cookie);
  return new Response(null, { status: 303, headers });
};

/** Sends the browser to sign in (again, with `reauthenticate`) for the account pages. */
async function signInToAccount(ctx: ServerContext, request: Request, reauthenticate = false): Promise<Response> {
  const browser = identifyBrowser(ctx, request);
  const authorization: AuthorizationRequest = {
    clientId: ACCOUNT_CLIENT_ID,
    redirectUri: accountUrl(ctx),
    redirectUriGiven: false,
    responseMode: 'query',
    scope: [],
    codeChallenge: '',
    prompt: reauthenticate ? ['login'] : [],
    acrValues: [],
    uiLocales: [],
  };
  const interaction = await createInteraction(ctx, { request: authorization, browser: browserBinding(ctx, browser.id), purpose: 'account' });
  return seeOther(`${ctx.config.issuerUrl.origin}${interactionPath(ctx, interaction.id)}`, browser.setCookie ? [browser.setCookie] : []);
}

interface AccountRequest {
  session: Session;
  browserId: string;
  form: FormParams;
}

/** A signed-in, CSRF-checked account form post; otherwise the response to send instead. */
async function accountPost(ctx: ServerContext, request: Request): Promise<AccountRequest | Response> {
  const session = await loadSession(ctx, request);
  const browserId = existingBrowserId(ctx, request);
  if (!session || !browserId) return signInToAccount(ctx, request);
  const form = await readForm(request, { maxBodyBytes: ctx.config.limits.maxBodyBytes });
  if (!verifyCsrf(ctx, browserId, CSRF_SUBJECT, form.get('csrf'))) {
    return errorPage(ctx, 403, 'Request not accepted', 'The form was not accepted. Go back to your account page and try again.');
  }
  return { session, browserId, form };
}

/**
 * Whether the session may add or remove a sign-in method: signed in at most `recentAuthSeconds`
 * ago, and with the second factor when the user has one set up (ASVS V3.7.1, NIST SP 800-63B
 * §6.1.2.1: binding a new authenticator needs the authenticators already bound). A stolen session
 * cookie alone cannot enrol the thief's own factor.
 */
async function recentlyAuthenticated(ctx: ServerContext, session: Session): Promise<boolean> {
  const age = Math.floor(ctx.clock.now() / 1000) - session.state.authTime;
  if (age > ctx.config.mfa.recentAuthSeconds) return false;
  if (ctx.config.mfa.policy === 'off' || session.state.amr.includes('mfa')) return true;
  return (await usableFactors(ctx, session.user.id)).length === 0;
}

/** The "please sign in again" page (403) shown instead of a change to the sign-in methods. */
function reauthRequiredPage(ctx: ServerContext, browserId: string, what: 'add' | 'remove'): Response {
  return htmlResponse(
    ctx,
    (nonce) =>
      renderReauthRequiredPage({
        ...pageBase(ctx),
        nonce,
        action: `${base(ctx)}/account/reauth`,
        csrfToken: csrfToken(ctx, browserId, CSRF_SUBJECT),
        message: what === 'add' ? 'To add a sign-in method, please sign in again first.' : 'To remove a sign-in method, please sign in again first.',
      }),
    { status: 403 },
  );
}

/** An account form post that changes the sign-in methods: signed in, CSRF-checked and recently authenticated. */
async function accountChangePost(ctx: ServerContext, request: Request, what: 'add' | 'remove'): Promise<AccountRequest | Response> {
  const post = await accountPost(ctx, request);
  if (post instanceof Response) return post;
  if (!(await recentlyAuthenticated(ctx, post.session))) return reauthRequiredPage(ctx, post.browserId, what);
  return post;
}

/** What a session or sign-in record holds for the account page (older records lack the context). */
type SignInRecord = SignInContext & { amr: string[] };

/** A sign-in's methods in words, with the provider's label for `fed` ("GitHub"). */
function methodsInWords(ctx: ServerContext, record: SignInRecord): string {
  const provider = record.provider === undefined ? undefined : (ctx.upstreams.get(record.provider)?.label ?? record.provider);
  return describeSignInMethods(record.amr, { ...(provider ? { provider } : {}), ...(record.code ? { code: record.code } : {}) });
}

/** GET /account — factors, recovery codes, sessions and recent sign-ins of the signed-in user. */
export async function accountPage(ctx: ServerContext, request: Request, _id: string, _params: Record<string, string>, notice?: string, error?: string): Promise<Response> {
  const when = formatDate;
  const now = ctx.clock.now();
  const session = await loadSession(ctx, request);
  if (!session) return signInToAccount(ctx, request);
  const browser = identifyBrowser(ctx, request);
  const { store } = ctx;
  const userId = session.user.id;
  const factors = (await store.factors.listByUser(userId)).filter((factor) => factor.type !== 'recovery_codes' && factor.data.confirmed === true);
  const hasRecovery = (await store.factors.listByUser(userId)).some((factor) => factor.type === 'recovery_codes');
  const current = sessionKeyOf(ctx, request);
  const sessions = (await store.artifacts.listByOwner<SignInRecord & { authTime: number }>(SESSION, userOwner(userId)))
    // This device first, then the most recent.
    .sort((a, b) => Number(b.id === current) - Number(a.id === current) || b.value.authTime - a.value.authTime);
  const consents = (await store.consents.listBySubject(userId)).filter((consent) => consent.revokedAt === null);
  const apps: AccountApp[] = [];
  for (const consent of consents) {
    const client = await store.clients.get(consent.clientId);
    if (!client) continue;
    apps.push({ consentId: consent.id, name: client.clientName, access: describeScopes(consent.scope.split(' ').filter(Boolean)).map((entry) => entry.description), grantedAt: when(consent.createdAt) });
  }
  const signIns = await store.artifacts.listByOwner<SignInRecord & { at: number; clientId: string | null }>(SIGN_IN_EVENT, userOwner(userId), 20);
  const names = new Map<string, string>();
  for (const event of signIns) {
    const clientId = event.value.clientId;
    if (clientId && !names.has(clientId)) names.set(clientId, clientId === ACCOUNT_CLIENT_ID ? 'Account page' : ((await store.clients.get(clientId))?.clientName ?? 'Removed application'));
  }
  const path = (suffix: string) => `${base(ctx)}/account${suffix}`;
  const recoveryCodesLeft = hasRecovery ? await remainingRecoveryCodes(ctx, userId) : undefined;
  const noticeKey = notice ?? new URL(request.url).searchParams.get('notice') ?? '';
  const reauthNeeded = !(await recentlyAuthenticated(ctx, session));
  return htmlResponse(
    ctx,
    (nonce) =>
      renderAccountPage({
        ...pageBase(ctx),
        nonce,
        csrfToken: csrfToken(ctx, browser.id, CSRF_SUBJECT),
        account: { ...(session.user.profile.name ? { name: session.user.profile.name } : {}), login: session.user.email ?? session.user.username },
        factors: factors.map((factor) => ({
          id: factor.id,
          type: factor.type as 'totp' | 'webauthn' | 'sms' | 'email',
          label: factor.type === 'sms' || factor.type === 'email' ? maskedContact(factor) : factor.label,
          createdAt: when(factor.createdAt),
          ...(factor.lastUsedAt ? { lastUsedAt: timeAgo(factor.lastUsedAt, now) } : {}),
        })),
        recoveryCodesLeft,
        sessions: sessions.map((record) => ({
          id: record.id.slice(0, 8),
          current: record.id === current,
          signedInAt: shownTimeAgo(record.value.authTime * 1000, now),
          methods: methodsInWords(ctx, record.value),
          ...(record.value.device ? { device: record.value.device } : {}),
          ...(record.value.ip ? { address: record.value.ip } : {}),
        })),
        apps,
        signIns: signIns.map((event) => ({
          at: shownTimeAgo(event.value.at, now),
          method: methodsInWords(ctx, event.value),
          ...(event.value.clientId ? { client: names.get(event.value.clientId) ?? '' } : {}),
          ...(event.value.device ? { device: event.value.device } : {}),
          ...(event.value.ip ? { address: event.value.ip } : {}),
          outcome: 'Signed in',
        })),
        actions: {
          addTotp: path('/totp'),
          addPasskeyOptions: path('/passkeys/options'),
          addPasskeyVerify: path('/passkeys'),
          addContact: path('/contacts'),
          removeFactor: path('/factors/remove'),
          regenerateRecoveryCodes: path('/recovery-codes'),
          signOutOthers: path('/sessions/others'),
          revokeApp: path('/apps/revoke'),
          signOut: path('/logout'),
          reauth: path('/reauth'),
          passkeyScriptUrl: webauthnScriptPath(ctx),
        },
        reauthNeeded,
        ...(Object.hasOwn(NOTICES, noticeKey) ? { notice: NOTICES[noticeKey] } : {}),
        ...(error ? { error } : {}),
      }),
    { setCookies: browser.setCookie ? [browser.setCookie] : [], scripts: true },
  );
}

/** POST /account/totp — starts setting up an authenticator app: QR code and key, confirmed by a first code. */
export async function accountTotpStart(ctx: ServerContext, request: Request): Promise<Response> {
  const post = await accountChangePost(ctx, request, 'add');
  if (post instanceof Response) return post;
  const { session, browserId } = post;
  const { store } = ctx;
  // One set-up at a time: earlier unfinished ones are dropped.
  for (const factor of await store.factors.listByUser(session.user.id)) {
    if (factor.type === 'totp' && factor.data.confirmed !== true) await store.factors.delete(factor.id);
  }
  const { secret } = await startTotpEnrolment(ctx, session.user.id);
  return totpEnrolPage(ctx, session, browserId, secret);
}

async function totpEnrolPage(ctx: ServerContext, session: Session, browserId: string, secret: string, error?: string): Promise<Response> {
  const svg = await qrSvg(otpauthUri(ctx.config.branding.productName, session.user.email ?? session.user.username, secret));
  return htmlResponse(
    ctx,
    (nonce) =>
      renderMfaEnrollPage({
        ...pageBase(ctx),
        nonce,
        action: `${base(ctx)}/account/totp/confirm`,
        csrfToken: csrfToken(ctx, browserId, CSRF_SUBJECT),
        qrSvg: svg,
        secret,
        required: false,
        ...(error ? { error } : {}),
      }),
    { status: error ? 400 : 200 },
  );
}

/**
 * Shows a new set of recovery codes once, with a way back to the account page (saying `notice`
 * there: what was just added, when the codes came with it).
 */
function recoveryCodesPage(ctx: ServerContext, browserId: string, codes: string[], notice?: keyof typeof NOTICES): Response {
  return htmlResponse(ctx, (nonce) =>
    renderRecoveryCodesPage({
      ...pageBase(ctx),
      nonce,
      codes,
      continueAction: `${base(ctx)}/account/done`,
      csrfToken: csrfToken(ctx, browserId, CSRF_SUBJECT),
      continueLabel: 'I have saved my codes',
      ...(notice ? { hiddenFields: { notice } } : {}),
    }),
  );
}

/** Whether the user has a set of recovery codes (used up or not). */
async function hasRecoveryCodes(ctx: ServerContext, userId: string): Promise<boolean> {
  return (await ctx.store.factors.listByUser(userId)).some((factor) => factor.type === 'recovery_codes');
}

/**
 * After a method was added: the first one (whichever kind) also brings recovery codes, shown at
 * once; `undefined` when the user has a set already.
 */
async function recoveryCodesIfFirst(ctx: ServerContext, userId: string, browserId: string, notice: keyof typeof NOTICES): Promise<Response | undefined> {
  if (await hasRecoveryCodes(ctx, userId)) return undefined;
  return recoveryCodesPage(ctx, browserId, await regenerateRecoveryCodes(ctx, userId), notice);
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
const offerId = (ctx: ServerContext, browserId: string, userId: string) => ctx.secrets.hash(`${browserId}\0${userId}`, 'recovery-codes-offer');

/** GET /account/recovery-codes/new — the recovery codes of a first passkey, once; otherwise the account page. */
export async function accountNewRecoveryCodes(ctx: ServerContext, request: Request): Promise<Response> {
  const session = await loadSession(ctx, request);
  const browserId = existingBrowserId(ctx, request);
  if (!session || !browserId) return signInToAccount(ctx, request);
  const userId = session.user.id;
  const offer = await ctx.store.artifacts.consume(RECOVERY_CODES_OFFER, offerId(ctx, browserId, userId), ctx.clock.now());
  const page = offer ? await recoveryCodesIfFirst(ctx, userId, browserId, 'passkey-added') : undefined;
  return page ?? seeOther(accountUrl(ctx, offer ? 'passkey-added' : undefined));
}

/** POST /account/totp/confirm — the first code turns the app on; the first factor also brings recovery codes. */
export async function accountTotpConfirm(ctx: ServerContext, request: Request): Promise<Response> {
  const post = await accountChangePost(ctx, request, 'add');
  if (post instanceof Response) return post;
  const { session, browserId, form } = post;
  const pending = (await ctx.store.factors.listByUser(session.user.id)).filter((factor) => factor.type === 'totp' && factor.data.confirmed !== true).pop();
  if (!pending) return seeOther(accountUrl(ctx));
  if (!(await useTotpCode(ctx, pending, form.get('code') ?? ''))) {
    return totpEnrolPage(ctx, session, browserId, totpSecretOf(ctx, pending), 'That code did not work. Check the time on your device and try again.');
  }
  await factorAdded(ctx, session.user, 'totp');
  return (await recoveryCodesIfFirst(ctx, session.user.id, browserId, 'totp-added')) ?? seeOther(accountUrl(ctx, 'totp-added'));
}

/** POST /account/done — back to the account page after an in-between page, with its `notice` (a known one only). */
export async function accountDone(ctx: ServerContext, request: Request): Promise<Response> {
  const post = await accountPost(ctx, request);
  if (post instanceof Response) return post;
  const notice = post.form.get('notice') ?? '';
  return seeOther(accountUrl(ctx, Object.hasOwn(NOTICES, notice) ? notice : undefined));
}

/** POST /account/recovery-codes — a new set; the old codes stop working. */
export async function accountRecoveryCodes(ctx: ServerContext, request: Request): Promise<Response> {
  const post = await accountChangePost(ctx, request, 'add');
  if (post instanceof Response) return post;
  const codes = await regenerateRecoveryCodes(ctx, post.session.user.id);
  await factorAdded(ctx, post.session.user, 'recovery_codes');
  return recoveryCodesPage(ctx, post.browserId, codes);
}

const PHONE = /^\+[1-9]\d{6,14}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** POST /account/contacts — a phone number (E.164) or email to receive codes; verified by a code before use. */
export async function accountContactAdd(ctx: ServerContext, request: Request): Promise<Response> {
  const post = await accountChangePost(ctx, request, 'add');
  if (post instanceof Response) return post;
  const { session, browserId, form } = post;
  const channel = form.get('channel') === 'sms' ? 'sms' : 'email';
  // Spaces, dashes and brackets are formatting in a phone number, but part of an email address.
  const typed = form.get('to') ?? '';
  const to = channel === 'sms' ? typed.replace(/[\s()-]/g, '') : typed.trim().toLowerCase();
  const sender = ctx.config.mfa.senders[channel];
  if (!sender) return accountPage(ctx, request, '', {}, undefined, `Codes by ${channel === 'sms' ? 'text message' : 'email'} are not available.`);
  if (!(channel === 'sms' ? PHONE : EMAIL).test(to)) {
    return accountPage(ctx, request, '', {}, undefined, channel === 'sms' ? 'Enter the phone number with its country code, like +44 7700 900123.' : 'Enter a valid email address.');
  }
  const factor = await claimPendingContact(ctx, session.user.id, channel, to);
  if (!factor) return accountPage(ctx, request, '', {}, undefined, 'Several numbers or addresses are waiting for their code. Confirm one, or try again in 10 minutes.');
  const sent = await sendOneTimeCode(ctx, factor, 'verify_contact', sender);
  if (!sent.sent && sent.reason === 'limited') {
    // No code went out: the pending contact would only take a place.
    await releasePendingContact(ctx, factor, { dropFactor: true });
    return accountPage(ctx, request, '', {}, undefined, `Too many codes were sent. Try again after ${new Date(sent.retryAt).toUTCString()}.`);
  }
  // A code sent moments ago to the same destination is still valid: the same page asks for it.
  return contactVerifyPage(ctx, browserId, factor);
}

function contactVerifyPage(ctx: ServerContext, browserId: string, factor: MfaFactorRecord, error?: string): Response {
  return htmlResponse(
    ctx,
    (nonce) =>
      renderContactVerifyPage({ ...pageBase(ctx), nonce, action: `${base(ctx)}/account/contacts/confirm`, csrfToken: csrfToken(ctx, browserId, CSRF_SUBJECT), factorId: factor.id, masked: maskedContact(factor), ...(error ? { error } : {}) }),
    { status: error ? 400 : 200 },
  );
}

/** POST /account/contacts/confirm — the code proves the phone or email is the user's; the first factor also brings recovery codes. */
export async function accountContactConfirm(ctx: ServerContext, request: Request): Promise<Response> {
  const post = await accountChangePost(ctx, request, 'add');
  if (post instanceof Response) return post;
  const { session, browserId, form } = post;
  const factor = await ctx.store.factors.get(form.get('factor') ?? '');
  if (!factor || factor.userId !== session.user.id || (factor.type !== 'sms' && factor.type !== 'email')) return seeOther(accountUrl(ctx));
  const checked = await checkOneTimeCode(ctx, factor, 'verify_contact', form.get('code') ?? '');
  if (!checked.ok) {
    return contactVerifyPage(ctx, browserId, factor, checked.reason === 'wrong' ? 'That code did not work.' : 'That code expired or was tried too often. Add the number or address again for a new code.');
  }
  const now = ctx.clock.now();
  await ctx.store.factors.update({ ...factor, data: { ...factor.data, confirmed: true }, updatedAt: now });
  await releasePendingContact(ctx, factor, { dropFactor: false });
  await factorAdded(ctx, session.user, factor.type);
  return (await recoveryCodesIfFirst(ctx, session.user.id, browserId, 'contact-added')) ?? seeOther(accountUrl(ctx, 'contact-added'));
}

/** POST /account/factors/remove — needs a recent sign-in ({@link recentlyAuthenticated}). */
export async function accountFactorRemove(ctx: ServerContext, request: Request): Promise<Response> {
  const post = await accountChangePost(ctx, request, 'remove');
  if (post instanceof Response) return post;
  const { session, form } = post;
  const factor = await ctx.store.factors.get(form.get('factor') ?? '');
  if (factor && factor.userId === session.user.id) {
    await ctx.store.factors.delete(factor.id);
    await ctx.audit.record(auditEvent('mfa.factor_removed', { sub: session.user.id, type: factor.type }));
  }
  return seeOther(accountUrl(ctx, 'factor-removed'));
}

/** POST /account/reauth — sign in again (password, and second factor when set up). */
export async function accountReauth(ctx: ServerContext, request: Request): Promise<Response> {
  const post = await accountPost(ctx, request);
  if (post instanceof Response) return post;
  return signInToAccount(ctx, request, true);
}

/** POST /account/sessions/others — signs out every other session of the user. */
export async function accountEndOtherSessions(ctx: ServerContext, request: Request): Promise<Response> {
  const post = await accountPost(ctx, request);
  if (post instanceof Response) return post;
  const current = sessionKeyOf(ctx, request);
  const { store } = ctx;
  for (const record of await store.artifacts.listByOwner(SESSION, userOwner(post.session.user.id))) {
    if (record.id !== current) await store.artifacts.delete(SESSION, record.id);
  }
  await ctx.audit.record(auditEvent('session.others_ended', { sub: post.session.user.id }));
  return seeOther(accountUrl(ctx, 'sessions-ended'));
}

/**
 * POST /account/apps/revoke — withdraws an application's access: the consent is revoked, so its
 * refresh tokens stop working and its access tokens introspect inactive at once, and it must ask
 * again next time.
 */
export async function accountRevokeApp(ctx: ServerContext, request: Request): Promise<Response> {
  const post = await accountPost(ctx, request);
  if (post instanceof Response) return post;
  const consent = await ctx.store.consents.get(post.form.get('grant') ?? '');
  if (consent && consent.subject === post.session.user.id && consent.revokedAt === null) {
    await ctx.store.consents.revoke(consent.id, ctx.clock.now());
    await ctx.audit.record(auditEvent('consent.revoked', { client_id: consent.clientId, sub: post.session.user.id }));
  }
  return seeOther(accountUrl(ctx, 'app-removed'));
}

/** POST /account/logout — signs this browser out. */
export async function accountLogout(ctx: ServerContext, request: Request): Promise<Response> {
  const post = await accountPost(ctx, request);
  if (post instanceof Response) return post;
  const clear = await endSession(ctx, request);
  return htmlResponse(ctx, (nonce) => renderSignedOutPage({ ...pageBase(ctx), nonce }), { setCookies: [clear] });
}

async function readJsonBody(ctx: ServerContext, request: Request): Promise<Record<string, unknown> | undefined> {
  try {
    const value = JSON.parse(await readBody(request, ctx.config.limits.maxBodyBytes)) as unknown;
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A signed-in JSON call from the account page that adds a passkey, with the `X-CSRF-Token` header
 * and a recent sign-in ({@link recentlyAuthenticated}).
 */
async function accountJson(ctx: ServerContext, request: Request): Promise<Session | Response> {
  const session = await loadSession(ctx, request);
  const browserId = existingBrowserId(ctx, request);
  if (!session || !browserId) return oauthErrorResponse(new OAuthError('login_required', 'sign in first', { status: 401 }));
  if (!verifyCsrf(ctx, browserId, CSRF_SUBJECT, request.headers.get('x-csrf-token') ?? undefined)) {
    return oauthErrorResponse(new OAuthError('invalid_request', 'the request was not accepted', { status: 403 }));
  }
  if (!(await recentlyAuthenticated(ctx, session))) {
    return oauthErrorResponse(new OAuthError('login_required', 'sign in again to add a passkey', { status: 403 }));
  }
  return session;
}

/** POST /account/passkeys/options — WebAuthn creation options for a new passkey. */
export async function accountPasskeyOptions(ctx: ServerContext, request: Request): Promise<Response> {
  const session = await accountJson(ctx, request);
  if (session instanceof Response) return session;
  const { options, challengeId } = await passkeyRegistrationOptions(ctx, session.user);
  return json({ options, challengeId }, 200, { 'Cache-Control': 'no-store' });
}

/** POST /account/passkeys — `{ challengeId, response, label }`: stores the verified passkey. */
export async function accountPasskeyRegister(ctx: ServerContext, request: Request): Promise<Response> {
  const session = await accountJson(ctx, request);
  if (session instanceof Response) return session;
  // accountJson checked the CSRF token against this very cookie.
  const browserId = existingBrowserId(ctx, request)!;
  const body = await readJsonBody(ctx, request);
  const label = typeof body?.label === 'string' && body.label.trim() ? body.label.trim().slice(0, 60) : 'Passkey';
  const factor =
    body && typeof body.challengeId === 'string' && typeof body.response === 'object'
      ? await registerPasskey(ctx, session.user, body.challengeId, body.response as RegistrationResponseJSON, label)
      : undefined;
  if (!factor) return oauthErrorResponse(new OAuthError('invalid_request', 'the passkey could not be registered'));
  await factorAdded(ctx, session.user, 'webauthn');
  if (!(await hasRecoveryCodes(ctx, session.user.id))) {
    const now = ctx.clock.now();
    const id = offerId(ctx, browserId, session.user.id);
    // A fresh offer replaces an unused one (a second passkey added before the page was seen).
    await ctx.store.artifacts.delete(RECOVERY_CODES_OFFER, id);
    try {
      await ctx.store.artifacts.put({ kind: RECOVERY_CODES_OFFER, id, value: null, ownerId: userOwner(session.user.id), expiresAt: now + RECOVERY_CODES_OFFER_TTL_MS });
    } catch (error) {
      // A concurrent add in the same browser made the offer first: there is one either way.
      if (!(error instanceof StoreConflictError)) throw error;
    }
    return json({ redirect: `${ctx.config.issuer}/account/recovery-codes/new` }, 200, { 'Cache-Control': 'no-store' });
  }
  return json({ redirect: accountUrl(ctx, 'passkey-added') }, 200, { 'Cache-Control': 'no-store' });
}
