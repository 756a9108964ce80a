/**
 * The SSRF-safe fetcher against real local HTTPS and HTTP servers: what it refuses (special-use
 * addresses, names resolving to them, redirects, oversize and slow answers, other media types),
 * and that the connection goes to the address that was checked (DNS rebinding), with SNI and Host
 * keeping the name.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, startDocumentServer, type DocumentServer } from '../../../test/helpers/document-server.js';
import { parseIpRanges } from '../protection/ip-ranges.js';
import { fetchJson, isSpecialUseAddress, postForm, SafeFetchError, type HostResolver, type SafeFetchErrorCode, type SafeFetchOptions } from './safe-fetch.js';

const LOOPBACK = parseIpRanges(['127.0.0.1'], 'test');
let https: DocumentServer;
let http: DocumentServer;

beforeAll(async () => {
  [https, http] = await Promise.all([startDocumentServer('https'), startDocumentServer('http')]);
  https.on('/doc', json({ hello: 'world' }));
  https.on('/vendor', json({ ok: true }, { 'Content-Type': 'application/vnd.example+json; charset=utf-8' }));
  https.on('/redirect', (_request, response) => response.writeHead(302, { Location: '/doc' }).end());
  https.on('/html', (_request, response) => response.writeHead(200, { 'Content-Type': 'text/html' }).end('{}'));
  https.on('/missing-type', (_request, response) => response.writeHead(200).end('{}'));
  https.on('/gzip', (_request, response) => response.writeHead(200, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' }).end('{}'));
  https.on('/not-json', (_request, response) => response.writeHead(200, { 'Content-Type': 'application/json' }).end('{nope'));
  https.on('/500', (_request, response) => response.writeHead(500, { 'Content-Type': 'application/json' }).end('{}'));
  https.on('/big-declared', json({ pad: 'x'.repeat(10_000) }));
  // Chunked, no Content-Length: the cap must hold while the body streams.
  https.on('/big-streamed', (_request, response) => {
    response.writeHead(200, { 'Content-Type': 'application/json' });
    const timer = setInterval(() => response.write(' '.repeat(1024)), 1);
    response.on('close', () => clearInterval(timer));
  });
  https.on('/slow', () => undefined); // never answers
  https.on('/slow-body', (_request, response) => {
    response.writeHead(200, { 'Content-Type': 'application/json' });
    response.write('{"a":'); // ...and never finishes
  });
  http.on('/doc', json({ plain: true }));
});

afterAll(async () => {
  await Promise.all([https.close(), http.close()]);
});

/** A resolver answering `client.example` with the addresses given, call after call, counting its calls. */
function resolver(...answers: string[][]): HostResolver & { calls: number } {
  const resolve = Object.assign(
    async (hostname: string) => {
      if (hostname !== 'client.example') throw new Error('ENOTFOUND');
      const answer = answers[Math.min(resolve.calls, answers.length - 1)]!;
      resolve.calls += 1;
      return answer.map((address) => ({ address, family: address.includes(':') ? (6 as const) : (4 as const) }));
    },
    { calls: 0 },
  );
  return resolve;
}

function options(overrides: Partial<SafeFetchOptions> = {}): SafeFetchOptions {
  return { timeoutMs: 2000, maxBytes: 5120, ca: https.ca, allowedAddresses: LOOPBACK, resolve: resolver(['127.0.0.1']), ...overrides };
}

async function refusal(promise: Promise<unknown>): Promise<SafeFetchErrorCode> {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(SafeFetchError);
  return (error as SafeFetchError).code;
}

const named = (path: string) => `https://client.example:${https.port}${path}`;

describe('fetchJson: answers', () => {
  it('fetches JSON by name over HTTPS, connecting to the resolved address with SNI and Host of the name', async () => {
    const before = https.received.length;
    const { json: body, headers } = await fetchJson(named('/doc'), options());
    expect(body).toEqual({ hello: 'world' });
    expect(headers['content-type']).toBe('application/json');
    expect(https.received.slice(before)).toEqual([{ path: '/doc', host: `client.example:${https.port}`, servername: 'client.example' }]);
  });

  it('accepts a more specific application/*+json media type', async () => {
    expect((await fetchJson(named('/vendor'), options())).json).toEqual({ ok: true });
  });

  it('refuses a certificate it does not trust', async () => {
    expect(await refusal(fetchJson(named('/doc'), options({ ca: undefined })))).toBe('network_error');
  });
});

describe('fetchJson: addresses (SSRF)', () => {
  it('refuses a loopback address when it is not allowed, without connecting', async () => {
    const before = https.received.length;
    expect(await refusal(fetchJson(`${https.origin}/doc`, options({ allowedAddresses: undefined })))).toBe('address_refused');
    expect(await refusal(fetchJson(named('/doc'), options({ allowedAddresses: undefined })))).toBe('address_refused');
    expect(https.received.length).toBe(before);
  });

  it('refuses a name that resolves to a private address, or to one among public ones', async () => {
    for (const answer of [['10.0.0.7'], ['169.254.169.254'], ['93.184.215.14', '192.168.1.1'], ['2606:4700::1', 'fd00::1'], ['::ffff:10.0.0.1']]) {
      expect(await refusal(fetchJson(named('/doc'), options({ resolve: resolver(answer) })))).toBe('address_refused');
    }
  });

  it('refuses IPv4-mapped IPv6 literals of loopback and private addresses', async () => {
    for (const host of ['[::ffff:127.0.0.1]', '[::ffff:7f00:1]', '[::1]', '[::]', '0.0.0.0', '2130706433', '[fe80::1]']) {
      expect(await refusal(fetchJson(`https://${host}:${https.port}/doc`, options({ allowedAddresses: undefined })))).toBe('address_refused');
    }
  });

  it('DNS rebinding: the connection goes to the checked address, though the name now resolves to a private one', async () => {
    const rebinding = resolver(['127.0.0.1'], ['10.0.0.1']);
    const before = https.received.length;
    expect((await fetchJson(named('/doc'), options({ resolve: rebinding }))).json).toEqual({ hello: 'world' });
    expect(rebinding.calls).toBe(1);
    expect(https.received.slice(before)).toEqual([{ path: '/doc', host: `client.example:${https.port}`, servername: 'client.example' }]);
    // The next fetch resolves again, and is refused.
    expect(await refusal(fetchJson(named('/doc'), options({ resolve: rebinding })))).toBe('address_refused');
    expect(https.received.length).toBe(before + 1);
  });

  it('a name that does not resolve', async () => {
    expect(await refusal(fetchJson(`https://elsewhere.example:${https.port}/doc`, options()))).toBe('dns_failed');
  });
});

