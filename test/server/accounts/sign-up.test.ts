/**
 * Sign-up and email verification (issue 17 items 1 and 3) through the fetch handler: the form and
 * its policies, proof of work, the code and the link, `prompt=create`, a verified address required
 * at sign-in, the same answers for a taken address, and the limits under concurrency on every store.
 */
import { solveChallenge } from 'altcha-lib/v1';
import { performance } from 'node:perf_hooks';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { PowChallenge } from '../../../src/server/protection/proof-of-work.js';
import { DEFAULT_RATE_LIMITS } from '../../../src/server/protection/rate-limits.js';
import { closeOutboxFlows, startOutboxFlow, waitForEmail, type OutboxFlow as SignUpFlow } from '../../helpers/accounts.js';
import { BACKENDS, closeBackends } from '../../helpers/backends.js';
import { FakeClock } from '../../helpers/fake-clock.js';
import {
  authorizeParams,
  authorizeUrl,
  Browser,
  callbackParams,
  expectTokens,
  findForm,
  normalisePage,
  pkce,
  readIdToken,
  redeemCode,
  submitLogin,
  type Flow,
  type Page,
} from '../../helpers/flow.js';
import type { TestServerOptions } from '../../helpers/server.js';

const PASSWORD = 'correct horse battery staple';

afterEach(closeOutboxFlows);
afterAll(closeBackends);

/** {@link startOutboxFlow} on the real time (proof of work signs it), with sign-up open unless `options.accounts` say otherwise. */
const signUpFlow = (options: TestServerOptions = {}): Promise<SignUpFlow> =>
  startOutboxFlow({ clock: new FakeClock(Date.now()), ...options, accounts: { signUp: 'open', ...options.accounts } });

/** Opens an authorization request from the flow's client: the login page (or what `overrides` lead to). */
async function openAuthorize(flow: Flow, browser: Browser, overrides: Record<string, string> = {}): Promise<{ page: Page; verifier: string }> {
  const { verifier, challenge } = pkce();
  const page = await browser.open(authorizeUrl(flow.server, authorizeParams(flow.client, challenge, overrides)));
  return { page, verifier };
}

/** The login page's "Create an account", followed. */
async function openSignUp(flow: Flow, browser: Browser): Promise<{ page: Page; verifier: string }> {
  const { page: login, verifier } = await openAuthorize(flow, browser);
  const link = /href="([^"]*\/signup)"/.exec(login.body)?.[1];
  if (!link) throw new Error(`no "Create an account" link:\n${login.body.slice(0, 800)}`);
  return { page: await browser.open(link), verifier };
}

/** A solved proof of work for the form, as pow.js posts it. */
async function solvedPow(flow: Flow): Promise<string> {
  const challenge = (await (await flow.server.get('/pow/challenge')).json()) as PowChallenge;
  const solution = await solveChallenge(challenge.challenge, challenge.salt, challenge.algorithm, challenge.maxnumber).promise;
  const { algorithm, salt, signature } = challenge;
  return Buffer.from(JSON.stringify({ algorithm, challenge: challenge.challenge, number: solution!.number, salt, signature })).toString('base64');
}

const fields = (email: string, extra: Record<string, string> = {}) => ({ email, name: 'Carol Danvers', password: PASSWORD, ...extra });

/** The text of the page's alert, or undefined. */
const alertText = (page: Page) => /role="alert">[\s\S]*?<p>([^<]*)<\/p>/.exec(page.body)?.[1];

/** A page with the per-response values (nonce, CSRF, interaction ids) made equal. */
const normalised = (body: string) => normalisePage(body).replace(/\/interaction\/[A-Za-z0-9_-]{32}/g, '/interaction/…');

