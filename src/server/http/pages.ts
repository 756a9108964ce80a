import { renderErrorPage } from '../../ui/index.js';
import type { Capabilities } from '../context.js';
import { htmlResponse } from './html.js';

/**
 * Branding and language of every page. The pages exist in English only, so `ui_locales` is not
 * used for `lang`: declaring another language over English text misleads screen readers.
 */
export function pageBase(ctx: Pick<Capabilities, 'config'>) {
  const { branding } = ctx.config;
  return {
    branding: { productName: branding.productName, primaryColor: branding.primaryColor, ...(branding.logoUrl ? { logoUrl: branding.logoUrl } : {}) },
    lang: 'en',
  };
}

/** An error page; never shows internals, only what is passed. */
export function errorPage(
  ctx: Pick<Capabilities, 'config'>,
  status: number,
  title: string,
  message: string,
  requestId?: string,
  setCookies: string[] = [],
): Response {
  return htmlResponse(ctx, (nonce) => renderErrorPage({ ...pageBase(ctx), nonce, title, message, ...(requestId ? { requestId } : {}) }), {
    status,
    setCookies,
  });
}
