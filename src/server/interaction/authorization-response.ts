import { renderFormPostPage } from '../../ui/index.js';
import type { Capabilities, ServerContext } from '../context.js';
import { pageTranslator } from '../http/page-language.js';
import { htmlResponse } from '../http/html.js';
import { redirect } from '../http/responses.js';
import type { AuthorizationRequest, AuthorizationTarget } from '../authorize/request.js';

/** Where a validated request's response goes: its redirect URI, response mode and `state`. */
export function targetOf(request: AuthorizationRequest): AuthorizationTarget {
  return { redirectUri: request.redirectUri, responseMode: request.responseMode, state: request.state };
}

/**
 * Delivers an authorization response (success or error) to the client's validated redirect URI.
 * Every response carries `iss` (RFC 9207 §2), and `state` when the request had one.
 * `query`: a 303 redirect (RFC 9700 §4.11: 303 so a POSTed form is not re-posted).
 * `form_post`: an auto-submitting form (OAuth 2.0 Form Post Response Mode), its few words (seen
 * only with JavaScript off) in the language of the sign-in (`uiLocales`, then the user's).
 */
export function authorizationResponse(
  ctx: Pick<Capabilities, 'config'> & { request?: Pick<ServerContext['request'], 'languages'> },
  target: AuthorizationTarget,
  params: Record<string, string>,
  setCookies: string[] = [],
  uiLocales: readonly string[] = [],
): Response {
  const fields: Record<string, string> = { ...params, ...(target.state !== undefined ? { state: target.state } : {}), iss: ctx.config.issuer };
  if (target.responseMode === 'form_post') {
    return htmlResponse(ctx, (nonce) => renderFormPostPage({ nonce, action: target.redirectUri, fields, i18n: pageTranslator(ctx, uiLocales) }), {
      formActions: [target.redirectUri],
      setCookies,
      allowScript: true,
    });
  }
  const url = new URL(target.redirectUri);
  for (const [name, value] of Object.entries(fields)) url.searchParams.set(name, value);
  return redirect(url.href, { cookies: setCookies, headers: { 'Referrer-Policy': 'no-referrer' } });
}
