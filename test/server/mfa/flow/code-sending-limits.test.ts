/**
 * Security issue, item 7: limits on sending one-time codes by text message and email (SMS pumping,
 * mail floods). The 30-second gap between codes for one factor and purpose is claimed atomically;
 * each code spends from a per-user, a per-destination and an installation-wide hourly budget
 * (`codesPerUser`, `codesPerDestination`, `codesGlobal`); the account page reuses a pending
 * phone number or address instead of adding another, keeps at most three waiting, and drops those
 * older than ten minutes.
 *
 * The budgets count in real time (rate-limiter-flexible), the 30-second gap in the server's clock:
 * tests advance the fake clock 31 s between sends and give each scenario its own server or users.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../../../../src/server/admin/users.js';
import { createDevOutboxSender, latestCode, readOutbox } from '../../../../src/server/mfa/senders/index.js';
import type { MfaFactorRecord } from '../../../../src/stores/contract.js';
import { authorizeParams, authorizeUrl, Browser, pkce, startFlow, submitLogin, type Flow, type Page, type TestUser } from '../../../helpers/flow.js';
import { FakeClock, T0 } from '../../../helpers/fake-clock.js';
import type { TestServerOptions } from '../../../helpers/server.js';
import {
  continueToClient,
  expectMfaChallenge,
  factorContext,
  giveContact,
  giveTotp,
  isAccountPage,
  openAccount,
  sendTargets,
  submitMfa,
  textOf,
  TOTP_STEP_MS,
  totpAt,
} from '../../../helpers/mfa.js';
import { parseForms } from '../../../helpers/user-agent.js';

const GAP_MS = 31_000;
const TOO_MANY = 'Too many codes were sent.';
const TOO_MANY_PENDING = 'Several numbers or addresses are waiting for their code. Confirm one, or try again in 10 minutes.';

let dir: string;
let servers = 0;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gh-code-limits-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

interface LimitsFlow extends Flow {
  clock: FakeClock;
  outbox: string;
  /** A new user with a password (and the given email as their account address, if any). */
  user(email?: string): Promise<TestUser>;
}

/** A server of its own (own rate-limit counters), with the development outbox for both channels. */
async function startLimitsFlow(options: TestServerOptions = {}): Promise<LimitsFlow> {
  servers += 1;
  const outbox = join(dir, `outbox-${servers}.jsonl`);
  const sender = createDevOutboxSender({ file: outbox, log: () => undefined });
  const clock = new FakeClock(T0 + 15_000);
  // A long recentAuthSeconds so the account page still accepts additions after the clock moves on.
  const flow = await startFlow({ clock, ...options, mfa: { recentAuthSeconds: 24 * 3600, senders: { email: sender, sms: sender }, ...options.mfa } });
  let users = 0;
  return {
    ...flow,
    clock,
    outbox,
    async user(email) {
      users += 1;
      const username = `user${users}`;
      const password = `${username}-password-1`;
      const record = await createUser(flow.server.store, { username, password, ...(email ? { email } : {}) }, clock.now());
      return { record, username, password };
    },
  };
}

/** A sign-in at the client up to the second-factor page (the user has a contact factor). */
async function toSecondFactor(flow: LimitsFlow, user: TestUser): Promise<{ browser: Browser; page: Page }> {
  const browser = new Browser(flow.server);
  const login = await browser.open(authorizeUrl(flow.server, authorizeParams(flow.client, pkce().challenge)));
  return { browser, page: expectMfaChallenge(await submitLogin(browser, login, user)) };
}

/** "Send a code" to `factor` from the second-factor page. */
function send(browser: Browser, page: Page, factor: MfaFactorRecord): Promise<Page> {
  return submitMfa(browser, page, 'send', {}, factor.id);
}

async function sentTo(flow: LimitsFlow, to: string): Promise<number> {
  return (await readOutbox(flow.outbox)).filter((entry) => entry.to === to).length;
}

/** Whether the page asks for the code that was just sent. */
function asksForCode(page: Page): boolean {
  return parseForms(page.body).some((form) => form.fields.method === 'contact');
}

async function pendingContacts(flow: LimitsFlow, user: TestUser): Promise<MfaFactorRecord[]> {
  return (await flow.server.store.factors.listByUser(user.record.id)).filter(
    (factor) => (factor.type === 'email' || factor.type === 'sms') && factor.data.confirmed !== true,
  );
}