describe('sign-up with a code, in the same browser', () => {
  it('creates a verified account, signs it in and continues to consent and the client; the ID token says email_verified', async () => {
    const flow = await signUpFlow({ accounts: { proofOfWork: 2000, signUpClaims: ['given_name', 'website'] } });
    const { browser, server } = flow;
    const { page: form, verifier } = await openSignUp(flow, browser);
    expect(form.status).toBe(200);
    expect(form.body).toContain('autocomplete="new-password"');
    expect(form.body).toContain('At least 8 characters');
    expect(form.body).toContain('data-pow="/pow/challenge"');
    expect(form.headers.get('content-security-policy')).toContain("script-src 'self'");
    const verify = await browser.submit(form, {
      ...fields('Carol@Example.com'),
      given_name: 'Carol',
      website: 'https://carol.example',
      pow: await solvedPow(flow),
    });
    expect(verify.status).toBe(200);
    expect(verify.url).toMatch(/\/interaction\/[^/]+\/verify-email$/);
    expect(verify.body).toContain('c•••@example.com');
    const email = await waitForEmail(flow.outbox, 'carol@example.com', 'verify_email');
    expect(email.code).toMatch(/^\d{6}$/);
    expect(email.link).toMatch(/\/verify-email\?token=[A-Za-z0-9_-]{43}$/);
    // Nothing exists before the address is confirmed.
    expect(await server.store.users.findByLogin('carol@example.com')).toBeUndefined();

    const consent = await browser.submit(verify, { code: email.code }, { actionPart: '/verify-email' });
    expect(consent.body).toContain('name="decision"');
    const done = await browser.submit(consent, {}, { button: 'approve' });
    const code = callbackParams(done).get('code')!;
    const tokens = await expectTokens(await redeemCode(server, flow.client, code, verifier));
    const { claims } = readIdToken(tokens.id_token!);
    const user = (await server.store.users.findByLogin('carol@example.com'))!;
    expect(user).toMatchObject({
      username: 'carol',
      email: 'carol@example.com',
      emailVerified: true,
      profile: { name: 'Carol Danvers', given_name: 'Carol', website: 'https://carol.example' },
    });
    expect(user.passwordHash).toMatch(/^\$argon2id\$/);
    expect(claims).toMatchObject({ sub: user.id, amr: ['pwd'] });
    const userinfo = (await (await server.get('/userinfo', { headers: { Authorization: `Bearer ${tokens.access_token}` } })).json()) as Record<string, unknown>;
    expect(userinfo.sub).toBe(user.id);
    const types = (await server.store.audit.list()).map((event) => event.type);
    expect(types).toEqual(expect.arrayContaining(['signup.started', 'user.signed_up', 'login.succeeded']));
    // Neither the password nor the code is in the audit log.
    const details = JSON.stringify(await server.store.audit.list());
    expect(details).not.toContain(PASSWORD);
    expect(details).not.toContain(email.code);
  });

  it('ID token and UserInfo carry email_verified true with the email scope', async () => {
    const flow = await signUpFlow();
    const { browser, server } = flow;
    const { verifier, challenge } = pkce();
    const login = await browser.open(authorizeUrl(server, authorizeParams(flow.client, challenge, { scope: 'openid email' })));
    const form = await browser.open(/href="([^"]*\/signup)"/.exec(login.body)![1]!);
    const verify = await browser.submit(form, fields('dana@example.com'));
    const email = await waitForEmail(flow.outbox, 'dana@example.com', 'verify_email');
    const consent = await browser.submit(verify, { code: email.code }, { actionPart: '/verify-email' });
    const done = await browser.submit(consent, {}, { button: 'approve' });
    const tokens = await expectTokens(await redeemCode(server, flow.client, callbackParams(done).get('code')!, verifier));
    expect(readIdToken(tokens.id_token!).claims).toMatchObject({ email: 'dana@example.com', email_verified: true });
    const userinfo = (await (await server.get('/userinfo', { headers: { Authorization: `Bearer ${tokens.access_token}` } })).json()) as Record<string, unknown>;
    expect(userinfo).toMatchObject({ email: 'dana@example.com', email_verified: true });
  });

  it('a wrong code says the same as an expired one; after five tries even the right code is refused', async () => {
    const flow = await signUpFlow();
    const { page: form } = await openSignUp(flow, flow.browser);
    const verify = await flow.browser.submit(form, fields('erin@example.com'));
    const email = await waitForEmail(flow.outbox, 'erin@example.com', 'verify_email');
    const wrong = email.code === '000000' ? '111111' : '000000';
    let page = verify;
    for (let i = 0; i < 5; i += 1) {
      page = await flow.browser.submit(page, { code: wrong }, { actionPart: '/verify-email' });
      expect(page.status).toBe(400);
      expect(alertText(page)).toBe('That code is not right, or it has expired. Check the newest email, or send a new code.');
    }
    const refused = await flow.browser.submit(page, { code: email.code }, { actionPart: '/verify-email' });
    expect(alertText(refused)).toBe(alertText(page));
    expect(await flow.server.store.users.findByLogin('erin@example.com')).toBeUndefined();
  });
});

