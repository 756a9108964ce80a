import { randomBytes } from 'node:crypto';
import type { Capabilities } from '../context.js';

export interface HtmlResponseOptions {
  status?: number;
  setCookies?: string[];
  /**
   * Extra `form-action` sources: a form on the page posts there, or the page's form is answered by
   * a redirect there (browsers apply `form-action` to redirects after a form submission).
   */
  formActions?: string[];
  /** Allows the page's one nonce-carrying script (form_post auto-submit). */
  allowScript?: boolean;
  /** Allows same-origin scripts and requests (the passkey pages: the WebAuthn library and its JSON calls). */
  scripts?: boolean;
}

/**
 * An HTML page with the security headers every page gets: a nonce-based CSP with
 * `frame-ancestors 'none'` (clickjacking), `Referrer-Policy: no-referrer` (codes and states never
 * leak in Referer), no caching. `render` receives the nonce for its inline style (and script).
 */
export function htmlResponse(ctx: Pick<Capabilities, 'config'>, render: (nonce: string) => string, options: HtmlResponseOptions = {}): Response {
  const nonce = randomBytes(16).toString('base64');
  const formActions = ["'self'", ...(options.formActions ?? []).map(origin)].join(' ');
  const csp = [
    "default-src 'none'",
    `style-src 'nonce-${nonce}'`,
    options.scripts ? `script-src 'self' 'nonce-${nonce}'` : options.allowScript ? `script-src 'nonce-${nonce}'` : "script-src 'none'",
    options.scripts ? "connect-src 'self'" : "connect-src 'none'",
    "img-src 'self' https: data:",
    `form-action ${formActions}`,
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
  const headers = new Headers({
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Security-Policy': csp,
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-store',
  });
  if (ctx.config.secureCookies) headers.set('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
  for (const cookie of options.setCookies ?? []) headers.append('Set-Cookie', cookie);
  return new Response(render(nonce), { status: options.status ?? 200, headers });
}

/** A CSP source for a URL: its origin, or for a private-use scheme (native apps) the scheme. */
function origin(url: string): string {
  const parsed = new URL(url);
  return parsed.origin === 'null' ? parsed.protocol : parsed.origin;
}
