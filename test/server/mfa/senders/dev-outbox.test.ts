import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConfigError } from '../../../../src/core/errors.js';
import { createDevOutboxSender, latestCode, readOutbox } from '../../../../src/server/mfa/senders/dev-outbox.js';
import { SenderError } from '../../../../src/server/mfa/senders/sender-error.js';
import { codeMessage, emailMessage } from './message.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-outbox-'));
});
afterEach(async () => {
  vi.restoreAllMocks();
  await rm(dir, { recursive: true, force: true });
});

describe('createDevOutboxSender', () => {
  it('appends one JSON line per message to a 0600 file in a created directory', async () => {
    const file = join(dir, 'nested', 'data', 'outbox.jsonl');
    const outbox = createDevOutboxSender({ file, log: () => undefined, now: () => new Date('2025-01-02T03:04:05.000Z') });

    await outbox.send(codeMessage());
    await outbox.send(emailMessage({ code: '654321', purpose: 'verify_contact' }));

    const lines = (await readFile(file, 'utf8')).trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(JSON.parse(lines[0]!)).toEqual({
      at: '2025-01-02T03:04:05.000Z',
      channel: 'sms',
      to: '+15551234567',
      purpose: 'sign_in',
      code: '123456',
      subject: 'Your Gatehouse sign-in code',
      text: "123456 is your Gatehouse sign-in code. It expires in 5 minutes. Don't share it.",
    });
    expect(JSON.parse(lines[1]!)).toMatchObject({ channel: 'email', to: 'ada@example.com', code: '654321' });
    if (process.platform !== 'win32') {
      expect((await stat(file)).mode & 0o777).toBe(0o600);
    }
  });

  it('logs a one-line notice with the code', async () => {
    const log = vi.fn();
    const file = join(dir, 'outbox.jsonl');
    await createDevOutboxSender({ file, log }).send(codeMessage({ code: '777111' }));

    expect(log).toHaveBeenCalledTimes(1);
    const line = log.mock.calls[0]![0] as string;
    expect(line).not.toContain('\n');
    expect(line).toContain('777111');
    expect(line).toContain('+15551234567');
    expect(line).toContain(file);
  });

  it('logs through console.warn by default', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    await createDevOutboxSender({ file: join(dir, 'outbox.jsonl') }).send(codeMessage({ code: '888222' }));
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('888222'));
  });

  it('keeps every line whole when sends run concurrently', async () => {
    const file = join(dir, 'outbox.jsonl');
    const outbox = createDevOutboxSender({ file, log: () => undefined });
    const codes = Array.from({ length: 50 }, (_, i) => String(100000 + i));
    await Promise.all(codes.map((code) => outbox.send(codeMessage({ code }))));

    const entries = await readOutbox(file);
    expect(entries.map((entry) => entry.code).sort()).toEqual(codes);
  });

  it('writes nothing for an invalid message', async () => {
    const file = join(dir, 'outbox.jsonl');
    const log = vi.fn();
    await expect(createDevOutboxSender({ file, log }).send(codeMessage({ expiresInMinutes: 0 }))).rejects.toBeInstanceOf(SenderError);
    expect(await readOutbox(file)).toEqual([]);
    expect(log).not.toHaveBeenCalled();
  });

  it('refuses a missing file path at construction', () => {
    expect(() => createDevOutboxSender({ file: '' })).toThrow(ConfigError);
  });
});

describe('latestCode and readOutbox', () => {
  it('returns the newest code for a recipient, optionally for one purpose', async () => {
    const file = join(dir, 'outbox.jsonl');
    const outbox = createDevOutboxSender({ file, log: () => undefined });
    await outbox.send(emailMessage({ code: '111111' }));
    await outbox.send(codeMessage({ code: '222222' }));
    await outbox.send(emailMessage({ code: '333333', purpose: 'verify_contact' }));
    await outbox.send(emailMessage({ to: 'bob@example.com', code: '444444' }));

    expect(await latestCode(file, 'ada@example.com')).toBe('333333');
    expect(await latestCode(file, 'ada@example.com', { purpose: 'sign_in' })).toBe('111111');
    expect(await latestCode(file, '+15551234567')).toBe('222222');
    expect(await latestCode(file, '+15551234567', { channel: 'email' })).toBeUndefined();
    expect(await latestCode(file, 'nobody@example.com')).toBeUndefined();
  });

  it('reads a missing outbox as empty and skips a torn line', async () => {
    const file = join(dir, 'outbox.jsonl');
    expect(await readOutbox(file)).toEqual([]);
    expect(await latestCode(file, 'ada@example.com')).toBeUndefined();

    await createDevOutboxSender({ file, log: () => undefined }).send(emailMessage({ code: '555555' }));
    await writeFile(file, '{"at":"2025-01-0', { flag: 'a' });
    expect(await readOutbox(file)).toHaveLength(1);
    expect(await latestCode(file, 'ada@example.com')).toBe('555555');
  });
});
