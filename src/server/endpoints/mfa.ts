import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import { auditEvent } from '../audit/events.js';
import type { ClientRecord, MfaFactorRecord, MfaFactorType, UserRecord } from '../../stores/contract.js';
import { clientAddress, type ServerContext } from '../context.js';
import { readBody } from '../http/form.js';
import { json, oauthErrorResponse } from '../http/responses.js';
import { OAuthError } from '../../core/errors.js';
import { rateLimitedError } from '../protection/rate-limited.js';
import { advanceInteraction } from '../interaction/advance.js';
import { advanceInteractionState, earned, type Interaction } from '../interaction/interactions.js';
import { errorPage } from '../interaction/pages.js';
import { reserveSecondFactorAnswer } from '../mfa/answer-budget.js';
import { factorAdded } from '../mfa/factor-added.js';
import { regenerateRecoveryCodes, usableFactors, useRecoveryCode, useTotpCode, verifyTotpCode } from '../mfa/factors.js';
import { checkOneTimeCode, sendOneTimeCode } from '../mfa/one-time-codes.js';
import { passkeyAuthenticationOptions, verifyPasskey } from '../mfa/passkeys.js';
import { acrFor } from '../mfa/policy.js';
import { verifyCsrf } from '../session/browser.js';
import { loadSession, startSession, type Authentication } from '../session/sessions.js';
import { renderRecoveryCodesPage } from '../../ui/index.js';
import { htmlResponse } from '../http/html.js';
import { interactionPath, pageBase } from '../interaction/pages.js';
import { csrfToken } from '../session/browser.js';
import { load, loadPost, seeOther } from './interaction.js';

const WRONG = 'That code did not work. Check it and try again.';
const EXPIRED = 'This sign-in request has expired or was already used. Go back to the application and start again.';

/** The factor type a code answer is counted under in metrics. */
function outcomeMethod(method: 'totp' | 'recovery' | 'contact', factor: MfaFactorRecord | undefined): MfaFactorType {
  if (method === 'recovery') return 'recovery_codes';
  return method === 'contact' && factor ? factor.type : 'totp';
}

/** The user owing a second factor: the one who just passed the first, or the session's (step-up). */
async function challengedUser(ctx: ServerContext, request: Request, interaction: Interaction): Promise<UserRecord | undefined> {
  const id = interaction.state.pendingUser ?? (await loadSession(ctx, request))?.user.id;
  const user = id ? await ctx.store.users.get(id) : undefined;
  return user && !user.disabled ? user : undefined;
}

/**
 * A second factor was verified: start a fresh session (new id) whose `amr` holds both factors and
 * `mfa` (RFC 8176), and continue the interaction.
 */
async function secondFactorPassed(ctx: ServerContext, request: Request, interaction: Interaction, client: ClientRecord, user: UserRecord, method: string, code?: Authentication['code']): Promise<{ next: Interaction; setCookie: string } | undefined> {
  const session = interaction.state.pendingUser ? undefined : await loadSession(ctx, request);
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
  const { setCookie } = await startSession(ctx, request, user, { amr, acr: acrFor(amr), ...(provider ? { provider } : {}), ...(code ? { code } : {}) }, client.clientId);
  await ctx.audit.record(auditEvent('mfa.succeeded', { client_id: client.clientId, sub: user.id, method }));
  return { next, setCookie };
}

/**
 * POST /interaction/:id/mfa — `method=totp|recovery` with `code`; `method=send` with `factor` (a
 * code by SMS or email); `method=contact` with `factor` and `code`. Wrong answers count against a
 * per-user budget; when it is spent, the page says when to try again.
 */
