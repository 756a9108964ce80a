import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import { auditEvent } from '../audit/events.js';
import type { MfaFactorRecord, UserRecord } from '../../stores/contract.js';
import { clientAddress, type ServerContext } from '../context.js';
import { endpoint, type EndpointInput } from '../http/endpoint.js';
import { readBody, type FormParams } from '../http/form.js';
import { errorPage, pageBase } from '../http/pages.js';
import { pageLanguage } from '../http/page-language.js';
import { pipeline } from '../http/pipeline.js';
import { json, oauthErrorResponse } from '../http/responses.js';
import { OAuthError } from '../../core/errors.js';
import { rateLimitedError } from '../protection/rate-limited.js';
import { showCurrentStep } from '../interaction/advance.js';
import { advanceInteractionState, earned, type Interaction } from '../interaction/interactions.js';
import { EXPIRED_MESSAGE, EXPIRED_TITLE, interactionPath, toInteraction, type MfaChallengeExtras } from '../interaction/pages.js';
import { reserveSecondFactorAnswer } from '../mfa/answer-budget.js';
import { factorAdded } from '../mfa/factor-added.js';
import { regenerateRecoveryCodes, useTotpCode } from '../mfa/factors.js';
import { answerSecondFactor } from '../mfa/second-factor-answer.js';
import { passkeyAuthenticationOptions, verifyPasskey } from '../mfa/passkeys.js';
import { acrFor } from '../mfa/policy.js';
import { csrfToken, verifyCsrf } from '../session/browser.js';
import { startSession, type Authentication, type Session } from '../session/sessions.js';
import { renderRecoveryCodesPage } from '../../ui/index.js';
import { htmlResponse } from '../http/html.js';
import { findInteraction, loadBrowserSession, readInteractionForm, type InteractionFound } from '../steps/interaction.js';
import { urlTo } from '../routes.js';

const WRONG = { key: 'mfa.error.wrong' } as const;

type Loaded = EndpointInput & InteractionFound & { session: Session | undefined };
type Challenged = Loaded & { form: FormParams; user: UserRecord };

/**
 * The user owing a second factor: the one who just passed the first, or the session's (step-up).
 * Nobody (or a disabled account): back to the interaction's current step.
 */
async function findChallengedUser({ ctx, interaction, session, id }: Loaded): Promise<{ user: UserRecord } | Response> {
  const user = await challengedUser(ctx, interaction, session);
  return user ? { user } : toInteraction(ctx, id);
}

async function challengedUser(ctx: Pick<ServerContext, 'store'>, interaction: Interaction, session: Session | undefined): Promise<UserRecord | undefined> {
  const id = interaction.state.pendingUser ?? session?.user.id;
  const user = id ? await ctx.store.users.get(id) : undefined;
  return user && !user.disabled ? user : undefined;
}

/**
 * A second factor was verified: start a fresh session (new id) whose `amr` holds both factors and
 * `mfa` (RFC 8176), and continue the interaction.
 */
async function secondFactorPassed(
  c: Loaded,
  user: UserRecord,
  method: string,
  code?: Authentication['code'],
): Promise<{ next: Interaction; setCookie: string } | undefined> {
  const { ctx, request, interaction, client } = c;
  const session = interaction.state.pendingUser ? undefined : c.session;
  const first = interaction.state.pendingAmr ?? session?.state.amr ?? [];
  const amr = [...new Set([...first.filter((value) => value !== 'mfa'), method, 'mfa'])];
  const now = ctx.clock.now();
  const next = await advanceInteractionState(ctx, interaction, {
    ...interaction.state,
    pendingUser: undefined,
    pendingAmr: undefined,
    pendingProvider: undefined,
    enrolFactor: undefined,
    mfa: earned(user.id, now),
    loggedIn: interaction.state.pendingUser ? earned(user.id, now) : interaction.state.loggedIn,
  });
  if (!next) return undefined;
  const provider = interaction.state.pendingProvider ?? (typeof session?.state.provider === 'string' ? session.state.provider : undefined);
  const { setCookie } = await startSession(
    ctx,
    request,
    user,
    { amr, acr: acrFor(amr), ...(provider ? { provider } : {}), ...(code ? { code } : {}) },
    client.clientId,
  );
  await ctx.audit.record(auditEvent('mfa.succeeded', { client_id: client.clientId, sub: user.id, method }));
  return { next, setCookie };
}

