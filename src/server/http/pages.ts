import { renderErrorPage } from '../../ui/index.js';
import type { MessageKey, MessageValue } from '../../ui/i18n/index.js';
import type { Capabilities, ServerContext } from '../context.js';
import { pageTranslator } from './page-language.js';
import { htmlResponse } from './html.js';

/**
 * Branding of every page. Its language is the page's own business: a translated page adds
 * `pageLanguage(ctx, …)` (`http/page-language.ts`); a page not yet translated leaves it out and is
 * English (declaring another language over English text would mislead screen readers).
 */
export function pageBase(ctx: Pick<Capabilities, 'config'>) {
  const { branding } = ctx.config;
  return {
    branding: { productName: branding.productName, primaryColor: branding.primaryColor, ...(branding.logoUrl ? { logoUrl: branding.logoUrl } : {}) },
  };
}

/**
 * What an error page says: a catalog message (shown in the user's language), or English text from
 * a caller not yet translated (the whole page is then English).
 */
export type PageText = { key: MessageKey; values?: Record<string, MessageValue> } | string;

/** Where an error page is shown: the capabilities, and the request's language hints when there is a request. */
type ErrorPageContext = Pick<Capabilities, 'config'> & { request?: Pick<ServerContext['request'], 'languages'> };

/** An error page; never shows internals, only what is passed. */
export function errorPage(ctx: ErrorPageContext, status: number, title: PageText, message: PageText, requestId?: string, setCookies: string[] = []): Response {
  const translated = typeof title !== 'string' && typeof message !== 'string';
  const i18n = translated ? pageTranslator(ctx) : ctx.config.languages.messages.translator('en');
  const text = (value: PageText) => (typeof value === 'string' ? value : i18n.t(value.key, value.values));
  return htmlResponse(
    ctx,
    (nonce) => renderErrorPage({ ...pageBase(ctx), i18n, nonce, title: text(title), message: text(message), ...(requestId ? { requestId } : {}) }),
    { status, setCookies },
  );
}