describe('sign-up in the language of the sign-in (issue 21)', () => {
  it('ui_locales=de: the sign-up form and "Check your email" are German, and a wrong code is refused in German', async () => {
    const flow = await signUpFlow();
    const { browser } = flow;
    const { page: login } = await openAuthorize(flow, browser, { ui_locales: 'de' });
    const form = await browser.open(/href="([^"]*\/signup)"/.exec(login.body)![1]!);
    expect(form.body).toContain('<html lang="de" dir="ltr">');
    expect(form.body).toContain('<h1>Konto erstellen</h1>');
    expect(form.body).toContain('Sie haben schon ein Konto? <a href=');
    const verify = await browser.submit(form, fields('dora@example.com'));
    expect(verify.body).toContain('<html lang="de" dir="ltr">');
    expect(verify.body).toContain('Wir haben einen 6-stelligen Code an <strong>d•••@example.com</strong> gesendet.');
    const code = (await waitForEmail(flow.outbox, 'dora@example.com', 'verify_email')).code;
    const wrong = await browser.submit(verify, { code: code === '000000' ? '111111' : '000000' });
    expect(alertText(wrong)).toBe('Dieser Code ist falsch oder abgelaufen. Prüfen Sie die neueste E-Mail oder lassen Sie einen neuen Code senden.');
  });
});

describe('sign-up with the emailed link, from another browser', () => {
  it('opening the link changes nothing; confirming creates the account once; the link then says it expired', async () => {
    const flow = await signUpFlow();
    const { page: form } = await openSignUp(flow, flow.browser);
    await flow.browser.submit(form, fields('fay@example.com'));
    const email = await waitForEmail(flow.outbox, 'fay@example.com', 'verify_email');
    const phone = new Browser(flow.server);
    const confirm = await phone.open(email.link!);
    expect(confirm.status).toBe(200);
    expect(confirm.body).toContain('Confirm your email address');
    expect(await flow.server.store.users.findByLogin('fay@example.com')).toBeUndefined();
    const confirmed = await phone.submit(confirm);
    expect(confirmed.status).toBe(200);
    expect(confirmed.body).toContain('Email confirmed');
    expect((await flow.server.store.users.findByLogin('fay@example.com'))?.emailVerified).toBe(true);
    expect((await phone.open(email.link!)).body).toContain('Link expired');
    // The code died with the link.
    const verify = flow.browser.history.findLast((page) => page.url.endsWith('/verify-email'))!;
    expect(alertText(await flow.browser.submit(verify, { code: email.code }, { actionPart: '/verify-email' }))).toContain('not right');
    // A confirm form without the page's CSRF token is refused.
    expect((await phone.submit(confirm, {}, { omit: ['csrf'] })).status).toBe(403);
  });

  it('a link for an address someone took meanwhile says so, and creates nothing', async () => {
    const flow = await signUpFlow();
    const { page: form } = await openSignUp(flow, flow.browser);
    await flow.browser.submit(form, fields('gus@example.com'));
    const email = await waitForEmail(flow.outbox, 'gus@example.com', 'verify_email');
    const other = await signUpFlowUserLike(flow, 'gus@example.com');
    const phone = new Browser(flow.server);
    const page = await phone.submit(await phone.open(email.link!));
    expect(page.status).toBe(409);
    expect(page.body).toContain('This address already has an account');
    expect((await flow.server.store.users.findByLogin('gus@example.com'))?.id).toBe(other);
  });

  it("an address whose name part is another account's username: the account is made, under the next username", async () => {
    const flow = await signUpFlow();
    const { page: form } = await openSignUp(flow, flow.browser);
    await flow.browser.submit(form, fields('Alice@Elsewhere.test'));
    const email = await waitForEmail(flow.outbox, 'alice@elsewhere.test', 'verify_email');
    const phone = new Browser(flow.server);
    expect((await phone.submit(await phone.open(email.link!))).body).toContain('Email confirmed');
    expect(await flow.server.store.users.findByLogin('alice@elsewhere.test')).toMatchObject({ username: 'alice-2', email: 'alice@elsewhere.test' });
    expect((await flow.server.store.users.findByLogin('alice'))?.email).toBe('alice@example.com');
  });
});

