/**
 * Issue 17 item 5, spend before check on the account page: 100 concurrent wrong current passwords
 * verify at most the sign-in budget (`signInPerAccountIp`, 5), and 100 concurrent codes for a new
 * email address compare at most 5, on memory, SQLite and PostgreSQL + Redis.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { BACKENDS, type OpenedBackend } from '../../helpers/backends.js';
import { FakeClock, T0 } from '../../helpers/fake-clock.js';
import { Browser } from '../../helpers/flow.js';
import { postAccountForm as post, startOutboxFlow, waitForEmail, type OutboxFlow } from '../../helpers/accounts.js';
import { openAccount, textOf } from '../../helpers/mfa.js';

const ATTEMPTS = 100;
const opened: OpenedBackend[] = [];
const flows: OutboxFlow[] = [];
afterAll(async () => {
  for (const flow of flows) await flow.close();
  for (const backend of opened) await backend.close();
});

describe.each(BACKENDS)('account page under concurrency ($name)', (backend) => {
  it(`${ATTEMPTS} concurrent wrong current passwords: at most 5 verified, the rest refused unverified`, async () => {
    const clock = new FakeClock(T0 + 15_000);
    const store = await backend.open(clock);
    opened.push(store);
    const setup = await startOutboxFlow({ clock, store: store.store, ...store.serverOptions });
    flows.push(setup);
    const { server, users } = setup;
    const browser = new Browser(server);
    const account = await openAccount(browser, users.alice);
    const pages = await Promise.all(
      Array.from({ length: ATTEMPTS }, () =>
        post(browser, account, '/account/password', { current_password: 'wrong-guess-1', new_password: 'violet tractor monsoon ledger' }),
      ),
    );
    const verified = pages.filter((page) => textOf(page.body).includes('Your current password is not right.')).length;
    const refused = pages.filter((page) => page.status === 429).length;
    expect(verified).toBeGreaterThan(0);
    expect(verified).toBeLessThanOrEqual(5);
    expect(verified + refused).toBe(ATTEMPTS);
  });

  it(`${ATTEMPTS} concurrent codes for a new address: at most 5 compared`, async () => {
    const clock = new FakeClock(T0 + 15_000);
    const store = await backend.open(clock);
    opened.push(store);
    const setup = await startOutboxFlow({ clock, store: store.store, ...store.serverOptions });
    flows.push(setup);
    const browser = new Browser(setup.server);
    const account = await openAccount(browser, setup.users.alice);
    const page = await post(browser, account, '/account/email', { email: 'alice.new@example.com' });
    const { code } = await waitForEmail(setup.outbox, 'alice.new@example.com', 'email_change');
    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
    const answers = await Promise.all(Array.from({ length: ATTEMPTS }, () => post(browser, page, '/account/email/confirm', { code: wrong })));
    const compared = answers.filter((answer) => textOf(answer.body).includes('That code did not work.')).length;
    expect(compared).toBeGreaterThan(0);
    expect(compared).toBeLessThanOrEqual(5);
    // The right code is now refused too: the code's tries are spent.
    const late = await post(browser, page, '/account/email/confirm', { code });
    expect(textOf(late.body)).toContain('tried too often');
  });
});
