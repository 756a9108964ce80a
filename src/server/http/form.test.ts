/**
 * Form parameters, table by table (RFC 6749 §3.1-3.2): decoding, empty values as omitted, a
 * repeated parameter refused unless the endpoint allows it to repeat; and reading a body: the
 * media type, the size limit (declared or streamed), UTF-8, a body that breaks off (a client
 * abort), and whether the body was read to its end (the connection may carry another request).
 */
import { describe, expect, it } from 'vitest';
import { OAuthError } from '../../core/errors.js';
import { ClientAbortError, isClientAbort } from './client-abort.js';
import { leftBodyUnread } from './connection.js';
import { parseForm, readBody, readForm } from './form.js';

const FORM = 'application/x-www-form-urlencoded';
const REPEATED = 'a parameter is included more than once (RFC 6749 section 3.1)';

/** What a rejected promise or call carries: the RFC code, the description and the HTTP status. */
async function failureOf(run: () => unknown): Promise<{ error: string; description: string; status: number }> {
  try {
    await run();
  } catch (error) {
    if (!(error instanceof OAuthError)) throw error;
    return { error: error.error, description: error.message, status: error.status };
  }
  throw new Error('expected a refusal');
}

describe('parseForm', () => {
  it.each([
    { text: 'a=1&b=2', name: 'b', value: '2' },
    { text: 'a=1+2', name: 'a', value: '1 2' },
    { text: 'a=1%202', name: 'a', value: '1 2' },
    { text: 'a=%2B', name: 'a', value: '+' },
    { text: 'a=x%3Dy%26z', name: 'a', value: 'x=y&z' },
    { text: 'a=x=y', name: 'a', value: 'x=y' },
    { text: 'a=caf%C3%A9', name: 'a', value: 'café' },
    { text: 'a=%E2%82%AC', name: 'a', value: '€' },
    { text: 'a=€', name: 'a', value: '€' },
    { text: 'redirect%5Furi=x', name: 'redirect_uri', value: 'x' },
    { text: '&&a=1&&', name: 'a', value: '1' },
    { text: 'a=', name: 'a', value: undefined },
    { text: 'a', name: 'a', value: undefined },
    { text: '', name: 'a', value: undefined },
    { text: 'A=1', name: 'a', value: undefined },
    { text: 'a=&a=1', name: 'a', value: '1' },
    { text: 'a=1&a=', name: 'a', value: '1' },
    { text: 'a=&a=', name: 'a', value: undefined },
    { text: 'a=1&A=2', name: 'A', value: '2' },
  ])('$text: $name is $value', ({ text, name, value }) => {
    expect(parseForm(text, []).get(name)).toBe(value);
  });

  it.each(['a=1&a=1', 'a=1&a=2', 'a=1&b=2&a=3', 'client_id=x&client%5Fid=y'])('refuses %s: a repeated parameter', async (text) => {
    expect(await failureOf(() => parseForm(text, []))).toEqual({ error: 'invalid_request', description: REPEATED, status: 400 });
  });

  it.each([
    { text: 'resource=https%3A%2F%2Fa.example&resource=https%3A%2F%2Fb.example', all: ['https://a.example', 'https://b.example'] },
    { text: 'resource=x', all: ['x'] },
    { text: 'resource=x&resource=x', all: ['x', 'x'] },
    { text: 'resource=&resource=x', all: ['x'] },
    { text: 'scope=openid', all: [] },
  ])('a repeatable parameter keeps every non-empty value in order: $text', ({ text, all }) => {
    const params = parseForm(text, ['resource']);
    expect(params.getAll('resource')).toEqual(all);
    // A repeatable parameter is read with getAll only.
    expect(params.get('resource')).toBeUndefined();
  });

  it('getAll of a parameter not allowed to repeat is empty, even when present once', () => {
    expect(parseForm('scope=openid', ['resource']).getAll('scope')).toEqual([]);
  });

  it('allows only the named parameters to repeat', async () => {
    expect((await failureOf(() => parseForm('resource=x&resource=y&scope=a&scope=b', ['resource']))).description).toBe(REPEATED);
  });
});

