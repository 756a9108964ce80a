/**
 * The request deadline (`limits.requestDeadlineMs`): the longest a client waits for an answer. Each
 * call to PostgreSQL, Redis or another service has its own deadline, but a request makes several,
 * one after another; this bounds their sum. At the deadline the client gets `503`
 * `temporarily_unavailable` with `Retry-After` (or `408` while its own body is still arriving).
 *
 * The work itself is not cancelled (JavaScript cannot stop a running promise, and a store call
 * already sent is out of Gatehouse's hands): it goes on, unobserved, until its own calls end, and
 * what it stores stays stored. A refresh that completes after its `503` has rotated the token, so
 * the client's retry with the old one counts as reuse (RFC 9700 §4.14.2) unless it comes within
 * `tokens.refreshTokenReuseGrace`, as when a response is lost on the network.
 */

/** The request did not end within its deadline. */
export class RequestDeadlineError extends Error {
  /** Stable code, for code that cannot import the class. */
  readonly code = 'ERR_REQUEST_DEADLINE';

  constructor(readonly deadlineMs: number) {
    super(`the request did not end within its deadline (${deadlineMs} ms)`);
    this.name = 'RequestDeadlineError';
  }
}

/**
 * `work`, or a {@link RequestDeadlineError} once `deadlineMs` have passed, whichever comes first. A
 * later failure of `work` is observed here (no unhandled rejection) and dropped: its answer was
 * given.
 */
export function withinDeadline<T>(work: Promise<T>, deadlineMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RequestDeadlineError(deadlineMs)), deadlineMs);
  });
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}
