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

/**
 * Who reads an email or a text message. An answer to this request (a sign-up's code, a reset
 * link, a sign-in code) is read by whoever made it: `{ uiLocales }` (the sign-in's, when sent from
 * inside one). A message about an account (a notice, an invitation) may be read when nobody is at
 * a request, or by someone else than who made it (an administrator): `{ account }`, the
 * recipient's profile (`{}` for one not created yet); `atThisRequest` when the account's owner made
 * this request (a notice of the change they just made).
 */
export type MessageReader = { uiLocales?: readonly string[] } | { account: { locale?: string | undefined }; atThisRequest?: boolean };

/**
 * The language of an email or a text message (the one place it is chosen). For the maker of the
 * request, the language of its pages ({@link pageTranslator}: `ui_locales`, the switcher's choice,
 * `Accept-Language`, the default). For an account's reader, the account's `locale` claim (OIDC
 * Core §5.1) when the installation offers it (matched as a page's preferences are: `de-AT` finds
 * `de`); else, when the owner made this request, the language of its pages; else `languages.default`.
 *
 * @example
 * sendAccountEmail(ctx, { to, template: 'password_reset', i18n: messageLanguage(ctx), vars });
 * sendAccountEmail(ctx, { to, template: 'password_changed', i18n: messageLanguage(ctx, { account: user.profile, atThisRequest: true }) });
 */
export function messageLanguage(
  ctx: Pick<ServerContext, 'config'> & { request?: Pick<ServerContext['request'], 'languages'> },
  reader: MessageReader = {},
): Translator {
  if (!('account' in reader)) return pageTranslator(ctx, reader.uiLocales);
  const { messages, default: fallback } = ctx.config.languages;
  const claim = reader.account.locale;
  const offered = typeof claim === 'string' ? chooseLocale({ uiLocales: [claim] }, messages.locales, '') : '';
  if (offered !== '') return messages.translator(offered);
  return reader.atThisRequest === true ? pageTranslator(ctx) : messages.translator(fallback);
}
