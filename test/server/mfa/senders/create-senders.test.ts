import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConfigError } from '../../../../src/core/errors.js';
import { createSenders, type SendersConfig } from '../../../../src/server/mfa/senders/create-senders.js';
import { latestCode } from '../../../../src/server/mfa/senders/dev-outbox.js';
import { codeMessage, emailMessage } from './message.js';

const SMTP = { smtpUrl: 'smtps://gatehouse:s3cret-pass@smtp.example.com:465', smtpFrom: 'no-reply@example.com' };
const WEBHOOK = { webhookUrl: 'https://sms.example.com/hook', webhookSecret: 'whsec-0123456789' };

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gatehouse-senders-'));
  vi.spyOn(console, 'warn').mockImplementation(() => undefined);
});
afterEach(async () => {
  vi.restoreAllMocks();
  await rm(dir, { recursive: true, force: true });
});

function kinds(config: SendersConfig): { email: string | undefined; sms: string | undefined } {
  const { email, sms } = createSenders(config);
  return { email: email?.kind, sms: sms?.kind };
}

function configError(config: SendersConfig): ConfigError {
  try {
    createSenders(config);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected createSenders to throw');
}

describe('createSenders in development', () => {
  it('sends both channels to the outbox when nothing is configured', async () => {
    const outboxFile = join(dir, 'outbox.jsonl');
    const { email, sms } = createSenders({ mode: 'development', outboxFile });
    expect(email?.kind).toBe('dev-outbox');
    expect(sms?.kind).toBe('dev-outbox');

    await email!.send(emailMessage({ code: '101010' }));
    await sms!.send(codeMessage({ code: '202020' }));
    expect(await latestCode(outboxFile, 'ada@example.com')).toBe('101010');
    expect(await latestCode(outboxFile, '+15551234567')).toBe('202020');
  });

  it('uses SMTP for email and the outbox for SMS', () => {
    expect(kinds({ mode: 'development', outboxFile: join(dir, 'o.jsonl'), ...SMTP })).toEqual({ email: 'smtp', sms: 'dev-outbox' });
  });

  it('uses the webhook for both channels when there is no SMTP', () => {
    expect(kinds({ mode: 'development', outboxFile: join(dir, 'o.jsonl'), ...WEBHOOK })).toEqual({ email: 'webhook', sms: 'webhook' });
  });

  it('prefers SMTP for email when both are configured, and needs no outbox then', () => {
    expect(kinds({ mode: 'development', ...SMTP, ...WEBHOOK })).toEqual({ email: 'smtp', sms: 'webhook' });
  });

  it('requires outboxFile when a channel would fall back to it', () => {
    expect(configError({ mode: 'development' }).option).toBe('outboxFile');
    expect(configError({ mode: 'development', ...SMTP }).option).toBe('outboxFile');
  });
});

describe('createSenders in production', () => {
  it('leaves unconfigured channels unavailable and never uses the outbox', () => {
    expect(kinds({ mode: 'production' })).toEqual({ email: undefined, sms: undefined });
    expect(kinds({ mode: 'production', outboxFile: join(dir, 'o.jsonl') })).toEqual({ email: undefined, sms: undefined });
  });

  it('offers email alone with SMTP alone', () => {
    expect(kinds({ mode: 'production', outboxFile: join(dir, 'o.jsonl'), ...SMTP })).toEqual({ email: 'smtp', sms: undefined });
  });

  it('carries both channels over the webhook alone', () => {
    expect(kinds({ mode: 'production', ...WEBHOOK })).toEqual({ email: 'webhook', sms: 'webhook' });
  });

  it('uses SMTP and the webhook side by side', () => {
    expect(kinds({ mode: 'production', ...SMTP, ...WEBHOOK })).toEqual({ email: 'smtp', sms: 'webhook' });
  });

  it('reads empty settings (declared but unset variables) as absent', () => {
    expect(kinds({ mode: 'production', smtpUrl: '', smtpFrom: '', webhookUrl: '', webhookSecret: '' })).toEqual({
      email: undefined,
      sms: undefined,
    });
  });
});

describe('createSenders validation', () => {
  it('names the config key of a half-configured channel', () => {
    expect(configError({ mode: 'production', smtpUrl: SMTP.smtpUrl }).option).toBe('smtpFrom');
    expect(configError({ mode: 'production', smtpFrom: SMTP.smtpFrom }).option).toBe('smtpUrl');
    expect(configError({ mode: 'production', webhookSecret: WEBHOOK.webhookSecret }).option).toBe('webhookUrl');
  });

  it('names the config key of a malformed URL, without quoting the password', () => {
    const smtp = configError({ mode: 'production', smtpUrl: 'https://gatehouse:s3cret-pass@smtp.example.com', smtpFrom: SMTP.smtpFrom });
    expect(smtp.option).toBe('smtpUrl');
    expect(smtp.message).toMatch(/^smtpUrl /);
    expect(smtp.message).not.toContain('s3cret-pass');

    const webhook = configError({ mode: 'production', webhookUrl: 'http://sms.example.com/hook' });
    expect(webhook.option).toBe('webhookUrl');
    expect(webhook.message).toMatch(/^webhookUrl /);
  });

  it('refuses an unknown mode', () => {
    expect(configError({ mode: 'staging' as never }).option).toBe('mode');
  });

  it("names the config key of a sender's deadline that is not a positive number of milliseconds", () => {
    const smtp = configError({ mode: 'production', ...SMTP, smtpTimeoutMs: 0 });
    expect(smtp.option).toBe('smtpTimeoutMs');
    expect(smtp.message).toMatch(/^smtpTimeoutMs must be a positive number of milliseconds/);
    expect(configError({ mode: 'production', ...WEBHOOK, webhookTimeoutMs: -1 }).option).toBe('webhookTimeoutMs');
    expect(kinds({ mode: 'production', ...SMTP, ...WEBHOOK, smtpTimeoutMs: 2000, webhookTimeoutMs: 1000 })).toEqual({ email: 'smtp', sms: 'webhook' });
  });
});
