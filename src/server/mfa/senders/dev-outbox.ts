import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ConfigError } from '../../../core/errors.js';
import {
  assertValidEmail,
  messageText,
  noticeText,
  type Channel,
  type CodePurpose,
  type EmailMessage,
  type EmailTemplate,
  type OneTimeCodeMessage,
  type SecurityNotice,
  type Sender,
} from './sender.js';

/**
 * One line of the development outbox file (JSON Lines).
 *
 * @example
 * const entry: OutboxEntry = { at: '2025-01-01T12:00:00.000Z', channel: 'sms', to: '+15551234567',
 *   purpose: 'sign_in', code: '123456', subject: 'Your Gatehouse sign-in code', text: '123456 is your…' };
 */
export interface OutboxEntry {
  /** ISO 8601 time the message was "sent". */
  at: string;
  channel: Channel;
  to: string;
  /** The code's purpose, `notice` for a security notice (which has no code: `code` is ''), or the account email's template. */
  purpose: CodePurpose | 'notice' | EmailTemplate;
  code: string;
  subject: string;
  text: string;
  /** An account email's link (verification, reset, invitation, sign-in), when it has one. */
  link?: string;
  /** An account email's HTML body. */
  html?: string;
}

/**
 * Options of {@link createDevOutboxSender}.
 *
 * @example
 * const options: DevOutboxSenderOptions = { file: join(dataDir, 'outbox.jsonl'), log: (line) => logger.warn(line) };
 */
export interface DevOutboxSenderOptions {
  /** JSON Lines file the messages are appended to, e.g. `<dataDir>/outbox.jsonl`. */
  file: string;
  /** Receives a one-line notice per message, code included. Default: `console.warn`. */
  log?: (line: string) => void;
  /** Time source for `at`; inject a fixed clock in tests. */
  now?: () => Date;
}

/**
 * The development outbox as returned by {@link createDevOutboxSender}.
 *
 * @example
 * const outbox: DevOutboxSender = createDevOutboxSender({ file: 'data/outbox.jsonl' });
 * console.log(outbox.kind, outbox.file); // 'dev-outbox' 'data/outbox.jsonl'
 */
export interface DevOutboxSender extends Sender {
  readonly kind: 'dev-outbox';
  readonly file: string;
}

/**
 * A sender for development and tests that delivers nothing: it appends each message as one JSON
 * line to `file` (created with mode 0600, parent directory created) and logs a notice that shows
 * the code, so a developer can sign in without an SMS gateway or mail server. Never use it in
 * production: the file and the log hold live codes. Carries both channels.
 *
 * @example
 * const outbox = createDevOutboxSender({ file: join(dataDir, 'outbox.jsonl') });
 * await outbox.send({ channel: 'sms', to: '+15551234567', code: '123456', purpose: 'sign_in',
 *   productName: 'Gatehouse', expiresInMinutes: 5 });
 * // console: [gatehouse] development outbox: sms sign_in code for +15551234567 is 123456 (not delivered; see data/outbox.jsonl)
 * await latestCode(outbox.file, '+15551234567'); // => '123456'
 */
export function createDevOutboxSender(options: DevOutboxSenderOptions): DevOutboxSender {
  const { file } = options;
  if (typeof file !== 'string' || file.trim() === '') {
    throw new ConfigError('file must be the path of the development outbox, e.g. <dataDir>/outbox.jsonl', 'ERR_INVALID_OPTION', 'file');
  }
  if (options.log !== undefined && typeof options.log !== 'function') {
    throw new ConfigError('log must be a function receiving one line', 'ERR_INVALID_OPTION', 'log');
  }
  const log = options.log ?? ((line: string) => console.warn(line));
  const now = options.now ?? (() => new Date());

  return {
    kind: 'dev-outbox',
    file,
    async send(message: OneTimeCodeMessage): Promise<void> {
      const { subject, text } = messageText(message);
      const entry: OutboxEntry = {
        at: now().toISOString(),
        channel: message.channel,
        to: message.to,
        purpose: message.purpose,
        code: message.code,
        subject,
        text,
      };
      await mkdir(dirname(file), { recursive: true, mode: 0o700 });
      // One appendFile of a whole line is a single O_APPEND write, so concurrent sends never
      // interleave within a line.
      await appendFile(file, `${JSON.stringify(entry)}\n`, { encoding: 'utf8', mode: 0o600 });
      log(`[gatehouse] development outbox: ${entry.channel} ${entry.purpose} code for ${entry.to} is ${entry.code} (not delivered; see ${file})`);
    },
    async notify(notice: SecurityNotice): Promise<void> {
      const { subject, text } = noticeText(notice);
      const entry: OutboxEntry = { at: now().toISOString(), channel: 'email', to: notice.to, purpose: 'notice', code: '', subject, text };
      await mkdir(dirname(file), { recursive: true, mode: 0o700 });
      await appendFile(file, `${JSON.stringify(entry)}\n`, { encoding: 'utf8', mode: 0o600 });
      log(`[gatehouse] development outbox: email notice for ${entry.to}: ${subject} (not delivered; see ${file})`);
    },
    async sendEmail(message: EmailMessage): Promise<void> {
      assertValidEmail(message);
      const entry: OutboxEntry = {
        at: now().toISOString(),
        channel: 'email',
        to: message.to,
        purpose: message.template,
        code: message.code ?? '',
        subject: message.subject,
        text: message.text,
        ...(message.link ? { link: message.link } : {}),
        html: message.html,
      };
      await mkdir(dirname(file), { recursive: true, mode: 0o700 });
      await appendFile(file, `${JSON.stringify(entry)}\n`, { encoding: 'utf8', mode: 0o600 });
      log(`[gatehouse] development outbox: email "${message.subject}" for ${entry.to}${message.link ? `: ${message.link}` : ''} (not delivered; see ${file})`);
    },
  };
}

/**
 * Every message in a development outbox file, oldest first; `[]` when the file does not exist yet.
 * Lines that are not valid JSON (say, cut short by a crash) are skipped.
 *
 * @example
 * const sent = await readOutbox('data/outbox.jsonl');
 * expect(sent.at(-1)).toMatchObject({ channel: 'email', to: 'ada@example.com' });
 */
export async function readOutbox(file: string): Promise<OutboxEntry[]> {
  let content: string;
  try {
    content = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const entries: OutboxEntry[] = [];
  for (const line of content.split('\n')) {
    if (line.trim() === '') continue;
    try {
      entries.push(JSON.parse(line) as OutboxEntry);
    } catch {
      continue;
    }
  }
  return entries;
}

/**
 * The newest code sent to `to`, optionally only for one purpose or channel; `undefined` when
 * nothing was sent to that recipient.
 *
 * @example
 * await signInWithPassword(page, 'ada@example.com');
 * const code = await latestCode('data/outbox.jsonl', 'ada@example.com', { purpose: 'sign_in' });
 */
export async function latestCode(file: string, to: string, filter: { purpose?: CodePurpose; channel?: Channel } = {}): Promise<string | undefined> {
  const entries = await readOutbox(file);
  for (let i = entries.length - 1; i >= 0; i--) {
    const entry = entries[i]!;
    if (entry.to !== to || entry.purpose === 'notice') continue;
    if (filter.purpose !== undefined && entry.purpose !== filter.purpose) continue;
    if (filter.channel !== undefined && entry.channel !== filter.channel) continue;
    return entry.code;
  }
  return undefined;
}