/** An account created by an operator with `email`, behind a pending sign-up's back; its id. */
async function signUpFlowUserLike(flow: Flow, email: string): Promise<string> {
  const { createUser } = await import('../../../src/server/admin/users.js');
  return (await createUser(flow.server.store, { username: 'gus', email, emailVerified: false }, flow.server.clock.now())).id;
}

describe('sign-up policies', () => {
  it("'off': no link on the login page, and the sign-up pages are a 404 page", async () => {
    const flow = await signUpFlow({ accounts: { signUp: 'off' } });
    const { page: login } = await openAuthorize(flow, flow.browser);
    expect(login.body).not.toContain('/signup');
    const id = /\/interaction\/([A-Za-z0-9_-]{32})\/login/.exec(login.body)![1]!;
    for (const path of [`/interaction/${id}/signup`, '/signup']) {
      const page = await flow.browser.open(path);
      expect(page.status).toBe(404);
      expect(page.headers.get('content-type')).toContain('text/html');
    }
    expect((await flow.browser.open(`/interaction/${id}/signup`, { form: { csrf: 'x', ...fields('hal@example.com') } })).status).toBe(404);
  });

  it("'invite': a page saying sign-up is by invitation, with the way back to sign in", async () => {
    const flow = await signUpFlow({ accounts: { signUp: 'invite' } });
    const { page: login } = await openAuthorize(flow, flow.browser);
    const id = /\/interaction\/([A-Za-z0-9_-]{32})\/login/.exec(login.body)![1]!;
    const page = await flow.browser.open(`/interaction/${id}/signup`);
    expect(page.status).toBe(403);
    expect(page.body).toContain('Sign-up is by invitation');
    expect(page.body).toContain(`href="/interaction/${id}"`);
  });

  it('/signup without a client starts an account sign-in at its sign-up form; the account ends at /account', async () => {
    const flow = await signUpFlow();
    const page = await flow.browser.open('/signup');
    expect(page.url).toMatch(/\/interaction\/[A-Za-z0-9_-]{32}\/signup$/);
    expect(page.body).toContain('Create your account');
    const verify = await flow.browser.submit(page, fields('ida@example.com'));
    const email = await waitForEmail(flow.outbox, 'ida@example.com', 'verify_email');
    const account = await flow.browser.submit(verify, { code: email.code }, { actionPart: '/verify-email' });
    expect(account.url).toBe(`${flow.server.issuer}/account`);
    expect(account.body).toContain('Your account');
  });

  it('allowedEmailDomains: only those domains, exactly and case-insensitively', async () => {
    const flow = await signUpFlow({ accounts: { allowedEmailDomains: ['Example.com'] } });
    for (const [email, accepted] of [
      ['jo@EXAMPLE.com', true],
      ['jo@sub.example.com', false],
      ['jo@example.com.evil.test', false],
      ['jo@other.test', false],
    ] as const) {
      const { page: form } = await openSignUp(flow, flow.browser);
      const answer = await flow.browser.submit(form, fields(email));
      expect(answer.url.endsWith('/verify-email'), email).toBe(accepted);
      if (!accepted) expect(alertText(answer)).toBe('Accounts can only be created with an email address at an allowed domain.');
    }
  });
});

