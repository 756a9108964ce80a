import { cookieName, readCookie } from '../../core/cookies.js';
import { chooseLocale, type Translator } from '../../ui/i18n/index.js';
import type { PageBase } from '../../ui/layout.js';
import type { Capabilities, ServerContext } from '../context.js';
import { pathTo } from '../routes.js';

/** The cookie the language switcher sets (`__Host-` prefixed over https). */
export function languageCookieName(ctx: Pick<Capabilities, 'config'>): string {
  return cookieName('gatehouse_lang', ctx.config.secureCookies);
}

/** What the router reads of a request for {@link pageLanguage}: `Accept-Language` and the switcher's cookie. */
export function languageHints(ctx: Pick<Capabilities, 'config'>, request: Request): NonNullable<ServerContext['request']['languages']> {
  return { accept: request.headers.get('accept-language'), remembered: readCookie(request, languageCookieName(ctx)) };
}

/** At most this many characters of a `ui_locales` value are read: enough for any real list of languages. */
const MAX_UI_LOCALES_LENGTH = 200;

/**
 * A `ui_locales` parameter (OIDC Core §3.1.2.1: BCP 47 tags separated by spaces, most preferred
 * first) where it only chooses among the offered languages (a sign-out or device request): an
 * overlong value is cut, not refused, so the list stored or carried stays small.
 *
 * @example
 * parseUiLocales('ja de'); // ['ja', 'de']
 */
export function parseUiLocales(value: string | undefined): string[] {
  return (value ?? '').slice(0, MAX_UI_LOCALES_LENGTH).split(' ').filter(Boolean);
}

/**
 * The language of a page (the one place it is chosen): `ui_locales` of the sign-in request (OIDC
 * Core §3.1.2.1; carried on the interaction, so every page of the sign-in uses it), then the
 * language picked with the switcher, then `Accept-Language`, then `languages.default`.
 */
export function pageTranslator(
  ctx: Pick<ServerContext, 'config'> & { request?: Pick<ServerContext['request'], 'languages'> },
  uiLocales: readonly string[] = [],
): Translator {
  const { messages, default: fallback } = ctx.config.languages;
  const hints = ctx.request?.languages;
  const locale = chooseLocale({ uiLocales, remembered: hints?.remembered, acceptLanguage: hints?.accept }, messages.locales, fallback);
  return messages.translator(locale);
}

/**
 * The language part of a translated page's {@link PageBase}: its messages, and the switcher, which
 * sends the browser back to `returnTo` (a path of this server; the page itself, by GET).
 *
 * @example
 * renderLoginPage({ ...pageBase(ctx), ...pageLanguage(ctx, request.uiLocales, interactionPath(ctx, id)), nonce, ... })
 */
export function pageLanguage(
  ctx: Pick<ServerContext, 'config'> & { request?: Pick<ServerContext['request'], 'languages'> },
  uiLocales: readonly string[] = [],
  returnTo?: string,
): { i18n: Translator } & Pick<PageBase, 'languageSwitcher'> {
  const i18n = pageTranslator(ctx, uiLocales);
  const offered = ctx.config.languages.messages.locales.length > 1;
  return { i18n, ...(returnTo !== undefined && offered ? { languageSwitcher: { action: pathTo(ctx, 'language'), returnTo } } : {}) };
}