export async function interactionMfa(ctx: ServerContext, request: Request, id: string): Promise<Response> {
  const loaded = await loadPost(ctx, request, id);
  if (loaded instanceof Response) return loaded;
  const { interaction, client, browserId, form } = loaded;
  const user = await challengedUser(ctx, request, interaction);
  if (!user) return seeOther(ctx, id);
  // On a step-up the session is the one owing the factor: the page must be shown for it.
  const session = await loadSession(ctx, request);
  const again = (extras: Parameters<typeof advanceInteraction>[6]) => advanceInteraction(ctx, interaction, client, session, browserId, [], extras);

  const method = form.get('method');
  const code = form.get('code') ?? '';
  const contact = async (): Promise<MfaFactorRecord | undefined> =>
    (await usableFactors(ctx, user.id)).find((factor) => factor.id === form.get('factor') && (factor.type === 'sms' || factor.type === 'email'));

  if (method === 'send') {
    const factor = await contact();
    const sender = factor && ctx.config.mfa.senders[factor.type as 'sms' | 'email'];
    if (!factor || !sender) return again({ error: 'That method is not available.' });
    const sent = await sendOneTimeCode(ctx, factor, 'sign_in', sender);
    if (sent.sent) return again({ codeSent: factor });
    const after = new Date(sent.retryAt).toUTCString();
    return again({ codeSent: factor, error: sent.reason === 'resend' ? `A code was sent moments ago. You can ask for a new one after ${after}.` : `Too many codes were sent. You can ask for a new one after ${after}, or use another way to verify.` });
  }
  const factor = method === 'contact' ? await contact() : undefined;
  if ((method !== 'totp' && method !== 'recovery' && method !== 'contact') || (method === 'contact' && !factor)) return again({ error: 'That method is not available.' });

  // Spend, then check: the attempt is reserved before the answer is verified, and given back when right.
  const answer = await reserveSecondFactorAnswer(ctx, user.id, clientAddress(ctx));
  if (answer.refused) {
    ctx.metrics.mfaOutcomes.inc({ method: outcomeMethod(method, factor), outcome: 'locked' });
    return again({ error: answer.refused.by === 'user' ? 'Too many wrong codes.' : 'Too many wrong codes from this network.', lockedUntil: answer.refused.retryAt });
  }
  let passed: string | undefined;
  if (method === 'totp') {
    passed = (await verifyTotpCode(ctx, user.id, code)) ? 'otp' : undefined;
  } else if (method === 'recovery') {
    passed = (await useRecoveryCode(ctx, user.id, code)) ? 'otp' : undefined;
    if (passed) await ctx.audit.record(auditEvent('mfa.recovery_code_used', { sub: user.id }));
  } else {
    const checked = await checkOneTimeCode(ctx, factor!, 'sign_in', code);
    if (checked.ok) passed = factor!.type === 'sms' ? 'sms' : 'otp';
    else if (checked.reason !== 'wrong') {
      // Not checked at all (no code pending, or its own five tries spent): not a guess.
      await answer.refund();
      return again(checked.reason === 'locked' ? { error: 'Too many wrong codes for this one. Ask for a new code.', codeSent: factor } : { error: 'That code expired. Ask for a new one.' });
    }
  }
  if (!passed) {
    ctx.metrics.mfaOutcomes.inc({ method: outcomeMethod(method, factor), outcome: 'failure' });
    await ctx.audit.record(auditEvent('mfa.failed', { client_id: client.clientId, sub: user.id, method }));
    // The answer that spends the last attempt already says so.
    if (answer.last) return again({ error: 'Too many wrong codes.', lockedUntil: answer.retryAt });
    return again({ error: WRONG, ...(factor ? { codeSent: factor } : {}) });
  }
  await answer.refund();
  ctx.metrics.mfaOutcomes.inc({ method: outcomeMethod(method, factor), outcome: 'success' });
  const kind: Authentication['code'] = method === 'totp' ? 'totp' : method === 'recovery' ? 'recovery' : factor?.type === 'email' ? 'email' : undefined;
  const done = await secondFactorPassed(ctx, request, interaction, client, user, passed, kind);
  if (!done) return errorPage(ctx, 400, 'Sign-in request expired', EXPIRED);
  return seeOther(ctx, done.next.id, [done.setCookie]);
}

/**
 * POST /interaction/:id/mfa-enroll — confirms the authenticator app set up during sign-in with its
 * first code, then shows the recovery codes once.
 */
export async function interactionMfaEnroll(ctx: ServerContext, request: Request, id: string): Promise<Response> {
  const loaded = await loadPost(ctx, request, id);
  if (loaded instanceof Response) return loaded;
  const { interaction, client, browserId, form } = loaded;
  // Only right after a first factor in this interaction: a session alone never enrols a factor.
  const pending = interaction.state.pendingUser;
  const user = pending ? await ctx.store.users.get(pending) : undefined;
  const factor = interaction.state.enrolFactor ? await ctx.store.factors.get(interaction.state.enrolFactor) : undefined;
  if (!user || user.disabled || !factor || factor.userId !== user.id) return seeOther(ctx, id);
  if (!(await useTotpCode(ctx, factor, form.get('code') ?? ''))) {
    return advanceInteraction(ctx, interaction, client, await loadSession(ctx, request), browserId, [], { error: WRONG });
  }
  await factorAdded(ctx, user, 'totp');
  const codes = await regenerateRecoveryCodes(ctx, user.id);
  const done = await secondFactorPassed(ctx, request, interaction, client, user, 'otp', 'totp');
  if (!done) return errorPage(ctx, 400, 'Sign-in request expired', EXPIRED);
  return htmlResponse(
    ctx,
    (nonce) =>
      renderRecoveryCodesPage({
        ...pageBase(ctx),
        nonce,
        codes,
        continueAction: interactionPath(ctx, done.next.id, 'continue'),
        csrfToken: csrfToken(ctx, browserId, done.next.id),
        continueLabel: 'I have saved my codes, continue',
      }),
    // "Continue" may be answered by a redirect to the client: browsers check it against form-action.
    { setCookies: [done.setCookie], formActions: [interaction.state.request.redirectUri] },
  );
}

