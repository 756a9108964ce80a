/**
 * `acr_values` (OIDC Core §3.1.2.1) and an essential `acr` claim in the `claims` parameter (§5.5,
 * §5.5.1.1) are preference lists: any value the server can meet satisfies them, so a second factor
 * is demanded only when every known value requested needs one. Unknown values are ignored; an
 * essential `acr` with none known fails the request. The MFA policy is the default (`optional`),
 * bob has no factor, and the flow client does not require MFA unless said.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  APP_REDIRECT,
  authorizeParams,
  authorizeUrl,
  Browser,
  callbackParams,
  expectPage,
  expectTokens,
  pkce,
  promptNone,
  readIdToken,
  redeemCode,
  registerFlowClient,
  signIn,
  startFlow,
  submitLogin,
  testUsers,
  type AuthorizeParams,
  type Flow,
  type FlowClient,
  type Page,
} from '../../helpers/flow.js';
import { FakeClock, T0 } from '../../helpers/fake-clock.js';
import { isMfaEnrolment, setupKey, totpAt } from '../../helpers/mfa.js';
import { parseForms } from '../../helpers/user-agent.js';
import { createUser } from '../../../src/server/admin/users.js';

beforeAll(async () => {
  await testUsers();
});

let flow: Flow;
let payroll: FlowClient;

beforeAll(async () => {
  flow = await startFlow({ clock: new FakeClock(T0 + 15_000) });
  payroll = await registerFlowClient(flow.server, { name: 'Payroll', requireMfa: true });
});

/** Opens a request of `client` in a fresh browser; the browser, its first page and the PKCE verifier. */
async function open(overrides: AuthorizeParams, client: FlowClient = flow.client): Promise<{ browser: Browser; page: Page; verifier: string }> {
  const browser = new Browser(flow.server);
  const { verifier, challenge } = pkce();
  return { browser, page: await browser.open(authorizeUrl(flow.server, authorizeParams(client, challenge, overrides))), verifier };
}

/**
 * bob signs in with his password on a request with `overrides`: either a code (after consent,
 * when asked) with the ID token's claims, or the set-up of a second factor (`enrolment`).
 */
async function bobSignsIn(
  overrides: AuthorizeParams,
  client: FlowClient = flow.client,
): Promise<{ enrolment: true } | { enrolment: false; acr: unknown; amr: unknown }> {
  const { browser, page, verifier } = await open(overrides, client);
  let next = await submitLogin(browser, expectPage(page, 'login'), flow.users.bob);
  if (isMfaEnrolment(next)) return { enrolment: true };
  if (!next.location) next = await browser.submit(expectPage(next, 'consent'), {}, { button: 'approve' });
  const code = callbackParams(next).get('code');
  if (!code) throw new Error(`no code: ${next.location!.href}`);
  const { claims } = readIdToken((await expectTokens(await redeemCode(flow.server, client, code, verifier))).id_token!);
  expect(claims.sub).toBe(flow.users.bob.record.id);
  return { enrolment: false, acr: claims.acr, amr: claims.amr };
}

/** The callback of a request refused before any page. */
async function refused(overrides: AuthorizeParams): Promise<URLSearchParams> {
  const { page } = await open({ state: 'st-refused', ...overrides });
  expect(`${page.location?.origin}${page.location?.pathname}`).toBe(APP_REDIRECT);
  const callback = callbackParams(page);
  expect(callback.get('state')).toBe('st-refused');
  expect(callback.get('iss')).toBe(flow.server.issuer);
  expect(callback.get('code')).toBeNull();
  return callback;
}

const claims = (value: unknown) => JSON.stringify(value);
const PAPE_MFA = 'http://schemas.openid.net/pape/policies/2007/06/multi-factor';

describe('acr_values is a preference list (OIDC Core §3.1.2.1)', () => {
  it('acr_values="1 2" is met by a password sign-in of a user without a factor: a code, acr 1, amr pwd', async () => {
    expect(await bobSignsIn({ acr_values: '1 2' })).toEqual({ enrolment: false, acr: '1', amr: ['pwd'] });
  });

  it('acr_values="2 1" (order does not matter) is met by acr 1 too', async () => {
    expect(await bobSignsIn({ acr_values: '2 1' })).toEqual({ enrolment: false, acr: '1', amr: ['pwd'] });
  });

  it('acr_values="2" alone demands a second factor: bob sets one up after his password', async () => {
    expect(await bobSignsIn({ acr_values: '2' })).toEqual({ enrolment: true });
  });

  it('the PAPE multi-factor URI alone demands a second factor as well', async () => {
    expect(await bobSignsIn({ acr_values: PAPE_MFA })).toEqual({ enrolment: true });
  });

  it('unknown values are ignored: acr_values=urn:example:gold asks for no second factor', async () => {
    expect(await bobSignsIn({ acr_values: 'urn:example:gold' })).toEqual({ enrolment: false, acr: '1', amr: ['pwd'] });
  });

  it('an unknown value beside "2" does not soften it: acr_values="urn:example:gold 2" demands a second factor', async () => {
    expect(await bobSignsIn({ acr_values: 'urn:example:gold 2' })).toEqual({ enrolment: true });
  });

  it('on an existing password-only session, prompt=none with acr_values="1 2" gets a code at once (no step-up)', async () => {
    const browser = new Browser(flow.server);
    const other = await registerFlowClient(flow.server, { name: 'Preferences App' });
    const tokens = await signIn(browser, flow.server, other, flow.users.bob);
    expect(readIdToken(tokens.id_token!).claims.acr).toBe('1');
    expect((await promptNone(browser, flow.server, other, { acr_values: '1 2' })).get('code')).toEqual(expect.any(String));
    expect((await promptNone(browser, flow.server, other, { acr_values: '2' })).get('error')).toBe('login_required');
  });

  it('a client registered with requireMfa demands a second factor whatever acr_values says ("1", "1 2")', async () => {
    expect(await bobSignsIn({ acr_values: '1' }, payroll)).toEqual({ enrolment: true });
    expect(await bobSignsIn({ acr_values: '1 2' }, payroll)).toEqual({ enrolment: true });
  });
});

