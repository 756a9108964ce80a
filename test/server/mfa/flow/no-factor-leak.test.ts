/**
 * Issue 7 acceptance: nothing tells, before the password is right, which second factors a user
 * has, or whether they have any. The login page and a wrong-password answer are the same for a
 * user with an authenticator app, recovery codes and an email, one with none, and no user at all.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDevOutboxSender } from '../../../../src/server/mfa/senders/index.js';
import { authorizeParams, authorizeUrl, Browser, expectPage, normalisePage, pkce, startFlow, type Flow, type Page } from '../../../helpers/flow.js';
import { FakeClock, T0 } from '../../../helpers/fake-clock.js';
import { factorContext, giveContact, giveRecoveryCodes, giveTotp, textOf } from '../../../helpers/mfa.js';
import { parseForms } from '../../../helpers/user-agent.js';

let flow: Flow;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gh-outbox-'));
  const sender = createDevOutboxSender({ file: join(dir, 'outbox.jsonl'), log: () => undefined });
  const clock = new FakeClock(T0 + 15_000);
  flow = await startFlow({ clock, mfa: { senders: { email: sender, sms: sender } } });
  const ctx = factorContext(flow.server.store, clock);
  const alice = flow.users.alice.record.id;
  await giveTotp(ctx, alice);
  await giveRecoveryCodes(ctx, alice);
  await giveContact(ctx, alice, 'email', 'alice@example.com');
  await giveContact(ctx, alice, 'sms', '+447700900123');
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A page with what differs per request (nonce, CSRF token, interaction id) blanked. */
function comparable(page: Page): string {
  return normalisePage(page.body).replace(/(\/interaction\/|interaction=)[A-Za-z0-9_-]{32}/g, '$1…');
}

/** Names of the cookies a response set. */
function cookieNames(page: Page): string[] {
  return page.headers.getSetCookie().map((header) => header.slice(0, header.indexOf('=')));
}

async function loginPage(browser: Browser, overrides: Record<string, string> = {}): Promise<Page> {
  return expectPage(await browser.open(authorizeUrl(flow.server, authorizeParams(flow.client, pkce().challenge, overrides))), 'login');
}

describe('no hint of second factors before the password', () => {
  it('the login page is the same whoever login_hint names', async () => {
    const pages = await Promise.all(
      ['alice', 'bob', 'nobody'].map(async (hint) =>
        comparable(await loginPage(new Browser(flow.server), { login_hint: hint })).replace(`value="${hint}"`, 'value="…"'),
      ),
    );
    expect(pages[0]).toBe(pages[1]);
    expect(pages[0]).toBe(pages[2]);
    expect(textOf(pages[0]!)).not.toMatch(/authenticator|recovery|Email a code|Text a code|two-step/i);
  });

  it('a wrong password gets the same answer (status, cookies, page) for a user with factors, one without, and no user', async () => {
    const answers = await Promise.all(
      ['alice', 'bob', 'nobody'].map(async (username) => {
        const browser = new Browser(flow.server);
        const login = await loginPage(browser);
        return browser.submit(login, { username, password: 'not-the-password' });
      }),
    );
    for (const answer of answers) {
      expect(answer.status).toBe(401);
      expect(answer.body).toContain('The username or password is incorrect.');
      expect(parseForms(answer.body).some((form) => form.fields.method !== undefined)).toBe(false);
    }
    expect(comparable(answers[0]!)).toBe(comparable(answers[1]!));
    expect(comparable(answers[0]!)).toBe(comparable(answers[2]!));
    expect(cookieNames(answers[0]!)).toEqual(cookieNames(answers[1]!));
    expect(cookieNames(answers[0]!)).toEqual(cookieNames(answers[2]!));
  });

  it("the login page's passkey options (passwordless) list no one's credentials", async () => {
    const browser = new Browser(flow.server);
    const page = await loginPage(browser, { login_hint: 'alice' });
    const form = parseForms(page.body).find((candidate) => candidate.action.includes('/passkey/options'))!;
    const response = await flow.server.server.fetch(
      new Request(new URL(form.action, page.url), {
        method: 'POST',
        headers: {
          'X-CSRF-Token': form.fields.csrf!,
          Accept: 'application/json',
          cookie: [...browser.cookies].map(([name, value]) => `${name}=${value}`).join('; '),
        },
      }),
    );
    expect(response.status).toBe(200);
    const { options } = (await response.json()) as { options: { allowCredentials?: unknown[]; userVerification?: string } };
    expect(options.allowCredentials ?? []).toEqual([]);
    expect(options.userVerification).toBe('required');
  });
});
