import { setCookie } from '../../core/cookies.js';
import { canonicalLocale } from '../../ui/i18n/index.js';
import type { ServerContext } from '../context.js';
import { readForm } from '../http/form.js';
import { redirect } from '../http/responses.js';
import { languageCookieName } from '../http/page-language.js';
import { basePath } from '../routes.js';

/** A year: the choice is a preference, kept like one. */
const REMEMBER_SECONDS = 365 * 24 * 3600;

/**
 * POST /language — the pages' language switcher: remembers `lang` (one of the offered languages) in
 * a cookie and sends the browser back to `return_to` by GET (303). `return_to` must be a path of
 * this server (below the issuer's path); anything else goes to the issuer's home page, so the form
 * is no open redirect. There is no CSRF token: another site can at most change the language of the
 * pages, which the user sees and changes back; the cookie is `SameSite=Lax`, `HttpOnly`.
 */
export async function languageSwitch(ctx: Pick<ServerContext, 'config'>, request: Request): Promise<Response> {
  const form = await readForm(request, { maxBodyBytes: ctx.config.limits.maxBodyBytes });
  const back = returnPath(ctx, form.get('return_to'));
  const chosen = canonicalLocale(form.get('lang') ?? '');
  if (chosen === undefined || !ctx.config.languages.messages.locales.includes(chosen)) return redirect(back);
  return redirect(back, { cookies: [setCookie(languageCookieName(ctx), chosen, { secure: ctx.config.secureCookies, maxAge: REMEMBER_SECONDS })] });
}

/** `return_to` as an absolute URL on the issuer's origin and below its path; the issuer's home page otherwise. */
function returnPath(ctx: Pick<ServerContext, 'config'>, returnTo: string | undefined): string {
  const { issuerUrl } = ctx.config;
  const home = `${issuerUrl.origin}${basePath(ctx.config) || '/'}`;
  // A path, not `//host` or `/\host` (which browsers read as another host), nor with control characters.
  // eslint-disable-next-line no-control-regex -- control characters are what it refuses
  if (returnTo === undefined || !/^\/(?![/\\])[^\\\x00-\x1f\x7f]*$/.test(returnTo)) return home;
  const target = new URL(returnTo, issuerUrl.origin);
  if (target.origin !== issuerUrl.origin || !`${target.pathname}/`.startsWith(`${basePath(ctx.config)}/`)) return home;
  return target.href;
}
