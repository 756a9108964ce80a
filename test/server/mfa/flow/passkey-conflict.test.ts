/**
 * A passkey (WebAuthn credential) already registered to one account cannot be registered to
 * another, and the refusal does not say so: `400 invalid_request` exactly as for any registration
 * that does not verify, nothing stored, no trace of the other account in the answer. Driven through
 * the account page's JSON calls (POST /account/passkeys/options, POST /account/passkeys) with a
 * software authenticator that makes real WebAuthn registration responses (`none` attestation).
 */
import { createHash, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { Browser, startFlow, type Flow, type TestUser } from '../../../helpers/flow.js';
import { FakeClock, T0 } from '../../../helpers/fake-clock.js';
import { expectMfaChallenge, factorContext, giveTotp, isAccountPage, openAccount, submitMfa, TOTP_STEP_MS, totpAt } from '../../../helpers/mfa.js';
import { parseForms } from '../../../helpers/user-agent.js';

// ---------------------------------------------------------------------------------------------
// A software authenticator that registers (test/cli/software-passkey.ts only signs assertions)

const sha256 = (data: Buffer | string): Buffer => createHash('sha256').update(data).digest();

/** RFC 8949 §3.1 head of a major type with a length (only the sizes used here). */
function cborHead(major: number, length: number): Buffer {
  if (length < 24) return Buffer.from([(major << 5) | length]);
  if (length < 256) return Buffer.from([(major << 5) | 24, length]);
  return Buffer.from([(major << 5) | 25, length >> 8, length & 0xff]);
}
const cborText = (text: string) => Buffer.concat([cborHead(3, Buffer.byteLength(text)), Buffer.from(text)]);
const cborBytes = (bytes: Buffer) => Buffer.concat([cborHead(2, bytes.length), bytes]);

/** A credential: one P-256 key pair and its id, as an authenticator keeps it. */
interface SoftwareCredential {
  id: string;
  /** A WebAuthn registration response (WebAuthn L2 §5.1, §6.5) to creation `options`, as `navigator.credentials.create` returns it (JSON). */
  register(options: { challenge: string; rp: { id?: string } }, origin: string): Record<string, unknown>;
}

function softwareCredential(): SoftwareCredential {
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' }) as { publicKey: KeyObject };
  const jwk = publicKey.export({ format: 'jwk' });
  const credentialId = randomBytes(16);
  const id = credentialId.toString('base64url');
  // RFC 9053 §7.1.1: {1: 2 (EC2), 3: -7 (ES256), -1: 1 (P-256), -2: x, -3: y}
  const coseKey = Buffer.concat([
    Buffer.from([0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, 0x58, 0x20]),
    Buffer.from(jwk.x!, 'base64url'),
    Buffer.from([0x22, 0x58, 0x20]),
    Buffer.from(jwk.y!, 'base64url'),
  ]);
  return {
    id,
    register(options, origin) {
      const rpId = options.rp.id ?? new URL(origin).hostname;
      const idLength = Buffer.from([credentialId.length >> 8, credentialId.length & 0xff]);
      // §6.1: rpIdHash, flags UP|UV|AT, counter 0, attested credential data (zero AAGUID, id, key).
      const authData = Buffer.concat([sha256(rpId), Buffer.from([0x45]), Buffer.alloc(4), Buffer.alloc(16), idLength, credentialId, coseKey]);
      // §6.5.4 "none" attestation: {fmt: "none", attStmt: {}, authData}.
      const attestationObject = Buffer.concat([
        cborHead(5, 3),
        cborText('fmt'),
        cborText('none'),
        cborText('attStmt'),
        cborHead(5, 0),
        cborText('authData'),
        cborBytes(authData),
      ]);
      const clientDataJSON = Buffer.from(JSON.stringify({ type: 'webauthn.create', challenge: options.challenge, origin, crossOrigin: false }));
      return {
        id,
        rawId: id,
        type: 'public-key',
        authenticatorAttachment: 'platform',
        clientExtensionResults: {},
        response: {
          clientDataJSON: clientDataJSON.toString('base64url'),
          attestationObject: attestationObject.toString('base64url'),
          transports: ['internal'],
        },
      };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The account page's passkey calls

let flow: Flow;

// A server per test: once alice has a passkey, her account sign-in asks for it as a second factor.
beforeEach(async () => {
  flow = await startFlow({ clock: new FakeClock(T0 + 15_000) });
});

interface JsonAnswer {
  status: number;
  text: string;
  body: Record<string, unknown>;
}

/** A JSON POST from `browser` (its cookies), as the account page's passkey script makes it. */
async function postJson(browser: Browser, path: string, csrf: string, body?: unknown): Promise<JsonAnswer> {
  const cookie = [...browser.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  const response = await flow.server.server.fetch(
    new Request(new URL(path, flow.server.issuer), {
      method: 'POST',
      headers: { cookie, 'x-csrf-token': csrf, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    }),
  );
  const text = await response.text();
  return { status: response.status, text, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/** `user` signed in on the account page in a fresh browser; the browser and the page's CSRF token. */
async function accountOf(user: TestUser): Promise<{ browser: Browser; csrf: string }> {
  const browser = new Browser(flow.server);
  const page = await openAccount(browser, user);
  if (!isAccountPage(page)) throw new Error(`expected the account page, got ${page.status} at ${page.url}:\n${page.body.slice(0, 600)}`);
  const csrf = parseForms(page.body).find((form) => form.fields.csrf)?.fields.csrf;
  if (!csrf) throw new Error('no csrf field on the account page');
  return { browser, csrf };
}

/** Asks for creation options, answers them with `credential`; the register call's answer. */
async function registerOn(
  account: { browser: Browser; csrf: string },
  credential: SoftwareCredential,
  tamper?: (response: Record<string, unknown>) => void,
): Promise<JsonAnswer> {
  const options = await postJson(account.browser, '/account/passkeys/options', account.csrf);
  expect(options.status, options.text).toBe(200);
  const { options: creation, challengeId } = options.body as { options: { challenge: string; rp: { id?: string } }; challengeId: string };
  const response = credential.register(creation, new URL(flow.server.issuer).origin);
  tamper?.(response);
  return postJson(account.browser, '/account/passkeys', account.csrf, { challengeId, response, label: 'Laptop' });
}

const passkeysOf = async (userId: string) => (await flow.server.store.factors.listByUser(userId)).filter((factor) => factor.type === 'webauthn');

describe('registering a passkey that another account has already', () => {
  it('the software authenticator registers for alice (the credential is stored under its id)', async () => {
    const credential = softwareCredential();
    const answer = await registerOn(await accountOf(flow.users.alice), credential);
    expect(answer.status, answer.text).toBe(200);
    expect((await passkeysOf(flow.users.alice.record.id)).map((factor) => factor.lookup)).toContain(credential.id);
  });

  it("the same credential for bob: 400 invalid_request, nothing about alice in the answer, nothing stored for bob, alice's passkey untouched", async () => {
    const credential = softwareCredential();
    expect((await registerOn(await accountOf(flow.users.alice), credential)).status).toBe(200);
    const alicePasskeys = await passkeysOf(flow.users.alice.record.id);

    const bob = await accountOf(flow.users.bob);
    const answer = await registerOn(bob, credential);
    expect(answer.status, answer.text).toBe(400);
    expect(answer.body.error).toBe('invalid_request');
    for (const trace of ['alice', flow.users.alice.record.id, 'alice@example.com', 'Alice', 'already', 'another account', 'exists']) {
      expect(answer.text.toLowerCase()).not.toContain(trace.toLowerCase());
    }
    expect(await passkeysOf(flow.users.bob.record.id)).toEqual([]);
    expect(await passkeysOf(flow.users.alice.record.id)).toEqual(alicePasskeys);

    // The answer is the very one any registration that fails to verify gets (here: a wrong challenge).
    const broken = await registerOn(bob, softwareCredential(), (response) => {
      const inner = response.response as Record<string, string>;
      const clientData = JSON.parse(Buffer.from(inner.clientDataJSON!, 'base64url').toString()) as Record<string, unknown>;
      inner.clientDataJSON = Buffer.from(JSON.stringify({ ...clientData, challenge: randomBytes(32).toString('base64url') })).toString('base64url');
    });
    expect(broken.status).toBe(400);
    expect(answer.text).toBe(broken.text);
  });

  it("registering alice's credential a second time for alice herself is refused the same way (400, still one passkey)", async () => {
    // alice signs in with password and TOTP: a session that stays fit to add passkeys once she has one.
    const { secret } = await giveTotp(factorContext(flow.server.store, flow.server.clock), flow.users.alice.record.id);
    flow.server.clock.advance(TOTP_STEP_MS);
    const browser = new Browser(flow.server);
    const challenge = expectMfaChallenge(await openAccount(browser, flow.users.alice));
    const page = await submitMfa(browser, challenge, 'totp', { code: await totpAt(secret, flow.server.clock.now()) });
    if (!isAccountPage(page)) throw new Error(`expected the account page, got ${page.status} at ${page.url}`);
    const alice = { browser, csrf: parseForms(page.body).find((form) => form.fields.csrf)!.fields.csrf! };

    const credential = softwareCredential();
    expect((await registerOn(alice, credential)).status).toBe(200);
    expect(await passkeysOf(flow.users.alice.record.id)).toHaveLength(1);
    const again = await registerOn(alice, credential);
    expect(again.status, again.text).toBe(400);
    expect(again.body.error).toBe('invalid_request');
    expect(await passkeysOf(flow.users.alice.record.id)).toHaveLength(1);
  });
});
