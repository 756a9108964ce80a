import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../../src/core/errors.js';
import { SenderError } from '../../../../src/server/mfa/senders/sender-error.js';
import { createWebhookSender } from '../../../../src/server/mfa/senders/webhook-sender.js';
import { codeMessage, emailMessage } from './message.js';

interface Received {
  method: string | undefined;
  path: string | undefined;
  headers: IncomingHttpHeaders;
  body: string;
}

interface Gateway {
  url: string;
  received: Received[];
  close(): Promise<void>;
}

let gateway: Gateway | undefined;
afterEach(async () => {
  await gateway?.close();
  gateway = undefined;
});

/** A local gateway; `answer` writes the response, or leaves it unanswered. */
async function startGateway(answer: (response: ServerResponse, received: Received) => void = (response) => response.writeHead(204).end()): Promise<Gateway> {
  const received: Received[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const entry = { method: request.method, path: request.url, headers: request.headers, body: Buffer.concat(chunks).toString('utf8') };
      received.push(entry);
      answer(response, entry);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function rejection(promise: Promise<unknown>): Promise<SenderError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(SenderError);
    return error as SenderError;
  }
  throw new Error('expected the send to reject');
}

describe('createWebhookSender against a local gateway', () => {
  it('POSTs the message as JSON', async () => {
    gateway = await startGateway();
    const sender = createWebhookSender({ url: `${gateway.url}/sms?tenant=7` });

    await sender.send(codeMessage({ code: '112233' }));

    expect(gateway.received).toHaveLength(1);
    const request = gateway.received[0]!;
    expect(request.method).toBe('POST');
    expect(request.path).toBe('/sms?tenant=7');
    expect(request.headers['content-type']).toBe('application/json');
    expect(JSON.parse(request.body)).toEqual({
      channel: 'sms',
      to: '+15551234567',
      text: "112233 is your Gatehouse sign-in code. It expires in 5 minutes. Don't share it.",
      purpose: 'sign_in',
      code: '112233',
      subject: 'Your Gatehouse sign-in code',
    });
    expect(request.headers['x-gatehouse-signature']).toBeUndefined();
    expect(request.headers['x-gatehouse-timestamp']).toBeUndefined();
  });

  it('carries email too', async () => {
    gateway = await startGateway();
    await createWebhookSender({ url: gateway.url }).send(emailMessage({ purpose: 'verify_contact' }));
    expect(JSON.parse(gateway.received[0]!.body)).toMatchObject({ channel: 'email', to: 'ada@example.com', purpose: 'verify_contact' });
  });

  it('signs the timestamp and the raw body with HMAC-SHA256 when a secret is set (a replay with another time fails)', async () => {
    gateway = await startGateway();
    const secret = 'whsec-test-0123456789abcdef';
    const sender = createWebhookSender({ url: gateway.url, secret, now: () => 1_700_000_000_500 });

    await sender.send(codeMessage());

    const { headers, body } = gateway.received[0]!;
    const expected = `sha256=${createHmac('sha256', secret).update(`1700000000.${body}`).digest('hex')}`;
    const signature = String(headers['x-gatehouse-signature']);
    expect(signature).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(timingSafeEqual(Buffer.from(signature), Buffer.from(expected))).toBe(true);
    expect(headers['x-gatehouse-timestamp']).toBe('1700000000');

    const forged = `sha256=${createHmac('sha256', 'another-secret').update(`1700000000.${body}`).digest('hex')}`;
    expect(signature).not.toBe(forged);
    // The same body under a later timestamp does not verify: the time is signed.
    const replayed = `sha256=${createHmac('sha256', secret).update(`1700009999.${body}`).digest('hex')}`;
    expect(signature).not.toBe(replayed);
  });

  it('rejects a non-2xx answer naming the status, never echoing the code', async () => {
    gateway = await startGateway((response, { body }) => {
      response.writeHead(503, { 'content-type': 'text/plain' }).end(`cannot deliver ${(JSON.parse(body) as { code: string }).code}`);
    });
    const sender = createWebhookSender({ url: `${gateway.url}/path-with-api-key-abc` });

    const error = await rejection(sender.send(codeMessage({ code: '998877' })));

    expect(error.code).toBe('ERR_DELIVERY_FAILED');
    expect(error.status).toBe(503);
    expect(error.message).toContain('503');
    expect(error.message).toContain(gateway.url);
    expect(error.message).not.toContain('998877');
    expect(error.message).not.toContain('api-key');
  });

  it('does not follow a redirect', async () => {
    let redirected = 0;
    gateway = await startGateway((response, { path }) => {
      if (path === '/elsewhere') {
        redirected++;
        response.writeHead(204).end();
      } else {
        response.writeHead(307, { location: '/elsewhere' }).end();
      }
    });

    const error = await rejection(createWebhookSender({ url: `${gateway.url}/hook` }).send(codeMessage()));

    expect(error.status).toBe(307);
    expect(redirected).toBe(0);
  });

  it('rejects when the gateway does not answer within timeoutMs', async () => {
    gateway = await startGateway(() => undefined);
    const sender = createWebhookSender({ url: gateway.url, timeoutMs: 200 });

    const started = Date.now();
    const error = await rejection(sender.send(codeMessage({ code: '556677' })));

    expect(Date.now() - started).toBeLessThan(2_000);
    expect(error.code).toBe('ERR_DELIVERY_TIMEOUT');
    expect(error.message).toContain('200 ms');
    expect(error.message).not.toContain('556677');
  });

  it('rejects when the gateway cannot be reached', async () => {
    gateway = await startGateway();
    const url = gateway.url;
    await gateway.close();
    gateway = undefined;

    const error = await rejection(createWebhookSender({ url }).send(codeMessage()));

    expect(error.code).toBe('ERR_DELIVERY_FAILED');
    expect(error.message).toContain('ECONNREFUSED');
  });

  it('uses an injected fetch', async () => {
    const calls: Request[] = [];
    const sender = createWebhookSender({
      url: 'https://sms.example.com/hook',
      fetch: async (input, init) => {
        calls.push(new Request(input, init));
        return new Response(null, { status: 202 });
      },
    });
    await sender.send(codeMessage());
    expect(calls).toHaveLength(1);
    expect(calls[0]!.url).toBe('https://sms.example.com/hook');
  });
});

describe('createWebhookSender configuration', () => {
  it.each([
    ['http on a public host', 'http://sms.example.com/hook'],
    ['http on a private address', 'http://10.0.0.5/hook'],
    ['another scheme', 'ftp://sms.example.com/hook'],
    ['not a URL', 'sms.example.com/hook'],
    ['credentials in the URL', 'https://user:pass@sms.example.com/hook'],
  ])('refuses %s at construction', (_, url) => {
    let thrown: unknown;
    try {
      createWebhookSender({ url });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).option).toBe('url');
  });

  it.each(['https://sms.example.com/hook', 'http://127.0.0.1:8080/hook', 'http://localhost/hook', 'http://[::1]:9000/'])('accepts %s', (url) => {
    expect(createWebhookSender({ url }).kind).toBe('webhook');
  });

  it('refuses an empty secret and a non-positive timeout', () => {
    expect(() => createWebhookSender({ url: 'https://sms.example.com', secret: '' })).toThrow(ConfigError);
    expect(() => createWebhookSender({ url: 'https://sms.example.com', timeoutMs: 0 })).toThrow(ConfigError);
  });
});
