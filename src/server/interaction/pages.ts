import type { ClientRecord, UserRecord } from '../../stores/contract.js';
import type { ConsentPageView } from '../../ui/consent-page.js';
import type { LoginPageView } from '../../ui/login-page.js';
import type { MessageText } from '../../ui/message-text.js';
import { isMetadataDocumentClient } from '../clients/metadata-document.js';
import { redirectDomainOf } from '../clients/registration.js';
import {
  durationUntil,
  maskEmail,
  maskPhone,
  renderConsentPage,
  renderLockoutPage,
  renderLoginPage,
  renderMfaChallengePage,
  renderMfaEnrollPage,
  renderSelectAccountPage,
  renderSignUpPage,
  renderVerifyEmailPage,
  retryTime,
  type ClientSummary,
  type MfaChallengePageView,
} from '../../ui/index.js';
import { accountEmailsAvailable } from '../accounts/emails.js';
import { SIGN_UP_CLAIMS, signUpRefusalText, type SignUpClaim, type SignUpRefusal, type SignUpValues } from '../accounts/sign-up-form.js';
import { proofOfWorkForPage } from '../protection/proof-of-work.js';
import { factorText } from '../mfa/factors.js';
import { qrSvg, otpauthUri } from '../mfa/totp.js';
import type { MfaFactorRecord } from '../../stores/contract.js';
import type { ServerContext } from '../context.js';
import { htmlResponse } from '../http/html.js';
import { pageBase, type PageText } from '../http/pages.js';
import { pageLanguage } from '../http/page-language.js';
import { redirect } from '../http/responses.js';
import { csrfToken } from '../session/browser.js';
import type { Upstream } from '../upstream/upstreams.js';
import type { Interaction } from './interactions.js';
import { ACCOUNT_CLIENT_ID, isBuiltInClient } from './account-client.js';
import { claimsBeyondScope } from '../claims.js';
import { claimsNamedBy } from '../authorize/request.js';
import { pathTo, urlTo, type RouteName } from '../routes.js';

/**
 * The client as shown on pages: name, and logo and home page when registered (https only) by an
 * operator; a client that registered itself, or describes itself in a metadata document, claims
 * them unvouched, so pages show only its name.
 */
function clientSummary(client: ClientRecord): ClientSummary {
  if (isBuiltInClient(client.clientId)) return { name: client.clientName, builtIn: client.clientId === ACCOUNT_CLIENT_ID ? 'account' : 'admin' };
  if (client.registration || isMetadataDocumentClient(client)) return { name: client.clientName };
  const logo = typeof client.extra.logo_uri === 'string' && client.extra.logo_uri.startsWith('https://') ? client.extra.logo_uri : undefined;
  const uri = typeof client.extra.client_uri === 'string' && client.extra.client_uri.startsWith('https://') ? client.extra.client_uri : undefined;
  return { name: client.clientName, ...(logo ? { logoUri: logo } : {}), ...(uri ? { uri } : {}) };
}

function accountOf(user: UserRecord): { name?: string; login: string } {
  return { ...(user.profile.name ? { name: user.profile.name } : {}), login: user.email ?? user.username };
}

/** Where "Continue with …" sends the browser, for the login page's form-action. */
function upstreamOrigin(upstream: Upstream): string[] {
  const { provider } = upstream.options;
  const url = provider.metadata?.authorization_endpoint ?? provider.issuer;
  return url ? [url] : [];
}

/** Paths of an interaction's pages, below the issuer's path. */
export function interactionPath(ctx: Pick<ServerContext, 'config'>, id: string, action?: keyof typeof INTERACTION_ACTIONS): string {
  return pathTo(ctx, action ? INTERACTION_ACTIONS[action] : 'interaction', { id });
}

/** The interaction's form actions and script calls, by the last part of their path. */
const INTERACTION_ACTIONS = {
  login: 'interactionLogin',
  consent: 'interactionConsent',
  'select-account': 'interactionSelectAccount',
  mfa: 'interactionMfa',
  'mfa-enroll': 'interactionMfaEnroll',
  passkey: 'interactionPasskey',
  'passkey/options': 'interactionPasskeyOptions',
  continue: 'interactionContinue',
  signup: 'interactionSignUp',
  'verify-email': 'interactionVerifyEmail',
  'verify-email/resend': 'interactionVerifyEmailResend',
} as const satisfies Record<string, RouteName>;

