import type { UserRecord } from '../../stores/contract.js';
import { renderEmailCodePage } from '../../ui/index.js';
import { consumeAccountToken, peekAccountToken } from '../accounts/account-tokens.js';
import { accountEmailsAvailable, afterAnswer } from '../accounts/emails.js';
import {
  checkEmailSignInCode,
  endEmailSignIn,
  pendingEmailSignIn,
  sendEmailSignIn,
  startEmailSignIn,
  type EmailSignInLink,
  type PendingEmailSignIn,
} from '../accounts/email-sign-in.js';
import { auditEvent } from '../audit/events.js';
import { clientAddress } from '../context.js';
import { endpoint, type EndpointInput } from '../http/endpoint.js';
import type { FormParams } from '../http/form.js';
import { htmlResponse } from '../http/html.js';
import { errorPage, pageBase } from '../http/pages.js';
import { pageLanguage } from '../http/page-language.js';

import { pipeline } from '../http/pipeline.js';
import { interactionClient } from '../interaction/account-client.js';
import { firstFactorPassed } from '../interaction/first-factor.js';
import { loadInteractionOfBrowser } from '../interaction/interactions.js';
import { EXPIRED_MESSAGE, EXPIRED_TITLE, interactionPath, loginPage, toInteraction } from '../interaction/pages.js';
import { rateLimitedResponse } from '../protection/rate-limited.js';
import { pathTo } from '../routes.js';
import { browserBinding, csrfToken, existingBrowserId } from '../session/browser.js';
import { findInteraction, readInteractionForm, type InteractionFound } from '../steps/interaction.js';
import { spendAccountEmailPerIp } from '../steps/self-service.js';

/**
 * RFC 8176 §2 has no value for "a code sent by email"; `otp` ("one-time password") is the one that
 * fits, as for the emailed codes of the second-factor page. Audit events add `method` to tell them apart.
 */
const EMAIL_CODE_AMR = ['otp'];
const WRONG = 'emailCode.error.wrong';
const LOCKED = 'emailCode.error.locked';

type Posted = EndpointInput & InteractionFound & { form: FormParams };

/** Sign-in by email is on (`accounts.passwordless: email`, with an email sender); otherwise a 404 page. */
function requirePasswordless({ ctx }: Pick<EndpointInput, 'ctx'>): Response | undefined {
  if (ctx.config.accounts.passwordless === 'email' && accountEmailsAvailable(ctx)) return undefined;
  return errorPage(ctx, 404, { key: 'error.lifecycleOff.title' }, { key: 'error.emailSignInOff.message' });
}

/** An enabled account, still at the address the code and link went to (an address changed since vouches for nothing). */
function mayUseEmailedSignIn(user: UserRecord, link: EmailSignInLink): boolean {
  return !user.disabled && user.email === link.email;
}

/** "Enter the code we emailed" for the interaction (again, with `error`). */
function codePage(c: Posted, error?: typeof WRONG | typeof LOCKED, status = 200): Response {
  const { ctx, interaction, client, browserId } = c;
  const language = pageLanguage(ctx, interaction.state.request.uiLocales, pathTo(ctx, 'interactionEmailCode', { id: interaction.id }));
  return htmlResponse(
    ctx,
    (nonce) =>
      renderEmailCodePage({
        ...pageBase(ctx),
        ...language,
        nonce,
        action: pathTo(ctx, 'interactionEmailCodeVerify', { id: interaction.id }),
        resendAction: pathTo(ctx, 'interactionEmailCode', { id: interaction.id }),
        csrfToken: csrfToken(ctx, browserId, interaction.id),
        passwordUrl: interactionPath(ctx, interaction.id),
        client: { name: client.clientName },
        ...(error ? { error: language.i18n.text(error) } : {}),
      }),
    // A right code may redirect on to the client: browsers check it against form-action.
    { status, formActions: [interaction.state.request.redirectUri] },
  );
}

/**
 * The same page whether or not an account uses the address (or is disabled): the lookup, the
 * code and the email happen after the answer. `resend=1` asks again for the address already given.
 */
async function askForCode(c: Posted): Promise<Response> {
  const { ctx, interaction, client, browserId, form } = c;
  const typed = form.get('username')?.trim() ?? '';
  const address = typed !== '' ? typed : form.get('resend') === '1' ? (await pendingEmailSignIn(ctx, interaction.id))?.address : undefined;
  if (!address || address.length > 320) return loginPage(c, 'login.error.emailRequired');
  const pending = await startEmailSignIn(ctx, interaction, address);
  afterAnswer(ctx, 'sign-in email', () => sendEmailSignIn(ctx, pending, interaction, browserId));
  ctx.audit.recordLater(auditEvent('login.email_code_sent', { client_id: client.clientId }));
  return codePage(c);
}

