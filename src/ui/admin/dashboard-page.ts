import { html } from '../escape.js';
import { activityChart, type ChartSeries } from './chart.js';
import { renderAdminPage, type AdminPageBase } from './layout.js';

/** View model of {@link renderAdminDashboardPage}. */
export interface AdminDashboardView extends AdminPageBase {
  /** The range shown, and the links to each (they work without JavaScript). */
  ranges: { label: string; href: string; current: boolean }[];
  /** What the charts cover, in words ("The last 24 hours, by hour (UTC)"). */
  period: string;
  /** Labels of the buckets, oldest first ("14:05"). */
  buckets: string[];
  series: (ChartSeries & { key: string })[];
  /** Counts shown as figures: users, clients. */
  totals: { label: string; value: string }[];
}

/** The dashboard: counts of users and clients, and a chart per activity series over the chosen range. */
export function renderAdminDashboardPage(view: AdminDashboardView): string {
  return renderAdminPage(
    view,
    'Dashboard',
    html`<dl class="stats">${view.totals.map((total) => html`<div class="stat"><dt>${total.label}</dt><dd>${total.value}</dd></div>`)}</dl>
<section class="section" aria-labelledby="activity-title"><h2 id="activity-title">Activity</h2><p class="section-lead">${view.period}</p>
<nav class="range" aria-label="Time range">${view.ranges.map((range) => html`<a href="${range.href}"${range.current && html` aria-current="true"`}>${range.label}</a>`)}</nav>
<div class="charts">${view.series.map((series) => activityChart(series.key, series, view.buckets))}</div></section>`,
  );
}
