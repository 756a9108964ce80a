import { html, type SafeHtml } from '../escape.js';
import type { Translator } from '../i18n/messages.js';

/** One series of counts, one per time bucket, oldest first. */
export interface ChartSeries {
  /** Its name ("Sign-ins"), in the page's language. */
  label: string;
  counts: number[];
}

const WIDTH = 300;
const HEIGHT = 96;
const TOP = 14;

/**
 * One small bar chart, server-rendered SVG (no script): a bar per bucket, scaled to the highest
 * count, with the total beside the title. Readable without the picture: the SVG is `role="img"`
 * with a `<title>` and a `<desc>` saying the total and the peak, and a disclosure holds the numbers
 * as a table, bucket by bucket (`buckets`: their labels, such as "14:05", oldest first). Its words
 * and numbers are in `i18n`'s language.
 *
 * @example
 * activityChart('signins', { label: 'Sign-ins', counts: [0, 2, 5] }, ['14:00', '14:05', '14:10'], i18n);
 */
export function activityChart(id: string, series: ChartSeries, buckets: string[], i18n: Translator): SafeHtml {
  const { text, number } = i18n;
  const { counts } = series;
  const total = counts.reduce((sum, count) => sum + count, 0);
  const peak = Math.max(0, ...counts);
  const scale = peak === 0 ? 0 : (HEIGHT - TOP) / peak;
  const slot = WIDTH / Math.max(1, counts.length);
  const gap = Math.min(4, slot / 4);
  const peakAt = counts.indexOf(peak);
  const description = total === 0 ? text('adminConsole.chart.none') : text('adminConsole.chart.summary', { total, peak, at: buckets[peakAt] ?? '' });
  const bars = counts.map((count, index) => {
    const height = Math.max(count > 0 ? 2 : 0, Math.round(count * scale * 10) / 10);
    return html`<rect x="${(index * slot + gap / 2).toFixed(1)}" y="${(HEIGHT - height).toFixed(1)}" width="${(slot - gap).toFixed(1)}" height="${height.toFixed(1)}" fill="currentColor" rx="1.5"></rect>`;
  });
  return html`<figure class="chart" data-series="${id}" data-total="${String(total)}"><figcaption><span>${series.label}</span><span class="chart-total">${number(total)}</span></figcaption><svg viewBox="0 0 ${String(WIDTH)} ${String(HEIGHT + 14)}" role="img" aria-labelledby="${id}-title ${id}-desc" focusable="false"><title id="${id}-title">${series.label}</title><desc id="${id}-desc">${description}</desc><text class="tick" x="0" y="10">${peak > 0 ? text('adminConsole.chart.max', { peak }) : ''}</text>${bars}<line class="axis" x1="0" x2="${String(WIDTH)}" y1="${String(HEIGHT + 0.5)}" y2="${String(HEIGHT + 0.5)}"></line><text class="tick" x="0" y="${String(HEIGHT + 12)}">${buckets[0] ?? ''}</text><text class="tick" x="${String(WIDTH)}" y="${String(HEIGHT + 12)}" text-anchor="end">${buckets.at(-1) ?? ''}</text></svg><details><summary>${i18n.t('adminConsole.chart.numbers', { series: series.label, hidden: (content) => html`<span class="visually-hidden">${content}</span>` })}</summary><table class="table"><caption class="visually-hidden">${text('adminConsole.chart.caption', { series: series.label })}</caption><thead><tr><th scope="col">${text('adminConsole.chart.from')}</th><th scope="col">${text('adminConsole.chart.count')}</th></tr></thead><tbody>${counts.map(
    (count, index) => html`<tr><td>${buckets[index] ?? ''}</td><td>${number(count)}</td></tr>`,
  )}</tbody></table></details></figure>`;
}
