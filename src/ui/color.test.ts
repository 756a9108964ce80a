import { describe, expect, it } from 'vitest';
import { contrastRatio, isHexColor, readableTextColor } from './index.js';
import { brandPalette } from './styles.js';

describe('readableTextColor', () => {
  it('picks dark text on a light primary and white on a dark one', () => {
    expect(readableTextColor('#ffd400')).not.toBe('#ffffff');
    expect(contrastRatio(readableTextColor('#ffd400'), '#ffd400')).toBeGreaterThanOrEqual(4.5);
    expect(readableTextColor('#1a237e')).toBe('#ffffff');
  });

  it('picks whichever of the two contrasts more', () => {
    for (const color of ['#777777', '#808080', '#ff0000', '#0f766e']) {
      const other = readableTextColor(color) === '#ffffff' ? '#111318' : '#ffffff';
      expect(contrastRatio(readableTextColor(color), color)).toBeGreaterThanOrEqual(contrastRatio(other, color));
    }
  });
});

describe('contrastRatio', () => {
  it('follows WCAG 2.x', () => {
    expect(contrastRatio('#ffffff', '#000000')).toBeCloseTo(21, 5);
    expect(contrastRatio('#777', '#777777')).toBe(1);
    expect(contrastRatio('#767676', '#ffffff')).toBeCloseTo(4.54, 2);
  });
});

describe('brandPalette', () => {
  const colors = ['#2f5bea', '#ffd400', '#1a237e', '#0f766e', '#ff0000', '#00ff00', '#777777', '#808080', '#ffffff', '#000000'];

  it.each(colors)('keeps the button text at AA contrast on %s', (color) => {
    const palette = brandPalette(color);
    expect(contrastRatio(palette.onPrimary, palette.primary)).toBeGreaterThanOrEqual(4.5);
  });

  it('keeps the exact brand colour whenever it already reaches AA', () => {
    expect(brandPalette('#2f5bea').primary).toBe('#2f5bea');
    expect(brandPalette('#ffd400').primary).toBe('#ffd400');
  });

  it.each(colors)('derives links readable on both schemes from %s', (color) => {
    const palette = brandPalette(color);
    expect(contrastRatio(palette.accentLight, '#ffffff')).toBeGreaterThanOrEqual(4.5);
    expect(contrastRatio(palette.accentDark, '#1a1d24')).toBeGreaterThanOrEqual(4.5);
    expect(contrastRatio(palette.onPrimary, palette.primaryHover)).toBeGreaterThanOrEqual(contrastRatio(palette.onPrimary, palette.primary));
  });
});

describe('isHexColor', () => {
  it('accepts #rgb and #rrggbb only', () => {
    expect(['#2f5bea', '#ABC', '#abcdef'].every(isHexColor)).toBe(true);
    expect(['2f5bea', '#abcd', 'red', '#ggg000', 'rgb(0,0,0)'].some(isHexColor)).toBe(false);
  });
});