describe('fetchJson: URLs and answers refused', () => {
  it('refuses http unless allowed, and URLs with credentials', async () => {
    expect(await refusal(fetchJson(`${http.origin}/doc`, options()))).toBe('url_refused');
    expect((await fetchJson(`${http.origin}/doc`, options({ allowHttp: true }))).json).toEqual({ plain: true });
    expect(await refusal(fetchJson(`https://user:pass@client.example:${https.port}/doc`, options()))).toBe('url_refused');
    expect(await refusal(fetchJson('ftp://client.example/doc', options()))).toBe('url_refused');
    expect(await refusal(fetchJson('not a url', options()))).toBe('url_refused');
  });

  it('never follows a redirect', async () => {
    const before = https.received.length;
    expect(await refusal(fetchJson(named('/redirect'), options()))).toBe('redirect');
    expect(https.received.slice(before).map((request) => request.path)).toEqual(['/redirect']);
  });

  it('refuses another status, another media type, an encoded body and a body that is not JSON', async () => {
    expect(await refusal(fetchJson(named('/500'), options()))).toBe('bad_status');
    expect(await refusal(fetchJson(named('/html'), options()))).toBe('bad_content_type');
    expect(await refusal(fetchJson(named('/missing-type'), options()))).toBe('bad_content_type');
    expect(await refusal(fetchJson(named('/gzip'), options()))).toBe('bad_content_type');
    expect(await refusal(fetchJson(named('/not-json'), options()))).toBe('invalid_json');
  });

  it('refuses a body over the limit, declared or streamed', async () => {
    expect(await refusal(fetchJson(named('/big-declared'), options()))).toBe('too_large');
    expect(await refusal(fetchJson(named('/big-streamed'), options()))).toBe('too_large');
  });

  it('gives up at the deadline on a server that does not answer, or does not finish its body', async () => {
    expect(await refusal(fetchJson(named('/slow'), options({ timeoutMs: 300 })))).toBe('timeout');
    expect(await refusal(fetchJson(named('/slow-body'), options({ timeoutMs: 300 })))).toBe('timeout');
  });

  it('never puts the URL in its messages', async () => {
    const error = await fetchJson(`https://secret-host.example:${https.port}/private-path`, options()).catch((thrown: unknown) => thrown);
    expect((error as Error).message).not.toMatch(/secret-host|private-path/);
  });
});

describe('postForm (back-channel logout)', () => {
  it('POSTs the form to the checked address and resolves with any status, following no redirect', async () => {
    const before = https.received.length;
    expect(await postForm(named('/doc'), { logout_token: 'a.b.c' }, options())).toBe(200);
    expect(await postForm(named('/500'), { logout_token: 'a.b.c' }, options())).toBe(500);
    expect(await postForm(named('/redirect'), { logout_token: 'a.b.c' }, options())).toBe(302);
    expect(https.received.slice(before).map((request) => request.path)).toEqual(['/doc', '/500', '/redirect']);
  });

  it('refuses what fetchJson refuses: special-use addresses, http, credentials; and gives up at the deadline', async () => {
    expect(await refusal(postForm(named('/doc'), {}, options({ allowedAddresses: undefined })))).toBe('address_refused');
    expect(await refusal(postForm(`${http.origin}/doc`, {}, options()))).toBe('url_refused');
    expect(await refusal(postForm(`https://user:pass@client.example:${https.port}/doc`, {}, options()))).toBe('url_refused');
    expect(await refusal(postForm(named('/slow'), {}, options({ timeoutMs: 300 })))).toBe('timeout');
  });
});

describe('isSpecialUseAddress', () => {
  it.each([
    ['127.0.0.1', true],
    ['10.1.2.3', true],
    ['172.16.0.1', true],
    ['172.32.0.1', false],
    ['192.168.0.1', true],
    ['100.64.0.1', true],
    ['169.254.169.254', true],
    ['0.0.0.0', true],
    ['224.0.0.1', true],
    ['255.255.255.255', true],
    ['198.18.0.1', true],
    ['192.0.2.1', true],
    ['93.184.215.14', false],
    ['8.8.8.8', false],
    ['::1', true],
    ['::', true],
    ['::ffff:127.0.0.1', true],
    ['::ffff:7f00:1', true],
    ['::ffff:8.8.8.8', false],
    ['fd12:3456::1', true],
    ['fe80::1', true],
    ['ff02::1', true],
    ['2001:db8::1', true],
    ['64:ff9b::a00:1', true],
    ['2002:a00:1::', true],
    ['2606:4700:4700::1111', false],
    ['not-an-address', true],
  ])('%s → %s', (address, expected) => {
    expect(isSpecialUseAddress(address)).toBe(expected);
  });
});
