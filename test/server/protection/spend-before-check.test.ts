/**
 * "A limit spends before it checks", proven the way an attacker would try it: bursts of N ≥ 100
 * concurrent wrong answers (passwords, authenticator codes, recovery codes, passkey assertions,
 * client secrets), on every store the server runs on: memory, SQLite, and PostgreSQL + Redis
 * (artifacts and rate-limit counters in Redis, as in production).
 *
 * "Verified" is counted from what only a verification produces: an audit event of a wrong answer
 * (`login.failed` / `mfa.failed`), a `401` (wrong secret), or a success. Refused attempts answer
 * `429` (or the "too many wrong codes" page) without being checked.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createUser } from '../../../src/server/admin/users.js';
import type { Store, UserRecord } from '../../../src/stores/contract.js';
import { BACKENDS, closeBackends } from '../../helpers/backends.js';
import { FakeClock, T0 } from '../../helpers/fake-clock.js';
import { authorizeParams, authorizeUrl, Browser, expectPage, findForm, pkce, registerFlowClient, type FlowClient, type Page } from '../../helpers/flow.js';
import { factorContext, giveRecoveryCodes, giveTotp, TOTP_STEP_MS, totpAt, wrongTotpAt } from '../../helpers/mfa.js';
import { basic, startServer, type TestServer } from '../../helpers/server.js';

/** Concurrent wrong answers per burst. */
const N = 120;
/** The budgets under test (the defaults): per account + address, per user for second factors, per client + address. */
const PASSWORD_BUDGET = 5;
const MFA_BUDGET = 10;
const CLIENT_AUTH_BUDGET = 100;

afterAll(closeBackends);

/** POSTs a form of `page` with the browser's cookies, without following anything. */
function postForm(server: TestServer, browser: Browser, page: Page, actionPart: string, values: Record<string, string>, from: string): Promise<Response> {
  const form = findForm(page, actionPart);
  const cookie = [...browser.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  return server.server.fetch(
    new Request(new URL(form.action, page.url).href, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
      body: new URLSearchParams({ ...form.fields, ...values }),
    }),
    { remoteAddress: from },
  );
}

async function auditCount(
  store: Store,
  type: string,
  match: (details: Record<string, unknown>, subject: string | null, clientId: string | null) => boolean,
): Promise<number> {
  const events = await store.audit.list({ type, limit: 100_000 });
  return events.filter((event) => match(event.details, event.subject, event.clientId)).length;
}