/** The page again (the same step), with what happened. */
const again = (c: Loaded, extras: MfaChallengeExtras): Promise<Response> => showCurrentStep(c, extras);

/**
 * Whether the first factor was a code or link emailed to the account's address (sign-in by email:
 * the only first factor whose `amr` is `otp` alone, RFC 8176).
 */
function firstFactorByEmail(c: Loaded): boolean {
  const first = c.interaction.state.pendingUser ? (c.interaction.state.pendingAmr ?? []) : (c.session?.state.amr ?? []);
  return first.length > 0 && first.every((value) => value === 'otp');
}

/**
 * After a sign-in by email, a code to that same mailbox proves nothing more (one mailbox is one
 * factor, NIST SP 800-63B §5.1.3.1): such an email factor is refused as the second step, which
 * would otherwise earn `mfa` and `acr` 2.
 */
async function refuseSameMailbox(c: Challenged): Promise<Response | undefined> {
  const { ctx, form, user } = c;
  const method = form.get('method');
  if ((method !== 'send' && method !== 'contact') || user.email === null || !firstFactorByEmail(c)) return undefined;
  const factor = await ctx.store.factors.get(form.get('factor') ?? '');
  if (factor?.userId !== user.id || factor.type !== 'email' || factor.data.to !== user.email) return undefined;
  return again(c, { error: { key: 'mfa.error.sameMailbox' } });
}

/** Checks the answer (mfa/second-factor-answer.ts); right: the second factor is passed, on to the next step. */
async function answerChallenge(c: Challenged): Promise<Response> {
  const { ctx, form, user, client } = c;
  const sameMailbox = await refuseSameMailbox(c);
  if (sameMailbox) return sameMailbox;
  const outcome = await answerSecondFactor(ctx, user, form, { client_id: client.clientId }, c.interaction.state.request.uiLocales);
  if ('again' in outcome) return again(c, outcome.again);
  const done = await secondFactorPassed(c, user, outcome.passed.amr, outcome.passed.code);
  if (!done) return errorPage(ctx, 400, EXPIRED_TITLE, EXPIRED_MESSAGE);
  return toInteraction(ctx, done.next.id, [done.setCookie]);
}

/**
 * POST /interaction/:id/mfa — `method=totp|recovery` with `code`; `method=send` with `factor` (a
 * code by SMS or email); `method=contact` with `factor` and `code`. Wrong answers count against a
 * per-user budget; when it is spent, the page says when to try again.
 */
export const interactionMfa = endpoint(
  pipeline<EndpointInput>('interaction.mfa')
    .step(findInteraction)
    .step(readInteractionForm)
    // On a step-up the session is the one owing the factor: the page must be shown for it.
    .step(loadBrowserSession)
    .step(findChallengedUser)
    .respond(answerChallenge),
);

/**
 * Only right after a first factor in this interaction (a session alone never enrols a factor): the
 * pending user and the factor being set up; otherwise back to the current step.
 */
async function findEnrolment({ ctx, interaction, id }: Loaded): Promise<{ user: UserRecord; factor: MfaFactorRecord } | Response> {
  const pending = interaction.state.pendingUser;
  const user = pending ? await ctx.store.users.get(pending) : undefined;
  const factor = interaction.state.enrolFactor ? await ctx.store.factors.get(interaction.state.enrolFactor) : undefined;
  if (!user || user.disabled || factor?.userId !== user.id) return toInteraction(ctx, id);
  return { user, factor };
}