/** POST /interaction/:id/continue — the "continue" button of an in-between page. */
export async function interactionContinue(ctx: ServerContext, request: Request, id: string): Promise<Response> {
  const loaded = await loadPost(ctx, request, id);
  if (loaded instanceof Response) return loaded;
  return seeOther(ctx, id);
}

async function readJson(ctx: ServerContext, request: Request): Promise<Record<string, unknown> | undefined> {
  try {
    const value = JSON.parse(await readBody(request, ctx.config.limits.maxBodyBytes)) as unknown;
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The login page's passkey (`?mode=signin`) is a whole sign-in, whoever is signed in already: it
 * satisfies `prompt=login` and may switch accounts. The second-factor page's passkey belongs to
 * the user who owes the factor.
 */
function passwordless(request: Request): boolean {
  return new URL(request.url).searchParams.get('mode') === 'signin';
}

/** Loads the interaction for a JSON call, checking the `X-CSRF-Token` header. */
async function loadJson(ctx: ServerContext, request: Request, id: string) {
  const loaded = await load(ctx, request, id);
  if (loaded instanceof Response) return oauthErrorResponse(new OAuthError('invalid_request', 'the sign-in request expired'));
  if (!verifyCsrf(ctx, loaded.browserId, id, request.headers.get('x-csrf-token') ?? undefined)) {
    return oauthErrorResponse(new OAuthError('invalid_request', 'the request was not accepted', { status: 403 }));
  }
  return loaded;
}

/**
 * POST /interaction/:id/passkey/options — WebAuthn request options: for the pending or signed-in
 * user as a second factor, or passwordless (any discoverable passkey) on the login page.
 */
export async function interactionPasskeyOptions(ctx: ServerContext, request: Request, id: string): Promise<Response> {
  const loaded = await loadJson(ctx, request, id);
  if (loaded instanceof Response) return loaded;
  const user = passwordless(request) ? undefined : await challengedUser(ctx, request, loaded.interaction);
  const { options, challengeId } = await passkeyAuthenticationOptions(ctx, user?.id ?? null);
  return json({ options, challengeId }, 200, { 'Cache-Control': 'no-store' });
}

/**
 * POST /interaction/:id/passkey — a WebAuthn assertion `{ challengeId, response }`. As a second
 * factor it completes MFA; passwordless, with user verification, it is a whole sign-in (possession
 * plus PIN or biometrics: `mfa`).
 */
export async function interactionPasskey(ctx: ServerContext, request: Request, id: string): Promise<Response> {
  const loaded = await loadJson(ctx, request, id);
  if (loaded instanceof Response) return loaded;
  const { interaction, client } = loaded;
  const body = await readJson(ctx, request);
  const expected = passwordless(request) ? undefined : await challengedUser(ctx, request, interaction);
  if (!body || typeof body.challengeId !== 'string' || typeof body.response !== 'object' || body.response === null) {
    return oauthErrorResponse(new OAuthError('invalid_request', 'the request must carry challengeId and response'));
  }
  // Spend, then check, as for codes: the assertion is verified only within the budgets.
  const answer = await reserveSecondFactorAnswer(ctx, expected?.id, clientAddress(ctx));
  if (answer.refused) {
    ctx.metrics.mfaOutcomes.inc({ method: 'webauthn', outcome: 'locked' });
    const retryAfterSeconds = Math.max(1, Math.ceil((answer.refused.retryAt - ctx.clock.now()) / 1000));
    return oauthErrorResponse(rateLimitedError({ limiter: 'mfaPerIp', retryAfterSeconds }));
  }
  const assertion = await verifyPasskey(ctx, body.challengeId, body.response as AuthenticationResponseJSON, expected?.id ?? null);
  if (!assertion) {
    ctx.metrics.mfaOutcomes.inc({ method: 'webauthn', outcome: 'failure' });
    return oauthErrorResponse(new OAuthError('access_denied', 'the passkey could not be verified', { status: 401 }));
  }
  await answer.refund();
  const user = expected ?? (await ctx.store.users.get(assertion.factor.userId));
  if (!user || user.disabled) return oauthErrorResponse(new OAuthError('access_denied', 'the passkey could not be verified', { status: 401 }));
  let next: Interaction | undefined;
  let setCookie: string;
  if (expected) {
    const done = await secondFactorPassed(ctx, request, interaction, client, user, assertion.method);
    if (!done) return oauthErrorResponse(new OAuthError('invalid_request', 'the sign-in request expired'));
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
    if (!next) return oauthErrorResponse(new OAuthError('invalid_request', 'the sign-in request expired'));
    ({ setCookie } = await startSession(ctx, request, user, { amr, acr: acrFor(amr) }, client.clientId));
    await ctx.audit.record(auditEvent('login.succeeded', { client_id: client.clientId, sub: user.id, amr }));
  }
  return json({ redirect: `${ctx.config.issuerUrl.origin}${interactionPath(ctx, next.id)}` }, 200, { 'Set-Cookie': setCookie, 'Cache-Control': 'no-store' });
}