function addContact(browser: Browser, account: Page, channel: 'email' | 'sms', to: string): Promise<Page> {
  return browser.submit(account, { channel, to }, { actionPart: '/account/contacts' });
}

describe('the 30-second gap between codes is claimed atomically', () => {
  it('30 concurrent "send" posts on the second-factor page send exactly one message; 31 s later another may go', async () => {
    const flow = await startLimitsFlow();
    const user = await flow.user();
    const factor = await giveContact(factorContext(flow.server.store, flow.clock), user.record.id, 'email', 'burst@example.com');
    const { browser, page } = await toSecondFactor(flow, user);
    expect(sendTargets(page)).toEqual([factor.id]);

    const answers = await Promise.all(Array.from({ length: 30 }, () => send(browser, page, factor)));
    expect(await sentTo(flow, 'burst@example.com')).toBe(1);
    expect(answers.every(asksForCode)).toBe(true);
    expect(answers.filter((answer) => textOf(answer.body).includes('A code was sent moments ago'))).toHaveLength(29);

    // The gap runs on the server's clock: 31 s later one more code goes, and it signs in.
    flow.clock.advance(GAP_MS);
    const resent = await send(browser, page, factor);
    expect(await sentTo(flow, 'burst@example.com')).toBe(2);
    const code = (await latestCode(flow.outbox, 'burst@example.com', { purpose: 'sign_in' }))!;
    const done = await submitMfa(browser, resent, 'contact', { code }, factor.id);
    expect((await continueToClient(browser, done)).get('code')).toEqual(expect.any(String));
  });

  it('after an address is added on the account page, 30 concurrent adds of it again send no further code and add no factor', async () => {
    const flow = await startLimitsFlow();
    const user = await flow.user();
    const browser = new Browser(flow.server);
    const account = await openAccount(browser, user);
    expect(isAccountPage(account)).toBe(true);
    await addContact(browser, account, 'email', 'same@example.com');
    const answers = await Promise.all(Array.from({ length: 30 }, () => addContact(browser, account, 'email', 'same@example.com')));
    expect(answers.every((answer) => textOf(answer.body).includes('Confirm your email address'))).toBe(true);
    expect(await sentTo(flow, 'same@example.com')).toBe(1);
    expect(await pendingContacts(flow, user)).toHaveLength(1);
  });

  // Both the destination and the pending places are claimed atomically in the store (pending-contacts.ts).
  it('concurrent first adds of one address create one pending factor and send one code; of different addresses, at most 3 pending', async () => {
    const flow = await startLimitsFlow();
    const user = await flow.user();
    const browser = new Browser(flow.server);
    const account = await openAccount(browser, user);
    await Promise.all(Array.from({ length: 10 }, () => addContact(browser, account, 'email', 'race@example.com')));
    expect(await pendingContacts(flow, user)).toHaveLength(1);
    expect(await sentTo(flow, 'race@example.com')).toBe(1);

    const other = await flow.user();
    const otherBrowser = new Browser(flow.server);
    const otherAccount = await openAccount(otherBrowser, other);
    await Promise.all(Array.from({ length: 10 }, (_, i) => addContact(otherBrowser, otherAccount, 'email', `race${i}@example.com`)));
    expect((await pendingContacts(flow, other)).length).toBeLessThanOrEqual(3);
  });
});

