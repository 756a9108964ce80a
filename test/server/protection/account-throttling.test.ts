/**
 * Per-account sign-in throttling (security issue item 3): attempts count against the resolved
 * account, whichever name was typed, and against the account from every address together, so
 * spreading guesses over many addresses does not multiply them. Browsers that signed in to the
 * account before are exempt from the address-independent budget, so an attacker cannot lock the
 * real user out of their own device. And a flood of failed client authentications cannot grow the
 * audit chain without bound (item 12).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createUser } from '../../../src/server/admin/users.js';
import type { Store } from '../../../src/stores/contract.js';
import { BACKENDS, closeBackends } from '../../helpers/backends.js';
import { FakeClock, T0 } from '../../helpers/fake-clock.js';
import { authorizeParams, authorizeUrl, Browser, expectPage, findForm, pkce, registerFlowClient, type FlowClient } from '../../helpers/flow.js';
import { basic, startServer, type TestServer } from '../../helpers/server.js';

const ACCOUNT_BUDGET = 10;

afterAll(closeBackends);

describe.each(BACKENDS)('per-account sign-in throttling, on $name', (backend) => {
  let server: TestServer;
  let store: Store;
  let client: FlowClient;
  let close: () => Promise<void>;
  const clock = new FakeClock(T0 + 15_000);
  const PASSWORD = 'victim-correct-horse';

  it('sets up the backend', async () => {
    const opened = await backend.open(clock);
    ({ store, close } = opened);
    server = await startServer({ store, clock, ...opened.serverOptions });
    client = await registerFlowClient(server);
    await createUser(store, { username: 'victim', email: 'victim@example.com', password: PASSWORD }, clock.now());
  });

  afterAll(async () => {
    await server?.server.close();
    await close?.();
  });

  /** One password attempt in `browser` (a new authorization request) from `address`. */
  async function attempt(browser: Browser, address: string, username: string, password: string): Promise<number> {
    // prompt=login: the known browser has a session from its earlier sign-in.
    const page = expectPage(await browser.open(authorizeUrl(server, authorizeParams(client, pkce().challenge, { prompt: 'login' }))), 'login');
    const form = findForm(page, '/login');
    const cookie = [...browser.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    const response = await server.server.fetch(
      new Request(new URL(form.action, page.url).href, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
        body: new URLSearchParams({ ...form.fields, username, password }),
      }),
      { remoteAddress: address },
    );
    for (const header of response.headers.getSetCookie()) {
      const [pair] = header.split(';');
      const eq = pair!.indexOf('=');
      browser.cookies.set(pair!.slice(0, eq), pair!.slice(eq + 1));
    }
    return response.status;
  }

  const checked = async () =>
    (await store.audit.list({ type: 'login.failed', limit: 100_000 })).filter((event) => event.details.reason === 'bad_credentials').length;

  it('the real user signs in once from their own browser, which the account then knows', async () => {
    expect(await attempt(knownBrowser(), '198.51.100.1', 'victim', PASSWORD)).toBe(303);
  });

  let home: Browser | undefined;
  function knownBrowser(): Browser {
    home ??= new Browser(server);
    return home;
  }

  it(`20 addresses × 6 guesses, username and email mixed: at most ${ACCOUNT_BUDGET} are checked, not 120`, async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, async (_, host) => {
        const browser = new Browser(server);
        const statuses: number[] = [];
        for (let guess = 0; guess < 6; guess += 1) {
          statuses.push(await attempt(browser, `203.0.113.${host + 1}`, guess % 2 === 0 ? 'victim' : 'VICTIM@example.com', `guess-${host}-${guess}`));
        }
        return statuses;
      }),
    );
    const statuses = results.flat();
    expect(await checked()).toBeLessThanOrEqual(ACCOUNT_BUDGET);
    expect(statuses.filter((status) => status === 401).length).toBeLessThanOrEqual(ACCOUNT_BUDGET);
    expect(statuses.filter((status) => status === 429).length).toBeGreaterThanOrEqual(120 - ACCOUNT_BUDGET);
  }, 60_000);

  it('while the account budget is spent, a new browser with the right password is refused, but the user’s own browser signs in (no lockout of the real user)', async () => {
    expect(await attempt(new Browser(server), '198.51.100.77', 'victim', PASSWORD)).toBe(429);
    expect(await attempt(knownBrowser(), '198.51.100.2', 'victim@example.com', PASSWORD)).toBe(303);
  });

  it('an unknown name is counted by what was typed, and answers like a wrong password for an existing one', async () => {
    const browser = new Browser(server);
    expect(await attempt(browser, '192.0.2.50', 'nobody-here', 'whatever-password')).toBe(401);
  });

  it('a flood of unknown client ids from one address: every request refused, at most 10 audit events for it', async () => {
    const before = (await store.audit.list({ type: 'client.authentication_failed', limit: 100_000 })).length;
    const statuses = await Promise.all(
      Array.from({ length: 200 }, (_, index) =>
        server.server
          .fetch(
            new Request(`${server.issuer}/token`, {
              method: 'POST',
              headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(`unknown-${index}`, 'secret') },
              body: 'grant_type=client_credentials',
            }),
            { remoteAddress: '192.0.2.99' },
          )
          .then((response) => response.status),
      ),
    );
    expect(statuses.every((status) => status === 401)).toBe(true);
    await server.server.close(); // flushes the audit queue
    const after = (await store.audit.list({ type: 'client.authentication_failed', limit: 100_000 })).length;
    expect(after - before).toBeLessThanOrEqual(10);
    expect(after - before).toBeGreaterThan(0);
  }, 60_000);
});
