/**
 * Helpers for the multi-factor acceptance tests (issue 7): TOTP codes at a given time, reading
 * the set-up key and recovery codes off the pages, submitting the forms of the second-factor page
 * (several forms share one action and differ by their hidden `method`), and giving a user factors
 * directly through the factor functions when a test is about something else.
 */
import { generate } from 'otplib';
import { SecretKeys } from '../../src/core/secret.js';
import { addFactor, regenerateRecoveryCodes, startTotpEnrolment, useTotpCode, type FactorContext } from '../../src/server/mfa/factors.js';
import type { Clock } from '../../src/core/clock.js';
import type { MfaFactorRecord, Store } from '../../src/stores/contract.js';
import type { Browser, Page } from './flow.js';
import { SECRET } from './server.js';
import { parseForms, type HtmlForm } from './user-agent.js';

/** RFC 6238 §4: the default time step, 30 seconds. */
export const TOTP_STEP_MS = 30_000;

/** The RFC 6238 time step of a moment. */
export function totpStep(ms: number): number {
  return Math.floor(ms / TOTP_STEP_MS);
}

/** The code an authenticator app with `secret` shows at `ms` (milliseconds since the epoch). */
export function totpAt(secret: string, ms: number): Promise<string> {
  return generate({ secret, epoch: Math.floor(ms / 1000) });
}

/**
 * A six-digit code that is none of the codes of the steps around `ms` (the server accepts one step
 * either side), so a "wrong code" can never be right by chance.
 */
export async function wrongTotpAt(secret: string, ms: number): Promise<string> {
  const valid = new Set(await Promise.all([-2, -1, 0, 1, 2].map((offset) => totpAt(secret, ms + offset * TOTP_STEP_MS))));
  for (let n = 123_456; ; n = (n + 111_111) % 1_000_000) {
    const candidate = String(n).padStart(6, '0');
    if (!valid.has(candidate)) return candidate;
  }
}

/** A six-digit code other than `code`. */
export function otherCode(code: string): string {
  return String((Number(code) + 1) % 1_000_000).padStart(6, '0');
}

/**
 * The code to sign in with right after a code of `usedAtMs` was accepted: the current one when
 * the step has moved on, else the next step's (an app whose clock runs a little ahead, within the
 * one step of drift the server accepts). Saves waiting up to 30 s in real-time tests.
 */
export function freshTotp(secret: string, usedAtMs: number, nowMs: number = Date.now()): Promise<string> {
  return totpAt(secret, totpStep(nowMs) > totpStep(usedAtMs) ? nowMs : nowMs + TOTP_STEP_MS);
}

// ---------------------------------------------------------------------------------------------
// Reading pages

/** The set-up key of an authenticator-app set-up page (shown in groups of four). */
export function setupKey(body: string): string {
  const match = /<dd><code>([A-Z2-7 ]+)<\/code><\/dd>/.exec(body);
  if (!match) throw new Error(`no set-up key on the page:\n${body.slice(0, 800)}`);
  return match[1]!.replace(/\s+/g, '');
}

/** The recovery codes of a "save your recovery codes" page. */
export function recoveryCodesOf(body: string): string[] {
  const list = /<ul class="recovery-codes"[^>]*>([\s\S]*?)<\/ul>/.exec(body);
  if (!list) throw new Error(`no recovery codes on the page:\n${body.slice(0, 800)}`);
  return [...list[1]!.matchAll(/<code>([^<]+)<\/code>/g)].map((match) => match[1]!);
}