describe('hourly budgets of codes', () => {
  it('at most 5 codes per user per hour, across factors: the 6th is refused, says so, and sends nothing', async () => {
    const flow = await startLimitsFlow();
    const user = await flow.user();
    const ctx = factorContext(flow.server.store, flow.clock);
    const first = await giveContact(ctx, user.record.id, 'email', 'first@example.com');
    const second = await giveContact(ctx, user.record.id, 'sms', '+447700900301');
    const { browser, page } = await toSecondFactor(flow, user);

    for (const factor of [first, second, first, second, first]) {
      flow.clock.advance(GAP_MS);
      const answer = await send(browser, page, factor);
      expect(textOf(answer.body)).not.toContain(TOO_MANY);
    }
    expect(await sentTo(flow, 'first@example.com')).toBe(3);
    expect(await sentTo(flow, '+447700900301')).toBe(2);

    for (const factor of [second, first]) {
      flow.clock.advance(GAP_MS);
      const refused = await send(browser, page, factor);
      expect(textOf(refused.body)).toContain(`${TOO_MANY} You can ask for a new one after`);
      expect(textOf(refused.body)).toContain('or use another way to verify');
    }
    expect(await sentTo(flow, 'first@example.com')).toBe(3);
    expect(await sentTo(flow, '+447700900301')).toBe(2);

    // Another user is not affected.
    const accountBrowser = new Browser(flow.server);
    const otherUser = await flow.user();
    expect(isAccountPage(await openAccount(accountBrowser, otherUser))).toBe(true);
    const verify = await addContact(accountBrowser, await accountBrowser.open('/account'), 'email', 'other-user@example.com');
    expect(textOf(verify.body)).toContain('Confirm your email address');
  });

  it('the account page refuses a verification code past the user budget, saying so', async () => {
    const flow = await startLimitsFlow({ protection: { rateLimits: { codesPerUser: { points: 2, seconds: 3600 } } } });
    const user = await flow.user();
    const browser = new Browser(flow.server);
    const account = await openAccount(browser, user);
    expect(textOf((await addContact(browser, account, 'email', 'one@example.com')).body)).toContain('Confirm your email address');
    expect(textOf((await addContact(browser, account, 'sms', '+447700900401')).body)).toContain('Confirm your phone number');
    const refused = await addContact(browser, account, 'email', 'three@example.com');
    expect(isAccountPage(refused)).toBe(true);
    expect(textOf(refused.body)).toContain(`${TOO_MANY} Try again after`);
    expect(await sentTo(flow, 'three@example.com')).toBe(0);
  });

  it('at most 5 codes per destination per hour, across users (whatever the letter case)', async () => {
    const flow = await startLimitsFlow();
    const ctx = factorContext(flow.server.store, flow.clock);
    const [u1, u2, u3] = [await flow.user(), await flow.user(), await flow.user()];
    const f1 = await giveContact(ctx, u1.record.id, 'email', 'shared@example.com');
    const f2 = await giveContact(ctx, u2.record.id, 'email', 'shared@example.com');
    const f3 = await giveContact(ctx, u3.record.id, 'email', 'Shared@Example.COM');

    const one = await toSecondFactor(flow, u1);
    for (let i = 0; i < 3; i += 1) {
      flow.clock.advance(GAP_MS);
      expect(asksForCode(await send(one.browser, one.page, f1))).toBe(true);
    }
    const two = await toSecondFactor(flow, u2);
    for (let i = 0; i < 2; i += 1) {
      flow.clock.advance(GAP_MS);
      expect(textOf((await send(two.browser, two.page, f2)).body)).not.toContain(TOO_MANY);
    }
    expect(await sentTo(flow, 'shared@example.com')).toBe(5);

    // u3 has sent nothing, yet the address has had its five.
    const three = await toSecondFactor(flow, u3);
    flow.clock.advance(GAP_MS);
    expect(textOf((await send(three.browser, three.page, f3)).body)).toContain(TOO_MANY);
    flow.clock.advance(GAP_MS);
    expect(textOf((await send(two.browser, two.page, f2)).body)).toContain(TOO_MANY);
    const entries = await readOutbox(flow.outbox);
    expect(entries).toHaveLength(5);
  });

  it('an installation-wide budget (codesGlobal, here 3 per hour): the 4th code of anyone is refused', async () => {
    const flow = await startLimitsFlow({ protection: { rateLimits: { codesGlobal: { points: 3, seconds: 3600 } } } });
    const ctx = factorContext(flow.server.store, flow.clock);
    for (let i = 1; i <= 3; i += 1) {
      const user = await flow.user();
      const factor = await giveContact(ctx, user.record.id, 'sms', `+44770090050${i}`);
      const { browser, page } = await toSecondFactor(flow, user);
      expect(asksForCode(await send(browser, page, factor))).toBe(true);
    }
    const user = await flow.user();
    const factor = await giveContact(ctx, user.record.id, 'sms', '+447700900509');
    const { browser, page } = await toSecondFactor(flow, user);
    flow.clock.advance(GAP_MS);
    expect(textOf((await send(browser, page, factor)).body)).toContain(TOO_MANY);

    // The account page's verification codes spend from the same budget.
    const other = await flow.user();
    const accountBrowser = new Browser(flow.server);
    const refused = await addContact(accountBrowser, await openAccount(accountBrowser, other), 'email', 'late@example.com');
    expect(textOf(refused.body)).toContain(TOO_MANY);
    expect(await readOutbox(flow.outbox)).toHaveLength(3);
  });
});

