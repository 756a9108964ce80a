/**
 * Issue 17 on every store (memory, SQLite, and PostgreSQL + Redis when it answers): the
 * forgot-password and email-code answers do not tell an existing address from an unknown one
 * (byte for byte, and in time), and the limits hold under 100 concurrent requests: emails per
 * address, one use of a reset link, at most ten passwords checked per reset or invitation link,
 * five compared guesses of an emailed code.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { BACKENDS, closeBackends, type OpenedBackend } from '../../helpers/backends.js';
import { PASSWORD_TRIES_PER_LINK } from '../../../src/server/accounts/account-tokens.js';
import { inviteUser } from '../../../src/server/accounts/invitations.js';
import { askForEmailCode, comparable, emailsTo, invitationContext, settle, startOutboxFlow, waitForEmail, type OutboxFlow } from '../../helpers/accounts.js';
import { FakeClock, T0 } from '../../helpers/fake-clock.js';
import { authorizeParams, authorizeUrl, Browser, expectPage, pkce, type Page } from '../../helpers/flow.js';
import { textOf } from '../../helpers/mfa.js';
import { parseForms } from '../../helpers/user-agent.js';
import type { TestServerOptions } from '../../helpers/server.js';
import type { Store } from '../../../src/stores/contract.js';

const ALICE = 'alice@example.com';
const UNKNOWN = 'nobody@example.com';
const MANY = 100;

afterAll(() => closeBackends());

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

describe.each(BACKENDS)('account emails on $name', (backend) => {
  let opened: OpenedBackend | undefined;
  let flow: OutboxFlow | undefined;
  afterEach(async () => {
    await settle(10);
    await flow?.close();
    await opened?.close();
    flow = undefined;
    opened = undefined;
  });

  /** A flow on the backend; `wrap` wraps its store first (to observe it). */
  async function start(options: TestServerOptions = {}, wrap: (store: Store) => Store = (store) => store): Promise<OutboxFlow> {
    const clock = new FakeClock(T0);
    opened = await backend.open(clock);
    flow = await startOutboxFlow({ ...opened.serverOptions, ...options, clock, store: wrap(opened.store) });
    return flow;
  }

  /** Posts `address` with `form`'s fields to `action`, timing the answer. */
  async function timedPost(browser: Browser, action: string, fields: Record<string, string>): Promise<{ page: Page; ms: number }> {
    const started = performance.now();
    const page = await browser.open(action, { form: fields });
    return { page, ms: performance.now() - started };
  }

  /** Interleaves 20 posts for alice and 20 for an unknown address: the answers are identical, the median times close. */
  async function expectIndistinguishable(browser: Browser, action: string, fields: (address: string) => Record<string, string>): Promise<void> {
    const times: Record<string, number[]> = { [ALICE]: [], [UNKNOWN]: [] };
    const bodies: Record<string, Set<string>> = { [ALICE]: new Set(), [UNKNOWN]: new Set() };
    for (let i = 0; i < 20; i += 1) {
      for (const address of i % 2 === 0 ? [ALICE, UNKNOWN] : [UNKNOWN, ALICE]) {
        const { page, ms } = await timedPost(browser, action, fields(address));
        expect(page.status).toBe(200);
        times[address]!.push(ms);
        bodies[address]!.add(`${page.status}\n${comparable(page.body)}`);
      }
    }
    expect(bodies[ALICE]!.size).toBe(1);
    expect([...bodies[ALICE]!]).toEqual([...bodies[UNKNOWN]!]);
    const [known, unknown] = [median(times[ALICE]!), median(times[UNKNOWN]!)];
    expect(Math.abs(known - unknown), `medians ${known.toFixed(1)} ms and ${unknown.toFixed(1)} ms`).toBeLessThan(
      Math.max(15, 0.25 * Math.max(known, unknown)),
    );
  }

  const generous = { protection: { rateLimits: { accountEmailsPerIp: { points: 1000, seconds: 3600 } } } };

  it('forgot password and email code answer the same, byte for byte and in time, for an existing and an unknown address', async () => {
    const f = await start({ ...generous, accounts: { passwordless: 'email' } });
    const browser = new Browser(f.server);
    const forgot = await browser.open('/forgot-password');
    const csrf = parseForms(forgot.body)[0]!.fields.csrf!;
    await expectIndistinguishable(browser, '/forgot-password', (email) => ({ csrf, email }));

    const login = expectPage(await browser.open(authorizeUrl(f.server, authorizeParams(f.client, pkce().challenge))), 'login');
    const action = /formaction="([^"]+)"/.exec(login.body)![1]!;
    const loginCsrf = parseForms(login.body)[0]!.fields.csrf!;
    await expectIndistinguishable(browser, action, (username) => ({ csrf: loginCsrf, username }));
  }, 60_000);

  it(`${MANY} concurrent forgot-password posts from one address send at most accountEmailsPerIp emails`, async () => {
    const points = 3;
    const f = await start({
      protection: {
        rateLimits: {
          accountEmailsPerIp: { points, seconds: 3600 },
          codesPerUser: { points: 1000, seconds: 3600 },
          codesPerDestination: { points: 1000, seconds: 3600 },
        },
      },
    });
    const browser = new Browser(f.server);
    const csrf = parseForms((await browser.open('/forgot-password')).body)[0]!.fields.csrf!;
    const pages = await Promise.all(Array.from({ length: MANY }, () => browser.open('/forgot-password', { form: { csrf, email: ALICE } })));
    const statuses = pages.map((page) => page.status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(points);
    expect(statuses.filter((status) => status === 429)).toHaveLength(MANY - points);
    await waitForEmail(f.outbox, ALICE, 'password_reset', points);
    await settle(10);
    expect(await emailsTo(f.outbox, ALICE, 'password_reset')).toHaveLength(points);
  }, 60_000);

  it(`${MANY} concurrent posts of one reset link with a new password: exactly one changes it`, async () => {
    const f = await start();
    const browser = new Browser(f.server);
    const forgot = await browser.open('/forgot-password');
    await browser.submit(forgot, { email: ALICE });
    const { link } = await waitForEmail(f.outbox, ALICE, 'password_reset');
    const form = parseForms((await browser.open(link!)).body)[0]!;
    const pages = await Promise.all(
      Array.from({ length: MANY }, (_, i) => browser.open(form.action, { form: { ...form.fields, password: `correct horse battery staple ${i}` } })),
    );
    const changed = pages.filter((page) => textOf(page.body).includes('Password changed'));
    expect(changed).toHaveLength(1);
    // The others: the link was used (400), or its tries were spent before any check (410).
    const refused = pages.filter((page) => [400, 410].includes(page.status) && textOf(page.body).includes('This link no longer works'));
    expect(refused).toHaveLength(MANY - 1);
    expect(pages.filter((page) => page.status === 410)).toHaveLength(MANY - PASSWORD_TRIES_PER_LINK);
  }, 120_000);

  it(`${MANY} concurrent posts of one reset link with a weak password: at most ${PASSWORD_TRIES_PER_LINK} are checked, the rest refused unchecked`, async () => {
    const f = await start();
    const browser = new Browser(f.server);
    await browser.submit(await browser.open('/forgot-password'), { email: ALICE });
    const { link } = await waitForEmail(f.outbox, ALICE, 'password_reset');
    const form = parseForms((await browser.open(link!)).body)[0]!;
    const pages = await Promise.all(Array.from({ length: MANY }, () => browser.open(form.action, { form: { ...form.fields, password: 'password' } })));
    const checked = pages.filter((page) => page.status === 400 && textOf(page.body).includes('This password is too easy to guess.'));
    const unchecked = pages.filter((page) => page.status === 410 && textOf(page.body).includes('This link no longer works'));
    expect(checked.length).toBeLessThanOrEqual(PASSWORD_TRIES_PER_LINK);
    expect(checked.length + unchecked.length).toBe(MANY);
    // The link's tries are spent for good: even a strong password is refused now, unchecked.
    const after = await browser.open(form.action, { form: { ...form.fields, password: 'correct horse battery staple' } });
    expect(after.status).toBe(410);
    expect(textOf(after.body)).toContain('This link no longer works');
  }, 120_000);

  it(`${MANY} concurrent accepts of one invitation with a weak password: at most ${PASSWORD_TRIES_PER_LINK} are checked, the rest refused unchecked`, async () => {
    const f = await start();
    await inviteUser(invitationContext(f.server, f.outbox), { email: 'invited@example.com' }, { requireEmail: true });
    const { link } = await waitForEmail(f.outbox, 'invited@example.com', 'invitation');
    const browser = new Browser(f.server);
    const form = parseForms((await browser.open(link!)).body)[0]!;
    const pages = await Promise.all(Array.from({ length: MANY }, () => browser.open(form.action, { form: { ...form.fields, password: 'password' } })));
    const checked = pages.filter((page) => page.status === 400 && textOf(page.body).includes('This password is too easy to guess.'));
    const unchecked = pages.filter((page) => page.status === 410 && textOf(page.body).includes('Too many passwords were tried with it.'));
    expect(checked.length).toBeLessThanOrEqual(PASSWORD_TRIES_PER_LINK);
    expect(checked.length + unchecked.length).toBe(MANY);
    const after = await browser.open(form.action, { form: { ...form.fields, password: 'correct horse battery staple' } });
    expect(after.status).toBe(410);
    expect(await f.server.store.users.findByLogin('invited@example.com')).toBeUndefined();
  }, 120_000);

  /** `store`, recording each call to its artifacts (`method:kind`) in `calls`. */
  function countingArtifacts(store: Store, recorder: { calls: string[] }): Store {
    const artifacts = new Proxy(store.artifacts, {
      get(target, property) {
        const value: unknown = Reflect.get(target, property, target);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          const kind = typeof args[0] === 'string' ? args[0] : (args[0] as { kind?: string } | undefined)?.kind;
          recorder.calls.push(`${String(property)}:${kind ?? ''}`);
          return (value as (...args: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    return new Proxy(store, {
      get(target, property) {
        if (property === 'artifacts') return artifacts;
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
  }

  it('wrong emailed codes for an existing and an unknown address: the same answers, byte for byte, and the same store calls, try after try', async () => {
    const recorder = { calls: [] as string[] };
    const options = { accounts: { passwordless: 'email' as const }, protection: { rateLimits: { signInPerIp: { points: 1000, seconds: 3600 } } } };
    const f = await start(options, (store) => countingArtifacts(store, recorder));
    const asked = async (address: string) => {
      const browser = new Browser(f.server);
      const login = expectPage(await browser.open(authorizeUrl(f.server, authorizeParams(f.client, pkce().challenge))), 'login');
      const form = parseForms((await askForEmailCode(browser, login, address)).body).find((candidate) => candidate.action.endsWith('/email-code/verify'))!;
      const interaction = /\/interaction\/([^/]+)\//.exec(form.action)![1]!;
      return { browser, form, interaction };
    };
    const known = await asked(ALICE);
    const unknown = await asked(UNKNOWN);
    const { code } = await waitForEmail(f.outbox, ALICE, 'email_sign_in');
    await settle(10);
    const wrong = code === '000000' ? '111111' : '000000';
    const answers: Record<string, string[]> = { known: [], unknown: [] };
    for (let i = 0; i < 6; i += 1) {
      for (const [name, side] of Object.entries({ known, unknown })) {
        recorder.calls = [];
        const page = await side.browser.open(side.form.action, { form: { ...side.form.fields, code: wrong } });
        answers[name]!.push(`${page.status}\n${comparable(page.body).replaceAll(side.interaction, '…')}\n${recorder.calls.join(' ')}`);
      }
    }
    expect(answers.known!.every((answer) => answer.includes('put:attempt_slot'))).toBe(true);
    expect(answers.unknown).toEqual(answers.known);
    expect(textOf(answers.known![0]!)).toContain('That code did not work.');
    expect(textOf(answers.known![5]!)).toContain('Too many wrong codes.');
  }, 60_000);

  it(`${MANY} concurrent guesses of an emailed code: at most five are compared, then even the right code is refused`, async () => {
    const f = await start({ accounts: { passwordless: 'email' }, protection: { rateLimits: { signInPerIp: { points: 1000, seconds: 3600 } } } });
    const browser = new Browser(f.server);
    const login = expectPage(await browser.open(authorizeUrl(f.server, authorizeParams(f.client, pkce().challenge))), 'login');
    const codePage = await askForEmailCode(browser, login, ALICE);
    const { code } = await waitForEmail(f.outbox, ALICE, 'email_sign_in');
    const verify = parseForms(codePage.body).find((candidate) => candidate.action.endsWith('/email-code/verify'))!;
    const wrong = code === '000000' ? '111111' : '000000';
    const pages = await Promise.all(Array.from({ length: MANY }, () => browser.open(verify.action, { form: { ...verify.fields, code: wrong } })));
    const compared = pages.filter((page) => textOf(page.body).includes('That code did not work.'));
    expect(compared.length).toBeLessThanOrEqual(5);
    expect(pages.every((page) => page.status === 401)).toBe(true);
    const right = await browser.open(verify.action, { form: { ...verify.fields, code } });
    expect(textOf(right.body)).toContain('Too many wrong codes.');
  }, 60_000);
});
