import { html, type HtmlValue, type SafeHtml } from '../escape.js';
import { submitButton, textField } from '../form.js';
import type { Translator } from '../i18n/messages.js';
import { adminTable, pager, renderAdminPage, type AdminPageBase } from './layout.js';

/** An audit event as the console lists it. */
export interface AdminAuditRow {
  seq: number;
  /** "12 March 2025, 09:12 UTC", in the page's language. */
  time: string;
  type: string;
  outcome: 'success' | 'failure';
  subject: string | null;
  /** The subject's username and page, when the subject is a user who still exists. */
  user?: { username: string; href: string };
  clientId: string | null;
  /** The client's name and page, when the client still exists; a built-in one ("Admin console") has no page. */
  client?: { name: string; href?: string };
  ip: string | null;
  /** Its details as `key=value` pairs. */
  details: string;
}

/** The filters as given (shown again in the form). */
export interface AdminAuditFilters {
  since: string;
  type: string;
  user: string;
  client: string;
  ip: string;
  outcome: string;
}

/** View model of {@link renderAdminAuditPage}. */
export interface AdminAuditView extends AdminPageBase {
  events: AdminAuditRow[];
  filters: AdminAuditFilters;
  /** The time ranges offered (`value` is the `since` parameter; `label` in the page's language). */
  sinceOptions: { value: string; label: string }[];
  /** Where the filter form goes (GET). */
  search: string;
  /** Where "Verify chain" goes (GET: it changes nothing). */
  verify: string;
  /** The chain's verification, when just asked for (`message` in the page's language). */
  verification?: { ok: boolean; message: string };
  newer?: string;
  older?: string;
}

/** A labelled `<select>`. */
function select(id: string, label: HtmlValue, value: string, options: { value: string; label: HtmlValue }[]): HtmlValue {
  return html`<div class="field"><label for="${id}">${label}</label><select class="input" id="${id}" name="${id}">${options.map(
    (option) => html`<option value="${option.value}"${option.value === value && html` selected`}>${option.label}</option>`,
  )}</select></div>`;
}

/** An event type that may break only after a `.` or `_` (`admin.user_<wbr>factors_<wbr>reset`), never inside a word. */
function eventTypeHtml(type: string): SafeHtml {
  const parts = type.split(/(?<=[._])/);
  return html`<code class="event-type">${parts.map((part, index) => html`${index > 0 && html`<wbr>`}${part}`)}</code>`;
}

/** Who an event is about: the user (linked) and the client (by name, linked), else their ids. */
function whoHtml(event: AdminAuditRow, { t }: Translator): HtmlValue {
  const user = event.user ? html`<a href="${event.user.href}">${event.user.username}</a>` : html`<code>${event.subject}</code>`;
  const { client: named } = event;
  const client = named ? (named.href ? html`<a href="${named.href}">${named.name}</a>` : named.name) : html`<code>${event.clientId}</code>`;
  return html`${event.subject && html`<span>${t('adminConsole.audit.whoUser', { user: html`${user}` })}</span>`}${event.clientId && html`<span class="cell-meta">${t('adminConsole.audit.whoClient', { client: html`${client}` })}</span>`}`;
}

/** The audit log: filters (time range, type, user, client, address, outcome), the events newest first, older/newer, and "Verify chain". */
export function renderAdminAuditPage(view: AdminAuditView): string {
  const { filters, i18n } = view;
  const { t, text } = i18n;
  const field = (id: keyof AdminAuditFilters, label: SafeHtml) =>
    textField({ id, name: id, label, type: 'text', autocomplete: 'off', value: filters[id], optional: true, maxLength: 320, i18n });
  const rows = view.events.map((event) => [
    html`<span class="nowrap">${event.time}</span><span class="cell-meta">${t('adminConsole.audit.seq', { seq: String(event.seq) })}</span>`,
    html`${eventTypeHtml(event.type)}${event.outcome === 'failure' && html`<span class="cell-meta warning">${t('adminConsole.audit.failed')}</span>`}`,
    whoHtml(event, i18n),
    event.ip ?? '—',
    html`<code>${event.details}</code>`,
  ]);
  const verification =
    view.verification &&
    html`<div class="${view.verification.ok ? 'notice' : 'alert'}" role="status" id="verification"><p>${view.verification.message}</p></div>`;
  const outcomes = [
    { value: '', label: t('adminConsole.audit.outcomeAny') },
    { value: 'success', label: t('adminConsole.audit.outcomeSuccess') },
    { value: 'failure', label: t('adminConsole.audit.outcomeFailure') },
  ];
  const headings = [
    t('adminConsole.audit.when'),
    t('adminConsole.audit.event'),
    t('adminConsole.audit.who'),
    t('adminConsole.audit.address'),
    t('adminConsole.audit.details'),
  ];
  return renderAdminPage(
    view,
    t('adminConsole.audit.title'),
    html`${verification}<form class="admin-toolbar" method="get" action="${view.search}" role="search">${select('since', t('adminConsole.audit.since'), filters.since, view.sinceOptions)}${field('type', t('adminConsole.audit.type'))}${field('user', t('adminConsole.audit.user'))}${field('client', t('adminConsole.clients.clientId'))}${field('ip', t('adminConsole.audit.address'))}${select(
      'outcome',
      t('adminConsole.audit.outcome'),
      filters.outcome,
      outcomes,
    )}${submitButton({ label: t('adminConsole.audit.filter'), variant: 'primary', className: 'button-small' })}</form>
<p class="section-actions section-actions-start"><a class="button button-secondary button-small" href="${view.verify}">${t('adminConsole.audit.verify')}</a></p>
${adminTable(text('adminConsole.audit.caption'), headings, rows, t('adminConsole.audit.empty'))}
${pager(
  i18n,
  view.newer ? { href: view.newer, label: t('adminConsole.audit.newer') } : undefined,
  view.older ? { href: view.older, label: t('adminConsole.audit.older') } : undefined,
)}`,
  );
}
