import { brandInitial, resolveBranding, type Branding } from './branding.js';
import { html, trustedHtml, type SafeHtml } from './escape.js';
import type { Translator } from './i18n/index.js';
import { safeUrl } from './safe-url.js';
import { brandPalette } from './styles.js';

/** What one account email says, in plain text pieces (every one escaped here, never trusted). */
export interface EmailContent {
  /** The card's heading: what the email is about. */
  heading: string;
  /** "Hello Ada," or "Hello,". */
  greeting: string;
  paragraphs: string[];
  /** A one-time code, shown large and monospaced. */
  code?: string;
  /** The button: its label and the link it opens (also written out below it, for clients that hide buttons). */
  action?: { label: string; url: string };
  /** Why the recipient got this email ("You received this because…"). */
  footer: string;
}

const FONT = `system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif`;
const MONO = `ui-monospace,SFMono-Regular,Menlo,Consolas,'Liberation Mono',monospace`;

/**
 * Mail clients ignore most of CSS: the layout is tables with inline styles, and this sheet only
 * adds the dark scheme (Apple Mail, Outlook on the web and others honour it; the rest show the
 * light card, which reads fine on a dark screen too).
 */
function darkSchemeStyles(accentDark: string): string {
  return (
    `:root{color-scheme:light dark;supported-color-schemes:light dark}` +
    `@media (prefers-color-scheme:dark){.bg{background:#0e1015!important}.card{background:#1a1d24!important;border-color:#2c313b!important}` +
    `.text{color:#eceef3!important}.muted{color:#a6adba!important}.codebox{background:#222631!important;border-color:#3d4350!important;color:#eceef3!important}` +
    `.link{color:${accentDark}!important}}` +
    `@media (max-width:480px){.card{padding:24px 18px!important}.code{font-size:26px!important;letter-spacing:4px!important}}`
  );
}

/** The logo when it is a usable absolute URL, else the product's monogram and name (the name after it, on the side the language reads from). */
function emailBrand(branding: Branding, primary: string, onPrimary: string, start: 'left' | 'right'): SafeHtml {
  const logo = safeUrl(branding.logoUrl);
  if (logo !== undefined && /^https?:/i.test(logo)) {
    return html`<img src="${logo}" alt="${branding.productName}" height="40" style="display:block;margin:0 auto;height:40px;max-width:200px;border:0">`;
  }
  return html`<table role="presentation" cellpadding="0" cellspacing="0" border="0" align="center"><tr><td style="width:36px;height:36px;border-radius:9px;background:${primary};color:${onPrimary};font:700 18px/36px ${FONT};text-align:center">${brandInitial(branding.productName)}</td><td class="text" style="padding-${start}:10px;font:600 18px/36px ${FONT};color:#16181d">${branding.productName}</td></tr></table>`;
}

/**
 * A branded account email as HTML, in `i18n`'s language (`<html lang dir>`, mirrored for a
 * right-to-left one): a centred card on a tinted background, the brand at the top, a real button
 * for the link (with the link written out below it), the code large and monospaced, and a footer
 * that says why it was sent. Tables and inline styles, so that mail clients render it (Gmail,
 * Outlook and Apple Mail included); everything given is escaped.
 *
 * @example
 * renderEmailHtml(DEFAULT_BRANDING, { heading: 'Reset your password', greeting: 'Hello,', paragraphs: ['…'],
 *   action: { label: 'Choose a new password', url }, footer: 'You received this because…' }, i18n);
 */
export function renderEmailHtml(brandingGiven: Branding, content: EmailContent, i18n: Translator): string {
  const branding = resolveBranding(brandingGiven);
  const c = brandPalette(branding.primaryColor);
  // Physical sides, not logical properties: many mail clients (Outlook's above all) ignore those.
  const start = i18n.dir === 'rtl' ? 'right' : 'left';
  const paragraph = (text: string) => html`<p class="text" style="margin:0 0 16px;font:16px/1.55 ${FONT};color:#16181d;text-align:${start}">${text}</p>`;
  const code =
    content.code !== undefined &&
    html`<tr><td align="center" style="padding:4px 0 20px"><div class="codebox" style="display:inline-block;padding:12px 20px;border:1px solid #c9ced7;border-radius:10px;background:#f5f6f8;color:#16181d"><span class="code" style="font:700 32px/1.2 ${MONO};letter-spacing:6px">${content.code}</span></div></td></tr>`;
  const action =
    content.action !== undefined &&
    html`<tr><td align="center" style="padding:4px 0 20px"><table role="presentation" cellpadding="0" cellspacing="0" border="0"><tr><td align="center" bgcolor="${c.primary}" style="border-radius:9px;background:${c.primary}"><a href="${content.action.url}" target="_blank" style="display:inline-block;padding:13px 26px;font:700 16px/1.2 ${FONT};color:${c.onPrimary};text-decoration:none;border-radius:9px">${content.action.label}</a></td></tr></table></td></tr>
<tr><td class="muted" style="padding:0;font:13px/1.5 ${FONT};color:#596070;text-align:${start}">${i18n.text('email.orOpenLink')} <a class="link" dir="ltr" href="${content.action.url}" style="color:${c.accentLight};word-break:break-all">${content.action.url}</a></td></tr>`;
  return html`<!doctype html>
<html lang="${i18n.locale}" dir="${i18n.dir}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="supported-color-schemes" content="light dark">
<title>${content.heading}</title>
<style>${trustedHtml(darkSchemeStyles(c.accentDark))}</style>
</head>
<body class="bg" dir="${i18n.dir}" style="margin:0;padding:0;background:#f2f4f7">
<table role="presentation" class="bg" width="100%" cellpadding="0" cellspacing="0" border="0" style="background:#f2f4f7"><tr><td align="center" style="padding:32px 12px">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="max-width:520px">
<tr><td align="center" style="padding:0 0 20px">${emailBrand(branding, c.primary, c.onPrimary, start)}</td></tr>
<tr><td class="card" style="background:#ffffff;border:1px solid #e2e5eb;border-radius:16px;padding:32px 28px">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0">
<tr><td class="text" style="padding:0 0 16px;font:700 22px/1.3 ${FONT};color:#16181d;text-align:${start}">${content.heading}</td></tr>
<tr><td>${paragraph(content.greeting)}${content.paragraphs.map(paragraph)}</td></tr>
${code}${action}
</table>
</td></tr>
<tr><td class="muted" style="padding:20px 8px 0;font:13px/1.5 ${FONT};color:#596070;text-align:center">${content.footer}</td></tr>
</table>
</td></tr></table>
</body>
</html>
`.value;
}

/**
 * The plain-text alternative of the same email, in `i18n`'s language: what text-only clients and
 * screen readers of raw mail show, and what spam filters expect beside HTML.
 */
export function renderEmailText(content: EmailContent, i18n: Translator): string {
  const parts = [content.greeting, ...content.paragraphs];
  if (content.code !== undefined) parts.push(i18n.text('email.yourCode', { code: content.code }));
  if (content.action !== undefined) parts.push(`${content.action.label}\n${content.action.url}`);
  parts.push(`--\n${content.footer}`);
  return `${parts.join('\n\n')}\n`;
}
