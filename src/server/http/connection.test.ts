/**
 * Whether a response closes the connection: only when the request announced a body that was not
 * read to its end.
 */
import { describe, expect, it } from 'vitest';
import { closeWhenBodyUnread, leftBodyUnread, markBodyRead } from './connection.js';

function request(headers: Record<string, string>, method = 'POST'): Request {
  return new Request('https://id.example/token', { method, headers });
}

describe('leftBodyUnread', () => {
  it.each<{ case: string; headers: Record<string, string>; unread: boolean }>([
    { case: 'no body announced', headers: {}, unread: false },
    { case: 'Content-Length: 0', headers: { 'content-length': '0' }, unread: false },
    { case: 'a Content-Length', headers: { 'content-length': '2000' }, unread: true },
    { case: 'a chunked body', headers: { 'transfer-encoding': 'chunked' }, unread: true },
    { case: 'a Content-Length that is not a number', headers: { 'content-length': 'x' }, unread: true },
  ])('$case, not read: $unread', ({ headers, unread }) => {
    expect(leftBodyUnread(request(headers))).toBe(unread);
  });

  it.each<Record<string, string>>([{ 'content-length': '2000' }, { 'transfer-encoding': 'chunked' }])(
    'is false once the body was read to its end (%j)',
    (headers) => {
      const read = request(headers);
      markBodyRead(read);
      expect(leftBodyUnread(read)).toBe(false);
      // Per request: another one with the same headers is still unread.
      expect(leftBodyUnread(request(headers))).toBe(true);
    },
  );
});

describe('closeWhenBodyUnread', () => {
  it.each<{ case: string; headers: Record<string, string>; read: boolean; connection: string | null }>([
    { case: 'a body left unread', headers: { 'content-length': '10' }, read: false, connection: 'close' },
    { case: 'a body read to its end', headers: { 'content-length': '10' }, read: true, connection: null },
    { case: 'no body', headers: {}, read: false, connection: null },
  ])('$case: Connection $connection', ({ headers, read, connection }) => {
    const incoming = request(headers);
    if (read) markBodyRead(incoming);
    const response = new Response('{}', { status: 413 });
    closeWhenBodyUnread(incoming, response);
    expect(response.headers.get('connection')).toBe(connection);
  });
});