describe('readForm: media type (RFC 6749 §3.2)', () => {
  const post = (contentType: string | undefined) =>
    new Request('https://id.example/token', {
      method: 'POST',
      body: new TextEncoder().encode('a=1'),
      ...(contentType === undefined ? {} : { headers: { 'content-type': contentType } }),
    });

  it.each([FORM, 'application/x-www-form-urlencoded; charset=UTF-8', 'Application/X-WWW-Form-URLEncoded', ` ${FORM} ;charset=utf-8`])(
    'accepts %j',
    async (contentType) => {
      expect((await readForm(post(contentType), { maxBodyBytes: 100 })).get('a')).toBe('1');
    },
  );

  it.each([undefined, '', 'application/json', 'multipart/form-data; boundary=x', 'text/plain', `${FORM}x`, 'application/x-www-form', `text/plain; x=${FORM}`])(
    'refuses %j',
    async (contentType) => {
      expect(await failureOf(() => readForm(post(contentType), { maxBodyBytes: 100 }))).toEqual({
        error: 'invalid_request',
        description: 'the request body must be application/x-www-form-urlencoded',
        status: 400,
      });
    },
  );

  it('passes the repeatable names on', async () => {
    const request = new Request('https://id.example/token', { method: 'POST', headers: { 'content-type': FORM }, body: 'resource=a&resource=b' });
    expect((await readForm(request, { maxBodyBytes: 100, repeatable: ['resource'] })).getAll('resource')).toEqual(['a', 'b']);
  });

  it('refuses a repeated parameter by default', async () => {
    const request = new Request('https://id.example/token', { method: 'POST', headers: { 'content-type': FORM }, body: 'resource=a&resource=b' });
    expect((await failureOf(() => readForm(request, { maxBodyBytes: 100 }))).description).toBe(REPEATED);
  });
});

/** How the body arrives: with its length declared, or streamed in chunks without one. */
type Delivery = 'declared' | 'streamed';

function bodyRequest(bytes: Uint8Array<ArrayBuffer>, delivery: Delivery, options: { declared?: number; chunk?: number; onCancel?: () => void } = {}): Request {
  const headers: Record<string, string> = { 'content-type': FORM };
  if (delivery === 'declared') {
    headers['content-length'] = String(options.declared ?? bytes.byteLength);
    return new Request('https://id.example/token', { method: 'POST', headers, body: bytes });
  }
  const chunk = options.chunk ?? 4;
  let offset = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= bytes.byteLength) {
        controller.close();
        return;
      }
      controller.enqueue(bytes.slice(offset, offset + chunk));
      offset += chunk;
    },
    cancel: options.onCancel,
  });
  return new Request('https://id.example/token', { method: 'POST', headers, body: stream, duplex: 'half' } as RequestInit);
}

const utf8 = (text: string) => new TextEncoder().encode(text);

describe.each<Delivery>(['declared', 'streamed'])('readBody: size limit and UTF-8 (%s length)', (delivery) => {
  const LIMIT = 16;

  it.each([
    { case: 'empty', body: '', text: '' },
    { case: 'exactly at the limit', body: 'a=0123456789abcd', text: 'a=0123456789abcd' },
    { case: 'multi-byte characters counted as bytes, at the limit', body: 'a=ééééééé', text: 'a=ééééééé' },
    { case: 'a UTF-8 byte order mark is dropped', body: '\uFEFFa=1', text: 'a=1' },
  ])('reads $case', async ({ body, text }) => {
    expect(await readBody(bodyRequest(utf8(body), delivery), LIMIT)).toBe(text);
  });

  it.each([
    { case: 'one byte over the limit', body: 'a=0123456789abcde' },
    { case: 'multi-byte characters over the limit in bytes, not in characters', body: 'a=éééééééé' },
    { case: 'far over the limit', body: `a=${'x'.repeat(10_000)}` },
  ])('refuses $case with 413', async ({ body }) => {
    expect(await failureOf(() => readBody(bodyRequest(utf8(body), delivery), LIMIT))).toEqual({
      error: 'invalid_request',
      description: `the request body is larger than ${LIMIT} bytes`,
      status: 413,
    });
  });

  it.each([
    { case: 'a lone continuation byte', bytes: [0x61, 0x3d, 0x80] },
    { case: 'a Latin-1 é', bytes: [0x61, 0x3d, 0xe9] },
    { case: 'a truncated sequence', bytes: [0x61, 0x3d, 0xe2, 0x82] },
    { case: 'an overlong encoding of /', bytes: [0x61, 0x3d, 0xc0, 0xaf] },
    { case: 'an encoded surrogate', bytes: [0x61, 0x3d, 0xed, 0xa0, 0x80] },
  ])('refuses invalid UTF-8: $case', async ({ bytes }) => {
    expect(await failureOf(() => readBody(bodyRequest(new Uint8Array(bytes), delivery), LIMIT))).toEqual({
      error: 'invalid_request',
      description: 'the request body is not valid UTF-8',
      status: 400,
    });
  });
});

