import { renderConfirmEmailPage, renderEmailConfirmedPage, renderInvitationOnlyPage, maskEmail } from '../../ui/index.js';
import { checkAccountCode, consumeAccountToken, peekAccountToken, type AccountTokenValue } from '../accounts/account-tokens.js';
import { markEmailVerified, sendAccountVerification } from '../accounts/email-verification.js';
import { readSignUpForm, readSignUpValues } from '../accounts/sign-up-form.js';
import { completeSignUp, resendSignUpCode, startSignUp, type SignUpTokenValue } from '../accounts/sign-up.js';
import { auditEvent } from '../audit/events.js';
import { clientAddress, type ServerContext } from '../context.js';
import { endpoint, type EndpointInput } from '../http/endpoint.js';
import { readForm, type FormParams } from '../http/form.js';
import { htmlResponse } from '../http/html.js';
import { errorPage, pageBase } from '../http/pages.js';
import { messageLanguage, pageLanguage } from '../http/page-language.js';
import { csrfRefusal } from '../steps/csrf.js';
import { pipeline } from '../http/pipeline.js';
import { firstFactorPassed } from '../interaction/first-factor.js';
import { advanceInteractionState } from '../interaction/interactions.js';
import { EXPIRED_MESSAGE, EXPIRED_TITLE, interactionPath, signUpPage, toInteraction, verifyEmailPage } from '../interaction/pages.js';
import { POW_REFUSED, verifyPow } from '../protection/proof-of-work.js';
import { rateLimitedResponse } from '../protection/rate-limited.js';
import { pathTo, urlTo } from '../routes.js';
import { csrfToken, existingBrowserId, identifyBrowser } from '../session/browser.js';
import type { Session } from '../session/sessions.js';
import { signInToAccount } from '../steps/account.js';
import { decideNextStep, findInteraction, loadBrowserSession, readInteractionForm, type InteractionFound } from '../steps/interaction.js';
import { redirect } from '../http/responses.js';

/**
 * Sign-up and email verification (issue 17): the sign-up form of an interaction, its "Check your
 * email" page (code, resend), and the emailed link, which works from any device.
 */

type Found = EndpointInput & InteractionFound;
type Posted = Found & { form: FormParams };

/** Said for a wrong, expired or used-up code alike. */
const CODE_FAILED = 'verifyEmail.error.code';
/** Said after "Send a new code", whatever the address. */
const CODE_RESENT = 'verifyEmail.notice.resent';
const RESEND_WAIT = 'verifyEmail.notice.wait';
const TAKEN_TITLE = { key: 'error.emailTaken.title' } as const;
const TAKEN_MESSAGE = { key: 'error.emailTaken.message' } as const;

/**
 * `accounts.signUp`: `open` goes on; `off` answers the 404 page (there is no sign-up here);
 * `invite` says that accounts come by invitation.
 */
function requireOpenSignUp({ ctx, id, interaction }: { ctx: ServerContext; id: string; interaction?: InteractionFound['interaction'] }): Response | undefined {
  const { signUp } = ctx.config.accounts;
  if (signUp === 'open') return undefined;
  if (signUp === 'off') return errorPage(ctx, 404, { key: 'error.signUpOff.title' }, { key: 'error.signUpOff.message' });
  const signInUrl = id ? interactionPath(ctx, id) : pathTo(ctx, 'account');
  const returnTo = id ? interactionPath(ctx, id, 'signup') : pathTo(ctx, 'signUp');
  return htmlResponse(
    ctx,
    (nonce) => renderInvitationOnlyPage({ ...pageBase(ctx), ...pageLanguage(ctx, interaction?.state.request.uiLocales ?? [], returnTo), nonce, signInUrl }),
    {
      status: 403,
    },
  );
}

/** GET /signup — starts a sign-in for the account pages and opens its sign-up form. */
export const signUpStart = endpoint(
  pipeline<EndpointInput>('sign-up.start')
    .step(requireOpenSignUp)
    .respond(({ ctx, request }) => signInToAccount(ctx, request, false, 'interactionSignUp')),
);

