import { describe, expect, it } from 'vitest';
import { durationUntil, formatDate, formatDateTime, retryTime, shownTimeAgo, timeAgo } from './index.js';
import { compileMessages, type Translator } from './i18n/index.js';

const NOW = Date.UTC(2025, 2, 12, 14, 20, 30);
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

describe('timeAgo', () => {
  it.each([
    [0, 'just now'],
    [59_999, 'just now'],
    [-5 * MIN, 'just now'],
    [MIN, '1 minute ago'],
    [2 * MIN + 5_000, '2 minutes ago'],
    [59 * MIN, '59 minutes ago'],
    [HOUR, '1 hour ago'],
    [2 * HOUR + 59 * MIN, '2 hours ago'],
    [23 * HOUR, '23 hours ago'],
    [DAY, '1 day ago'],
    [6 * DAY, '6 days ago'],
    [7 * DAY, '5 March 2025'],
    [400 * DAY, '6 February 2024'],
  ])('%i ms ago → %s', (age, expected) => {
    expect(timeAgo(NOW - age, NOW)).toBe(expected);
  });

  it('comes with the exact time for <time>', () => {
    expect(shownTimeAgo(NOW - 2 * HOUR, NOW)).toEqual({ text: '2 hours ago', iso: '2025-03-12T12:20:30.000Z', exact: '12 March 2025, 12:20 UTC' });
  });
});

describe('formatDate and formatDateTime', () => {
  it.each([
    [Date.UTC(2025, 0, 1, 0, 0), '1 January 2025', '1 January 2025, 00:00 UTC'],
    [Date.UTC(2025, 11, 31, 23, 59, 59), '31 December 2025', '31 December 2025, 23:59 UTC'],
    [Date.UTC(2024, 1, 29, 9, 5), '29 February 2024', '29 February 2024, 09:05 UTC'],
  ])('%i → %s / %s', (ms, date, dateTime) => {
    expect(formatDate(ms)).toBe(date);
    expect(formatDateTime(ms)).toBe(dateTime);
  });
});

describe('retryTime and durationUntil', () => {
  it.each([
    // [seconds from now, time shown, duration shown]
    [1, '14:21 UTC', '1 minute'],
    [29, '14:21 UTC', '1 minute'],
    [60, '14:22 UTC', '1 minute'],
    [900, '14:36 UTC', '15 minutes'],
    [3600, '15:21 UTC', '1 hour'],
    [5400, '15:51 UTC', '1 hour 30 minutes'],
    [10 * 3600, '13 March 2025, 00:21 UTC', '10 hours'],
  ])('%i s → at %s, in %s', (seconds, at, duration) => {
    const until = NOW + seconds * 1000;
    expect(retryTime(until, NOW).text).toBe(at);
    expect(durationUntil(until, NOW)).toBe(duration);
  });

  it('rounds the time up to the minute, never showing a moment that is still too early', () => {
    const until = NOW + 900_000;
    const shown = retryTime(until, NOW);
    expect(Date.parse(shown.iso)).toBeGreaterThanOrEqual(until);
    expect(shown.exact).toBe('12 March 2025, 14:36 UTC');
  });
});

describe('in the page’s language', () => {
  const [de, ja, ar] = ['de', 'ja', 'ar'].map((locale) => compileMessages().translator(locale)) as [Translator, Translator, Translator];

  it('writes dates by Intl for the language, the words around them from the catalog', () => {
    expect(retryTime(NOW + 900_000, NOW, de)).toEqual({ text: '14:36 UTC', iso: '2025-03-12T14:36:00.000Z', exact: '12. März 2025, 14:36 UTC' });
    expect(formatDate(NOW, ja)).toBe('2025年3月12日');
  });

  it('counts with the language’s plurals', () => {
    expect(durationUntil(NOW + 60_000, NOW, de)).toBe('1 Minute');
    expect(durationUntil(NOW + 5400_000, NOW, de)).toBe('1 Stunde 30 Minuten');
    expect(durationUntil(NOW + 120_000, NOW, ar)).toBe('دقيقتين');
    expect(timeAgo(NOW - 3 * DAY, NOW, de)).toBe('vor 3 Tagen');
    expect(timeAgo(NOW - 2 * HOUR, NOW, ja)).toBe('2時間前');
  });
});