describe('readBody: what the declared length and the stream say', () => {
  it('refuses a declared length over the limit without reading the body', async () => {
    const request = bodyRequest(utf8('a=1'), 'declared', { declared: 1000 });
    expect((await failureOf(() => readBody(request, 16))).status).toBe(413);
    expect(request.bodyUsed).toBe(false);
  });

  it('counts the bytes actually sent when they exceed a declared length within the limit', async () => {
    expect((await failureOf(() => readBody(bodyRequest(utf8(`a=${'x'.repeat(100)}`), 'declared', { declared: 10 }), 16))).status).toBe(413);
  });

  it('stops reading and cancels a stream once it passes the limit', async () => {
    let cancelled = false;
    const request = bodyRequest(utf8(`a=${'x'.repeat(1000)}`), 'streamed', { chunk: 8, onCancel: () => void (cancelled = true) });
    expect((await failureOf(() => readBody(request, 16))).status).toBe(413);
    expect(cancelled).toBe(true);
  });

  it.each(['abc', '-1', '1.5'])('streams a body whose declared length %j is not a byte count', async (declared) => {
    const request = new Request('https://id.example/token', { method: 'POST', headers: { 'content-type': FORM, 'content-length': declared }, body: 'a=1' });
    expect(await readBody(request, 16)).toBe('a=1');
  });

  it('reads a request without a body as empty', async () => {
    expect(await readBody(new Request('https://id.example/token', { method: 'POST' }), 16)).toBe('');
  });

  it('decodes UTF-8 split across chunks', async () => {
    expect(await readBody(bodyRequest(utf8('a=€€€'), 'streamed', { chunk: 1 }), 16)).toBe('a=€€€');
  });
});

/** A body announced as `delivery` whose stream fails after `sent` bytes, as a reset connection does. */
function brokenRequest(delivery: Delivery, failure: unknown): Request {
  const headers: Record<string, string> = {
    'content-type': FORM,
    ...(delivery === 'declared' ? { 'content-length': '2000' } : { 'transfer-encoding': 'chunked' }),
  };
  let sent = false;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent) {
        controller.error(failure);
        return;
      }
      sent = true;
      controller.enqueue(utf8('grant_type=client_credentials&x='));
    },
  });
  return new Request('https://id.example/token', { method: 'POST', headers, body: stream, duplex: 'half' } as RequestInit);
}

describe.each<Delivery>(['declared', 'streamed'])('readBody: a body that breaks off (%s length)', (delivery) => {
  it.each([
    { case: "Node's reset connection", failure: Object.assign(new Error('aborted'), { code: 'ECONNRESET' }) },
    { case: 'a connection closed early', failure: new Error('Client connection prematurely closed.') },
    { case: 'a body shorter than declared', failure: new TypeError('Body is unusable') },
  ])('is a client abort, whatever the cause: $case', async ({ failure }) => {
    const request = brokenRequest(delivery, failure);
    const error = await readBody(request, 4096).catch((caught: unknown) => caught);
    expect(isClientAbort(error)).toBe(true);
    expect(error).toMatchObject({ code: 'ERR_CLIENT_ABORTED', reason: 'request_body_incomplete' });
    expect((error as ClientAbortError).cause).toBe(failure);
    expect(leftBodyUnread(request)).toBe(true);
  });
});

describe('readBody: whether the body was read to its end', () => {
  const NOT_UTF8 = new Uint8Array([0x61, 0x3d, 0x80]);
  const TOO_LARGE = utf8(`a=${'x'.repeat(100)}`);

  it.each<{ case: string; delivery: Delivery; body: Uint8Array<ArrayBuffer>; status: number | undefined; unread: boolean }>([
    { case: 'read in full', delivery: 'declared', body: utf8('a=1'), status: undefined, unread: false },
    { case: 'read in full', delivery: 'streamed', body: utf8('a=1'), status: undefined, unread: false },
    { case: 'refused as not UTF-8, after reading it all', delivery: 'declared', body: NOT_UTF8, status: 400, unread: false },
    { case: 'refused as not UTF-8, after reading it all', delivery: 'streamed', body: NOT_UTF8, status: 400, unread: false },
    { case: 'refused as too large', delivery: 'declared', body: TOO_LARGE, status: 413, unread: true },
    { case: 'refused as too large', delivery: 'streamed', body: TOO_LARGE, status: 413, unread: true },
  ])('$delivery, $case: left unread $unread', async ({ delivery, body, status, unread }) => {
    const request = bodyRequest(body, delivery);
    // A streamed body arrives chunked: the header is what says a body follows.
    if (delivery === 'streamed') request.headers.set('transfer-encoding', 'chunked');
    const refusal = await readBody(request, 16).then(
      () => undefined,
      (error: unknown) => (error as OAuthError).status,
    );
    expect(refusal).toBe(status);
    expect(leftBodyUnread(request)).toBe(unread);
  });

  it('refuses to read a body twice as a bug, not as a client abort', async () => {
    const request = bodyRequest(utf8('a=1'), 'declared');
    await readBody(request, 16);
    const error = await readBody(request, 16).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TypeError);
    expect(isClientAbort(error)).toBe(false);
  });
});