describe('bad input: the form again (never a 500), no input echoed in the message', () => {
  it.each([
    { case: 'no email', values: { email: '' }, message: 'Enter a valid email address, such as name@example.com.' },
    { case: 'not an address', values: { email: '<script>x@y' }, message: 'Enter a valid email address, such as name@example.com.' },
    { case: 'no name', values: { name: '' }, message: 'Enter your name.' },
    { case: 'a 10 kB name', values: { name: 'N'.repeat(10_000) }, message: 'Enter a name of at most 200 characters.' },
    { case: 'a short password', values: { password: 'short' }, message: 'Choose a password of at least 8 characters.' },
    { case: 'a common password', values: { password: 'password123' }, message: /^This password is too easy to guess\./ },
    { case: 'the own address as password', values: { password: 'kimkim@example.com' }, message: /too easy to guess/ },
    { case: 'no password field', values: { password: undefined }, message: 'Choose a password of at least 8 characters.' },
  ])('$case', async ({ values, message }) => {
    const flow = await signUpFlow();
    const { page: form } = await openSignUp(flow, flow.browser);
    const posted = Object.fromEntries(Object.entries({ ...fields('kimkim@example.com'), ...values }).filter(([, value]) => value !== undefined)) as Record<
      string,
      string
    >;
    const page = await flow.browser.submit(form, posted);
    expect(page.status).toBe(400);
    expect(alertText(page)).toMatch(message);
    expect(page.body).not.toContain('<script>x');
    expect(page.body).not.toContain(PASSWORD);
    expect(page.body).toMatch(/aria-describedby="[^"]*signup-error"/);
  });

  it('a wrong CSRF token is a 403 page; a missing or replayed proof of work is the form with a clear message', async () => {
    const flow = await signUpFlow({ accounts: { proofOfWork: 1000 } });
    const { page: form } = await openSignUp(flow, flow.browser);
    const forged = await flow.browser.submit(form, { ...fields('lee@example.com'), csrf: 'forged' });
    expect(forged.status).toBe(403);
    const missing = await flow.browser.submit(form, fields('lee@example.com'));
    expect(missing.status).toBe(400);
    expect(alertText(missing)).toMatch(/^Your browser could not be checked/);
    expect(missing.body).toContain('value="lee@example.com"');
    const pow = await solvedPow(flow);
    expect((await flow.browser.submit(form, { ...fields('lee@example.com'), pow })).url).toMatch(/\/verify-email$/);
    const { page: again } = await openSignUp(flow, flow.browser);
    expect(alertText(await flow.browser.submit(again, { ...fields('lee@example.com'), pow }))).toMatch(/^Your browser could not be checked/);
  });

  it('the challenge is JSON, never cached; pow.js is served as a script; both 404 / absent when proof of work is off', async () => {
    const flow = await signUpFlow({ accounts: { proofOfWork: 1000 } });
    const challenge = await flow.server.get('/pow/challenge');
    expect(challenge.status).toBe(200);
    expect(challenge.headers.get('cache-control')).toBe('no-store');
    expect(await challenge.json()).toMatchObject({ algorithm: 'SHA-256', maxnumber: 1000 });
    const script = await flow.server.get('/assets/pow.js');
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await script.text()).toContain('form[data-pow]');
    const off = await signUpFlow();
    expect((await off.server.get('/pow/challenge')).status).toBe(404);
    const { page } = await openSignUp(off, off.browser);
    expect(page.body).not.toContain('data-pow');
  });
});

