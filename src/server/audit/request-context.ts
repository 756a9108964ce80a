/**
 * Who is asking, for the audit events of one request: the request id, the client's address and
 * user agent, carried through `await`s by an `AsyncLocalStorage`.
 *
 * Re-exported from the HTTP layer's store rather than a second `AsyncLocalStorage`: the router
 * sets the context once per request, and the audit log and the request logs read the same one.
 *
 * @example
 * await runWithRequestContext({ requestId, ip, userAgent }, () => handle(request));
 * // ... deeper down, with no context passed:
 * await audit.record({ type: 'login', outcome: 'failure', subject: username });
 */
export { currentRequestContext, runWithRequestContext, type RequestContext } from '../http/request-context.js';
