import { normalizeHexColor } from './color.js';

/**
 * How the sign-in pages present the product: its name, an optional logo and the primary colour
 * used for the main button, links and focus rings.
 */
export interface Branding {
  /** Shown in titles and headings, and as the logo's alt text. */
  productName: string;
  /** Absolute `https:` URL or same-origin path of the logo; the product name is shown when absent. */
  logoUrl?: string;
  /** `#rrggbb`; text on it is chosen automatically (white or near-black) for WCAG AA contrast. */
  primaryColor: string;
}

/** The branding used when an operator configures none. */
export const DEFAULT_BRANDING: Branding = Object.freeze({ productName: 'Gatehouse', primaryColor: '#2f5bea' });

/**
 * Branding with a primary colour that is known to be a valid `#rrggbb`. An invalid colour falls back
 * to the default instead of failing: it ends up in a stylesheet, so it must never pass unchecked,
 * and a sign-in page that renders is better than one that does not. Options validation is the
 * place to reject it loudly.
 */
export function resolveBranding(branding: Branding): Branding {
  return {
    ...branding,
    primaryColor: normalizeHexColor(branding.primaryColor) ?? DEFAULT_BRANDING.primaryColor,
  };
}

/**
 * The letter of the brand mark (the header's monogram, the favicon): the product name's first
 * character, upper-cased. `Array.from` splits by code point, so an emoji or astral letter stays whole.
 */
export function brandInitial(productName: string): string {
  return Array.from(productName.trim())[0]?.toLocaleUpperCase() ?? '';
}
