import { createServer, type AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../../src/core/errors.js';
import { SenderError } from '../../../../src/server/mfa/senders/sender-error.js';
import { createSmtpSender } from '../../../../src/server/mfa/senders/smtp-sender.js';
import { codeMessage, emailMessage } from './message.js';
import { startSmtpServer, type TestSmtpServer } from './smtp-server.js';

const PASSWORD = 'pa55-w0rd-Zq9';
const FROM = 'Gatehouse <no-reply@gatehouse.test>';

let server: TestSmtpServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function rejection(promise: Promise<unknown>): Promise<SenderError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(SenderError);
    return error as SenderError;
  }
  throw new Error('expected the send to reject');
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

function lanAddress(): string | undefined {
  return Object.values(networkInterfaces())
    .flat()
    .find((address) => address?.family === 'IPv4' && !address.internal)?.address;
}

describe('createSmtpSender against a real SMTP server', () => {
  it('delivers the code to the recipient without AUTH', async () => {
    server = await startSmtpServer();
    const sender = createSmtpSender({ url: `smtp://127.0.0.1:${server.port}`, from: FROM });

    await sender.send(emailMessage({ code: '246810' }));

    expect(server.received).toHaveLength(1);
    const mail = server.received[0]!;
    expect(mail.to).toEqual(['ada@example.com']);
    expect(mail.from).toBe('no-reply@gatehouse.test');
    expect(mail.subject).toBe('Your Gatehouse sign-in code');
    expect(mail.raw).toContain("246810 is your Gatehouse sign-in code. It expires in 5 minutes. Don't share it.");
    expect(mail.raw).toMatch(/^Auto-Submitted: auto-generated$/im);
  });

  it('logs in with the credentials from the URL', async () => {
    server = await startSmtpServer({ auth: { user: 'gatehouse', pass: PASSWORD } });
    const sender = createSmtpSender({ url: `smtp://gatehouse:${PASSWORD}@127.0.0.1:${server.port}`, from: FROM });

    await sender.send(emailMessage({ to: 'bob@example.com', code: '135790', purpose: 'verify_contact' }));

    expect(server.received).toHaveLength(1);
    expect(server.received[0]!.to).toEqual(['bob@example.com']);
    expect(server.received[0]!.subject).toBe('Your Gatehouse verification code');
    expect(server.received[0]!.raw).toContain('135790 is your Gatehouse verification code');
  });

  it('decodes a percent-encoded password', async () => {
    server = await startSmtpServer({ auth: { user: 'gatehouse', pass: 'p@ss:w/rd' } });
    const sender = createSmtpSender({ url: `smtp://gatehouse:${encodeURIComponent('p@ss:w/rd')}@127.0.0.1:${server.port}`, from: FROM });
    await sender.send(emailMessage());
    expect(server.received).toHaveLength(1);
  });

  it('rejects a wrong password without revealing the password or the code', async () => {
    // A server that echoes the attempted password back: the worst case for an error message.
    server = await startSmtpServer({ auth: { user: 'gatehouse', pass: 'the-right-one' }, rejection: (tried) => `bad password ${tried}` });
    const sender = createSmtpSender({ url: `smtp://gatehouse:${PASSWORD}@127.0.0.1:${server.port}`, from: FROM });

    const error = await rejection(sender.send(emailMessage({ code: '314159' })));

    expect(error.code).toBe('ERR_DELIVERY_FAILED');
    expect(error.status).toBe(535);
    expect(error.message).toContain('authentication failed');
    expect(error.message).toContain(`127.0.0.1:${server.port}`);
    expect(error.message).not.toContain(PASSWORD);
    expect(error.message).not.toContain('314159');
    expect(JSON.stringify(error)).not.toContain(PASSWORD);
    expect(server.received).toHaveLength(0);
  });

  it('rejects an unreachable server without revealing the password', async () => {
    const port = await closedPort();
    const sender = createSmtpSender({ url: `smtp://gatehouse:${PASSWORD}@127.0.0.1:${port}`, from: FROM, timeoutMs: 2_000 });

    const error = await rejection(sender.send(emailMessage({ code: '271828' })));

    expect(error.code).toBe('ERR_DELIVERY_FAILED');
    expect(error.message).toContain('could not connect');
    expect(error.message).toContain('ECONNREFUSED');
    expect(error.message).not.toContain(PASSWORD);
    expect(error.message).not.toContain('271828');
  });

  it('refuses SMS with a clear error', async () => {
    const sender = createSmtpSender({ url: 'smtp://127.0.0.1:2525', from: FROM });
    const error = await rejection(sender.send(codeMessage()));
    expect(error.code).toBe('ERR_UNSUPPORTED_CHANNEL');
    expect(error.message).toMatch(/email only/);
  });

  it.skipIf(lanAddress() === undefined)('requires STARTTLS for a host other than loopback unless the URL opts out', async () => {
    server = await startSmtpServer({ host: '0.0.0.0' });
    const host = lanAddress()!;

    const strict = createSmtpSender({ url: `smtp://${host}:${server.port}`, from: FROM });
    const error = await rejection(strict.send(emailMessage()));
    expect(error.message).toContain('requireTLS=false');
    expect(server.received).toHaveLength(0);

    const relaxed = createSmtpSender({ url: `smtp://${host}:${server.port}?requireTLS=false`, from: FROM });
    await relaxed.send(emailMessage());
    expect(server.received).toHaveLength(1);
  });

  it.each([
    ['not a URL', 'smtp.example.com'],
    ['another scheme', `https://gatehouse:${PASSWORD}@smtp.example.com`],
    ['no host', 'smtp://'],
  ])('refuses %s at construction without quoting it', (_, url) => {
    let thrown: unknown;
    try {
      createSmtpSender({ url, from: FROM });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).option).toBe('url');
    expect((thrown as ConfigError).message).not.toContain(PASSWORD);
  });

  it('refuses a missing or multi-line from address at construction', () => {
    expect(() => createSmtpSender({ url: 'smtp://127.0.0.1', from: '' })).toThrow(ConfigError);
    expect(() => createSmtpSender({ url: 'smtp://127.0.0.1', from: 'a@b.test\r\nBcc: eve@example.com' })).toThrow(ConfigError);
  });
});
