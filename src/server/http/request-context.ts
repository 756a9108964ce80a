import { AsyncLocalStorage } from 'node:async_hooks';

/** Who is asking, for every log line and audit event of one request. */
export interface RequestContext {
  requestId: string;
  /** The client's address (see `clientIp`): `null` when the host gave none. */
  ip: string | null;
  userAgent: string | null;
  /**
   * The request carries `X-Forwarded-For` or `Forwarded` that no trusted proxy vouches for (see
   * `hasUnvouchedForwarding`): it probably came through an unconfigured proxy, so it is never an
   * operator's, whatever its peer address.
   */
  unvouchedForwarding?: boolean;
}

const storage = new AsyncLocalStorage<RequestContext>();

/** Runs `fn` with `context` as the current request's. */
export function runWithRequestContext<T>(context: RequestContext, fn: () => T): T {
  return storage.run(context, fn);
}

/** The current request's context, or `undefined` outside a request (CLI, timers). */
export function currentRequestContext(): RequestContext | undefined {
  return storage.getStore();
}

/** The current request's client address. */
export function currentIp(): string {
  return storage.getStore()?.ip ?? 'unknown';
}
