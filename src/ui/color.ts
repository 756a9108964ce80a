/**
 * Colour arithmetic for brandable pages: WCAG 2.x relative luminance and contrast ratio, so that
 * text drawn on or with the brand colour stays readable whatever colour the operator picks.
 */

/** Near-black used for text on light brand colours; softer than pure black, still above 15:1 on white. */
const DARK_TEXT = '#111318';
/** White, used for text on dark brand colours. */
export const LIGHT_TEXT = '#ffffff';

/** WCAG 2.x success criterion 1.4.3 (AA) minimum for body text. */
const AA_TEXT_CONTRAST = 4.5;

const HEX_COLOR = /^#(?:[0-9a-f]{3}|[0-9a-f]{6})$/i;

type Rgb = readonly [number, number, number];

/** Whether `value` is a CSS hex colour in `#rgb` or `#rrggbb` form. */
export function isHexColor(value: string): boolean {
  return HEX_COLOR.test(value);
}

/**
 * Normalise a hex colour to lower-case `#rrggbb`, or `undefined` when it is not one. The result is
 * safe to place in a stylesheet.
 */
export function normalizeHexColor(value: string): string | undefined {
  if (!isHexColor(value)) return undefined;
  const digits = value.slice(1).toLowerCase();
  return digits.length === 3 ? `#${digits.replace(/./g, '$&$&')}` : `#${digits}`;
}

function toRgb(color: string): Rgb {
  const hex = normalizeHexColor(color);
  if (hex === undefined) throw new TypeError(`not a hex colour: ${color}`);
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

function mapRgb(rgb: Rgb, fn: (channel: number, index: 0 | 1 | 2) => number): Rgb {
  return [fn(rgb[0], 0), fn(rgb[1], 1), fn(rgb[2], 2)];
}

function toHex(rgb: Rgb): string {
  return `#${rgb.map((c) => Math.round(c).toString(16).padStart(2, '0')).join('')}`;
}

/** Relative luminance of an sRGB colour, 0 (black) to 1 (white); WCAG 2.x definition. */
function relativeLuminance(color: string): number {
  const [r, g, b] = mapRgb(toRgb(color), (c) => {
    const s = c / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/**
 * Contrast ratio between two colours, 1 to 21 (WCAG 2.x).
 *
 * @example
 * contrastRatio('#ffffff', '#000000'); // 21
 */
export function contrastRatio(a: string, b: string): number {
  const la = relativeLuminance(a);
  const lb = relativeLuminance(b);
  return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
}

/**
 * The text colour to draw on `background`: white or near-black, whichever contrasts more.
 *
 * @example
 * readableTextColor('#1a237e'); // '#ffffff'
 * readableTextColor('#ffd400'); // '#111318'
 */
export function readableTextColor(background: string): string {
  return contrastRatio(background, LIGHT_TEXT) >= contrastRatio(background, DARK_TEXT) ? LIGHT_TEXT : DARK_TEXT;
}

/** Blend `color` towards `target` by `amount` (0 keeps `color`, 1 gives `target`). */
export function mixColors(color: string, target: string, amount: number): string {
  const from = toRgb(color);
  const to = toRgb(target);
  return toHex(mapRgb(from, (c, i) => c + (to[i] - c) * amount));
}

/**
 * The closest shade of `color` that reaches `minimum` contrast against `background`, darkening on
 * light backgrounds and lightening on dark ones. Used to derive link and focus-ring colours from
 * the brand colour (a yellow brand would otherwise give unreadable yellow links on white).
 */
export function ensureContrast(color: string, background: string, minimum = AA_TEXT_CONTRAST): string {
  const target = relativeLuminance(background) > 0.18 ? '#000000' : '#ffffff';
  for (let step = 0; step <= 20; step++) {
    const candidate = mixColors(color, target, step / 20);
    if (contrastRatio(candidate, background) >= minimum) return candidate;
  }
  return target;
}