/** Visible text of a page: tags dropped, whitespace collapsed, the few entities our pages use decoded. */
export function textOf(body: string): string {
  return body
    .replace(/<(script|style)\b[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#39;|&#x27;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .trim();
}

/** {@link textOf} as it reads: without the space a closing tag leaves before punctuation ("Weiter als Alice." not "Alice ."). */
export function wordsOf(body: string): string {
  return textOf(body).replace(/ ([,.;:?])/g, '$1');
}

/** The page's `<html …>` start tag: where its `lang` and `dir` are. */
export function htmlTagOf(body: string): string {
  return /<html[^>]*>/.exec(body)?.[0] ?? '';
}

/** The second-factor forms of a page (they all post to `/interaction/:id/mfa`). */
export function mfaForms(page: Page): HtmlForm[] {
  return parseForms(page.body).filter((form) => /\/interaction\/[^/]+\/mfa$/.test(form.action));
}

/** Whether the page is the second-factor challenge ("Two-step verification"). */
export function isMfaChallenge(page: Page): boolean {
  return !page.location && mfaForms(page).length > 0;
}

/** Whether the page is the authenticator-app set-up of a sign-in (policy or client requires a factor). */
export function isMfaEnrolment(page: Page): boolean {
  return !page.location && parseForms(page.body).some((form) => /\/interaction\/[^/]+\/mfa-enroll$/.test(form.action));
}

/** Fails unless the page is the second-factor challenge. */
export function expectMfaChallenge(page: Page): Page {
  if (!isMfaChallenge(page)) {
    const what = page.location ? `a redirect to ${page.location.href}` : `status ${page.status} at ${page.url}`;
    throw new Error(`expected the two-step verification page, got ${what}:\n${page.body.slice(0, 800)}`);
  }
  return page;
}

/**
 * Submits the second-factor form for `method` (`totp`, `recovery`, `send`, `contact`), picking the
 * one for `factor` when several forms share the method, with `values` (usually `code`).
 */
export function submitMfa(
  browser: Browser,
  page: Page,
  method: 'totp' | 'recovery' | 'send' | 'contact',
  values: Record<string, string> = {},
  factor?: string,
): Promise<Page> {
  const form = mfaForms(page).find((candidate) => candidate.fields.method === method && (factor === undefined || candidate.fields.factor === factor));
  if (!form) throw new Error(`no "${method}" form on ${page.url} (status ${page.status}):\n${page.body.slice(0, 800)}`);
  return browser.open(new URL(form.action, page.url).href, { method: 'POST', form: { ...form.fields, ...values } });
}

/** The `factor` ids the second-factor page offers to send a code to. */
export function sendTargets(page: Page): string[] {
  return mfaForms(page)
    .filter((form) => form.fields.method === 'send')
    .map((form) => form.fields.factor!);
}

/** Whether a response set the sign-in session cookie (not cleared). */
export function setsSessionCookie(page: Page): boolean {
  return page.headers.getSetCookie().some((header) => /^(__Host-)?gh_session=[^;]+/.test(header) && !/max-age=0/i.test(header));
}

/**
 * Moves on from a page after the second factor to the client: saves recovery codes ("continue")
 * and approves consent when asked. Returns the authorization response parameters.
 */
export async function continueToClient(browser: Browser, page: Page): Promise<URLSearchParams> {
  let current = page;
  for (let step = 0; step < 4 && !current.location; step += 1) {
    const forms = parseForms(current.body);
    if (forms.some((form) => form.action.endsWith('/consent'))) current = await browser.submit(current, {}, { button: 'approve', actionPart: '/consent' });
    else if (forms.some((form) => form.action.endsWith('/continue'))) current = await browser.submit(current, {}, { actionPart: '/continue' });
    else throw new Error(`unexpected page (status ${current.status}) at ${current.url}:\n${current.body.slice(0, 800)}`);
  }
  if (!current.location) throw new Error(`no redirect to the client; last page ${current.url}`);
  return current.location.searchParams;
}

// ---------------------------------------------------------------------------------------------
// The account pages, driven like a user with JavaScript off

/**
 * Opens `/account`, signing in with the password when the login page appears. Stops at the
 * account page, or at whatever page follows the password (the second factor, when set up).
 */
export async function openAccount(browser: Browser, user: { username: string; password: string }): Promise<Page> {
  const page = await browser.open('/account');
  if (!parseForms(page.body).some((form) => form.action.endsWith('/login'))) return page;
  return browser.submit(page, { username: user.username, password: user.password }, { actionPart: '/login' });
}

/** Whether the page is the signed-in account page. */
export function isAccountPage(page: Page): boolean {
  return !page.location && page.body.includes('<h1>Your account</h1>');
}

/** The result of setting up an authenticator app on the account page. */
export interface TotpEnrolment {
  secret: string;
  recoveryCodes: string[];
  /** When the first code was accepted (its step is used up). */
  confirmedAt: number;
  /** The recovery-codes page. */
  page: Page;
}

/**
 * On the signed-in account page `account`: "Set up" an authenticator app, read the key off the
 * page, confirm it with the code of `nowMs`. The page that follows lists the recovery codes.
 */
export async function enrolTotpOnAccount(browser: Browser, account: Page, nowMs: number): Promise<TotpEnrolment> {
  if (!isAccountPage(account)) throw new Error(`expected the account page, got status ${account.status} at ${account.url}:\n${account.body.slice(0, 800)}`);
  const setup = await browser.submit(account, {}, { actionPart: '/account/totp' });
  const secret = setupKey(setup.body);
  const page = await browser.submit(setup, { code: await totpAt(secret, nowMs) }, { actionPart: '/account/totp/confirm' });
  return { secret, recoveryCodes: recoveryCodesOf(page.body), confirmedAt: nowMs, page };
}

/** The `factor` id of the account page's "Remove" form whose hidden label contains `label`. */
export function removeFormFor(page: Page, label: string): HtmlForm {
  const form = parseForms(page.body).find(
    (candidate) => candidate.action.endsWith('/account/factors/remove') && candidate.buttons.some((button) => button.label.includes(label)),
  );
  if (!form) throw new Error(`no "Remove ${label}" on ${page.url}:\n${page.body.slice(0, 800)}`);
  return form;
}

// ---------------------------------------------------------------------------------------------
// Giving users factors directly (for tests about something else than setting them up)

/** What the factor functions need, for a store and clock (the test servers' secret by default). */
export function factorContext(store: Store, clock: Clock, secret: string = SECRET): FactorContext {
  return { store, clock, secrets: new SecretKeys(secret) };
}

/** A confirmed authenticator app for `userId`, its code of "now" used up; returns the secret. */
export async function giveTotp(ctx: FactorContext, userId: string): Promise<{ secret: string; factor: MfaFactorRecord; confirmedAt: number }> {
  const { factor, secret } = await startTotpEnrolment(ctx, userId);
  const confirmedAt = ctx.clock.now();
  if (!(await useTotpCode(ctx, factor, await totpAt(secret, confirmedAt)))) throw new Error('could not confirm the TOTP factor');
  return { secret, factor, confirmedAt };
}

/** A fresh set of ten recovery codes for `userId`. */
export function giveRecoveryCodes(ctx: FactorContext, userId: string): Promise<string[]> {
  return regenerateRecoveryCodes(ctx, userId);
}

/** A confirmed phone number or email to receive codes at. */
export function giveContact(ctx: FactorContext, userId: string, channel: 'sms' | 'email', to: string): Promise<MfaFactorRecord> {
  return addFactor(ctx, userId, channel, channel === 'sms' ? 'Phone' : 'Email', { to, confirmed: true });
}