describe('an essential acr in the claims parameter (OIDC Core §5.5, §5.5.1.1)', () => {
  it('essential with values ["2"] demands a second factor', async () => {
    expect(await bobSignsIn({ claims: claims({ id_token: { acr: { essential: true, values: ['2'] } } }) })).toEqual({ enrolment: true });
  });

  it('essential with value "2" demands a second factor', async () => {
    expect(await bobSignsIn({ claims: claims({ id_token: { acr: { essential: true, value: '2' } } }) })).toEqual({ enrolment: true });
  });

  it('essential with values ["1", "2"] does not: a code, acr 1', async () => {
    expect(await bobSignsIn({ claims: claims({ id_token: { acr: { essential: true, values: ['1', '2'] } } }) })).toEqual({
      enrolment: false,
      acr: '1',
      amr: ['pwd'],
    });
  });

  it('an essential claim wins over a lenient acr_values: acr_values="1" with essential ["2"] demands a second factor', async () => {
    expect(await bobSignsIn({ acr_values: '1', claims: claims({ id_token: { acr: { essential: true, values: ['2'] } } }) })).toEqual({ enrolment: true });
  });

  it('not essential, the acr claim has no effect: values ["2"] without essential, or essential false', async () => {
    expect(await bobSignsIn({ claims: claims({ id_token: { acr: { values: ['2'] } } }) })).toEqual({ enrolment: false, acr: '1', amr: ['pwd'] });
    expect(await bobSignsIn({ claims: claims({ id_token: { acr: { essential: false, value: '2' } } }) })).toEqual({ enrolment: false, acr: '1', amr: ['pwd'] });
    // acr asked for the userinfo response (not the ID token), or acr: null (voluntary, §5.5.1): nothing demanded either.
    expect(await bobSignsIn({ claims: claims({ userinfo: { acr: { essential: true, values: ['2'] } } }) })).toEqual({
      enrolment: false,
      acr: '1',
      amr: ['pwd'],
    });
    expect(await bobSignsIn({ claims: claims({ id_token: { acr: null } }) })).toEqual({ enrolment: false, acr: '1', amr: ['pwd'] });
  });

  it('essential with only values this server cannot meet: access_denied to the client (redirect with state and iss), before any page', async () => {
    expect((await refused({ claims: claims({ id_token: { acr: { essential: true, values: ['urn:example:gold'] } } }) })).get('error')).toBe('access_denied');
    expect((await refused({ claims: claims({ id_token: { acr: { essential: true, value: 'urn:example:gold' } } }) })).get('error')).toBe('access_denied');
  });

  it('essential with an unknown value beside a known one is met as the known one says (values ["urn:example:gold", "1"]: a code, acr 1)', async () => {
    expect(await bobSignsIn({ claims: claims({ id_token: { acr: { essential: true, values: ['urn:example:gold', '1'] } } }) })).toEqual({
      enrolment: false,
      acr: '1',
      amr: ['pwd'],
    });
  });

  it('a claims parameter that is not a JSON object is invalid_request (redirect with state and iss): "[1]", "{", "null", "\\"x\\""', async () => {
    for (const value of ['[1]', '{', 'null', '"x"']) {
      const callback = await refused({ claims: value });
      expect(callback.get('error'), value).toBe('invalid_request');
    }
  });

  it('the ID token answers an essential acr with one of its values (OIDC Core 5.5.1.1): the PAPE URI after a second factor, "1" for a password sign-in', async () => {
    // A user of its own: setting up a factor would change bob for the other tests.
    const dora = await createUser(flow.server.store, { username: 'dora', email: 'dora@example.com', password: 'dora-password-12' }, T0);
    const { browser, page, verifier } = await open({ claims: claims({ id_token: { acr: { essential: true, values: [PAPE_MFA] } } }) });
    const enrol = await submitLogin(browser, expectPage(page, 'login'), { record: dora, username: 'dora', password: 'dora-password-12' });
    expect(isMfaEnrolment(enrol)).toBe(true);
    const form = parseForms(enrol.body).find((candidate) => candidate.action.endsWith('/mfa-enroll'))!;
    const codes = await browser.open(new URL(form.action, enrol.url).href, {
      method: 'POST',
      form: { ...form.fields, code: await totpAt(setupKey(enrol.body), T0 + 15_000) },
    });
    let next = await browser.submit(codes, {}, { actionPart: '/continue' });
    if (!next.location) next = await browser.submit(expectPage(next, 'consent'), {}, { button: 'approve' });
    const first = await expectTokens(await redeemCode(flow.server, flow.client, callbackParams(next).get('code')!, verifier));
    expect(readIdToken(first.id_token!).claims.acr).toBe(PAPE_MFA);

    // alice, with a password only, asked for "1" or the PAPE policy: "1" is met, and said.
    const alice = await open({ claims: claims({ id_token: { acr: { essential: true, values: ['1', PAPE_MFA] } } }) });
    let done = await submitLogin(alice.browser, expectPage(alice.page, 'login'), flow.users.alice);
    if (!done.location) done = await alice.browser.submit(expectPage(done, 'consent'), {}, { button: 'approve' });
    const tokens = await expectTokens(await redeemCode(flow.server, flow.client, callbackParams(done).get('code')!, alice.verifier));
    expect(readIdToken(tokens.id_token!).claims.acr).toBe('1');
  });
});
