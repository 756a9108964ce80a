/**
 * Helpers for the account page's own details and data (issue 17 item 5): a server whose email and
 * SMS sender is the development outbox, the outbox read once the emails sent after the answer are
 * out, and the account page's forms submitted like a user with JavaScript off.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { createDevOutboxSender, readOutbox, type OutboxEntry } from '../../src/server/mfa/senders/index.js';
import { FakeClock, T0 } from './fake-clock.js';
import { startFlow, type Browser, type Flow, type Page } from './flow.js';
import type { TestServerOptions } from './server.js';
import { parseForms } from './user-agent.js';

/** `mfa.recentAuthSeconds` of the servers below. */
export const RECENT_AUTH_SECONDS = 300;

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

export interface AccountSetup extends Flow {
  clock: FakeClock;
  /** The development outbox file (email and SMS). */
  outbox: string;
}

/** A server with alice and bob, the development outbox as the email and (unless `sms: false`) SMS sender. */
export async function setUpAccounts(options: TestServerOptions = {}, senders: { sms?: boolean } = {}): Promise<AccountSetup> {
  const dir = mkdtempSync(join(tmpdir(), 'gh-account-'));
  dirs.push(dir);
  const outbox = join(dir, 'outbox.jsonl');
  const sender = createDevOutboxSender({ file: outbox, log: () => undefined });
  const clock = options.clock ?? new FakeClock(T0 + 15_000);
  const flow = await startFlow({
    mfa: { recentAuthSeconds: RECENT_AUTH_SECONDS, senders: { email: sender, ...(senders.sms === false ? {} : { sms: sender }) } },
    ...options,
    clock,
  });
  return { ...flow, clock, outbox };
}

/** The outbox once `wanted` holds (emails sent after the answer take a moment), or as it is after a second. */
export async function outboxAfterAnswer(file: string, wanted: (entries: OutboxEntry[]) => boolean = () => true): Promise<OutboxEntry[]> {
  for (let tries = 0; tries < 50; tries += 1) {
    const entries = await readOutbox(file).catch(() => []);
    if (wanted(entries)) return entries;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return readOutbox(file).catch(() => []);
}

/** The first outbox entry for `purpose` (an account email's template), waiting for it. */
export async function outboxEntry(file: string, purpose: OutboxEntry['purpose']): Promise<OutboxEntry> {
  const entry = (await outboxAfterAnswer(file, (entries) => entries.some((candidate) => candidate.purpose === purpose))).find(
    (candidate) => candidate.purpose === purpose,
  );
  if (!entry) throw new Error(`no ${purpose} message in the outbox`);
  return entry;
}

/** A short wait, for work after the answer that should not happen to have had its chance. */
export const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 150));

/** Submits the form of `page` whose action ends with `path`, with `values`, leaving out the fields in `omit`. */
export function postAccountForm(browser: Browser, page: Page, path: string, values: Record<string, string>, omit: string[] = []): Promise<Page> {
  const form = parseForms(page.body).find((candidate) => candidate.action.split('?')[0]!.endsWith(path));
  if (!form) throw new Error(`no ${path} form on ${page.url}:\n${page.body.slice(0, 600)}`);
  const fields = Object.fromEntries(Object.entries({ ...form.fields, ...values }).filter(([name]) => !omit.includes(name)));
  return browser.open(new URL(form.action, page.url).href, { method: 'POST', form: fields });
}

/** Whether the page is the sign-in page. */
export function isLoginPage(page: Page): boolean {
  return parseForms(page.body).some((form) => form.action.endsWith('/login'));
}

/** The details of the audit events of `type`, oldest first. */
export async function auditDetails(flow: Flow, type: string): Promise<Record<string, unknown>[]> {
  return (await flow.server.store.audit.list({ type })).map((event) => event.details);
}