export const EXPIRED_TITLE: PageText = { key: 'error.expired.title' };
export const EXPIRED_MESSAGE: PageText = { key: 'error.expired.message' };

/** Sends the browser to the interaction's page (its next step), setting `cookies`. */
export function toInteraction(ctx: Pick<ServerContext, 'config'>, id: string, cookies: string[] = []): Response {
  return redirect(urlTo(ctx, 'interaction', { id }), { cookies });
}

export interface PageContext {
  ctx: ServerContext;
  interaction: Interaction;
  client: ClientRecord;
  browserId: string;
  setCookies: string[];
}

/** The longest username or address filled in again after a refused sign-in (an email address is at most 254). */
const MAX_LOGIN_SHOWN = 320;

/**
 * The login page, in the language of the sign-in request (`ui_locales`) or the user's; `error`:
 * a catalog message, or text already in the user's language; `typed`: the username or address the
 * refused attempt was made with, filled in again (else the request's `login_hint`).
 */
export function loginPage(page: PageContext, error?: LoginPageView['error'], typed?: string): Response {
  const { ctx, interaction, client } = page;
  const request = interaction.state.request;
  const loginHint = typed !== undefined && typed !== '' ? typed.slice(0, MAX_LOGIN_SHOWN) : request.loginHint;
  return htmlResponse(
    ctx,
    (nonce) =>
      renderLoginPage({
        ...pageBase(ctx),
        ...pageLanguage(ctx, request.uiLocales, interactionPath(ctx, interaction.id)),
        nonce,
        action: interactionPath(ctx, interaction.id, 'login'),
        csrfToken: csrfToken(ctx, page.browserId, interaction.id),
        client: clientSummary(client),
        ...(loginHint ? { loginHint } : {}),
        ...(error ? { error } : {}),
        upstreams: [...ctx.upstreams.values()].map((upstream) => ({
          label: upstream.label,
          action: pathTo(ctx, 'interactionUpstream', { id: interaction.id, upstream: upstream.id }),
        })),
        ...(ctx.config.mfa.policy !== 'off'
          ? {
              passkey: {
                optionsUrl: `${interactionPath(ctx, interaction.id, 'passkey/options')}?mode=signin`,
                verifyUrl: `${interactionPath(ctx, interaction.id, 'passkey')}?mode=signin`,
                scriptUrl: webauthnScriptPath(ctx),
              },
            }
          : {}),
        ...selfServiceLinks(ctx, interaction.id),
      }),
    // With consent remembered, a successful sign-in redirects on to the client; "Continue with …"
    // redirects to the upstream provider: browsers check both against form-action.
    {
      setCookies: page.setCookies,
      status: error ? 401 : 200,
      formActions: [request.redirectUri, ...[...ctx.upstreams.values()].flatMap((upstream) => upstreamOrigin(upstream))],
      scripts: ctx.config.mfa.policy !== 'off',
    },
  );
}

/**
 * The login page's ways out besides a password: "Forgot password?" and "Email me a sign-in code"
 * (both need an email sender), "Create an account" (open sign-up).
 */
function selfServiceLinks(ctx: Pick<ServerContext, 'config'>, id: string): { forgotPasswordUrl?: string; signUpUrl?: string; emailCodeAction?: string } {
  const emails = accountEmailsAvailable(ctx);
  const { signUp, passwordless } = ctx.config.accounts;
  return {
    ...(emails ? { forgotPasswordUrl: forgotPasswordPath(ctx, id) } : {}),
    ...(signUp === 'open' ? { signUpUrl: pathTo(ctx, 'interactionSignUp', { id }) } : {}),
    ...(emails && passwordless === 'email' ? { emailCodeAction: pathTo(ctx, 'interactionEmailCode', { id }) } : {}),
  };
}

/** The "forgot password" form, remembering the sign-in to go back to. */
export function forgotPasswordPath(ctx: Pick<ServerContext, 'config'>, interactionId?: string): string {
  return `${pathTo(ctx, 'forgotPassword')}${interactionId ? `?interaction=${encodeURIComponent(interactionId)}` : ''}`;
}

/**
 * The hidden `shown_to` field of a form shown to one signed-in user (consent, account choice): a
 * keyed hash of that user, so the answer counts only while that user is still the one signed in.
 */
