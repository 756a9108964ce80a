/** openid-client (v6) against a Gatehouse server in the same process. */
import type * as client from 'openid-client';

/** openid-client's requests, handed to the server's fetch handler directly (no port, no child process). */
export function inProcessFetch(handler: { fetch(request: Request): Promise<Response> }): client.CustomFetch {
  return (url, options) =>
    handler.fetch(
      new Request(url, { method: options.method, headers: options.headers, body: options.body as BodyInit | null | undefined, redirect: options.redirect }),
    );
}