/** POST /interaction/:id/email-code — the login form's `username` (an address) and `csrf`, or `resend=1`. */
export const interactionEmailCode = endpoint(
  pipeline<EndpointInput>('interaction.email-code')
    .step(findInteraction)
    .step(readInteractionForm)
    .step(requirePasswordless)
    .step(spendAccountEmailPerIp)
    .respond(askForCode),
);

/** The interaction's pending sign-in by email; none: back to its current step. */
async function findPending({ ctx, interaction, id }: Posted): Promise<{ pending: PendingEmailSignIn } | Response> {
  const pending = await pendingEmailSignIn(ctx, interaction.id);
  return pending ? { pending } : toInteraction(ctx, id);
}

/**
 * Checks the typed code, spending first (the address's per-address sign-in budget, and five tries
 * per code); right: the first factor is passed, and MFA policy, consent and the client go on as
 * after a password. A disabled account gets the same answer as a wrong code.
 */
async function answerCode(c: Posted & { pending: PendingEmailSignIn }): Promise<Response> {
  const { ctx, request, interaction, client, form, pending } = c;
  const budget = await ctx.limits.reserve([{ limiter: 'signInPerIp', key: clientAddress(ctx) }]);
  if (budget.limited) return rateLimitedResponse(ctx, budget.limited, request);
  const checked = await checkEmailSignInCode(ctx, pending, form.get('code') ?? '');
  const user = checked.ok ? await ctx.store.users.get(checked.value.userId) : undefined;
  if (!checked.ok || !user || !mayUseEmailedSignIn(user, checked.value)) {
    await ctx.audit.record(auditEvent('login.failed', { client_id: client.clientId, reason: 'wrong_code', method: 'email_code' }));
    ctx.metrics.signInFailures.inc({ reason: 'bad_credentials' });
    return codePage(c, checked.ok || checked.reason === 'wrong' ? WRONG : LOCKED, 401);
  }
  await budget.refund();
  await endEmailSignIn(ctx, interaction.id);
  return firstFactorPassed(ctx, request, interaction, client, user, { amr: EMAIL_CODE_AMR, method: 'email_code' });
}

/** POST /interaction/:id/email-code/verify — `code` and `csrf`. */
export const interactionEmailCodeVerify = endpoint(
  pipeline<EndpointInput>('interaction.email-code.verify')
    .step(findInteraction)
    .step(readInteractionForm)
    .step(requirePasswordless)
    .step(findPending)
    .respond(answerCode),
);

const LINK_TITLE = { key: 'error.signInLink.title' } as const;
const LINK_MESSAGE = { key: 'error.signInLink.message' } as const;

/**
 * The emailed link, in the browser it was asked from: peeked, compared with this browser, then
 * used once; the sign-in goes on as after the code. Another browser is told to type the code in
 * the original tab instead (the link is not used up).
 */
async function openLink({ ctx, request }: EndpointInput): Promise<Response> {
  const token = new URL(request.url).searchParams.get('token') ?? '';
  const peeked = await peekAccountToken<EmailSignInLink>(ctx, 'email_sign_in', token);
  if (!peeked) return errorPage(ctx, 400, LINK_TITLE, LINK_MESSAGE);
  const browserId = existingBrowserId(ctx, request);
  if (!browserId || browserBinding(ctx, browserId) !== peeked.browser) {
    return errorPage(ctx, 400, { key: 'error.signInLinkBrowser.title' }, { key: 'error.signInLinkBrowser.message' });
  }
  const value = await consumeAccountToken<EmailSignInLink>(ctx, 'email_sign_in', token);
  if (!value) return errorPage(ctx, 400, LINK_TITLE, LINK_MESSAGE);
  const found = await loadInteractionOfBrowser(ctx, request, value.interaction);
  const client = found ? await interactionClient(ctx, found.interaction.state.request.clientId) : undefined;
  const user = await ctx.store.users.get(value.userId);
  if (!found || !client || !user || !mayUseEmailedSignIn(user, value)) return errorPage(ctx, 400, EXPIRED_TITLE, EXPIRED_MESSAGE);
  await endEmailSignIn(ctx, found.interaction.id);
  return firstFactorPassed(ctx, request, found.interaction, client, user, { amr: EMAIL_CODE_AMR, method: 'email_link' });
}

/** GET /email-sign-in?token=… — the link of a sign-in email. */
export const emailSignInLink = endpoint(pipeline<EndpointInput>('email-sign-in').step(requirePasswordless).respond(openLink));