function shownTo(ctx: Pick<ServerContext, 'secrets'>, userId: string): string {
  return ctx.secrets.hash(userId, 'form-shown-to');
}

/** Whether a posted `shown_to` field names `userId`. */
export function wasShownTo(ctx: Pick<ServerContext, 'secrets'>, userId: string, field: string | undefined): boolean {
  return field !== undefined && ctx.secrets.verifyHash(userId, 'form-shown-to', field);
}

/**
 * The consent page's "unverified" notice: for a client that registered itself (RFC 7591), and for
 * one known by its metadata document, also named by its `client_id` URL's host (CIMD §8.4).
 */
function unverifiedOf(client: ClientRecord, redirectUri: string): Pick<ConsentPageView, 'unverified'> {
  const redirectDomain = redirectDomainOf(redirectUri);
  if (isMetadataDocumentClient(client)) return { unverified: { redirectDomain, documentHost: new URL(client.clientId).host } };
  return client.registration ? { unverified: { redirectDomain } } : {};
}

/** The consent page for `user`, listing `scopes`: the request's, narrowed for them (`scopeForSession`). */
export function consentPage(page: PageContext, user: UserRecord, scopes: readonly string[]): Response {
  const { ctx, interaction, client } = page;
  const request = interaction.state.request;
  // OIDC Core §5.5: claims asked for one by one that the scopes do not release are named too.
  const claims = claimsBeyondScope(claimsNamedBy(request), scopes);
  return htmlResponse(
    ctx,
    (nonce) =>
      renderConsentPage({
        ...pageBase(ctx),
        ...pageLanguage(ctx, request.uiLocales, interactionPath(ctx, interaction.id)),
        nonce,
        action: interactionPath(ctx, interaction.id, 'consent'),
        csrfToken: csrfToken(ctx, page.browserId, interaction.id),
        hiddenFields: { shown_to: shownTo(ctx, user.id) },
        client: clientSummary(client),
        account: accountOf(user),
        scopes: [...scopes],
        ...(request.resources ? { resources: request.resources } : {}),
        ...(claims.length > 0 ? { claims } : {}),
        ...unverifiedOf(client, request.redirectUri),
        ...(request.device ? { device: { userCode: request.device.userCode } } : {}),
      }),
    // Approving redirects to the client: browsers check that redirect against form-action.
    { setCookies: page.setCookies, formActions: [request.redirectUri] },
  );
}

export function selectAccountPage(page: PageContext, user: UserRecord): Response {
  const { ctx, interaction, client } = page;
  return htmlResponse(
    ctx,
    (nonce) =>
      renderSelectAccountPage({
        ...pageBase(ctx),
        ...pageLanguage(ctx, interaction.state.request.uiLocales, interactionPath(ctx, interaction.id)),
        nonce,
        action: interactionPath(ctx, interaction.id, 'select-account'),
        csrfToken: csrfToken(ctx, page.browserId, interaction.id),
        hiddenFields: { shown_to: shownTo(ctx, user.id) },
        client: clientSummary(client),
        account: accountOf(user),
      }),
    { setCookies: page.setCookies, formActions: [interaction.state.request.redirectUri] },
  );
}

/** Where the WebAuthn browser library is served (the same origin: CSP `script-src 'self'`). */
export function webauthnScriptPath(ctx: Pick<ServerContext, 'config'>): string {
  return pathTo(ctx, 'webauthnScript');
}

/** A phone number or email, masked for display. */
export function maskedContact(factor: MfaFactorRecord): string {
  return factor.type === 'sms' ? maskPhone(factorText(factor, 'to')) : maskEmail(factorText(factor, 'to'));
}

export interface MfaChallengeExtras {
  error?: MessageText;
  codeSent?: MfaFactorRecord;
  lockedUntil?: number;
}

/**
 * What the second-factor page shows of the user's factors and of the last answer: the methods
 * (TOTP, recovery code, passkey, codes by SMS/email to the contacts a sender exists for), the
 * contact a code was sent to, the error, and until when codes are refused. For the sign-in's
 * second step and a password reset's alike.
 */
