import { brandInitial, resolveBranding, type Branding } from './branding.js';
import { html, trustedHtml, type HtmlValue, type SafeHtml } from './escape.js';
import { englishMessages, type Translator } from './i18n/messages.js';
import { safeUrl } from './safe-url.js';
import { pageStyles } from './styles.js';

/** What every branded page needs besides its own content. */
export interface PageBase {
  branding: Branding;
  /** Per-response CSP nonce, also sent as `Content-Security-Policy: style-src 'nonce-…'`. */
  nonce: string;
  /**
   * The page's language: its messages (`i18n.t`), `<html lang>` and `dir`. Pages not yet taken
   * from the catalogs leave it out and are English.
   */
  i18n?: Translator;
  /**
   * Shows the language switcher: a form posting `lang` and `return_to` to `action` (the server
   * remembers the choice in a cookie and sends the browser back to `returnTo`, a path of its own).
   */
  languageSwitcher?: { action: string; returnTo: string };
}

/** The page's messages: its own, or English for a page that has none yet. */
export function messagesOf(base: Pick<PageBase, 'i18n'>): Translator {
  return base.i18n ?? englishMessages();
}

/** The product's logo, or its name as text with a monogram when there is no logo. */
function brandHeader(branding: Branding): SafeHtml {
  const logo = safeUrl(branding.logoUrl);
  if (logo !== undefined) return html`<header class="brand"><img src="${logo}" alt="${branding.productName}"></header>`;
  return html`<header class="brand"><span class="brand-mark" aria-hidden="true">${brandInitial(branding.productName)}</span><span class="brand-name">${branding.productName}</span></header>`;
}

/**
 * The language switcher: each language in its own name (and `lang`, so a screen reader says
 * "Deutsch" in German), the current one selected. A plain form: it works without JavaScript.
 */
function languageSwitcher(i18n: Translator, switcher: NonNullable<PageBase['languageSwitcher']>): SafeHtml {
  const options = i18n.languages.map(
    ({ locale, name }) => html`<option value="${locale}" lang="${locale}"${locale === i18n.locale && html` selected`}>${name}</option>`,
  );
  return html`<form class="language" method="post" action="${switcher.action}"><input type="hidden" name="return_to" value="${switcher.returnTo}"><label for="language">${i18n.t('switcher.label')}</label><select id="language" name="lang">${options}</select><button type="submit">${i18n.t('switcher.submit')}</button></form>`;
}

/**
 * A complete branded HTML document: the card with the brand header, `content` below it, the
 * language switcher under the card when asked, and the page's only stylesheet in a nonce-carrying
 * `<style>`. `lang` and `dir` come from the page's language (`dir="rtl"` for Arabic: the styles use
 * logical properties, so the layout mirrors).
 *
 * @param title - What the page is for; the document title becomes "{title} – {product}".
 * @param extraStyles - Rules only a family of pages needs (the admin console's), appended to the one stylesheet.
 */
export function renderDocument(base: PageBase, title: HtmlValue, content: HtmlValue, extraStyles = ''): string {
  const branding = resolveBranding(base.branding);
  const i18n = messagesOf(base);
  return html`<!doctype html>
<html lang="${i18n.locale}" dir="${i18n.dir}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex, nofollow">
<meta name="color-scheme" content="light dark">
<title>${i18n.t('layout.documentTitle', { title: html`${title}`, product: branding.productName })}</title>
<style nonce="${base.nonce}">${trustedHtml(pageStyles(branding) + extraStyles)}</style>
</head>
<body>
<main class="card">
${brandHeader(branding)}
${content}
</main>
${base.languageSwitcher && html`<footer>${languageSwitcher(i18n, base.languageSwitcher)}</footer>`}
</body>
</html>
`.value;
}
