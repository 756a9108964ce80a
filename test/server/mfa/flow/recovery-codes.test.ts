/**
 * Issue 7 acceptance, recovery codes: each of the ten codes shown at set-up signs in once, in
 * place of the authenticator app; a used code is refused; the account page counts what is left.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  authorizeParams,
  authorizeUrl,
  Browser,
  expectTokens,
  pkce,
  readIdToken,
  redeemCode,
  startFlow,
  submitLogin,
  type Flow,
} from '../../../helpers/flow.js';
import { FakeClock, T0 } from '../../../helpers/fake-clock.js';
import {
  continueToClient,
  enrolTotpOnAccount,
  expectMfaChallenge,
  isAccountPage,
  openAccount,
  setsSessionCookie,
  submitMfa,
  textOf,
  TOTP_STEP_MS,
  type TotpEnrolment,
} from '../../../helpers/mfa.js';

let flow: Flow;
let clock: FakeClock;
let enrolment: TotpEnrolment;
let account: Browser;

beforeAll(async () => {
  clock = new FakeClock(T0 + 15_000);
  flow = await startFlow({ clock });
  account = new Browser(flow.server);
  enrolment = await enrolTotpOnAccount(account, await openAccount(account, flow.users.alice), clock.now());
  clock.advance(TOTP_STEP_MS);
});

/** A sign-in at the client up to the second-factor page. */
async function toSecondFactor() {
  const browser = new Browser(flow.server);
  const { verifier, challenge } = pkce();
  const login = await browser.open(authorizeUrl(flow.server, authorizeParams(flow.client, challenge)));
  return { browser, verifier, page: expectMfaChallenge(await submitLogin(browser, login, flow.users.alice)) };
}

async function codesLeft(): Promise<string> {
  const page = await account.open('/account');
  expect(isAccountPage(page)).toBe(true);
  return /(\d+) codes? left/.exec(textOf(page.body))?.[0] ?? 'none';
}

describe('recovery codes', () => {
  it('the second-factor page offers a recovery code', async () => {
    const { page } = await toSecondFactor();
    expect(textOf(page.body)).toContain('Use a recovery code');
    expect(await codesLeft()).toBe('10 codes left');
  });

  it('a recovery code signs in once, in place of the app; the count drops to 9', async () => {
    const { browser, page, verifier } = await toSecondFactor();
    const next = await submitMfa(browser, page, 'recovery', { code: enrolment.recoveryCodes[0]! });
    expect(browser.history.some(setsSessionCookie)).toBe(true);
    const callback = await continueToClient(browser, next);
    const tokens = await expectTokens(await redeemCode(flow.server, flow.client, callback.get('code')!, verifier));
    const { claims } = readIdToken(tokens.id_token!);
    expect(claims.amr).toEqual(expect.arrayContaining(['pwd', 'mfa']));
    expect(claims.acr).toBe('2');
    expect(await codesLeft()).toBe('9 codes left');
  });

  it('refuses the same recovery code a second time', async () => {
    const { browser, page } = await toSecondFactor();
    const refused = await submitMfa(browser, page, 'recovery', { code: enrolment.recoveryCodes[0]! });
    expect(refused.status).toBe(401);
    expect(textOf(refused.body)).toContain('That code did not work');
    expect(browser.history.some(setsSessionCookie)).toBe(false);
    expect(await codesLeft()).toBe('9 codes left');
  });

  it('accepts another code typed in capitals without the dash; the count drops to 8', async () => {
    const { browser, page } = await toSecondFactor();
    const typed = enrolment.recoveryCodes[1]!.replace('-', ' ').toUpperCase();
    const next = await submitMfa(browser, page, 'recovery', { code: typed });
    expect((await continueToClient(browser, next)).get('code')).toEqual(expect.any(String));
    expect(await codesLeft()).toBe('8 codes left');
  });
});