describe('prompt=create (OpenID Connect Prompt Create 1.0)', () => {
  it('open: listed in discovery, and the request starts at the sign-up form, with a way to sign in instead', async () => {
    const flow = await signUpFlow();
    const metadata = (await (await flow.server.get('/.well-known/openid-configuration')).json()) as { prompt_values_supported: string[] };
    expect(metadata.prompt_values_supported).toContain('create');
    const { page } = await openAuthorize(flow, flow.browser, { prompt: 'create' });
    expect(page.url).toMatch(/\/interaction\/[A-Za-z0-9_-]{32}\/signup$/);
    const signIn = await flow.browser.open(/Already have an account\? <a href="([^"]+)"/.exec(page.body)![1]!);
    expect(signIn.body).toContain('Sign in</h1>');
    await submitLogin(flow.browser, signIn, flow.users.alice);
  });

  it('with none, or while sign-up is not open: invalid_request to the client; not in discovery', async () => {
    const open = await signUpFlow();
    const withNone = callbackParams((await openAuthorize(open, open.browser, { prompt: 'create none' })).page);
    expect(withNone.get('error')).toBe('invalid_request');
    for (const signUp of ['off', 'invite'] as const) {
      const flow = await signUpFlow({ accounts: { signUp } });
      const metadata = (await (await flow.server.get('/.well-known/openid-configuration')).json()) as { prompt_values_supported: string[] };
      expect(metadata.prompt_values_supported).toEqual(['none', 'login', 'consent', 'select_account']);
      const params = callbackParams((await openAuthorize(flow, flow.browser, { prompt: 'create' })).page);
      expect(params.get('error')).toBe('invalid_request');
    }
  });
});

describe('no enumeration: a taken address gets the same answers', () => {
  /** One sign-up for `email` on a fresh interaction: the POST's answer, its time, and the page it leads to. */
  async function signUpOnce(flow: SignUpFlow, email: string) {
    const browser = new Browser(flow.server);
    const { page: form } = await openSignUp(flow, browser);
    const action = new URL(findForm(form).action, form.url).href;
    const started = performance.now();
    const response = await flow.server.server.fetch(
      new Request(action, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: [...browser.cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
        body: new URLSearchParams({ ...findForm(form).fields, ...fields(email) }),
      }),
    );
    const ms = performance.now() - started;
    const verify = await browser.open(response.headers.get('location')!);
    return { status: response.status, location: normalised(response.headers.get('location')!), ms, verify, browser };
  }

  it('sign-up and resend answer byte for byte alike, and as fast (medians of interleaved tries)', async () => {
    const generous = { points: 1000, seconds: 3600 };
    const flow = await signUpFlow({
      protection: { rateLimits: { signUpPerIp: generous, signUpGlobal: generous, codesPerDestination: generous, accountEmailsPerIp: generous } },
    });
    const times: Record<'taken' | 'free', number[]> = { taken: [], free: [] };
    const answers: Record<'taken' | 'free', Set<string>> = { taken: new Set(), free: new Set() };
    const lastVerify: Record<'taken' | 'free', { page: Page; browser: Browser } | undefined> = { taken: undefined, free: undefined };
    for (let i = 0; i < 20; i += 1) {
      for (const kind of i % 2 === 0 ? (['taken', 'free'] as const) : (['free', 'taken'] as const)) {
        const email = kind === 'taken' ? 'alice@example.com' : `amy${i}@example.com`;
        const result = await signUpOnce(flow, email);
        times[kind].push(result.ms);
        answers[kind].add(JSON.stringify([result.status, result.location, result.verify.status, normalised(result.verify.body)]));
        lastVerify[kind] = { page: result.verify, browser: result.browser };
        // The work after the answer is done before the next try (an email, of one kind or the other).
        await waitForEmail(flow.outbox, email, kind === 'taken' ? 'sign_up_existing' : 'verify_email', kind === 'taken' ? Math.floor(i) + 1 : 1);
      }
    }
    expect(answers.taken.size).toBe(1);
    expect([...answers.free]).toEqual([...answers.taken]);
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    const [taken, free] = [median(times.taken), median(times.free)];
    expect(Math.abs(taken - free), `medians ${taken.toFixed(1)} ms and ${free.toFixed(1)} ms`).toBeLessThan(Math.max(15, 0.25 * Math.max(taken, free)));

    // Resend: the same notice for both.
    const resent = await Promise.all(
      (['taken', 'free'] as const).map(async (kind) => {
        const { page, browser } = lastVerify[kind]!;
        return browser.submit(page, {}, { actionPart: '/resend' });
      }),
    );
    expect(resent.map((page) => page.status)).toEqual([200, 200]);
    expect(normalised(resent[0]!.body)).toBe(normalised(resent[1]!.body));
    expect(resent[0]!.body).toContain('If the address can receive email, a new code is on its way.');
    // Within the minute: "once a minute", for both.
    const again = await Promise.all(
      (['taken', 'free'] as const).map((kind) => lastVerify[kind]!.browser.submit(lastVerify[kind]!.page, {}, { actionPart: '/resend' })),
    );
    expect(normalised(again[0]!.body)).toBe(normalised(again[1]!.body));
    expect(again[0]!.body).toContain('A new code can be sent once a minute.');
    // The owner of the taken address was told, and no account or pending sign-up was made for it.
    await waitForEmail(flow.outbox, 'alice@example.com', 'sign_up_existing', 21);
    expect((await flow.server.store.users.findByLogin('alice@example.com'))?.id).toBe(flow.users.alice.record.id);
  }, 120_000);
});

