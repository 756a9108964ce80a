import type { MessageKey } from '../../ui/i18n/index.js';
import { sleep } from '../../core/clock.js';
import { decoyHash, verifyPassword } from '../../core/password.js';
import { auditEvent } from '../audit/events.js';
import { recordConsent } from '../consent.js';
import { claimsNamedBy } from '../authorize/request.js';
import { finishDeviceInteraction } from '../device/device-interaction.js';
import { clientAddress, type ServerContext } from '../context.js';
import { endpoint, type EndpointInput } from '../http/endpoint.js';
import type { FormParams } from '../http/form.js';
import { errorPage } from '../http/pages.js';
import { pipeline } from '../http/pipeline.js';
import { showNextStep, type InteractionView } from '../interaction/advance.js';
import { authorizationResponse, targetOf } from '../interaction/authorization-response.js';
import { decide, scopeForSession } from '../interaction/decisions.js';
import { firstFactorPassed } from '../interaction/first-factor.js';
import { advanceInteractionState, finishInteraction } from '../interaction/interactions.js';
import { EXPIRED_MESSAGE, EXPIRED_TITLE, loginPage, toInteraction } from '../interaction/pages.js';
import { rateLimitedResponse } from '../protection/rate-limited.js';
import { failureDelayMs, reserveSignIn, signInTarget } from '../protection/sign-in-attempts.js';
import type { Session } from '../session/sessions.js';
import {
  decideNextStep,
  findInteraction,
  loadBrowserSession,
  readInteractionForm,
  requireUserTheFormWasShownTo,
  type InteractionFound,
} from '../steps/interaction.js';

/** Said for an unknown user, a wrong password and a disabled account alike. */
const LOGIN_FAILED = 'login.error.incorrect' satisfies MessageKey;

type Posted = EndpointInput & InteractionFound & { form: FormParams };

/** GET /interaction/:id — the page of the step the user owes next (or the answer to the client). */
export const interactionPage = endpoint(
  pipeline<EndpointInput>('interaction')
    .step(findInteraction)
    .step(loadBrowserSession)
    .step(decideNextStep)
    .respond((c) => showNextStep(c, c.decision)),
);

/**
 * Checks a username or email and password, spending before checking (per account + address, per
 * address, per account). A failure says the same thing whether or not the account exists, and
 * takes about as long (a decoy hash is verified), plus a delay that grows with each failure.
 */
async function checkPassword(c: Posted): Promise<Response> {
  const { ctx, request, interaction, client, browserId, form } = c;
  const login = form.get('username')?.trim() ?? '';
  const password = form.get('password') ?? '';
  const user = login ? await ctx.store.users.findByLogin(login) : undefined;
  // Counted per account, whichever name was typed (username or email); unknown names count by what was typed.
  const attempt = await reserveSignIn(ctx, await signInTarget(ctx, { login, user, browserId, ip: clientAddress(ctx) }));
  if (attempt.limited) {
    ctx.metrics.signInFailures.inc({ reason: 'rate_limited' });
    return rateLimitedResponse(ctx, attempt.limited, request);
  }
  const valid = await verifyPassword(user?.passwordHash ?? (await decoyHash()), password);
  if (!user || !valid || user.disabled || user.passwordHash === null) {
    const reason = !user ? 'unknown_user' : user.disabled ? 'account_disabled' : 'bad_credentials';
    await ctx.audit.record(auditEvent('login.failed', { client_id: client.clientId, reason }));
    ctx.metrics.signInFailures.inc({ reason });
    // Progressive delay: each further failure on the account waits longer before the answer.
    await sleep(ctx.clock, failureDelayMs(attempt));
    return loginPage(c, LOGIN_FAILED, login);
  }
  await attempt.refund();
  return firstFactorPassed(ctx, request, interaction, client, user, { amr: ['pwd'] });
}

