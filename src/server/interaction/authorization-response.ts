import { renderFormPostPage } from '../../ui/index.js';
import type { ServerContext } from '../context.js';
import { htmlResponse } from '../http/html.js';
import type { ResponseMode } from './authorization-request.js';

/**
 * Delivers an authorization response (success or error) to the client's validated redirect URI.
 * Every response carries `iss` (RFC 9207 §2), and `state` when the request had one.
 * `query`: a 303 redirect (RFC 9700 §4.11: 303 so a POSTed form is not re-posted).
 * `form_post`: an auto-submitting form (OAuth 2.0 Form Post Response Mode).
 */
export function authorizationResponse(
  ctx: ServerContext,
  target: { redirectUri: string; responseMode: ResponseMode; state: string | undefined },
  params: Record<string, string>,
  setCookies: string[] = [],
): Response {
  const fields: Record<string, string> = { ...params, ...(target.state !== undefined ? { state: target.state } : {}), iss: ctx.config.issuer };
  if (target.responseMode === 'form_post') {
    return htmlResponse(ctx, (nonce) => renderFormPostPage({ nonce, action: target.redirectUri, fields }), {
      formActions: [target.redirectUri],
      setCookies,
      allowScript: true,
    });
  }
  const url = new URL(target.redirectUri);
  for (const [name, value] of Object.entries(fields)) url.searchParams.set(name, value);
  const headers = new Headers({ Location: url.href, 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' });
  for (const cookie of setCookies) headers.append('Set-Cookie', cookie);
  return new Response(null, { status: 303, headers });
}