/** GET /interaction/:id/signup — the sign-up form. */
export const interactionSignUpPage = endpoint(
  pipeline<EndpointInput>('interaction.sign-up.page')
    .step(findInteraction)
    .step(requireOpenSignUp)
    .respond((c) => signUpPage(c)),
);

/**
 * Spends the sign-up budgets (per client address, and the installation's) before any work: of
 * any number of concurrent posts, at most the budget is looked at. Refused: the "too many" page at
 * once, its audit event bounded and queued like `rate_limit.hit` (awaited, a flood of refusals
 * queued one chained write each for PostgreSQL's pool, and answered 503 past its wait).
 */
async function reserveSignUp(c: Posted): Promise<{ refundSignUp: () => Promise<void> } | Response> {
  const { ctx, request } = c;
  const reservation = await ctx.limits.reserve([
    { limiter: 'signUpPerIp', key: clientAddress(ctx) },
    { limiter: 'signUpGlobal', key: 'all' },
  ]);
  if (reservation.limited) {
    if (await ctx.limits.auditAllowed('signup.refused:rate_limited', clientAddress(ctx))) {
      ctx.audit.recordLater(auditEvent('signup.refused', { client_id: c.client.clientId, reason: 'rate_limited' }));
    }
    return rateLimitedResponse(ctx, reservation.limited, request);
  }
  return { refundSignUp: () => reservation.refund() };
}

/** The form's proof of work (ALTCHA, single use); missing or wrong: the form again, saying so. */
async function checkProofOfWork(c: Posted): Promise<Response | undefined> {
  const { ctx, form, client } = c;
  if (await verifyPow(ctx, form.get('pow'))) return undefined;
  await ctx.audit.record(auditEvent('signup.refused', { client_id: client.clientId, reason: 'proof_of_work' }));
  return signUpPage(c, { error: POW_REFUSED, values: readSignUpValues(ctx.config, form) });
}

/**
 * Checks the form, then starts the sign-up ({@link startSignUp}: nothing is created until the
 * address is confirmed) and goes to "Check your email". The answer is the same whether or not the
 * address has an account. A refused form gives its points back: it was checked after a proof of
 * work, and nothing was sent.
 */
async function answerSignUp(c: Posted & { refundSignUp: () => Promise<void> }): Promise<Response> {
  const { ctx, form, interaction, client } = c;
  const verdict = readSignUpForm(ctx.config, form);
  if (!verdict.ok) {
    await c.refundSignUp();
    await ctx.audit.record(auditEvent('signup.refused', { client_id: client.clientId, reason: 'invalid_form' }));
    return signUpPage(c, { error: verdict.reason, errorField: verdict.field, values: verdict.values });
  }
  const key = startSignUp(ctx, verdict.input, messageLanguage(ctx, { uiLocales: interaction.state.request.uiLocales }));
  const next = await advanceInteractionState(ctx, interaction, { ...interaction.state, signUp: { key, email: verdict.input.email } });
  if (!next) return errorPage(ctx, 400, EXPIRED_TITLE, EXPIRED_MESSAGE);
  await ctx.audit.record(auditEvent('signup.started', { client_id: client.clientId }));
  return redirect(urlTo(ctx, 'interactionVerifyEmail', { id: next.id }));
}

/** POST /interaction/:id/signup — email, name, password, claims, proof of work. */
export const interactionSignUp = endpoint(
  pipeline<EndpointInput>('interaction.sign-up')
    .step(findInteraction)
    .step(requireOpenSignUp)
    .step(readInteractionForm)
    .step(reserveSignUp)
    .step(checkProofOfWork)
    .respond(answerSignUp),
);

type Viewed = Found & { session: Session | undefined };

