/**
 * Issue 13, the account page tells sessions and sign-ins apart: browser and system parsed from the
 * user agent, the client address, how long ago, and the sign-in methods in words ("Password +
 * authenticator app", "Password + code by email", "GitHub") instead of raw `amr` values. Driven
 * through the fetch handler (the address is the connection's peer, given as the host would).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { github } from '../../src/client/index.js';
import { createDevOutboxSender, latestCode } from '../../src/server/mfa/senders/index.js';
import { SESSION, SIGN_IN_EVENT, userOwner } from '../../src/server/session/sessions.js';
import { startFakeGitHub, type FakeGitHub } from '../fakes/fake-github.js';
import { FakeClock, T0 } from '../helpers/fake-clock.js';
import { Browser, type Flow, type Page, startFlow, submitLogin, type TestUser } from '../helpers/flow.js';
import {
  expectMfaChallenge,
  factorContext,
  giveContact,
  giveTotp,
  isAccountPage,
  sendTargets,
  submitMfa,
  textOf,
  TOTP_STEP_MS,
  totpAt,
} from '../helpers/mfa.js';
import type { TestServer } from '../helpers/server.js';
import { createUser } from '../../src/server/admin/users.js';

const CHROME_MAC = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36';
const FIREFOX_WINDOWS = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0';
const HOUR = 3_600_000;

let flow: Flow;
let clock: FakeClock;
let fake: FakeGitHub;
let dir: string;
let outbox: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gh-signin-details-'));
  outbox = join(dir, 'outbox.jsonl');
  clock = new FakeClock(T0 + 15_000);
  fake = await startFakeGitHub({ callbackUrl: 'http://localhost:3000/upstream/github/callback' });
  flow = await startFlow({
    clock,
    mfa: { senders: { email: createDevOutboxSender({ file: outbox, log: () => undefined }) } },
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
  rmSync(dir, { recursive: true, force: true });
});

/** A browser whose requests carry `userAgent` and arrive from `address` (the connection's peer). */
function browserAt(userAgent: string, address: string): Browser {
  const server: TestServer = {
    ...flow.server,
    server: {
      ...flow.server.server,
      fetch: (request: Request) => {
        const headers = new Headers(request.headers);
        headers.set('user-agent', userAgent);
        return flow.server.server.fetch(new Request(request, { headers }), { remoteAddress: address });
      },
    },
  };
  return new Browser(server);
}

async function newUser(name: string): Promise<TestUser> {
  const password = `${name}-password-123`;
  const record = await createUser(flow.server.store, { username: name, email: `${name}@example.com`, emailVerified: true, password }, clock.now());
  return { record, username: name, password };
}

/** Signs in to /account with the password (and nothing else). */
async function signInToAccount(browser: Browser, user: TestUser): Promise<Page> {
  const account = await submitLogin(browser, await browser.open('/account'), user);
  expect(isAccountPage(account), account.body.slice(0, 600)).toBe(true);
  return account;
}

/** The rows of the "Sessions" list, as text. */
function sessionRows(page: Page): string[] {
  const section = /<section[^>]*aria-labelledby="sessions-heading"[\s\S]*?<\/section>/.exec(page.body)?.[0] ?? '';
  return [...section.matchAll(/<li class="row">([\s\S]*?)<\/li>/g)].map((row) => textOf(row[1]!));
}

