/**
 * Whether the connection can carry another request after this one (HTTP/1.1 keep-alive). It can
 * only if the request's body was read to its end: otherwise the next request's bytes would follow
 * unread body bytes, and the host either drains them for a while or drops the connection without
 * a word. A request refused before its body was read (413, an unsupported media type, a 429, a
 * client that broke off) therefore answers `Connection: close` (RFC 9112 §9.6): the client gets the
 * whole response, then the server closes the connection, and it knows to send again on a new one.
 */

/** Requests whose body {@link markBodyRead} recorded as read to its end. */
const readInFull = new WeakSet<Request>();
/** Requests whose body {@link markBodyReading} recorded as being read. */
const reading = new WeakSet<Request>();

/** Records that `readBody` started to read `request`'s body. */
export function markBodyReading(request: Request): void {
  reading.add(request);
}

/**
 * True while `request`'s body is being read and has not arrived in full: when the request runs out
 * of time then, the client is the slow party (`408`), not the server or its store.
 */
export function isReadingBody(request: Request): boolean {
  return reading.has(request) && !readInFull.has(request);
}

/** Records that `request`'s body was read to its end (by `readBody`): the connection may stay open. */
export function markBodyRead(request: Request): void {
  readInFull.add(request);
}

/**
 * True when `request` announced a body (`Transfer-Encoding`, or a `Content-Length` other than 0)
 * that was not read to its end. Judged by the headers, so it costs no read and touches no stream.
 */
export function leftBodyUnread(request: Request): boolean {
  if (readInFull.has(request)) return false;
  const headers = request.headers;
  if (headers.has('transfer-encoding')) return true;
  const length = headers.get('content-length');
  return length !== null && Number(length) !== 0;
}

/**
 * Adds `Connection: close` to `response` when `request`'s body was left unread (see
 * {@link leftBodyUnread}). On Node (`@hono/node-server`), the server then ends the connection right
 * after the response instead of draining the body for up to half a second and dropping it. HTTP/2
 * has no `Connection` header: Node drops it there, and the stream ends on its own.
 *
 * @example
 * app.use(async (c, next) => {
 *   await next();
 *   closeWhenBodyUnread(c.req.raw, c.res);
 * });
 */
export function closeWhenBodyUnread(request: Request, response: Response): void {
  if (leftBodyUnread(request)) response.headers.set('Connection', 'close');
}
