/**
 * Why a client abort happened (`reason` of its debug log line): a fixed name, never a message.
 * `request_body_incomplete`: the connection closed or failed before the request body was read in
 * full (the client went away, or its connection broke).
 */
export type ClientAbortReason = 'request_body_incomplete';

/**
 * The client broke off its request: raised where the request is read (`readBody`), whatever the
 * underlying error was (Node's `ECONNRESET` "aborted", "Client connection prematurely closed.", a
 * body shorter than its `Content-Length`). Not a server failure and never a store failure: the
 * router logs it at debug level and counts it in `gatehouse_client_aborts_total`. Marked at the
 * source, because the codes alone cannot tell a client's reset connection from the database's.
 *
 * @example
 * try {
 *   bytes = await request.arrayBuffer();
 * } catch (error) {
 *   throw new ClientAbortError('request_body_incomplete', error);
 * }
 */
export class ClientAbortError extends Error {
  /** Stable code, for code that cannot import the class. */
  readonly code = 'ERR_CLIENT_ABORTED';
  readonly reason: ClientAbortReason;

  constructor(reason: ClientAbortReason, cause: unknown) {
    super('the client broke off the request before it was read in full', { cause });
    this.name = 'ClientAbortError';
    this.reason = reason;
  }
}

/** True for a {@link ClientAbortError}. */
export function isClientAbort(error: unknown): error is ClientAbortError {
  return error instanceof ClientAbortError;
}