/** The rows of the "Recent sign-ins" table, as text. */
function signInRows(page: Page): string[] {
  const table = /<tbody>([\s\S]*?)<\/tbody>/.exec(page.body)?.[1] ?? '';
  return [...table.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((row) => textOf(row[1]!));
}

describe('the account page tells sessions and sign-ins apart', () => {
  it('by browser and system, address and how long ago, with "Password" for a password sign-in', async () => {
    const user = await newUser('tess');
    await signInToAccount(browserAt(CHROME_MAC, '203.0.113.7'), user);
    clock.advance(2 * HOUR);
    const account = await signInToAccount(browserAt(FIREFOX_WINDOWS, '198.51.100.4'), user);

    expect(sessionRows(account)).toEqual([
      'Firefox on Windows This device Signed in just now · Password · 198.51.100.4',
      'Chrome on macOS Signed in 2 hours ago · Password · 203.0.113.7',
    ]);
    expect(signInRows(account)).toEqual([
      'just now Password to Account page Firefox on Windows · 198.51.100.4 Signed in',
      '2 hours ago Password to Account page Chrome on macOS · 203.0.113.7 Signed in',
    ]);
    // The exact time is there for <time>: ISO in datetime, in words (UTC) as the title.
    expect(account.body).toContain(`<time datetime="${new Date(clock.now() - 2 * HOUR).toISOString()}" title="`);
  });

  it('stores only what it shows: the parsed "Chrome on macOS", never the raw user agent', async () => {
    const user = await newUser('uma');
    await signInToAccount(browserAt(CHROME_MAC, '203.0.113.9'), user);
    const sessions = await flow.server.store.artifacts.listByOwner(SESSION, userOwner(user.record.id));
    const events = await flow.server.store.artifacts.listByOwner(SIGN_IN_EVENT, userOwner(user.record.id));
    expect(sessions.map((record) => record.value)).toEqual([expect.objectContaining({ device: 'Chrome on macOS', ip: '203.0.113.9' })]);
    expect(events.map((record) => record.value)).toEqual([expect.objectContaining({ device: 'Chrome on macOS', ip: '203.0.113.9', amr: ['pwd'] })]);
    expect(JSON.stringify([...sessions, ...events])).not.toMatch(/AppleWebKit|Mozilla|KHTML/);
  });

  it('a browser it cannot name is "Unknown browser"; a sign-in with no known address shows none', async () => {
    const user = await newUser('vic');
    const account = await signInToAccount(new Browser(flow.server), user);
    expect(sessionRows(account)).toEqual(['Unknown browser This device Signed in just now · Password']);
  });

  it('names the second step: "Password + authenticator app", then "Password + code by email"', async () => {
    const user = await newUser('wren');
    const factors = factorContext(flow.server.store, clock);
    const { secret } = await giveTotp(factors, user.record.id);
    await giveContact(factors, user.record.id, 'email', 'wren@example.com');
    clock.advance(TOTP_STEP_MS);

    const app = browserAt(CHROME_MAC, '203.0.113.10');
    const challenge = expectMfaChallenge(await submitLogin(app, await app.open('/account'), user));
    const viaApp = await submitMfa(app, challenge, 'totp', { code: await totpAt(secret, clock.now()) });
    expect(isAccountPage(viaApp)).toBe(true);
    expect(sessionRows(viaApp)[0]).toBe('Chrome on macOS This device Signed in just now · Password + authenticator app · 203.0.113.10');

    clock.advance(HOUR);
    const mail = browserAt(FIREFOX_WINDOWS, '198.51.100.11');
    const second = expectMfaChallenge(await submitLogin(mail, await mail.open('/account'), user));
    const sent = await submitMfa(mail, second, 'send', {}, sendTargets(second)[0]);
    const code = (await latestCode(outbox, 'wren@example.com', { purpose: 'sign_in' }))!;
    const viaEmail = await submitMfa(mail, sent, 'contact', { code }, sendTargets(second)[0]);
    expect(isAccountPage(viaEmail)).toBe(true);
    expect(signInRows(viaEmail).map((row) => row.split(' to ')[0])).toEqual(['just now Password + code by email', '1 hour ago Password + authenticator app']);
    expect(textOf(viaEmail.body)).not.toMatch(/\b(pwd|otp|mfa)\b/);
  });

  it('names an upstream sign-in by its provider: "GitHub"', async () => {
    const browser = new Browser(flow.server);
    const login = await browser.open('/account');
    const toGitHub = await browser.submit(login, {}, { actionPart: '/upstream/github' });
    expect(toGitHub.location?.origin).toBe(new URL(fake.baseUrl).origin);
    // GitHub approves at once and sends the browser back to the callback.
    const back = await fetch(toGitHub.location!, { redirect: 'manual' });
    const account = await browser.open(back.headers.get('location')!);
    expect(isAccountPage(account), account.body.slice(0, 600)).toBe(true);
    expect(sessionRows(account)).toEqual(['Unknown browser This device Signed in just now · GitHub']);
    expect(signInRows(account)[0]).toBe('just now GitHub to Account page Signed in');
  });
});
