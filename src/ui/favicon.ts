import { brandInitial, resolveBranding, type Branding } from './branding.js';
import { escapeHtml } from './escape.js';
import { brandPalette } from './styles.js';

const FONT = 'system-ui,-apple-system,Segoe UI,Roboto,Helvetica Neue,Arial,sans-serif';

/**
 * The favicon: the brand mark of the pages' header (the product's initial on a rounded square in
 * the primary colour, with the same automatically readable text colour) as a standalone SVG.
 * The colour goes through `resolveBranding` and the letter is escaped, so the document is safe
 * whatever the configuration says.
 *
 * @example
 * faviconSvg({ productName: 'Gatehouse', primaryColor: '#2f5bea' }); // '<svg …><rect … fill="#2f5bea"/><text …>G</text></svg>'
 */
export function faviconSvg(branding: Branding): string {
  const { productName, primaryColor } = resolveBranding(branding);
  const palette = brandPalette(primaryColor);
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32" width="32" height="32"><rect width="32" height="32" rx="8" fill="${palette.primary}"/><text x="16" y="16" dy="0.35em" text-anchor="middle" font-family="${FONT}" font-size="20" font-weight="700" fill="${palette.onPrimary}">${escapeHtml(brandInitial(productName))}</text></svg>`;
}
