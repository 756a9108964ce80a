import { renderErrorPage } from '../../ui/index.js';
import type { MessageKey, MessageValue } from '../../ui/i18n/index.js';
import type { Capabilities, ServerContext } from '../context.js';
import { pageTranslator } from './page-language.js';
import { htmlResponse } from './html.js';

/** Branding of every page. Its language is the page's own business: `pageLanguage(ctx, …)` (`http/page-language.ts`). */
export function pageBase(ctx: Pick<Capabilities, 'config'>) {
  const { branding } = ctx.config;
  return {
    branding: { productName: branding.productName, primaryColor: branding.primaryColor, ...(branding.logoUrl ? { logoUrl: branding.logoUrl } : {}) },
  };
}

/**
 * What an error page says: a catalog message, shown in the page's language.
 *
 * @example
 * errorPage(ctx, 400, { key: 'error.expired.title' }, { key: 'error.expired.message' });
 */
export type PageMessage = { key: MessageKey; values?: Record<string, MessageValue> };

/** What an error page says: its title or its message. */
export type PageText = PageMessage;

/** Where an error page is shown: the capabilities, and the request's language hints when there is a request. */
type ErrorPageContext = Pick<Capabilities, 'config'> & { request?: Pick<ServerContext['request'], 'languages'> };

/** What else an error page may carry. */
export interface ErrorPageOptions {
  /** Shown as the reference to quote to support. */
  requestId?: string;
  /** Cookies the answer sets. */
  setCookies?: string[];
  /**
   * `ui_locales` of the sign-in (OIDC Core §3.1.2.1) or sign-out (RP-Initiated Logout 1.0 §2)
   * request the page ends, when known: it comes first in the choice of language (`pageTranslator`).
   */
  uiLocales?: readonly string[];
}

/**
 * An error page in the request's language (see `pageTranslator`); never shows internals, only what
 * is passed.
 *
 * @example
 * errorPage(ctx, 400, { key: 'error.completed.title' }, { key: 'error.completed.message' }, { uiLocales: request.uiLocales, setCookies });
 */
export function errorPage(ctx: ErrorPageContext, status: number, title: PageText, message: PageText, options: ErrorPageOptions = {}): Response {
  const { requestId, setCookies = [], uiLocales = [] } = options;
  const i18n = pageTranslator(ctx, uiLocales);
  const text = (value: PageText) => i18n.t(value.key, value.values);
  return htmlResponse(
    ctx,
    (nonce) => renderErrorPage({ ...pageBase(ctx), i18n, nonce, title: text(title), message: text(message), ...(requestId ? { requestId } : {}) }),
    { status, setCookies },
  );
}