/** POST /interaction/:id/login — username or email and password. */
export const interactionLogin = endpoint(pipeline<EndpointInput>('interaction.login').step(findInteraction).step(readInteractionForm).respond(checkPassword));

type UserPosted = Posted & { session: Session };

/** Records the user's answer on the consent page: a refusal ends the request with `access_denied`. */
async function answerConsent(c: UserPosted): Promise<Response> {
  const { ctx, interaction, client, form, session } = c;
  const { request: authorization } = interaction.state;
  const { uiLocales } = authorization;
  if (form.get('decision') !== 'approve') {
    if (!(await finishInteraction(ctx, interaction))) return errorPage(ctx, 400, EXPIRED_TITLE, EXPIRED_MESSAGE, { uiLocales });
    await ctx.audit.record(auditEvent('consent.denied', { client_id: client.clientId, sub: session.user.id }));
    // A device's request: the device learns it by polling (access_denied, RFC 8628 §3.5).
    if (authorization.device) return finishDeviceInteraction(ctx, { ...authorization, device: authorization.device }, client, session, 'denied');
    return authorizationResponse(ctx, targetOf(authorization), { error: 'access_denied', error_description: 'the user denied the request' }, [], uiLocales);
  }
  const next = await advanceInteractionState(ctx, interaction, { ...interaction.state, consented: session.user.id });
  if (!next) return errorPage(ctx, 400, EXPIRED_TITLE, EXPIRED_MESSAGE, { uiLocales });
  // What the consent page showed: the request's scopes, narrowed for this user.
  const scope = scopeForSession(authorization, session);
  // ... at the resources it named (RFC 8707), which limit the consent.
  // ... and the claims it named one by one (OIDC Core §5.5), as the page listed them.
  const consent = await recordConsent(ctx, session.user.id, client.clientId, scope, authorization.resources, claimsNamedBy(authorization));
  await ctx.audit.record(auditEvent('consent.granted', { client_id: client.clientId, sub: session.user.id, scope: scope.join(' ') }));
  const view: InteractionView = { ...c, interaction: next };
  return showNextStep(view, await decide(ctx, { authorization, client, session, progress: next.state, consent }));
}

/** POST /interaction/:id/consent — `decision=approve` or `deny`, by the user the page was shown to. */
export const interactionConsent = endpoint(
  pipeline<EndpointInput>('interaction.consent')
    .step(findInteraction)
    .step(readInteractionForm)
    .step(loadBrowserSession)
    .step(requireUserTheFormWasShownTo)
    .respond(answerConsent),
);

/** Records the account choice: `current` (the account the page showed) or `other` (sign in as someone else). */
async function answerAccountChoice({ ctx, interaction, form, session }: UserPosted & { ctx: Pick<ServerContext, 'config'> }): Promise<Response> {
  const other = form.get('choice') === 'other';
  const next = await advanceInteractionState(ctx, interaction, {
    ...interaction.state,
    accountChosen: other ? undefined : session.user.id,
    loginRequested: other,
  });
  if (!next) return errorPage(ctx, 400, EXPIRED_TITLE, EXPIRED_MESSAGE, { uiLocales: interaction.state.request.uiLocales });
  return toInteraction(ctx, next.id);
}

/** POST /interaction/:id/select-account — `choice=current` or `other`, by the user the page was shown to. */
export const interactionSelectAccount = endpoint(
  pipeline<EndpointInput>('interaction.select-account')
    .step(findInteraction)
    .step(readInteractionForm)
    .step(loadBrowserSession)
    .step(requireUserTheFormWasShownTo)
    .respond(answerAccountChoice),
);

/** POST /interaction/:id/continue — the "continue" button of an in-between page: on to the next step. */
export const interactionContinue = endpoint(
  pipeline<EndpointInput>('interaction.continue')
    .step(findInteraction)
    .step(readInteractionForm)
    .respond(({ ctx, id }) => toInteraction(ctx, id)),
);