describe('pending (unconfirmed) phone numbers and addresses on the account page', () => {
  it('adding the same address again reuses the pending factor; after 31 s a new code goes to it, and the newest code confirms it', async () => {
    const flow = await startLimitsFlow();
    const user = await flow.user();
    const browser = new Browser(flow.server);
    const account = await openAccount(browser, user);

    await addContact(browser, account, 'email', 'again@example.com');
    const [pending] = await pendingContacts(flow, user);
    const again = await addContact(browser, account, 'email', ' AGAIN@example.com ');
    expect(textOf(again.body)).toContain('Confirm your email address');
    expect((await pendingContacts(flow, user)).map((factor) => factor.id)).toEqual([pending!.id]);
    expect(await sentTo(flow, 'again@example.com')).toBe(1);

    flow.clock.advance(GAP_MS);
    const third = await addContact(browser, account, 'email', 'again@example.com');
    expect((await pendingContacts(flow, user)).map((factor) => factor.id)).toEqual([pending!.id]);
    expect(await sentTo(flow, 'again@example.com')).toBe(2);
    const code = (await latestCode(flow.outbox, 'again@example.com', { purpose: 'verify_contact' }))!;
    const codes = await browser.submit(third, { code }, { actionPart: '/account/contacts/confirm' });
    // The first factor brings recovery codes; saving them goes on to the account page.
    const done = await browser.submit(codes, {}, { actionPart: '/account/done' });
    expect(isAccountPage(done)).toBe(true);
    const factors = (await flow.server.store.factors.listByUser(user.record.id)).filter((factor) => factor.type === 'email');
    expect(factors.map((factor) => [factor.id, factor.data.confirmed])).toEqual([[pending!.id, true]]);
  });

  it('at most 3 pending at once: a 4th different address is refused (no factor, no message); after 10 minutes stale ones are dropped', async () => {
    const flow = await startLimitsFlow();
    const user = await flow.user();
    // A confirmed contact (and an app to sign in with) must survive the clean-up of stale pending ones.
    const ctx = factorContext(flow.server.store, flow.clock);
    const confirmed = await giveContact(ctx, user.record.id, 'email', 'kept@example.com');
    const { secret } = await giveTotp(ctx, user.record.id);
    flow.clock.advance(TOTP_STEP_MS);
    const browser = new Browser(flow.server);
    const account = await submitMfa(browser, expectMfaChallenge(await openAccount(browser, user)), 'totp', { code: await totpAt(secret, flow.clock.now()) });
    expect(isAccountPage(account)).toBe(true);

    await addContact(browser, account, 'email', 'p1@example.com');
    await addContact(browser, account, 'sms', '+447700900601');
    await addContact(browser, account, 'email', 'p3@example.com');
    expect(await pendingContacts(flow, user)).toHaveLength(3);

    const refused = await addContact(browser, account, 'email', 'p4@example.com');
    expect(isAccountPage(refused)).toBe(true);
    expect(textOf(refused.body)).toContain(TOO_MANY_PENDING);
    expect(await pendingContacts(flow, user)).toHaveLength(3);
    expect(await sentTo(flow, 'p4@example.com')).toBe(0);
    // One of the three may still be asked for again (it is the same pending factor).
    expect(textOf((await addContact(browser, account, 'sms', '+44 7700 900601')).body)).toContain('Confirm your phone number');
    expect(await pendingContacts(flow, user)).toHaveLength(3);

    // Just under 10 minutes later they still count; just over, they are dropped and the 4th is accepted.
    flow.clock.advance(10 * 60_000 - 2 * TOTP_STEP_MS);
    expect(textOf((await addContact(browser, account, 'email', 'p4@example.com')).body)).toContain(TOO_MANY_PENDING);
    flow.clock.advance(2 * TOTP_STEP_MS + 1_000);
    const accepted = await addContact(browser, account, 'email', 'p4@example.com');
    expect(textOf(accepted.body)).toContain('Confirm your email address');
    expect((await pendingContacts(flow, user)).map((factor) => factor.data.to)).toEqual(['p4@example.com']);
    expect(await sentTo(flow, 'p4@example.com')).toBe(1);
    const all = await flow.server.store.factors.listByUser(user.record.id);
    expect(all.find((factor) => factor.id === confirmed.id)?.data.confirmed).toBe(true);
    expect(all.filter((factor) => factor.type === 'totp')).toHaveLength(1);
  });
});