export function challengeView(
  ctx: Pick<ServerContext, 'config'>,
  factors: MfaFactorRecord[],
  hasRecoveryCodes: boolean,
  extras: MfaChallengeExtras,
): Pick<MfaChallengePageView, 'methods' | 'codeSent' | 'error' | 'lockedUntil'> {
  const has = (type: MfaFactorRecord['type']) => factors.some((factor) => factor.type === type);
  const contacts = factors
    .filter((factor) => (factor.type === 'sms' || factor.type === 'email') && ctx.config.mfa.senders[factor.type] !== undefined)
    .map((factor) => ({ factorId: factor.id, channel: factor.type as 'sms' | 'email', masked: maskedContact(factor) }));
  return {
    methods: { totp: has('totp'), recoveryCodes: hasRecoveryCodes, passkey: has('webauthn'), contacts },
    ...(extras.codeSent ? { codeSent: { factorId: extras.codeSent.id, masked: maskedContact(extras.codeSent) } } : {}),
    ...(extras.error ? { error: extras.error } : {}),
    ...(extras.lockedUntil ? { lockedUntil: new Date(extras.lockedUntil) } : {}),
  };
}

/** The second-factor page: the user's methods (TOTP, recovery code, passkey, codes by SMS/email). */
export function mfaChallengePage(page: PageContext, factors: MfaFactorRecord[], hasRecoveryCodes: boolean, extras: MfaChallengeExtras = {}): Response {
  const { ctx, interaction, client } = page;
  const has = (type: MfaFactorRecord['type']) => factors.some((factor) => factor.type === type);
  return htmlResponse(
    ctx,
    (nonce) =>
      renderMfaChallengePage({
        ...pageBase(ctx),
        ...pageLanguage(ctx, interaction.state.request.uiLocales, interactionPath(ctx, interaction.id)),
        nonce,
        action: interactionPath(ctx, interaction.id, 'mfa'),
        csrfToken: csrfToken(ctx, page.browserId, interaction.id),
        client: clientSummary(client),
        ...challengeView(ctx, factors, hasRecoveryCodes, extras),
        ...(has('webauthn')
          ? {
              passkey: {
                optionsUrl: interactionPath(ctx, interaction.id, 'passkey/options'),
                verifyUrl: interactionPath(ctx, interaction.id, 'passkey'),
                scriptUrl: webauthnScriptPath(ctx),
              },
            }
          : {}),
      }),
    { setCookies: page.setCookies, status: extras.error ? 401 : 200, scripts: has('webauthn'), formActions: [interaction.state.request.redirectUri] },
  );
}

/** Setting up an authenticator app during sign-in (when the policy requires a factor the user lacks). */
export async function mfaEnrollPage(page: PageContext, account: string, secret: string, error?: MessageText): Promise<Response> {
  const { ctx, interaction, client } = page;
  const svg = await qrSvg(otpauthUri(ctx.config.branding.productName, account, secret));
  return htmlResponse(
    ctx,
    (nonce) =>
      renderMfaEnrollPage({
        ...pageBase(ctx),
        ...pageLanguage(ctx, interaction.state.request.uiLocales, interactionPath(ctx, interaction.id)),
        nonce,
        action: interactionPath(ctx, interaction.id, 'mfa-enroll'),
        csrfToken: csrfToken(ctx, page.browserId, interaction.id),
        client: clientSummary(client),
        qrSvg: svg,
        secret,
        required: true,
        ...(error ? { error } : {}),
      }),
    { setCookies: page.setCookies, status: error ? 401 : 200 },
  );
}

/**
 * "Too many attempts" (429): when to try again, and for a limit on one account (`reason:
 * 'account'`) with the sign-in request known, "Use another account" back to its login page. In the
 * user's language (the switcher's cookie, `Accept-Language`): the limit is checked before the sign-in
 * request is read, so its `ui_locales` is not known here. No switcher: the page answers a POST.
 */
export function lockoutPage(
  ctx: Pick<ServerContext, 'clock' | 'config'> & { request?: Pick<ServerContext['request'], 'languages'> },
  reason: 'account' | 'network',
  retryAfterSeconds: number,
  interactionId?: string,
): Response {
  const now = ctx.clock.now();
  const until = now + retryAfterSeconds * 1000;
  const { i18n } = pageLanguage(ctx);
  return htmlResponse(
    ctx,
    (nonce) =>
      renderLockoutPage({
        ...pageBase(ctx),
        i18n,
        nonce,
        reason,
        retryAt: retryTime(until, now, i18n),
        retryIn: durationUntil(until, now, i18n),
        ...(interactionId ? { anotherAccountUrl: interactionPath(ctx, interactionId) } : {}),
        // A lockout on one account is often someone who forgot the password.
        ...(reason === 'account' && accountEmailsAvailable(ctx) ? { forgotPasswordUrl: forgotPasswordPath(ctx, interactionId) } : {}),
      }),
    { status: 429 },
  );
}

