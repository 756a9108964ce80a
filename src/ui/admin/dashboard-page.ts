import { html } from '../escape.js';
import { activityChart, type ChartSeries } from './chart.js';
import { renderAdminPage, type AdminPageBase } from './layout.js';

/** View model of {@link renderAdminDashboardPage}. */
export interface AdminDashboardView extends AdminPageBase {
  /** The range shown, and the links to each (they work without JavaScript). */
  ranges: { label: string; href: string; current: boolean }[];
  /** What the charts cover, in words ("The last 24 hours, by hour (UTC)"), in the page's language. */
  period: string;
  /** Labels of the buckets, oldest first ("14:05"). */
  buckets: string[];
  series: (ChartSeries & { key: string })[];
  /** Users and clients, counted up to one past `cap`: past it, the page says "10,000+". */
  totals: { users: number; clients: number; cap: number };
}

/** The dashboard: counts of users and clients, and a chart per activity series over the chosen range. */
export function renderAdminDashboardPage(view: AdminDashboardView): string {
  const { i18n } = view;
  const { t, text } = i18n;
  const { cap } = view.totals;
  const count = (value: number) => (value > cap ? text('adminConsole.dashboard.atLeast', { count: cap }) : i18n.number(value));
  const totals = [
    { label: t('adminConsole.dashboard.users'), value: count(view.totals.users) },
    { label: t('adminConsole.dashboard.clients'), value: count(view.totals.clients) },
  ];
  return renderAdminPage(
    view,
    t('adminConsole.dashboard.title'),
    html`<dl class="stats">${totals.map((total) => html`<div class="stat"><dt>${total.label}</dt><dd>${total.value}</dd></div>`)}</dl>
<section class="section" aria-labelledby="activity-title"><h2 id="activity-title">${t('adminConsole.dashboard.activity')}</h2><p class="section-lead">${view.period}</p>
<nav class="range" aria-label="${text('adminConsole.dashboard.range')}">${view.ranges.map((range) => html`<a href="${range.href}"${range.current && html` aria-current="true"`}>${range.label}</a>`)}</nav>
<div class="charts">${view.series.map((series) => activityChart(series.key, series, view.buckets, i18n))}</div></section>`,
  );
}
