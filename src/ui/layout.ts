import { brandInitial, resolveBranding, type Branding } from './branding.js';
import { html, trustedHtml, type HtmlValue, type SafeHtml } from './escape.js';
import { safeUrl } from './safe-url.js';
import { pageStyles } from './styles.js';

/** What every branded page needs besides its own content. */
export interface PageBase {
  branding: Branding;
  /** Per-response CSP nonce, also sent as `Content-Security-Policy: style-src 'nonce-…'`. */
  nonce: string;
  /** BCP 47 language tag of the page; defaults to `'en'`. */
  lang?: string;
}

/** The product's logo, or its name as text with a monogram when there is no logo. */
function brandHeader(branding: Branding): SafeHtml {
  const logo = safeUrl(branding.logoUrl);
  if (logo !== undefined) return html`<header class="brand"><img src="${logo}" alt="${branding.productName}"></header>`;
  return html`<header class="brand"><span class="brand-mark" aria-hidden="true">${brandInitial(branding.productName)}</span><span class="brand-name">${branding.productName}</span></header>`;
}

/**
 * A complete branded HTML document: the card with the brand header, `content` below it, and the
 * page's only stylesheet in a nonce-carrying `<style>`.
 *
 * @param title - What the page is for; the document title becomes "{title} – {product}".
 * @param extraStyles - Rules only a family of pages needs (the admin console's), appended to the one stylesheet.
 */
export function renderDocument(base: PageBase, title: string, content: HtmlValue, extraStyles = ''): string {
  const branding = resolveBranding(base.branding);
  return html`<!doctype html>
<html lang="${base.lang ?? 'en'}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex, nofollow">
<meta name="color-scheme" content="light dark">
<title>${title} – ${branding.productName}</title>
<style nonce="${base.nonce}">${trustedHtml(pageStyles(branding) + extraStyles)}</style>
</head>
<body>
<main class="card">
${brandHeader(branding)}
${content}
</main>
</body>
</html>
`.value;
}
