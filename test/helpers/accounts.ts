/**
 * Helpers for the account lifecycle tests (issue 17): a flow whose emails (and, when asked, SMS)
 * go to the development outbox, the emails a request sends after its answer, and the account
 * forms and links a user with JavaScript off would use.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../src/core/logger.js';
import type { InvitationContext } from '../../src/server/accounts/invitations.js';
import { createAuditLog } from '../../src/server/audit/audit-log.js';
import { createDevOutboxSender, readOutbox, type OutboxEntry } from '../../src/server/mfa/senders/dev-outbox.js';
import { resolveOptions } from '../../src/server/options.js';
import { FakeClock, T0 } from './fake-clock.js';
import { startFlow, type Browser, type Flow, type Page } from './flow.js';
import { SECRET, type TestServer, type TestServerOptions } from './server.js';
import { parseForms } from './user-agent.js';

/** `mfa.recentAuthSeconds` of the flows below, unless given: how recent a sign-in account changes need. */
export const RECENT_AUTH_SECONDS = 300;

/** A flow (alice, bob, one client) whose emails go to a development outbox file. */
export interface OutboxFlow extends Flow {
  clock: FakeClock;
  /** The development outbox file (email, and SMS when asked for). */
  outbox: string;
  /** Lets the work after the last answer end, closes the server and removes the outbox. */
  close(): Promise<void>;
}

const open = new Set<OutboxFlow>();

/**
 * {@link startFlow} with the development outbox as the email sender (and the SMS sender with
 * `sms: true`). Unless `options` say otherwise: proof of work off, `mfa.recentAuthSeconds`
 * {@link RECENT_AUTH_SECONDS}, a fake clock at `T0 + 15 s`. Close it with `close()` or
 * {@link closeOutboxFlows}.
 */
export async function startOutboxFlow(options: TestServerOptions = {}, senders: { sms?: boolean } = {}): Promise<OutboxFlow> {
  const dir = mkdtempSync(join(tmpdir(), 'gh-accounts-'));
  const outbox = join(dir, 'outbox.jsonl');
  const sender = createDevOutboxSender({ file: outbox, log: () => undefined });
  const clock = options.clock ?? new FakeClock(T0 + 15_000);
  const flow = await startFlow({
    ...options,
    clock,
    mfa: {
      recentAuthSeconds: RECENT_AUTH_SECONDS,
      ...options.mfa,
      senders: { email: sender, ...(senders.sms ? { sms: sender } : {}), ...options.mfa?.senders },
    },
    accounts: { proofOfWork: 0, ...options.accounts },
  });
  const started: OutboxFlow = {
    ...flow,
    clock,
    outbox,
    async close() {
      open.delete(started);
      await settle();
      await flow.server.server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  open.add(started);
  return started;
}

/** Closes every flow {@link startOutboxFlow} started that is still open (for `afterEach`). */
export async function closeOutboxFlows(): Promise<void> {
  for (const flow of [...open]) await flow.close();
}

/** The emails of `template` to `to` in the outbox, oldest first, as they are now. */
export async function emailsTo(outbox: string, to: string, template: OutboxEntry['purpose']): Promise<OutboxEntry[]> {
  return (await readOutbox(outbox).catch(() => [])).filter((entry) => entry.to === to && entry.purpose === template);
}

/** Waits (up to 5 s: they go out after the answer) for the `count`-th email of `template` to `to`, and returns it. */
export async function waitForEmail(outbox: string, to: string, template: OutboxEntry['purpose'], count = 1): Promise<OutboxEntry> {
  for (let i = 0; i < 250; i += 1) {
    const sent = await emailsTo(outbox, to, template);
    if (sent.length >= count) return sent[count - 1]!;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`no ${template} email to ${to}`);
}

/** Lets the work a request left for after its answer run (it starts on `setImmediate`). */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i += 1) await new Promise((resolve) => setTimeout(resolve, 20));
}

/** Submits the form of `page` whose action ends with `path`, with `values`, leaving out the fields in `omit`. */
export function postAccountForm(browser: Browser, page: Page, path: string, values: Record<string, string>, omit: string[] = []): Promise<Page> {
  const form = parseForms(page.body).find((candidate) => candidate.action.split('?')[0]!.endsWith(path));
  if (!form) throw new Error(`no ${path} form on ${page.url}:\n${page.body.slice(0, 600)}`);
  const fields = Object.fromEntries(Object.entries({ ...form.fields, ...values }).filter(([name]) => !omit.includes(name)));
  return browser.open(new URL(form.action, page.url).href, { method: 'POST', form: fields });
}

/** "Email me a sign-in code" on the login page, with `address` in the username field. */
export function askForEmailCode(browser: Browser, login: Page, address: string): Promise<Page> {
  const action = /formaction="([^"]+)"/.exec(login.body)?.[1];
  if (!action) throw new Error(`no "Email me a sign-in code" on ${login.url}`);
  return browser.open(action, { form: { csrf: parseForms(login.body)[0]!.fields.csrf!, username: address } });
}

/** Whether the page is the sign-in page. */
export function isLoginPage(page: Page): boolean {
  return parseForms(page.body).some((form) => form.action.endsWith('/login'));
}

/** The details of the audit events of `type`, oldest first. */
export async function auditDetails(flow: Flow, type: string): Promise<Record<string, unknown>[]> {
  return (await flow.server.store.audit.list({ type })).map((event) => event.details);
}

/** The `href` of the link whose text is `text` on a page. */
export function linkHref(page: Page, text: string): string {
  const match = new RegExp(`<a [^>]*href="([^"]+)"[^>]*>${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}</a>`).exec(page.body);
  if (!match) throw new Error(`no link "${text}" on ${page.url}:\n${page.body.slice(0, 800)}`);
  return match[1]!.replace(/&amp;/g, '&');
}

/** A page's body with the per-response nonce and every CSRF token replaced, to compare two answers. */
export function comparable(body: string): string {
  return body.replace(/nonce="[^"]*"/g, 'nonce="…"').replace(/name="csrf" value="[^"]*"/g, 'name="csrf" value="…"');
}

/**
 * What `gatehouse users invite` invites with, on `server`: its store, clock and keys, a
 * configuration with `accounts` whose email sender writes to `outbox`, and an audit log.
 */
export function invitationContext(server: TestServer, outbox: string, accounts: TestServerOptions['accounts'] = {}): InvitationContext {
  const { store, clock, secretKeys: secrets, issuer } = server;
  const email = createDevOutboxSender({ file: outbox, log: () => undefined });
  const config = resolveOptions({ issuer, secret: SECRET, store, mfa: { senders: { email } }, accounts });
  return { store, clock, secrets, config, audit: createAuditLog({ store, secretKeys: secrets, logger: silentLogger(), clock }) };
}
