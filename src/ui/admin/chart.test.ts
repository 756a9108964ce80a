import { describe, expect, it } from 'vitest';
import { compileMessages, englishMessages } from '../i18n/messages.js';
import { activityChart } from './chart.js';

describe('activityChart', () => {
  const buckets = ['14:00', '14:05', '14:10'];
  const i18n = englishMessages();

  it.each([
    { counts: [0, 2, 5], total: '5', desc: '7 in this period; the most, 5, at 14:10.', bars: [0, 2, 5] },
    { counts: [0, 0, 0], total: '0', desc: 'None in this period.', bars: [0, 0, 0] },
  ])('draws $counts with its total, a text alternative and the numbers', ({ counts, desc, bars }) => {
    const svg = activityChart('signIns', { label: 'Sign-ins', counts }, buckets, i18n).value;
    expect(svg).toContain('role="img" aria-labelledby="signIns-title signIns-desc"');
    expect(svg).toContain('<title id="signIns-title">Sign-ins</title>');
    expect(svg).toContain(`<desc id="signIns-desc">${desc}</desc>`);
    expect(svg).toContain(`data-total="${counts.reduce((a, b) => a + b, 0)}"`);
    // Heights are proportional to the counts, the tallest filling the drawing.
    const heights = [...svg.matchAll(/<rect [^>]*height="([\d.]+)"/g)].map((match) => Number(match[1]));
    expect(heights.map((height) => height > 0)).toEqual(bars.map((count) => count > 0));
    if (Math.max(...bars) > 0) expect(heights[1]! / heights[2]!).toBeCloseTo(2 / 5, 1);
    for (const [index, count] of counts.entries()) expect(svg).toContain(`<tr><td>${buckets[index]}</td><td>${count}</td></tr>`);
  });

  it('escapes the label', () => {
    expect(activityChart('x', { label: '<b>', counts: [1] }, ['a'], i18n).value).not.toContain('<b>');
  });

  it('says it in the page’s language, numbers formatted for it', () => {
    const svg = activityChart('signIns', { label: 'Anmeldungen', counts: [0, 1200, 5] }, buckets, compileMessages().translator('de')).value;
    expect(svg).toContain('<desc id="signIns-desc">1.205 in diesem Zeitraum; die meisten, 1.200, um 14:05.</desc>');
    expect(svg).toContain('<span class="chart-total">1.205</span>');
    expect(svg).toContain('<summary>Zahlen<span class="visually-hidden"> zu Anmeldungen</span></summary>');
    expect(svg).toContain('<th scope="col">Anzahl</th>');
  });
});