describe('a verified address required at sign-in (accounts.requireVerifiedEmail)', () => {
  it('bob (unverified) gets a code after his password, and goes on once it is right; his address is then verified', async () => {
    const flow = await signUpFlow({ accounts: { signUp: 'off', requireVerifiedEmail: true } });
    const { page: login, verifier } = await openAuthorize(flow, flow.browser);
    const verify = await submitLogin(flow.browser, login, flow.users.bob);
    expect(verify.body).toContain('Check your email');
    expect(verify.body).toContain('b•••@example.com');
    const email = await waitForEmail(flow.outbox, 'bob@example.com', 'verify_email');
    const wrong = await flow.browser.submit(verify, { code: email.code === '000000' ? '111111' : '000000' }, { actionPart: '/verify-email' });
    expect(wrong.status).toBe(400);
    const consent = await flow.browser.submit(wrong, { code: email.code }, { actionPart: '/verify-email' });
    const done = await flow.browser.submit(consent, {}, { button: 'approve' });
    const tokens = await expectTokens(await redeemCode(flow.server, flow.client, callbackParams(done).get('code')!, verifier));
    expect(tokens.id_token).toBeDefined();
    expect((await flow.server.store.users.get(flow.users.bob.record.id))?.emailVerified).toBe(true);
  });

  it('prompt=none for an unverified user: interaction_required', async () => {
    const flow = await signUpFlow({ accounts: { signUp: 'off', requireVerifiedEmail: true } });
    const { page: login } = await openAuthorize(flow, flow.browser);
    await submitLogin(flow.browser, login, flow.users.bob);
    const params = callbackParams((await openAuthorize(flow, flow.browser, { prompt: 'none' })).page);
    expect(params.get('error')).toBe('interaction_required');
  });

  it('a user without an email address cannot finish: a clear page', async () => {
    const flow = await signUpFlow({ accounts: { signUp: 'off', requireVerifiedEmail: true } });
    const { createUser } = await import('../../../src/server/admin/users.js');
    await createUser(flow.server.store, { username: 'noemail', password: 'no-email-password-1' }, flow.server.clock.now());
    const { page: login } = await openAuthorize(flow, flow.browser);
    const page = await flow.browser.submit(login, { username: 'noemail', password: 'no-email-password-1' });
    expect(page.status).toBe(403);
    expect(page.body).toContain('An email address is needed');
  });
});

