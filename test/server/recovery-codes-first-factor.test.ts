/**
 * Issue 13: recovery codes are offered after ANY first second factor, not only after an
 * authenticator app: a phone number or email confirmed on the account page, or a passkey added
 * there, is followed by the "Save your recovery codes" page. A passkey is added by a script (JSON),
 * so its codes are shown by the page the script goes to next; that page creates codes only for
 * the browser and user that just added the passkey (a session cookie alone never mints them).
 * Through the fetch handler, with a software authenticator (attestation "none").
 */
import { createHash, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../../src/server/admin/users.js';
import { createDevOutboxSender, latestCode } from '../../src/server/mfa/senders/index.js';
import { FakeClock, T0 } from '../helpers/fake-clock.js';
import { Browser, startFlow, submitLogin, type Flow, type Page, type TestUser } from '../helpers/flow.js';
import { factorContext, giveRecoveryCodes, giveTotp, isAccountPage, recoveryCodesOf, textOf } from '../helpers/mfa.js';
import { parseForms } from '../helpers/user-agent.js';

let flow: Flow;
let clock: FakeClock;
let dir: string;
let outbox: string;
let users = 0;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gh-first-factor-'));
  outbox = join(dir, 'outbox.jsonl');
  clock = new FakeClock(T0 + 15_000);
  const sender = createDevOutboxSender({ file: outbox, log: () => undefined });
  flow = await startFlow({ clock, mfa: { senders: { email: sender, sms: sender } } });
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function newUser(): Promise<TestUser> {
  users += 1;
  const username = `first${users}`;
  const password = `${username}-password-1`;
  const record = await createUser(flow.server.store, { username, email: `${username}@example.com`, emailVerified: true, password }, clock.now());
  return { record, username, password };
}

async function signedInAccount(browser: Browser, user: TestUser): Promise<Page> {
  const account = await submitLogin(browser, await browser.open('/account'), user);
  expect(isAccountPage(account), account.body.slice(0, 600)).toBe(true);
  return account;
}

const csrfOf = (page: Page) => parseForms(page.body).find((form) => form.fields.csrf)!.fields.csrf!;
const recoveryFactors = async (user: TestUser) =>
  (await flow.server.store.factors.listByUser(user.record.id)).filter((factor) => factor.type === 'recovery_codes');

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

// A software authenticator (as in test/server/mfa/flow/reauth-to-add.test.ts): EC P-256, attestation "none".
function cborHead(major: number, length: number): Buffer {
  if (length < 24) return Buffer.from([(major << 5) | length]);
  if (length < 256) return Buffer.from([(major << 5) | 24, length]);
  return Buffer.from([(major << 5) | 25, length >> 8, length & 0xff]);
}
const cborText = (text: string) => Buffer.concat([cborHead(3, Buffer.byteLength(text)), Buffer.from(text)]);
const cborBytes = (bytes: Buffer) => Buffer.concat([cborHead(2, bytes.length), bytes]);

function registrationResponse(options: { challenge: string }): Record<string, unknown> {
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' }) as { publicKey: KeyObject };
  const jwk = publicKey.export({ format: 'jwk' });
  const cose = Buffer.concat([
    Buffer.from([0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21]),
    cborBytes(Buffer.from(jwk.x!, 'base64url')),
    Buffer.from([0x22]),
    cborBytes(Buffer.from(jwk.y!, 'base64url')),
  ]);
  const credentialId = randomBytes(16);
  const origin = new URL(flow.server.issuer);
  const authData = Buffer.concat([
    createHash('sha256').update(origin.hostname).digest(),
    Buffer.from([0x45]),
    Buffer.alloc(4),
    Buffer.alloc(16),
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

/** Adds a passkey as the account page's script does; returns where the script is told to go. */
async function addPasskey(browser: Browser, csrf: string): Promise<string> {
  const options = await postJson(browser, '/account/passkeys/options', csrf, {});
  expect(options.status, JSON.stringify(options.body)).toBe(200);
  const { challengeId, options: creation } = options.body as { challengeId: string; options: { challenge: string } };
  const registered = await postJson(browser, '/account/passkeys', csrf, { challengeId, response: registrationResponse(creation), label: 'Laptop' });
  expect(registered.status, JSON.stringify(registered.body)).toBe(200);
  return registered.body.redirect as string;
}

describe('recovery codes after the first second factor, whatever its kind', () => {
  it('an email address confirmed as the first factor shows the recovery codes; saving them returns to the account page', async () => {
    const user = await newUser();
    const browser = new Browser(flow.server);
    const account = await signedInAccount(browser, user);
    const verify = await browser.submit(account, { channel: 'email', to: `${user.username}@example.com` }, { actionPart: '/account/contacts' });
    const code = (await latestCode(outbox, `${user.username}@example.com`, { purpose: 'verify_contact' }))!;
    const codes = await browser.submit(verify, { code }, { actionPart: '/account/contacts/confirm' });
    expect(codes.status).toBe(200);
    expect(textOf(codes.body)).toContain('Save your recovery codes');
    expect(recoveryCodesOf(codes.body)).toHaveLength(10);
    expect(await recoveryFactors(user)).toHaveLength(1);

    const done = await browser.submit(codes, {}, { actionPart: '/account/done' });
    expect(isAccountPage(done)).toBe(true);
    expect(textOf(done.body)).toContain('Confirmed and added.');
    expect(textOf(done.body)).toContain('10 codes left');
  });

  it('with recovery codes already (kept from factors removed earlier), a confirmed phone number goes straight back to the account page', async () => {
    const user = await newUser();
    await giveRecoveryCodes(factorContext(flow.server.store, clock), user.record.id);
    const before = (await recoveryFactors(user))[0]!.data;
    const browser = new Browser(flow.server);
    const account = await signedInAccount(browser, user);
    const verify = await browser.submit(account, { channel: 'sms', to: '+447700900555' }, { actionPart: '/account/contacts' });
    const code = (await latestCode(outbox, '+447700900555', { purpose: 'verify_contact', channel: 'sms' }))!;
    const next = await browser.submit(verify, { code }, { actionPart: '/account/contacts/confirm' });
    expect(isAccountPage(next)).toBe(true);
    expect(textOf(next.body)).toContain('Confirmed and added.');
    expect((await recoveryFactors(user))[0]!.data).toEqual(before);
  });

  it('with recovery codes already, a passkey sends the script straight back to the account page', async () => {
    const user = await newUser();
    await giveRecoveryCodes(factorContext(flow.server.store, clock), user.record.id);
    const browser = new Browser(flow.server);
    expect(await addPasskey(browser, csrfOf(await signedInAccount(browser, user)))).toBe(`${flow.server.issuer}/account?notice=passkey-added`);
  });

  it('a passkey added as the first factor sends the script to a page with the recovery codes, shown once', async () => {
    const user = await newUser();
    const browser = new Browser(flow.server);
    const csrf = csrfOf(await signedInAccount(browser, user));
    const next = await addPasskey(browser, csrf);
    expect(next).toBe(`${flow.server.issuer}/account/recovery-codes/new`);

    const codes = await browser.open(next);
    expect(codes.status).toBe(200);
    expect(textOf(codes.body)).toContain('Save your recovery codes');
    const shown = recoveryCodesOf(codes.body);
    expect(shown).toHaveLength(10);
    const stored = (await recoveryFactors(user))[0]!.data;

    // Once: opening it again shows the account page, and the codes stay those shown.
    const reopened = await browser.open(next);
    expect(isAccountPage(reopened)).toBe(true);
    expect(reopened.body).not.toContain('class="recovery-codes"');
    expect((await recoveryFactors(user))[0]!.data).toEqual(stored);

    const done = await browser.submit(codes, {}, { actionPart: '/account/done' });
    expect(isAccountPage(done)).toBe(true);
    expect(textOf(done.body)).toContain('Passkey added.');
  });

  it('the recovery-codes page creates codes only for the browser that just added the passkey (a session cookie alone mints none)', async () => {
    const user = await newUser();
    const adder = new Browser(flow.server);
    const elsewhere = new Browser(flow.server);
    const csrf = csrfOf(await signedInAccount(adder, user));
    await signedInAccount(elsewhere, user);
    expect(await addPasskey(adder, csrf)).toBe(`${flow.server.issuer}/account/recovery-codes/new`);

    // Another session of the same user (or a copied cookie without the browser's): the account page, no codes.
    const other = await elsewhere.open('/account/recovery-codes/new');
    expect(isAccountPage(other)).toBe(true);
    expect(other.body).not.toContain('class="recovery-codes"');
    expect(await recoveryFactors(user)).toHaveLength(0);

    // The browser that added it gets them.
    expect(recoveryCodesOf((await adder.open('/account/recovery-codes/new')).body)).toHaveLength(10);
  });

  it('without an offer, a user with a factor but no codes (set up elsewhere) gets the account page and no codes', async () => {
    const user = await newUser();
    const browser = new Browser(flow.server);
    await signedInAccount(browser, user);
    await giveTotp(factorContext(flow.server.store, clock), user.record.id);
    const page = await browser.open('/account/recovery-codes/new');
    expect(isAccountPage(page)).toBe(true);
    expect(await recoveryFactors(user)).toHaveLength(0);
  });

  it('signed out, it asks to sign in', async () => {
    const page = await new Browser(flow.server).open('/account/recovery-codes/new');
    expect(parseForms(page.body).some((form) => form.action.endsWith('/login'))).toBe(true);
  });
});