/** Confirms the authenticator app with its first code, then shows the recovery codes once. */
async function confirmEnrolment(c: Loaded & { form: FormParams; user: UserRecord; factor: MfaFactorRecord }): Promise<Response> {
  const { ctx, interaction, browserId, form, user, factor } = c;
  if (!(await useTotpCode(ctx, factor, form.get('code') ?? ''))) return again(c, { error: WRONG });
  await factorAdded(ctx, user, 'totp');
  const codes = await regenerateRecoveryCodes(ctx, user.id);
  const done = await secondFactorPassed(c, user, 'otp', 'totp');
  if (!done) return errorPage(ctx, 400, EXPIRED_TITLE, EXPIRED_MESSAGE);
  return htmlResponse(
    ctx,
    (nonce) =>
      renderRecoveryCodesPage({
        ...pageBase(ctx),
        // No switcher: the codes are shown this once, and a reload must not show them again.
        ...pageLanguage(ctx, interaction.state.request.uiLocales),
        nonce,
        codes,
        continueAction: interactionPath(ctx, done.next.id, 'continue'),
        csrfToken: csrfToken(ctx, browserId, done.next.id),
        continueLabel: { key: 'recoveryCodes.continue' },
      }),
    // "Continue" may be answered by a redirect to the client: browsers check it against form-action.
    { setCookies: [done.setCookie], formActions: [interaction.state.request.redirectUri] },
  );
}

/** POST /interaction/:id/mfa-enroll — the first code of the authenticator app set up during sign-in. */
export const interactionMfaEnroll = endpoint(
  pipeline<EndpointInput>('interaction.mfa-enroll')
    .step(findInteraction)
    .step(readInteractionForm)
    .step(loadBrowserSession)
    .step(findEnrolment)
    .respond(confirmEnrolment),
);

/** A JSON call's interaction (the page's script calls these): JSON errors, not pages. */
async function findInteractionForScript(c: EndpointInput): Promise<InteractionFound | Response> {
  const found = await findInteraction(c);
  return 'interaction' in found ? found : oauthErrorResponse(new OAuthError('invalid_request', 'the sign-in request expired'));
}

/** The `X-CSRF-Token` header of a JSON call, bound to this browser and interaction. */
function checkCsrfHeader({ ctx, request, id, browserId }: EndpointInput & InteractionFound): Response | undefined {
  if (verifyCsrf(ctx, browserId, id, request.headers.get('x-csrf-token') ?? undefined)) return undefined;
  return oauthErrorResponse(new OAuthError('invalid_request', 'the request was not accepted', { status: 403 }));
}

/**
 * The login page's passkey (`?mode=signin`) is a whole sign-in, whoever is signed in already: it
 * satisfies `prompt=login` and may switch accounts. The second-factor page's passkey belongs to
 * the user who owes the factor.
 */
async function findExpectedPasskeyUser({ ctx, request, interaction, session }: Loaded): Promise<{ expected: UserRecord | undefined }> {
  const passwordless = new URL(request.url).searchParams.get('mode') === 'signin';
  return { expected: passwordless ? undefined : await challengedUser(ctx, interaction, session) };
}

type PasskeyCall = Loaded & { expected: UserRecord | undefined };

/**
 * POST /interaction/:id/passkey/options — WebAuthn request options: for the pending or signed-in
 * user as a second factor, or passwordless (any discoverable passkey) on the login page.
 */
export const interactionPasskeyOptions = endpoint(
  pipeline<EndpointInput>('interaction.passkey-options')
    .step(findInteractionForScript)
    .step(checkCsrfHeader)
    .step(loadBrowserSession)
    .step(findExpectedPasskeyUser)
    .respond(async ({ ctx, expected }: PasskeyCall) => {
      const { options, challengeId } = await passkeyAuthenticationOptions(ctx, expected?.id ?? null);
      return json({ options, challengeId }, 200, { 'Cache-Control': 'no-store' });
    }),
);