describe.each(BACKENDS)('concurrency on $name', (backend) => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    // The server before its store.
    await closeOutboxFlows();
    await close?.();
    close = undefined;
  });

  async function backendFlow(options: TestServerOptions = {}): Promise<SignUpFlow> {
    const clock = new FakeClock(Date.now());
    const opened = await backend.open(clock);
    close = opened.close;
    return signUpFlow({ ...opened.serverOptions, ...options, clock, store: opened.store });
  }

  it(`100 sign-ups at once from one address: at most signUpPerIp.points (${DEFAULT_RATE_LIMITS.signUpPerIp.points}) get past the limit`, async () => {
    const flow = await backendFlow();
    // 100 sign-in requests, each in its own browser (one address): every post reaches the limit.
    const forms = await Promise.all(
      Array.from({ length: 100 }, async () => {
        const browser = new Browser(flow.server);
        return { browser, page: (await openSignUp(flow, browser)).page };
      }),
    );
    const answers = await Promise.all(forms.map(({ browser, page }, i) => browser.submit(page, fields(`many${i}@example.com`))));
    const started = answers.filter((page) => page.url.endsWith('/verify-email'));
    expect(started.length).toBeGreaterThanOrEqual(1);
    expect(started.length).toBeLessThanOrEqual(DEFAULT_RATE_LIMITS.signUpPerIp.points);
    // Every other one is refused by the limit, at once: never a 503 (a deadline missed), never a 500.
    const others = answers.filter((page) => !started.includes(page));
    expect(others.map((page) => page.status)).toEqual(others.map(() => 429));
    const begun = (await flow.server.store.audit.list()).filter((event) => event.type === 'signup.started');
    expect(begun).toHaveLength(started.length);
  }, 60_000);

  it('100 tries of a code at once: at most 5 are compared, then the right code is refused too', async () => {
    const flow = await backendFlow();
    const { page: form } = await openSignUp(flow, flow.browser);
    const verify = await flow.browser.submit(form, fields('race@example.com'));
    const email = await waitForEmail(flow.outbox, 'race@example.com', 'verify_email');
    const wrong = email.code === '000000' ? '111111' : '000000';
    const answers = await Promise.all(Array.from({ length: 100 }, () => flow.browser.submit(verify, { code: wrong }, { actionPart: '/verify-email' })));
    expect(answers.every((page) => page.status === 400)).toBe(true);
    const compared = (await flow.server.store.audit.list()).filter((event) => event.type === 'email.verification_failed' && event.details.reason === 'wrong');
    expect(compared.length).toBeLessThanOrEqual(5);
    const right = await flow.browser.submit(verify, { code: email.code }, { actionPart: '/verify-email' });
    expect(right.status).toBe(400);
    expect(await flow.server.store.users.findByLogin('race@example.com')).toBeUndefined();
  }, 60_000);

  it('one link confirmed 30 times at once creates exactly one account', async () => {
    const flow = await backendFlow();
    const { page: form } = await openSignUp(flow, flow.browser);
    await flow.browser.submit(form, fields('link-race@example.com'));
    const email = await waitForEmail(flow.outbox, 'link-race@example.com', 'verify_email');
    const phone = new Browser(flow.server);
    const confirm = await phone.open(email.link!);
    const answers = await Promise.all(Array.from({ length: 30 }, () => phone.submit(confirm)));
    expect(answers.filter((page) => page.body.includes('Email confirmed'))).toHaveLength(1);
    expect(answers.every((page) => page.status < 500)).toBe(true);
    const users = (await flow.server.store.users.list()).filter((user) => user.email === 'link-race@example.com');
    expect(users).toHaveLength(1);
  }, 60_000);
});
