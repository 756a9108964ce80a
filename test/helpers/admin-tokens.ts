/**
 * A person's admin token (issue 18), as people get one: through the sign-in pages of the
 * authorization code flow (password, the authenticator app, consent), then the token endpoint.
 * Shared by the tests of people on the admin API and the sweep of its refusals.
 */
import { expect } from 'vitest';
import { authorizeParams, authorizeUrl, Browser, expectTokens, pkce, redeemCode, submitLogin, type FlowClient, type TestUser, type Tokens } from './flow.js';
import { continueToClient, expectMfaChallenge, factorContext, giveTotp, isMfaEnrolment, setupKey, submitMfa, TOTP_STEP_MS, totpAt } from './mfa.js';
import type { TestServer } from './server.js';
import { parseForms } from './user-agent.js';

/** Gives `user` an authenticator app; the clock moves past the step of the code that confirmed it. */
export async function withTotp(t: TestServer, user: TestUser): Promise<string> {
  const { secret } = await giveTotp(factorContext(t.store, t.clock), user.record.id);
  t.clock.advance(TOTP_STEP_MS);
  return secret;
}

/**
 * Signs `user` in to `app` through the pages for `scope` (password, the authenticator code,
 * consent) and redeems the code. With `secret`, the user has an app; without, the sign-in sets one up.
 */
export async function signInForAdmin(t: TestServer, app: FlowClient, user: TestUser, secret: string | undefined, scope = 'openid admin'): Promise<Tokens> {
  const browser = new Browser(t);
  const { verifier, challenge } = pkce();
  const login = await browser.open(authorizeUrl(t, authorizeParams(app, challenge, { scope })));
  let page = await submitLogin(browser, login, user);
  if (secret === undefined) {
    expect(isMfaEnrolment(page)).toBe(true);
    const key = setupKey(page.body);
    const form = parseForms(page.body).find((candidate) => candidate.action.endsWith('/mfa-enroll'))!;
    page = await browser.open(new URL(form.action, page.url).href, { method: 'POST', form: { ...form.fields, code: await totpAt(key, t.clock.now()) } });
  } else {
    page = await submitMfa(browser, expectMfaChallenge(page), 'totp', { code: await totpAt(secret, t.clock.now()) });
  }
  const callback = await continueToClient(browser, page);
  return expectTokens(await redeemCode(t, app, callback.get('code')!, verifier));
}
