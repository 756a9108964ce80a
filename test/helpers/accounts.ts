/**
 * Helpers for the self-service account tests (issue 17): a flow whose email sender is the
 * development outbox, waiting for the email a request sends after its answer, and links read off
 * pages.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDevOutboxSender, readOutbox, type OutboxEntry } from '../../src/server/mfa/senders/dev-outbox.js';
import type { EmailTemplate } from '../../src/server/mfa/senders/sender.js';
import { startFlow, type Flow, type Page } from './flow.js';
import type { TestServerOptions } from './server.js';

/** A flow (alice, bob, one client) whose emails go to a development outbox file. */
export interface OutboxFlow extends Flow {
  outbox: string;
  /** Removes the outbox's directory. */
  cleanup(): void;
}

/** {@link startFlow} with the development outbox as the email sender, and proof of work off unless `options.accounts` says otherwise. */
export async function startOutboxFlow(options: TestServerOptions = {}): Promise<OutboxFlow> {
  const dir = mkdtempSync(join(tmpdir(), 'gh-accounts-'));
  const outbox = join(dir, 'outbox.jsonl');
  const sender = createDevOutboxSender({ file: outbox, log: () => undefined });
  const flow = await startFlow({
    ...options,
    mfa: { ...options.mfa, senders: { email: sender, ...options.mfa?.senders } },
    accounts: { proofOfWork: 0, ...options.accounts },
  });
  return { ...flow, outbox, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The emails of `template` to `to` in the outbox, oldest first. */
export async function emailsTo(outbox: string, to: string, template: EmailTemplate): Promise<OutboxEntry[]> {
  return (await readOutbox(outbox)).filter((entry) => entry.to === to && entry.purpose === template);
}

/** Lets the work a request left for after its answer run (it starts on `setImmediate`). */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i += 1) await new Promise((resolve) => setTimeout(resolve, 20));
}

/** Waits (up to 5 s) for the `count`-th email of `template` to `to`, and returns it. */
export async function waitForEmail(outbox: string, to: string, template: EmailTemplate, count = 1): Promise<OutboxEntry> {
  for (let i = 0; i < 250; i += 1) {
    const sent = await emailsTo(outbox, to, template);
    if (sent.length >= count) return sent[count - 1]!;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`no ${template} email to ${to}`);
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