/** The address the page is about: the pending sign-up's, or the signed-in user's when the decision asks for it. */
async function verificationSubject(
  c: Viewed,
): Promise<{ kind: 'sign_up'; email: string; key: string } | { kind: 'account'; session: Session; email: string } | undefined> {
  const { signUp } = c.interaction.state;
  if (signUp) return { kind: 'sign_up', ...signUp };
  const { decision } = await decideNextStep(c);
  if (decision.step === 'verify_email' && c.session?.user.email) return { kind: 'account', session: c.session, email: c.session.user.email };
  return undefined;
}

/** GET /interaction/:id/verify-email — "Check your email", or the step the interaction is at. */
export const interactionVerifyEmailPage = endpoint(
  pipeline<EndpointInput>('interaction.verify-email.page')
    .step(findInteraction)
    .step(loadBrowserSession)
    .respond(async (c) => {
      const subject = await verificationSubject(c);
      return subject ? verifyEmailPage(c, subject.email) : toInteraction(c.ctx, c.interaction.id);
    }),
);

/**
 * A code for a pending sign-up: right, the account is created (verified), the user is signed in
 * with it and the interaction goes on (consent, the client). The `amr` is `pwd` (RFC 8176 §2): the
 * password was chosen in this very interaction; the emailed code proved the address, which is not
 * an authentication factor of its own (NIST SP 800-63B §5.1.3.1 rules email out), so no `otp`/`mfa`.
 */
async function confirmSignUpCode(c: Viewed & { form: FormParams }, signUp: { key: string; email: string }): Promise<Response> {
  const { ctx, request, interaction, client, form } = c;
  const check = await checkAccountCode<SignUpTokenValue>(ctx, 'sign_up', signUp.key, form.get('code') ?? '');
  if (!check.ok) {
    await ctx.audit.record(auditEvent('email.verification_failed', { client_id: client.clientId, reason: check.reason }));
    return verifyEmailPage(c, signUp.email, { error: CODE_FAILED });
  }
  const created = await completeSignUp(ctx, check.value.key, 'code');
  if (!created.ok)
    return created.reason === 'taken' ? errorPage(ctx, 409, TAKEN_TITLE, TAKEN_MESSAGE) : verifyEmailPage(c, signUp.email, { error: CODE_FAILED });
  const { signUp: _done, ...state } = interaction.state;
  return firstFactorPassed(ctx, request, { ...interaction, state }, client, created.user, { amr: ['pwd'] });
}

/** A code for the signed-in account's address: right, it is verified and the sign-in goes on. */
async function confirmAccountCode(c: Viewed & { form: FormParams }, session: Session, email: string): Promise<Response> {
  const { ctx, interaction, client, form } = c;
  const check = await checkAccountCode(ctx, 'verify_email', session.user.id, form.get('code') ?? '');
  if (!check.ok || !(await markEmailVerified(ctx, check.value.userId, check.value.email))) {
    await ctx.audit.record(auditEvent('email.verification_failed', { client_id: client.clientId, sub: session.user.id }));
    return verifyEmailPage(c, email, { error: CODE_FAILED });
  }
  return toInteraction(ctx, interaction.id);
}

/** POST /interaction/:id/verify-email — the 6-digit code. */
export const interactionVerifyEmail = endpoint(
  pipeline<EndpointInput>('interaction.verify-email')
    .step(findInteraction)
    .step(readInteractionForm)
    .step(loadBrowserSession)
    .respond(async (c) => {
      const subject = await verificationSubject(c);
      if (!subject) return toInteraction(c.ctx, c.interaction.id);
      return subject.kind === 'sign_up' ? confirmSignUpCode(c, subject) : confirmAccountCode(c, subject.session, subject.email);
    }),
);

/** POST /interaction/:id/verify-email/resend — a new code, at most one a minute, said the same way for every address. */
export const interactionVerifyEmailResend = endpoint(
  pipeline<EndpointInput>('interaction.verify-email.resend')
    .step(findInteraction)
    .step(readInteractionForm)
    .step(loadBrowserSession)
    .respond(async (c) => {
      const { ctx, request } = c;
      const subject = await verificationSubject(c);
      if (!subject) return toInteraction(ctx, c.interaction.id);
      const i18n = messageLanguage(ctx, { uiLocales: c.interaction.state.request.uiLocales });
      const sent =
        subject.kind === 'sign_up'
          ? await resendSignUpCode(ctx, subject, i18n)
          : await sendAccountVerification(ctx, { ...subject.session.user, email: subject.email }, i18n);
      if (!sent.ok && sent.reason === 'limited') return rateLimitedResponse(ctx, sent.limited, request);
      return verifyEmailPage(c, subject.email, { notice: sent.ok ? CODE_RESENT : RESEND_WAIT });
    }),
);

