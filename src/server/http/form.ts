import { OAuthError } from '../../core/errors.js';
import { ClientAbortError } from './client-abort.js';
import { markBodyRead, markBodyReading } from './connection.js';

/** Parsed request parameters: one value per name, except names explicitly allowed to repeat. */
export interface FormParams {
  /** The single value of `name`, or `undefined` when absent or empty (RFC 6749 §3.1: empty means omitted). */
  get(name: string): string | undefined;
  /** All values of a parameter allowed to repeat (e.g. RFC 8707 `resource`). */
  getAll(name: string): string[];
  /** Every parameter, in order, each value of a repeated one (e.g. to store a pushed request, RFC 9126). */
  entries(): [string, string][];
}

export interface ReadFormOptions {
  maxBodyBytes: number;
  /** Parameter names that may appear more than once. */
  repeatable?: readonly string[];
}

/**
 * Reads an `application/x-www-form-urlencoded` body, as the token, introspection and revocation
 * endpoints require (RFC 6749 §3.2, RFC 7662 §2.1, RFC 7009 §2.1).
 * Rejects other content types, bodies over the size limit and repeated parameters
 * (RFC 6749 §3.2: "parameters MUST NOT be included more than once").
 */
export async function readForm(request: Request, options: ReadFormOptions): Promise<FormParams> {
  const contentType = request.headers.get('content-type') ?? '';
  const mediaType = contentType.split(';', 1)[0]!.trim().toLowerCase();
  if (mediaType !== 'application/x-www-form-urlencoded') {
    throw new OAuthError('invalid_request', 'the request body must be application/x-www-form-urlencoded');
  }
  const text = await readBody(request, options.maxBodyBytes);
  return parseForm(text, options.repeatable ?? []);
}

/** Parses form-encoded text; see {@link readForm}. Also used for query strings. */
export function parseForm(text: string, repeatable: readonly string[]): FormParams {
  let search: URLSearchParams;
  try {
    search = new URLSearchParams(text);
  } catch {
    throw new OAuthError('invalid_request', 'the request body is not valid form encoding');
  }
  const single = new Map<string, string>();
  const multi = new Map<string, string[]>();
  for (const [name, value] of search) {
    if (value === '') continue;
    if (repeatable.includes(name)) {
      multi.set(name, [...(multi.get(name) ?? []), value]);
    } else if (single.has(name)) {
      throw new OAuthError('invalid_request', 'a parameter is included more than once (RFC 6749 section 3.1)');
    } else {
      single.set(name, value);
    }
  }
  return {
    get: (name) => single.get(name),
    getAll: (name) => multi.get(name) ?? [],
    // Built when asked (a pushed request, once), not for every request parsed.
    entries: () => [...search].filter(([, value]) => value !== ''),
  };
}

/**
 * Reads the body as UTF-8 text, refusing more than `limit` bytes without buffering them all.
 *
 * A body read to its end is recorded (`markBodyRead`), so the connection may carry the next
 * request; a refusal before the end leaves it unread, and the router answers `Connection: close`.
 * A failure while reading (the client closed or reset its connection, or sent less than its
 * `Content-Length`) is a {@link ClientAbortError}, never the server's or the store's failure.
 *
 * @throws {OAuthError} 413 over the limit, 400 not UTF-8.
 * @throws {ClientAbortError} the body could not be read to its end.
 */
export async function readBody(request: Request, limit: number): Promise<string> {
  // Reading twice is a bug here, not the client's doing: it must not pass for a client abort.
  if (request.bodyUsed) throw new TypeError('readBody: the request body was already read');
  const declared = Number(request.headers.get('content-length') ?? Number.NaN);
  if (declared > limit) throw tooLarge(limit);
  markBodyReading(request);
  if (Number.isInteger(declared) && declared >= 0) {
    // The size is declared and within the limit (and HTTP servers hold a body to its declared
    // length): read it in one go. On @hono/node-server this skips Web Streams entirely, as long
    // as `request.body` is not touched first (its getter builds the full undici Request).
    const bytes = new Uint8Array(await request.arrayBuffer().catch(clientAbort));
    markBodyRead(request);
    if (bytes.byteLength > limit) throw tooLarge(limit);
    return decodeUtf8(bytes);
  }
  if (!request.body) {
    markBodyRead(request);
    return '';
  }
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read().catch(clientAbort);
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(limit);
    }
    chunks.push(value);
  }
  markBodyRead(request);
  return decodeUtf8(Buffer.concat(chunks));
}

/** Whatever failed while the body was being received, the client broke off its request. */
function clientAbort(error: unknown): never {
  throw new ClientAbortError('request_body_incomplete', error);
}

/** Stateless between calls (no `stream: true`), so one decoder serves every request. */
const UTF8 = new TextDecoder('utf-8', { fatal: true });

function decodeUtf8(bytes: Uint8Array): string {
  try {
    return UTF8.decode(bytes);
  } catch {
    throw new OAuthError('invalid_request', 'the request body is not valid UTF-8');
  }
}

function tooLarge(limit: number): OAuthError {
  return new OAuthError('invalid_request', `the request body is larger than ${limit} bytes`, { status: 413 });
}
