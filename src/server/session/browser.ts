import { randomToken } from '../../core/encoding.js';
import type { ServerContext } from '../context.js';
import { cookieName, readCookie, setCookie } from '../../core/cookies.js';

/** Lifetime of the browser cookie: a year. It identifies a browser, not a user. */
const BROWSER_COOKIE_MAX_AGE = 365 * 86_400;
const CSRF_PURPOSE = 'csrf';

/**
 * A random, HttpOnly per-browser id. Interactions are bound to it (so a sign-in link forwarded to
 * another browser cannot be completed there) and CSRF tokens are keyed to it.
 */
export interface Browser {
  id: string;
  /** A `Set-Cookie` value to send when the cookie was just created. */
  setCookie: string | undefined;
}

export function browserCookieName(ctx: Pick<ServerContext, 'config'>): string {
  return cookieName('gh_browser', ctx.config.secureCookies);
}

/** The browser id from the request, creating one when there is none. */
export function identifyBrowser(ctx: Pick<ServerContext, 'config'>, request: Request): Browser {
  const existing = readCookie(request, browserCookieName(ctx));
  if (existing && /^[A-Za-z0-9_-]{43}$/.test(existing)) return { id: existing, setCookie: undefined };
  const id = randomToken(32);
  return {
    id,
    setCookie: setCookie(browserCookieName(ctx), id, { maxAge: BROWSER_COOKIE_MAX_AGE, secure: ctx.config.secureCookies }),
  };
}

/** The browser id from the request, or `undefined` (form posts require it). */
export function existingBrowserId(ctx: Pick<ServerContext, 'config'>, request: Request): string | undefined {
  const value = readCookie(request, browserCookieName(ctx));
  return value && /^[A-Za-z0-9_-]{43}$/.test(value) ? value : undefined;
}

/** A CSRF token for a form about `subject` (an interaction id, `logout`), bound to this browser. */
export function csrfToken(ctx: Pick<ServerContext, 'secrets'>, browserId: string, subject: string): string {
  return ctx.secrets.hash(`${browserId}\0${subject}`, CSRF_PURPOSE);
}

/** Constant-time check of a posted CSRF token. */
export function verifyCsrf(ctx: Pick<ServerContext, 'secrets'>, browserId: string, subject: string, token: string | undefined): boolean {
  return token !== undefined && ctx.secrets.verifyHash(`${browserId}\0${subject}`, CSRF_PURPOSE, token);
}

/** Keyed hash of the browser id, stored in interactions instead of the id itself. */
export function browserBinding(ctx: Pick<ServerContext, 'secrets'>, browserId: string): string {
  return ctx.secrets.hash(browserId, 'browser-binding');
}