describe.each(BACKENDS)('spend before check, on $name', (backend) => {
  let server: TestServer;
  let store: Store;
  let client: FlowClient;
  let close: () => Promise<void>;
  const clock = new FakeClock(T0 + 15_000);
  const users = new Map<string, { record: UserRecord; password: string }>();

  async function user(name: string): Promise<{ record: UserRecord; password: string; username: string }> {
    if (!users.has(name)) {
      const password = `${name}-correct-horse`;
      users.set(name, { record: await createUser(store, { username: name, email: `${name}@example.com`, password }, clock.now()), password });
    }
    return { ...users.get(name)!, username: name };
  }

  /** A new browser at the login page of a new authorization request. */
  async function loginPage(): Promise<{ browser: Browser; page: Page }> {
    const browser = new Browser(server);
    const page = expectPage(await browser.open(authorizeUrl(server, authorizeParams(client, pkce().challenge))), 'login');
    return { browser, page };
  }

  /** A browser past the password of `name`, at the second-factor page. */
  async function secondFactorPage(name: string): Promise<{ browser: Browser; page: Page }> {
    const { browser, page } = await loginPage();
    const who = await user(name);
    const next = await browser.submit(page, { username: who.username, password: who.password });
    findForm(next, '/mfa'); // throws unless this is the second-factor page
    return { browser, page: next };
  }

  it('sets up the backend', async () => {
    const opened = await backend.open(clock);
    store = opened.store;
    close = opened.close;
    server = await startServer({ store, clock, ...opened.serverOptions });
    client = await registerFlowClient(server);
  });

  afterAll(async () => {
    await server?.server.close();
    await close?.();
  });

  it(`${N} concurrent wrong passwords with the right one inside: at most ${PASSWORD_BUDGET} are checked, the rest get 429; then the right one is refused too`, async () => {
    const alice = await user('alice');
    const pages = await Promise.all(Array.from({ length: N + 1 }, () => loginPage()));
    const right = Math.floor(N / 2);
    const responses = await Promise.all(
      pages.map(({ browser, page }, index) =>
        postForm(
          server,
          browser,
          page,
          '/login',
          { username: index % 2 === 0 ? 'alice' : 'ALICE@example.com', password: index === right ? alice.password : `wrong-${index}` },
          '203.0.113.1',
        ),
      ),
    );
    const statuses = responses.map((response) => response.status);
    const wrongChecked = await auditCount(
      store,
      'login.failed',
      (details, _sub, clientId) => details.reason === 'bad_credentials' && clientId === client.clientId,
    );
    expect(wrongChecked).toBeLessThanOrEqual(PASSWORD_BUDGET);
    expect(statuses.filter((status) => status === 401)).toHaveLength(wrongChecked);
    expect(statuses.filter((status) => status === 429).length).toBeGreaterThanOrEqual(N - PASSWORD_BUDGET);
    expect(statuses.every((status) => [303, 401, 429].includes(status))).toBe(true);

    // The budget is spent (username and email count as one account): the right password is refused now.
    if (statuses[right] !== 303) {
      const { browser, page } = await loginPage();
      expect((await postForm(server, browser, page, '/login', { username: 'alice', password: alice.password }, '203.0.113.1')).status).toBe(429);
    }
  }, 60_000);

  it(`${N} concurrent wrong authenticator codes with the right one inside: at most ${MFA_BUDGET} wrong ones are checked`, async () => {
    const bob = await user('bob');
    const { secret } = await giveTotp(factorContext(store, clock), bob.record.id);
    clock.advance(TOTP_STEP_MS);
    const { browser, page } = await secondFactorPage('bob');
    const wrong = await wrongTotpAt(secret, clock.now());
    const right = Math.floor(N / 2);
    const responses = await Promise.all(
      Array.from({ length: N + 1 }, async (_, index) =>
        postForm(server, browser, page, '/mfa', { method: 'totp', code: index === right ? await totpAt(secret, clock.now()) : wrong }, '203.0.113.2'),
      ),
    );
    const wrongChecked = await auditCount(store, 'mfa.failed', (_details, sub) => sub === bob.record.id);
    expect(wrongChecked).toBeLessThanOrEqual(MFA_BUDGET);
    const texts = await Promise.all(responses.map((response) => response.text()));
    expect(texts.filter((text) => text.includes('Too many wrong codes')).length).toBeGreaterThanOrEqual(N - MFA_BUDGET);
    expect(responses.filter((response) => response.status === 303).length).toBeLessThanOrEqual(1);
  }, 60_000);

  it(`${N} concurrent wrong recovery codes: at most ${MFA_BUDGET} are checked; then the right code is refused (budget spent)`, async () => {
    const carol = await user('carol');
    await giveTotp(factorContext(store, clock), carol.record.id);
    const codes = await giveRecoveryCodes(factorContext(store, clock), carol.record.id);
    const { browser, page } = await secondFactorPage('carol');
    const responses = await Promise.all(
      Array.from({ length: N }, (_, index) =>
        postForm(server, browser, page, '/mfa', { method: 'recovery', code: `wrong-${String(index).padStart(5, '0')}` }, '203.0.113.3'),
      ),
    );
    const checked = await auditCount(store, 'mfa.failed', (_details, sub) => sub === carol.record.id);
    expect(checked).toBe(MFA_BUDGET);
    const texts = await Promise.all(responses.map((response) => response.text()));
    expect(texts.filter((text) => text.includes('Too many wrong codes')).length).toBeGreaterThanOrEqual(N - MFA_BUDGET);
    const refused = await postForm(server, browser, page, '/mfa', { method: 'recovery', code: codes[0]! }, '203.0.113.3');
    expect(await refused.text()).toContain('Too many wrong codes');
    expect(
      await store.factors
        .listByUser(carol.record.id)
        .then((factors) => factors.find((factor) => factor.type === 'recovery_codes')!.data.codes as { usedAt: number | null }[]),
    ).toSatisfy((list: { usedAt: number | null }[]) => list.every((code) => code.usedAt === null));
  }, 60_000);

  it(`${N} concurrent passkey assertions that do not verify: at most ${MFA_BUDGET} are checked (401), the rest 429`, async () => {
    await user('dave');
    await giveTotp(factorContext(store, clock), users.get('dave')!.record.id);
    const { browser, page } = await secondFactorPage('dave');
    const interaction = /\/interaction\/([^/]+)\//.exec(findForm(page, '/mfa').action)![1]!;
    const csrf = findForm(page, '/mfa').fields.csrf!;
    const cookie = [...browser.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    const responses = await Promise.all(
      Array.from({ length: N }, () =>
        server.server.fetch(
          new Request(`${server.issuer}/interaction/${interaction}/passkey`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-csrf-token': csrf, cookie },
            body: JSON.stringify({ challengeId: 'x'.repeat(32), response: { id: 'AAAA', rawId: 'AAAA', type: 'public-key', response: {} } }),
          }),
          { remoteAddress: '203.0.113.4' },
        ),
      ),
    );
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 401)).toHaveLength(MFA_BUDGET);
    expect(statuses.filter((status) => status === 429)).toHaveLength(N - MFA_BUDGET);
  }, 60_000);

  it(`${N} concurrent wrong client secrets with the right one inside: at most ${CLIENT_AUTH_BUDGET} are checked (401), the rest 429; then the right secret is refused`, async () => {
    const machine = await server.register({ name: 'Machine' });
    const right = Math.floor(N / 2);
    const responses = await Promise.all(
      Array.from({ length: N + 1 }, (_, index) =>
        server.server.fetch(
          new Request(`${server.issuer}/token`, {
            method: 'POST',
            headers: {
              'content-type': 'application/x-www-form-urlencoded',
              authorization: basic(machine.clientId, index === right ? machine.clientSecret : `wrong-${index}`),
            },
            body: 'grant_type=client_credentials',
          }),
          { remoteAddress: '203.0.113.7' },
        ),
      ),
    );
    const statuses = responses.map((response) => response.status);
    const wrongChecked = statuses.filter((status, index) => status === 401 && index !== right).length;
    expect(wrongChecked).toBeLessThanOrEqual(CLIENT_AUTH_BUDGET);
    expect(statuses.filter((status) => status === 429).length).toBeGreaterThanOrEqual(N - CLIENT_AUTH_BUDGET);
    const retry = responses.find((response) => response.status === 429)!;
    expect(Number(retry.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await retry.json()).toMatchObject({ error: 'temporarily_unavailable' });
    if (statuses[right] !== 200) {
      const again = await server.server.fetch(
        new Request(`${server.issuer}/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(machine.clientId, machine.clientSecret) },
          body: 'grant_type=client_credentials',
        }),
        { remoteAddress: '203.0.113.7' },
      );
      expect(again.status).toBe(429);
    }
    // Another address is not affected (the budget is per client id and address).
    const elsewhere = await server.server.fetch(
      new Request(`${server.issuer}/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(machine.clientId, machine.clientSecret) },
        body: 'grant_type=client_credentials',
      }),
      { remoteAddress: '198.51.100.9' },
    );
    expect(elsewhere.status).toBe(200);
  }, 60_000);

  it('a client making 80 concurrent good requests from one address is never refused (successes give their point back)', async () => {
    const busy = await server.register({ name: 'Busy' });
    const responses = await Promise.all(
      Array.from({ length: 80 }, () =>
        server.server.fetch(
          new Request(`${server.issuer}/token`, {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(busy.clientId, busy.clientSecret) },
            body: 'grant_type=client_credentials',
          }),
          { remoteAddress: '203.0.113.8' },
        ),
      ),
    );
    expect(responses.map((response) => response.status)).toEqual(Array(80).fill(200));
  }, 60_000);
});
