/**
 * Security issue, item 4: adding a sign-in method needs a recent sign-in, and one with the second
 * factor when the user already has one (ASVS V3.7.1, NIST SP 800-63B §6.1.2.1), so a stolen
 * session cookie cannot enrol the thief's own factor. Covers every "add" endpoint of the account
 * page (authenticator app, phone/email, recovery codes, passkey), the account page's "Sign in
 * again" button, the security notice email sent when a method is added, and the set-up offered
 * during sign-in only right after the password.
 */
import { createHash, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../../../../src/server/admin/users.js';
import { createDevOutboxSender, latestCode, readOutbox, type OutboxEntry, type SecurityNotice, type Sender } from '../../../../src/server/mfa/senders/index.js';
import {
  authorizeParams,
  authorizeUrl,
  Browser,
  pkce,
  promptNone,
  registerFlowClient,
  signIn,
  startFlow,
  submitLogin,
  type Flow,
  type FlowClient,
  type Page,
  type TestUser,
} from '../../../helpers/flow.js';
import { FakeClock, T0 } from '../../../helpers/fake-clock.js';
import {
  continueToClient,
  enrolTotpOnAccount,
  expectMfaChallenge,
  factorContext,
  giveTotp,
  isAccountPage,
  isMfaEnrolment,
  openAccount,
  recoveryCodesOf,
  removeFormFor,
  setupKey,
  submitMfa,
  textOf,
  TOTP_STEP_MS,
  totpAt,
} from '../../../helpers/mfa.js';
import { parseForms } from '../../../helpers/user-agent.js';

const RECENT_AUTH_MS = 600_000;
const ADD_REFUSED = 'To add a sign-in method, please sign in again first.';
const REMOVE_REFUSED = 'To remove a sign-in method, please sign in again first.';
const NOTICE_SUBJECT = 'A sign-in method was added to your Gatehouse account';

let flow: Flow;
let clock: FakeClock;
let dir: string;
let outbox: string;
/** Every security notice the email sender was asked for, in order (recorded when asked, before delivery). */
const notices: SecurityNotice[] = [];
let payroll: FlowClient;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gh-reauth-'));
  outbox = join(dir, 'outbox.jsonl');
  const dev = createDevOutboxSender({ file: outbox, log: () => undefined });
  const email: Sender = {
    send: (message) => dev.send(message),
    notify: (notice) => {
      notices.push(notice);
      return dev.notify!(notice);
    },
  };
  clock = new FakeClock(T0 + 15_000);
  flow = await startFlow({ clock, mfa: { senders: { email, sms: dev } } });
  payroll = await registerFlowClient(flow.server, { name: 'Payroll', requireMfa: true });
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

let users = 0;

/** A fresh user (own factors, own code budgets); with an email address unless `email` is null. */
async function newUser(email: string | null = `user${users + 1}@example.com`): Promise<TestUser> {
  users += 1;
  const username = `user${users}`;
  const password = `${username}-password-1`;
  const record = await createUser(flow.server.store, { username, password, ...(email ? { email } : {}) }, clock.now());
  return { record, username, password };
}

function factorsOf(user: TestUser) {
  return flow.server.store.factors.listByUser(user.record.id);
}

/** The account page's CSRF token (every form carries the same one). */
function csrfOf(page: Page): string {
  const token = parseForms(page.body).find((form) => form.fields.csrf)?.fields.csrf;
  if (!token) throw new Error(`no csrf token on ${page.url}:\n${page.body.slice(0, 800)}`);
  return token;
}

function postAccount(browser: Browser, path: string, csrf: string, fields: Record<string, string> = {}): Promise<Page> {
  return browser.open(path, { method: 'POST', form: { csrf, ...fields } });
}

/** A JSON call of the account page's passkey script: cookies and `X-CSRF-Token`. */
async function postJson(browser: Browser, path: string, csrf: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const cookie = [...browser.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  const response = await flow.server.server.fetch(
    new Request(`${flow.server.issuer}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-csrf-token': csrf, cookie },
      body: JSON.stringify(body),
    }),
  );
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Fails unless the page is the 403 "please sign in again" page, with its button to `/account/reauth`. */
function expectReauthPage(page: Page, message: string = ADD_REFUSED): void {
  expect(page.status, page.body.slice(0, 400)).toBe(403);
  expect(textOf(page.body)).toContain(message);
  expect(parseForms(page.body).map((form) => form.action)).toEqual([expect.stringMatching(/\/account\/reauth$/)]);
}

/** Whether the account page offers the "add" forms (and not the "sign in again" button), or the reverse. */
function addFormsShown(page: Page): boolean {
  const actions = parseForms(page.body).map((form) => form.action);
  const add =
    ['/account/totp', '/account/contacts'].every((path) => actions.some((action) => action.endsWith(path))) && page.body.includes('data-passkey-block');
  const reauth = actions.some((action) => action.endsWith('/account/reauth'));
  if (add === reauth) throw new Error(`the account page shows ${add ? 'both' : 'neither'} the add forms and the sign-in-again button:\n${page.body}`);
  return add;
}

/** "Sign in again" from a page with the reauth button: password, then the TOTP code of `secret` if given. Returns the account page. */
async function signInAgain(browser: Browser, page: Page, user: TestUser, secret?: string): Promise<Page> {
  const login = await browser.submit(page, {}, { actionPart: '/account/reauth' });
  let next = await submitLogin(browser, login, user);
  if (secret !== undefined) next = await submitMfa(browser, expectMfaChallenge(next), 'totp', { code: await totpAt(secret, clock.now()) });
  expect(isAccountPage(next), next.body.slice(0, 800)).toBe(true);
  return next;
}

async function auditTypes(kind: string, user: TestUser): Promise<unknown[]> {
  return (await flow.server.store.audit.tail(200, kind)).filter((event) => event.subject === user.record.id).map((event) => event.details.type);
}

/** The notice entries of the outbox for `to`, waiting (up to ~2 s) for `count` of them: notices go out after the answer. */
async function noticesIn(to: string, count: number): Promise<OutboxEntry[]> {
  let found: OutboxEntry[] = [];
  for (let tries = 0; tries < 100; tries += 1) {
    found = (await readOutbox(outbox)).filter((entry) => entry.purpose === 'notice' && entry.to === to);
    if (found.length >= count) return found;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return found;
}

// ---------------------------------------------------------------------------------------------
// A software authenticator that registers a passkey (attestation "none", WebAuthn §8.7)

function cborHead(major: number, length: number): Buffer {
  if (length < 24) return Buffer.from([(major << 5) | length]);
  if (length < 256) return Buffer.from([(major << 5) | 24, length]);
  return Buffer.from([(major << 5) | 25, length >> 8, length & 0xff]);
}
const cborText = (text: string) => Buffer.concat([cborHead(3, Buffer.byteLength(text)), Buffer.from(text)]);
const cborBytes = (bytes: Buffer) => Buffer.concat([cborHead(2, bytes.length), bytes]);

/** A `navigator.credentials.create` result (JSON) for creation options `{ challenge }` at the test issuer. */
function registrationResponse(options: { challenge: string }): Record<string, unknown> {
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' }) as { publicKey: KeyObject };
  const jwk = publicKey.export({ format: 'jwk' });
  const x = Buffer.from(jwk.x!, 'base64url');
  const y = Buffer.from(jwk.y!, 'base64url');
  // COSE EC2 key {1: 2, 3: -7, -1: 1, -2: x, -3: y} (RFC 9053 §7.1.1).
  const cose = Buffer.concat([Buffer.from([0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21]), cborBytes(x), Buffer.from([0x22]), cborBytes(y)]);
  const credentialId = randomBytes(16);
  const origin = new URL(flow.server.issuer);
  const authData = Buffer.concat([
    createHash('sha256').update(origin.hostname).digest(),
    Buffer.from([0x45]), // user present, user verified, attested credential data
    Buffer.alloc(4),
    Buffer.alloc(16), // AAGUID
    Buffer.from([0, credentialId.length]),
    credentialId,
    cose,
  ]);
  const attestationObject = Buffer.concat([
    Buffer.from([0xa3]),
    cborText('fmt'),
    cborText('none'),
    cborText('attStmt'),
    Buffer.from([0xa0]),
    cborText('authData'),
    cborBytes(authData),
  ]);
  const clientData = { type: 'webauthn.create', challenge: options.challenge, origin: origin.origin, crossOrigin: false };
  return {
    id: credentialId.toString('base64url'),
    rawId: credentialId.toString('base64url'),
    type: 'public-key',
    response: {
      clientDataJSON: Buffer.from(JSON.stringify(clientData)).toString('base64url'),
      attestationObject: attestationObject.toString('base64url'),
      transports: ['internal'],
    },
    clientExtensionResults: {},
    authenticatorAttachment: 'platform',
  };
}

/** Adds a passkey through the account page's two JSON calls; returns the answers of both. */
async function addPasskey(browser: Browser, csrf: string) {
  const options = await postJson(browser, '/account/passkeys/options', csrf, {});
  if (options.status !== 200) return { options, register: undefined };
  const { challengeId, options: creation } = options.body as { challengeId: string; options: { challenge: string } };
  const register = await postJson(browser, '/account/passkeys', csrf, { challengeId, response: registrationResponse(creation), label: 'Laptop' });
  return { options, register };
}

// ---------------------------------------------------------------------------------------------

describe('adding a sign-in method needs a sign-in at most recentAuthSeconds (600 s) old', () => {
  it('past 10 minutes every add endpoint answers 403 "sign in again" and adds nothing; after signing in again each works', async () => {
    const user = await newUser();
    const browser = new Browser(flow.server);
    let account = await openAccount(browser, user);
    expect(isAccountPage(account)).toBe(true);
    expect(addFormsShown(account)).toBe(true);
    const csrf = csrfOf(account);

    // At 590 s (still recent) an app and an address are started; each is confirmed only after 600 s.
    clock.advance(RECENT_AUTH_MS - 10_000);
    const setup = await postAccount(browser, '/account/totp', csrf);
    const secret = setupKey(setup.body);
    const verify = await postAccount(browser, '/account/contacts', csrf, { channel: 'email', to: 'second.address@example.com' });
    expect(textOf(verify.body)).toContain('We sent a 6-digit code');
    const contact = (await factorsOf(user)).find((factor) => factor.type === 'email')!;
    const contactCode = (await latestCode(outbox, 'second.address@example.com', { purpose: 'verify_contact' }))!;
    const sent = (await readOutbox(outbox)).length;

    clock.advance(11_000);
    account = await browser.open('/account');
    expect(addFormsShown(account)).toBe(false);
    expectReauthPage(await postAccount(browser, '/account/totp', csrf));
    expectReauthPage(await postAccount(browser, '/account/totp/confirm', csrf, { code: await totpAt(secret, clock.now()) }));
    expectReauthPage(await postAccount(browser, '/account/contacts', csrf, { channel: 'sms', to: '+447700900111' }));
    expectReauthPage(await postAccount(browser, '/account/contacts/confirm', csrf, { factor: contact.id, code: contactCode }));
    expectReauthPage(await postAccount(browser, '/account/recovery-codes', csrf));
    const passkey = await addPasskey(browser, csrf);
    expect(passkey.options.status).toBe(403);
    expect(passkey.options.body.error).toBe('login_required');
    const direct = await postJson(browser, '/account/passkeys', csrf, { challengeId: 'x', response: {} });
    expect(direct.status).toBe(403);
    expect(direct.body.error).toBe('login_required');

    // Nothing was added: the app and the address still wait for their code, one TOTP only, no SMS sent.
    const factors = await factorsOf(user);
    expect(factors.map((factor) => [factor.type, factor.data.confirmed])).toEqual(
      expect.arrayContaining([
        ['totp', false],
        ['email', false],
      ]),
    );
    expect(factors).toHaveLength(2);
    expect(await readOutbox(outbox)).toHaveLength(sent);
    expect(await auditTypes('mfa.enrolled', user)).toEqual([]);

    // Signing in again (the user has no confirmed factor yet: the password is enough).
    account = await signInAgain(browser, await browser.open('/account'), user);
    expect(addFormsShown(account)).toBe(true);
    // The first factor brings recovery codes (issue 13), whatever its kind; saving them goes on to the account page.
    const firstCodes = await postAccount(browser, '/account/contacts/confirm', csrfOf(account), { factor: contact.id, code: contactCode });
    expect(recoveryCodesOf(firstCodes.body), `${firstCodes.status} ${textOf(firstCodes.body)}`).toHaveLength(10);
    const confirmed = await browser.submit(firstCodes, {}, { actionPart: '/account/done' });
    expect(isAccountPage(confirmed), `${confirmed.status} ${textOf(confirmed.body)}`).toBe(true);
    expect(textOf(confirmed.body)).toContain('Confirmed and added.');
    expect((await factorsOf(user)).find((factor) => factor.id === contact.id)?.data.confirmed).toBe(true);

    // Now that the user has a factor, the next addition needs a sign-in with it too. Set up the app
    // after signing in with password and emailed code.
    expect(addFormsShown(confirmed)).toBe(false);
    const login = await browser.submit(confirmed, {}, { actionPart: '/account/reauth' });
    clock.advance(31_000);
    const challenge = expectMfaChallenge(await submitLogin(browser, login, user));
    const codeSent = await submitMfa(browser, challenge, 'send', {}, contact.id);
    const signInCode = (await latestCode(outbox, 'second.address@example.com', { purpose: 'sign_in' }))!;
    account = await submitMfa(browser, codeSent, 'contact', { code: signInCode }, contact.id);
    expect(isAccountPage(account)).toBe(true);
    expect(addFormsShown(account)).toBe(true);
    const fresh = csrfOf(account);

    const restarted = await postAccount(browser, '/account/totp', fresh);
    const newSecret = setupKey(restarted.body);
    // Not the first factor any more: the recovery codes of the email address stay, the account page follows.
    const appAdded = await postAccount(browser, '/account/totp/confirm', fresh, { code: await totpAt(newSecret, clock.now()) });
    expect(isAccountPage(appAdded)).toBe(true);
    expect(textOf(appAdded.body)).toContain('Authenticator app turned on.');
    expect((await factorsOf(user)).filter((factor) => factor.type === 'totp' && factor.data.confirmed === true)).toHaveLength(1);

    const verifyPhone = await postAccount(browser, '/account/contacts', fresh, { channel: 'sms', to: '+447700900111' });
    expect(textOf(verifyPhone.body)).toContain('Confirm your phone number');
    const phone = (await factorsOf(user)).find((factor) => factor.type === 'sms')!;
    const phoneCode = (await latestCode(outbox, '+447700900111', { purpose: 'verify_contact', channel: 'sms' }))!;
    expect(isAccountPage(await postAccount(browser, '/account/contacts/confirm', fresh, { factor: phone.id, code: phoneCode }))).toBe(true);

    expect(recoveryCodesOf((await postAccount(browser, '/account/recovery-codes', fresh)).body)).toHaveLength(10);

    const added = await addPasskey(browser, fresh);
    expect(added.options.status).toBe(200);
    expect(added.register?.status, JSON.stringify(added.register?.body)).toBe(200);
    expect((await factorsOf(user)).some((factor) => factor.type === 'webauthn' && factor.data.confirmed === true)).toBe(true);

    expect(await auditTypes('mfa.enrolled', user)).toEqual(expect.arrayContaining(['email', 'totp', 'sms', 'webauthn']));
    expect(
      await flow.server.store.audit.tail(200, 'mfa.recovery_codes_regenerated').then((events) => events.filter((event) => event.subject === user.record.id)),
    ).toHaveLength(1);
  });

  it('exactly at recentAuthSeconds the session is still recent; one second later it is not', async () => {
    const user = await newUser();
    const browser = new Browser(flow.server);
    const account = await openAccount(browser, user);
    clock.advance(RECENT_AUTH_MS);
    expect(addFormsShown(await browser.open('/account'))).toBe(true);
    clock.advance(1_000);
    expect(addFormsShown(await browser.open('/account'))).toBe(false);
    expectReauthPage(await postAccount(browser, '/account/recovery-codes', csrfOf(account)));
    expect(await factorsOf(user)).toEqual([]);
  });
});

describe('a user who has a second factor must have used it in this session to add or remove one', () => {
  it('a recent password-only session (factor set up since) is refused every addition and a removal; after signing in with the factor it works', async () => {
    const user = await newUser();
    const browser = new Browser(flow.server);
    // Signed in with the password alone, then the user got an authenticator app (say, in another browser).
    const account = await openAccount(browser, user);
    expect(isAccountPage(account)).toBe(true);
    const { secret, factor: app } = await giveTotp(factorContext(flow.server.store, clock), user.record.id);
    const csrf = csrfOf(account);
    clock.advance(60_000);

    const page = await browser.open('/account');
    expect(addFormsShown(page)).toBe(false);
    expect(textOf(page.body)).toContain('To add or remove a sign-in method, sign in again first, with your second step.');
    expectReauthPage(await postAccount(browser, '/account/totp', csrf));
    expectReauthPage(await postAccount(browser, '/account/totp/confirm', csrf, { code: await totpAt(secret, clock.now()) }));
    expectReauthPage(await postAccount(browser, '/account/contacts', csrf, { channel: 'email', to: 'thief@example.net' }));
    expectReauthPage(await postAccount(browser, '/account/contacts/confirm', csrf, { factor: app.id, code: '000000' }));
    expectReauthPage(await postAccount(browser, '/account/recovery-codes', csrf));
    const passkey = await addPasskey(browser, csrf);
    expect(passkey.options).toMatchObject({ status: 403, body: { error: 'login_required' } });
    const remove = removeFormFor(page, 'Authenticator app');
    expectReauthPage(await browser.open(remove.action, { method: 'POST', form: remove.fields }), REMOVE_REFUSED);

    // Only the app, still there; no code went to the thief's address.
    expect((await factorsOf(user)).map((factor) => factor.id)).toEqual([app.id]);
    expect((await readOutbox(outbox)).some((entry) => entry.to === 'thief@example.net')).toBe(false);

    // Signing in again asks for the app's code, and then additions work.
    const again = await signInAgain(browser, page, user, secret);
    expect(addFormsShown(again)).toBe(true);
    expect(recoveryCodesOf((await postAccount(browser, '/account/recovery-codes', csrfOf(again))).body)).toHaveLength(10);
    expect((await addPasskey(browser, csrfOf(again))).register?.status).toBe(200);
    const removed = await browser.open(removeFormFor(again, 'Authenticator app').action, {
      method: 'POST',
      form: removeFormFor(again, 'Authenticator app').fields,
    });
    expect(isAccountPage(removed)).toBe(true);
    expect((await factorsOf(user)).some((factor) => factor.id === app.id)).toBe(false);
  });

  it("with mfa.policy 'off' a recent password-only session may add a method even when the user has one", async () => {
    const off = await startFlow({ clock, mfa: { policy: 'off' } });
    const browser = new Browser(off.server);
    const account = await openAccount(browser, off.users.bob);
    await giveTotp(factorContext(off.server.store, clock), off.users.bob.record.id);
    expect(addFormsShown(await browser.open('/account'))).toBe(true);
    const codes = await browser.open('/account/recovery-codes', { method: 'POST', form: { csrf: csrfOf(account) } });
    expect(recoveryCodesOf(codes.body)).toHaveLength(10);
  });

  it('a session signed in with the second factor shows the add forms (and no sign-in-again button)', async () => {
    const user = await newUser();
    const { secret } = await giveTotp(factorContext(flow.server.store, clock), user.record.id);
    clock.advance(TOTP_STEP_MS);
    const browser = new Browser(flow.server);
    const challenge = expectMfaChallenge(await openAccount(browser, user));
    const account = await submitMfa(browser, challenge, 'totp', { code: await totpAt(secret, clock.now()) });
    expect(isAccountPage(account)).toBe(true);
    expect(addFormsShown(account)).toBe(true);
    expect(textOf(account.body)).not.toContain('sign in again first');
  });
});

describe('a security notice email when a method is added', () => {
  it('setting up an authenticator app on the account page emails the user (and audits mfa.enrolled totp)', async () => {
    const user = await newUser();
    const browser = new Browser(flow.server);
    await enrolTotpOnAccount(browser, await openAccount(browser, user), clock.now());
    const [notice] = await noticesIn(user.record.email!, 1);
    expect(notice).toMatchObject({ channel: 'email', to: user.record.email, purpose: 'notice', code: '', subject: NOTICE_SUBJECT });
    expect(notice!.text).toContain('An authenticator app was added to your Gatehouse account');
    expect(await auditTypes('mfa.enrolled', user)).toEqual(['totp']);
  });

  it('confirming a phone number emails the user at their own address (not the number)', async () => {
    const user = await newUser();
    const browser = new Browser(flow.server);
    const account = await openAccount(browser, user);
    const verify = await browser.submit(account, { channel: 'sms', to: '+447700900222' }, { actionPart: '/account/contacts' });
    const code = (await latestCode(outbox, '+447700900222', { purpose: 'verify_contact', channel: 'sms' }))!;
    expect(await noticesIn(user.record.email!, 0)).toEqual([]);
    // The phone number is the user's first factor: its recovery codes come next.
    expect(recoveryCodesOf((await browser.submit(verify, { code }, { actionPart: '/account/contacts/confirm' })).body)).toHaveLength(10);
    const [notice] = await noticesIn(user.record.email!, 1);
    expect(notice).toMatchObject({ purpose: 'notice', subject: NOTICE_SUBJECT });
    expect(notice!.text).toContain('A phone number for sign-in codes was added');
    expect((await readOutbox(outbox)).filter((entry) => entry.to === '+447700900222').map((entry) => entry.purpose)).toEqual(['verify_contact']);
  });

  it('new recovery codes email the user and audit mfa.recovery_codes_regenerated', async () => {
    const user = await newUser();
    const browser = new Browser(flow.server);
    const account = await openAccount(browser, user);
    await browser.submit(account, {}, { actionPart: '/account/recovery-codes' });
    const [notice] = await noticesIn(user.record.email!, 1);
    expect(notice!.text).toContain('A new set of recovery codes was added');
    const events = (await flow.server.store.audit.tail(200, 'mfa.recovery_codes_regenerated')).filter((event) => event.subject === user.record.id);
    expect(events).toHaveLength(1);
  });

  it('a passkey added on the account page emails the user', async () => {
    const user = await newUser();
    const browser = new Browser(flow.server);
    const added = await addPasskey(browser, csrfOf(await openAccount(browser, user)));
    expect(added.register?.status).toBe(200);
    const [notice] = await noticesIn(user.record.email!, 1);
    expect(notice!.text).toContain('A passkey was added');
    expect(await auditTypes('mfa.enrolled', user)).toEqual(['webauthn']);
  });

  it('the authenticator app set up during sign-in (client with requireMfa) emails the user too', async () => {
    const user = await newUser();
    const browser = new Browser(flow.server);
    const login = await browser.open(authorizeUrl(flow.server, authorizeParams(payroll, pkce().challenge)));
    const enrol = await submitLogin(browser, login, user);
    expect(isMfaEnrolment(enrol)).toBe(true);
    const form = parseForms(enrol.body).find((candidate) => candidate.action.endsWith('/mfa-enroll'))!;
    const codes = await browser.open(new URL(form.action, enrol.url).href, {
      method: 'POST',
      form: { ...form.fields, code: await totpAt(setupKey(enrol.body), clock.now()) },
    });
    expect((await continueToClient(browser, codes)).get('code')).toEqual(expect.any(String));
    const [notice] = await noticesIn(user.record.email!, 1);
    expect(notice!.text).toContain('An authenticator app was added');
    expect(await auditTypes('mfa.enrolled', user)).toEqual(['totp']);
  });

  it('no notice for a user without an email address', async () => {
    const user = await newUser(null);
    const before = notices.length;
    const browser = new Browser(flow.server);
    const { page } = await enrolTotpOnAccount(browser, await openAccount(browser, user), clock.now());
    expect(isAccountPage(await browser.submit(page, {}, { actionPart: '/account/done' }))).toBe(true);
    expect(await auditTypes('mfa.enrolled', user)).toEqual(['totp']);
    // The sender is asked before the answer is sent: none was asked for.
    expect(notices.slice(before)).toEqual([]);
  });

  it('no notice without an email sender (only a text-message sender configured)', async () => {
    const smsOnly: SecurityNotice[] = [];
    const dev = createDevOutboxSender({ file: join(dir, 'sms-only.jsonl'), log: () => undefined });
    const sms: Sender = { send: (message) => dev.send(message), notify: async (notice) => void smsOnly.push(notice) };
    const other = await startFlow({ clock, mfa: { senders: { sms } } });
    const browser = new Browser(other.server);
    await enrolTotpOnAccount(browser, await openAccount(browser, other.users.alice), clock.now());
    expect(smsOnly).toEqual([]);
    expect(await readOutbox(join(dir, 'sms-only.jsonl'))).toEqual([]);
  });
});

describe('sign-in offers to set up a factor only right after the password (a stolen session cookie cannot)', () => {
  it('with only the session cookie of a password-only sign-in, a requireMfa client gets the login page, not the set-up page; posting a code to mfa-enroll adds nothing', async () => {
    const user = await newUser();
    const victim = new Browser(flow.server);
    await signIn(victim, flow.server, flow.client, user);

    // The thief has the session cookie only, in their own browser.
    const thief = new Browser(flow.server);
    const [name, value] = [...victim.cookies].find(([cookie]) => cookie.includes('gh_session'))!;
    thief.cookies.set(name, value);
    const page = await thief.open(authorizeUrl(flow.server, authorizeParams(payroll, pkce().challenge)));
    expect(isMfaEnrolment(page)).toBe(false);
    const login = parseForms(page.body).find((form) => form.action.endsWith('/login'));
    expect(login).toBeDefined();
    expect(await factorsOf(user)).toEqual([]);
    // The cookie still works for an ordinary client; without interaction the requireMfa one says "sign in".
    expect((await promptNone(thief, flow.server, flow.client)).get('code')).toEqual(expect.any(String));
    expect((await promptNone(thief, flow.server, payroll)).get('error')).toBe('login_required');

    // A hand-made post to the set-up endpoint of that interaction: back to the login page, nothing set up.
    const enrolAction = new URL(login!.action.replace(/\/login$/, '/mfa-enroll'), page.url).href;
    const after = await thief.open(enrolAction, { method: 'POST', form: { ...login!.fields, code: '123456' } });
    expect(isMfaEnrolment(after)).toBe(false);
    expect(parseForms(after.body).some((form) => form.action.endsWith('/login'))).toBe(true);
    expect(after.location).toBeUndefined();
    expect(await factorsOf(user)).toEqual([]);
    expect(notices.filter((notice) => notice.to === user.record.email)).toEqual([]);

    // The victim, with the password, is offered the set-up as before.
    const own = await victim.open(authorizeUrl(flow.server, authorizeParams(payroll, pkce().challenge)));
    expect(isMfaEnrolment(await submitLogin(victim, own, user))).toBe(true);
  });
});