/** What the sign-up form shows again after a refusal. */
export interface SignUpExtras {
  error?: SignUpRefusal;
  /** The field the error is about (marked invalid); none for an error about the whole form. */
  errorField?: string;
  values?: SignUpValues;
}

/** The sign-up form of an interaction (`accounts.signUp: 'open'`), with the proof-of-work script when it is on. */
export function signUpPage(page: PageContext, extras: SignUpExtras = {}): Response {
  const { ctx, interaction, client } = page;
  const { values, error } = extras;
  const pow = proofOfWorkForPage(ctx);
  const language = pageLanguage(ctx, interaction.state.request.uiLocales, interactionPath(ctx, interaction.id, 'signup'));
  const { text } = language.i18n;
  return htmlResponse(
    ctx,
    (nonce) =>
      renderSignUpPage({
        ...pageBase(ctx),
        ...language,
        nonce,
        action: interactionPath(ctx, interaction.id, 'signup'),
        csrfToken: csrfToken(ctx, page.browserId, interaction.id),
        client: clientSummary(client),
        passwordMinLength: ctx.config.accounts.passwordMinLength,
        ...(values ? { email: values.email, name: values.name } : {}),
        claims: (ctx.config.accounts.signUpClaims as SignUpClaim[]).map((claim) => ({
          name: claim,
          label: text(SIGN_UP_CLAIMS[claim].label),
          ...(SIGN_UP_CLAIMS[claim].hint !== undefined ? { hint: text(SIGN_UP_CLAIMS[claim].hint) } : {}),
          ...(values?.claims[claim] !== undefined ? { value: values.claims[claim] } : {}),
        })),
        signInUrl: interactionPath(ctx, interaction.id),
        ...(error ? { error: signUpRefusalText(language.i18n, error) } : {}),
        ...(extras.errorField ? { errorField: extras.errorField } : {}),
        ...(pow ? { pow } : {}),
      }),
    { setCookies: page.setCookies, status: error ? 400 : 200, scripts: pow !== undefined },
  );
}

/** What the "Check your email" page says besides the form. */
export interface VerifyEmailExtras {
  error?: 'verifyEmail.error.code';
  notice?: 'verifyEmail.notice.resent' | 'verifyEmail.notice.wait' | 'verifyEmail.notice.unavailable';
}

/**
 * "Check your email" for the address `email` (shown masked): a pending sign-up's (with "Use
 * another address" and "Sign in instead"), or the signed-in account's (`accounts.requireVerifiedEmail`).
 */
export function verifyEmailPage(page: PageContext, email: string, extras: VerifyEmailExtras = {}): Response {
  const { ctx, interaction } = page;
  const signingUp = interaction.state.signUp !== undefined;
  const language = pageLanguage(ctx, interaction.state.request.uiLocales, interactionPath(ctx, interaction.id, 'verify-email'));
  return htmlResponse(
    ctx,
    (nonce) =>
      renderVerifyEmailPage({
        ...pageBase(ctx),
        ...language,
        nonce,
        action: interactionPath(ctx, interaction.id, 'verify-email'),
        resendAction: interactionPath(ctx, interaction.id, 'verify-email/resend'),
        csrfToken: csrfToken(ctx, page.browserId, interaction.id),
        masked: maskEmail(email),
        ...(extras.error ? { error: language.i18n.text(extras.error) } : {}),
        ...(extras.notice ? { notice: language.i18n.text(extras.notice) } : {}),
        ...(signingUp ? { changeUrl: interactionPath(ctx, interaction.id, 'signup'), signInUrl: interactionPath(ctx, interaction.id) } : {}),
      }),
    // A right code goes on to the client (a code, or consent first): browsers check that redirect against form-action.
    { setCookies: page.setCookies, status: extras.error ? 400 : 200, formActions: [interaction.state.request.redirectUri] },
  );
}
