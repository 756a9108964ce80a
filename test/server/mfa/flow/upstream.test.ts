/**
 * Issue 7 acceptance: the MFA policy applies after an upstream sign-in too. A user signs in
 * through "GitHub" (the local fake, over real HTTP); once their account has an authenticator app,
 * the next sign-in through GitHub asks for its code before any session or code exists.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { github } from '../../../../src/client/index.js';
import { startFakeGitHub, type FakeGitHub } from '../../../fakes/fake-github.js';
import {
  authorizeParams,
  authorizeUrl,
  Browser,
  expectPage,
  expectTokens,
  pkce,
  readIdToken,
  redeemCode,
  startFlow,
  type Flow,
  type Page,
} from '../../../helpers/flow.js';
import { FakeClock } from '../../../helpers/fake-clock.js';
import { continueToClient, expectMfaChallenge, factorContext, freshTotp, giveTotp, setsSessionCookie, submitMfa } from '../../../helpers/mfa.js';
import { ISSUER } from '../../../helpers/server.js';

let fake: FakeGitHub;
let flow: Flow;
let clock: FakeClock;

beforeAll(async () => {
  fake = await startFakeGitHub({ callbackUrl: `${ISSUER}/upstream/github/callback` });
  // Real time: the fake provider keeps its own clock.
  clock = new FakeClock(Date.now());
  flow = await startFlow({
    clock,
    // The first GitHub sign-in creates the account: only while sign-up is open.
    accounts: { signUp: 'open' },
    upstreams: [
      {
        id: 'github',
        label: 'GitHub',
        provider: github({ baseUrl: fake.baseUrl }),
        clientId: fake.clientId,
        clientSecret: fake.clientSecret,
        allowInsecureRequests: true,
      },
    ],
  });
});

afterAll(async () => {
  await fake?.close();
});

/** "Continue with GitHub" from the login page; GitHub approves at once and sends the browser back. */
async function throughGitHub(browser: Browser): Promise<{ page: Page; verifier: string }> {
  const { verifier, challenge } = pkce();
  const login = expectPage(await browser.open(authorizeUrl(flow.server, authorizeParams(flow.client, challenge))), 'login');
  const away = await browser.submit(login, {}, { actionPart: '/upstream/github' });
  expect(away.location?.origin).toBe(new URL(fake.baseUrl).origin);
  const atGitHub = await fetch(away.location!, { redirect: 'manual' });
  const back = atGitHub.headers.get('location');
  expect(back?.startsWith(`${ISSUER}/upstream/github/callback`)).toBe(true);
  return { page: await browser.open(back!), verifier };
}

async function claimsOf(browser: Browser, page: Page, verifier: string) {
  const callback = await continueToClient(browser, page);
  const tokens = await expectTokens(await redeemCode(flow.server, flow.client, callback.get('code')!, verifier));
  return readIdToken(tokens.id_token!).claims;
}

describe('MFA after an upstream sign-in', () => {
  let sub: string;

  it('without a factor, signing in through GitHub needs nothing more (amr fed)', async () => {
    const browser = new Browser(flow.server);
    const { page, verifier } = await throughGitHub(browser);
    const claims = await claimsOf(browser, page, verifier);
    expect(claims.amr).toEqual(['fed']);
    sub = claims.sub!;
    expect((await flow.server.store.users.findByIdentity('github', String(fake.user.id)))?.id).toBe(sub);
  });

  it('with an authenticator app, GitHub is the first factor only: the code is asked for next, then amr fed otp mfa', async () => {
    const { secret, confirmedAt } = await giveTotp(factorContext(flow.server.store, clock), sub);
    const browser = new Browser(flow.server);
    const { page, verifier } = await throughGitHub(browser);
    expectMfaChallenge(page);
    expect(browser.history.some(setsSessionCookie)).toBe(false);

    const next = await submitMfa(browser, page, 'totp', { code: await freshTotp(secret, confirmedAt, clock.now()) });
    expect(setsSessionCookie(browser.history.find((entry) => entry.url.endsWith('/mfa'))!)).toBe(true);
    const claims = await claimsOf(browser, next, verifier);
    expect(claims.sub).toBe(sub);
    expect(claims.amr).toEqual(expect.arrayContaining(['fed', 'otp', 'mfa']));
    expect(claims.acr).toBe('2');
  });
});
