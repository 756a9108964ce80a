/**
 * Signing in to the admin console (issue 18) in tests through the fetch handler: a flow where
 * alice holds the admin role and has an authenticator app, and a browser signed in to `/admin`
 * with password and TOTP.
 */
import { expect } from 'vitest';
import { isLoginPage, startOutboxFlow, type OutboxFlow } from './accounts.js';
import { Browser, submitLogin, type Page, type TestUser } from './flow.js';
import { expectMfaChallenge, factorContext, giveTotp, submitMfa, totpAt } from './mfa.js';
import { parseForms } from './user-agent.js';

/** A flow where alice holds the admin role and has an authenticator app; bob is a plain user. */
export async function consoleFlow(options: Parameters<typeof startOutboxFlow>[0] = {}) {
  const flow = await startOutboxFlow(options);
  const { server, users, clock } = flow;
  await server.store.users.update({ ...users.alice.record, roles: ['admin'] });
  const totp = await giveTotp(factorContext(server.store, clock), users.alice.record.id);
  clock.advance(30_000);
  return { ...flow, totp };
}

/** Opens `/admin` in a fresh browser and signs in as `user` with password and TOTP; returns the dashboard. */
export async function signInToConsole(flow: OutboxFlow & { totp: { secret: string } }, user: TestUser): Promise<{ browser: Browser; page: Page }> {
  const browser = new Browser(flow.server);
  const login = await browser.open('/admin');
  expect(isLoginPage(login)).toBe(true);
  const challenge = expectMfaChallenge(await submitLogin(browser, login, user));
  const page = await submitMfa(browser, challenge, 'totp', { code: await totpAt(flow.totp.secret, flow.clock.now()) });
  return { browser, page };
}

/** The CSRF token of the console's forms on `page`. */
export function csrfOf(page: Page): string {
  const form = parseForms(page.body).find((candidate) => candidate.action.includes('/admin/'));
  if (!form?.fields.csrf) throw new Error(`no console form on ${page.url}:\n${page.body.slice(0, 600)}`);
  return form.fields.csrf;
}