/** The assertion `{ challengeId, response }` of the body. */
async function readAssertion({ ctx, request }: EndpointInput): Promise<{ challengeId: string; response: AuthenticationResponseJSON } | Response> {
  let body: unknown;
  try {
    body = JSON.parse(await readBody(request, ctx.config.limits.maxBodyBytes));
  } catch {
    body = undefined;
  }
  const fields = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : undefined;
  if (!fields || typeof fields.challengeId !== 'string' || typeof fields.response !== 'object' || fields.response === null) {
    return oauthErrorResponse(new OAuthError('invalid_request', 'the request must carry challengeId and response'));
  }
  return { challengeId: fields.challengeId, response: fields.response as AuthenticationResponseJSON };
}

const NOT_VERIFIED = () => oauthErrorResponse(new OAuthError('access_denied', 'the passkey could not be verified', { status: 401 }));
const EXPIRED_CALL = () => oauthErrorResponse(new OAuthError('invalid_request', 'the sign-in request expired'));

/**
 * Verifies the assertion within the budgets (spend, then check, as for codes). As a second factor
 * it completes MFA; passwordless, with user verification, it is a whole sign-in (possession plus
 * PIN or biometrics: `mfa`).
 */
async function answerPasskey(c: PasskeyCall & { challengeId: string; response: AuthenticationResponseJSON }): Promise<Response> {
  const { ctx, request, interaction, client, expected } = c;
  const answer = await reserveSecondFactorAnswer(ctx, expected?.id, clientAddress(ctx));
  if (answer.refused) {
    ctx.metrics.mfaOutcomes.inc({ method: 'webauthn', outcome: 'locked' });
    const retryAfterSeconds = Math.max(1, Math.ceil((answer.refused.retryAt - ctx.clock.now()) / 1000));
    return oauthErrorResponse(rateLimitedError({ limiter: 'mfaPerIp', retryAfterSeconds }));
  }
  const assertion = await verifyPasskey(ctx, c.challengeId, c.response, expected?.id ?? null);
  if (!assertion) {
    ctx.metrics.mfaOutcomes.inc({ method: 'webauthn', outcome: 'failure' });
    return NOT_VERIFIED();
  }
  await answer.refund();
  const user = expected ?? (await ctx.store.users.get(assertion.factor.userId));
  if (!user || user.disabled) return NOT_VERIFIED();
  let next: Interaction | undefined;
  let setCookie: string;
  if (expected) {
    const done = await secondFactorPassed(c, user, assertion.method);
    if (!done) return EXPIRED_CALL();
    ({ next, setCookie } = done);
  } else {
    const amr = assertion.userVerified ? [assertion.method, 'user', 'mfa'] : [assertion.method, 'user'];
    // Another user than `id_token_hint` names: the interaction page ends the request (step `wrong_user`).
    const now = ctx.clock.now();
    next = await advanceInteractionState(ctx, interaction, {
      ...interaction.state,
      pendingUser: undefined,
      pendingAmr: undefined,
      loggedIn: earned(user.id, now),
      mfa: assertion.userVerified ? earned(user.id, now) : undefined,
      accountChosen: user.id,
      loginRequested: false,
    });
    if (!next) return EXPIRED_CALL();
    ({ setCookie } = await startSession(ctx, request, user, { amr, acr: acrFor(amr) }, client.clientId));
    await ctx.audit.record(auditEvent('login.succeeded', { client_id: client.clientId, sub: user.id, amr }));
  }
  return json({ redirect: urlTo(ctx, 'interaction', { id: next.id }) }, 200, { 'Set-Cookie': setCookie, 'Cache-Control': 'no-store' });
}

/** POST /interaction/:id/passkey — a WebAuthn assertion `{ challengeId, response }`. */
export const interactionPasskey = endpoint(
  pipeline<EndpointInput>('interaction.passkey')
    .step(findInteractionForScript)
    .step(checkCsrfHeader)
    .step(loadBrowserSession)
    .step(findExpectedPasskeyUser)
    .step(readAssertion)
    .respond(answerPasskey),
);