// ---------------------------------------------------------------------------------------------
// The emailed link: opening it shows one button (mail scanners open links too); pressing it confirms.

/** What every form of the link page's CSRF token is bound to, with the browser id. */
const LINK_CSRF_SUBJECT = 'verify-email';
const LINK_EXPIRED_TITLE = { key: 'error.verifyLink.title' } as const;
const LINK_EXPIRED = { key: 'error.verifyLink.message' } as const;

/** The live link of the token, a sign-up's or an account's. */
async function peekLink(ctx: ServerContext, token: string): Promise<AccountTokenValue | undefined> {
  return (await peekAccountToken(ctx, 'sign_up', token)) ?? (await peekAccountToken(ctx, 'verify_email', token));
}

/** GET /verify-email?token=… — the confirm button for a live link; otherwise "Link expired". */
export async function verifyEmailLinkPage(ctx: ServerContext, request: Request): Promise<Response> {
  const token = new URL(request.url).searchParams.get('token') ?? '';
  const link = await peekLink(ctx, token);
  if (!link) return errorPage(ctx, 400, LINK_EXPIRED_TITLE, LINK_EXPIRED);
  const browser = identifyBrowser(ctx, request);
  return htmlResponse(
    ctx,
    (nonce) =>
      renderConfirmEmailPage({
        ...pageBase(ctx),
        // The link is opened outside any sign-in (any device): the switcher's choice or the browser's language.
        ...pageLanguage(ctx, [], `${pathTo(ctx, 'verifyEmail')}?token=${encodeURIComponent(token)}`),
        nonce,
        action: pathTo(ctx, 'verifyEmail'),
        csrfToken: csrfToken(ctx, browser.id, LINK_CSRF_SUBJECT),
        token,
        masked: maskEmail(link.email),
      }),
    { setCookies: browser.setCookie ? [browser.setCookie] : [] },
  );
}

/** POST /verify-email — uses the link (once, however many race): creates the signed-up account, or verifies the account's address. */
export async function verifyEmailLink(ctx: ServerContext, request: Request): Promise<Response> {
  const form = await readForm(request, { maxBodyBytes: ctx.config.limits.maxBodyBytes });
  const browserId = existingBrowserId(ctx, request);
  const refused = csrfRefusal(ctx, { browserId, subject: LINK_CSRF_SUBJECT, token: form.get('csrf') }, { key: 'error.verifyLink.form' });
  if (refused) return refused;
  const token = form.get('token') ?? '';
  const confirmed = (outcome: 'created' | 'verified') =>
    htmlResponse(ctx, (nonce) => renderEmailConfirmedPage({ ...pageBase(ctx), ...pageLanguage(ctx), nonce, outcome, signInUrl: pathTo(ctx, 'account') }));
  const signUp = await consumeAccountToken<SignUpTokenValue>(ctx, 'sign_up', token);
  if (signUp) {
    const created = await completeSignUp(ctx, signUp.key, 'link');
    if (created.ok) return confirmed('created');
    return created.reason === 'taken' ? errorPage(ctx, 409, TAKEN_TITLE, TAKEN_MESSAGE) : errorPage(ctx, 400, LINK_EXPIRED_TITLE, LINK_EXPIRED);
  }
  const account = await consumeAccountToken(ctx, 'verify_email', token);
  if (account && (await markEmailVerified(ctx, account.userId, account.email))) return confirmed('verified');
  return errorPage(ctx, 400, LINK_EXPIRED_TITLE, LINK_EXPIRED);
}
