import { html, type HtmlValue, type SafeHtml } from '../escape.js';
import { postForm, submitButton } from '../form.js';
import type { Translator } from '../i18n/messages.js';
import { renderDocument, type PageBase } from '../layout.js';
import { alertBox, noticeBox } from '../message-box.js';

/** The console's sections, one per nav link. */
export type AdminSection = 'dashboard' | 'clients' | 'users' | 'keys' | 'audit';

/** Where the nav links go (paths below the issuer). */
export type AdminLinks = Record<AdminSection, string>;

/** What every console page needs besides its own content. */
export interface AdminPageBase extends PageBase {
  /** The page's language (every console page is taken from the catalogs). */
  i18n: Translator;
  links: AdminLinks;
  /** The section the page belongs to (its nav link is `aria-current="page"`). */
  section: AdminSection;
  /** Who is signed in (username or email), shown above the content. */
  adminLogin: string;
  /** Sent back in the hidden `csrf` field of every form of the page. */
  csrfToken: string;
  /** A confirmation of what was just done ("Client registered."), in the page's language. */
  notice?: string;
  /** What went wrong with what was just posted, in the page's language. */
  error?: string;
  /** The "Sign out" form: where it posts, and its own CSRF token (the account pages' sign-out). */
  signOut: { action: string; csrfToken: string };
}

/** The nav's links, in order, with their labels in `i18n`'s language. */
function navLinks(i18n: Translator): [AdminSection, SafeHtml][] {
  const { t } = i18n;
  return [
    ['dashboard', t('adminConsole.nav.dashboard')],
    ['clients', t('adminConsole.nav.clients')],
    ['users', t('adminConsole.nav.users')],
    ['keys', t('adminConsole.nav.keys')],
    ['audit', t('adminConsole.nav.audit')],
  ];
}

/**
 * Rules of the console pages only: a wider card, the nav, tables, charts, pagination. The rest
 * (buttons, fields, tables, badges, danger sections) is the sign-in and account pages' stylesheet.
 * Logical properties only, so that the console mirrors in Arabic; a chart's SVG alone keeps
 * `direction:ltr`: its bars and tick labels are placed by coordinates, which do not mirror.
 */
const ADMIN_STYLES = `
.card:has(.admin-page){max-width:1080px}
.admin-page h1{text-align:start;margin-bottom:16px}
.admin-page .lead{text-align:start}
.admin-nav ul{display:flex;flex-wrap:wrap;gap:6px;list-style:none;margin:0 0 16px;padding:0 0 12px;border-bottom:1px solid var(--border)}
.admin-nav a{display:inline-block;padding:6px 12px;border-radius:8px;font-weight:600;text-decoration:none;color:var(--text)}
.admin-nav a:hover{background:var(--subtle)}
.admin-nav a[aria-current="page"]{background:var(--primary);color:var(--on-primary)}
.admin-who{display:flex;flex-wrap:wrap;align-items:center;gap:8px 12px;margin:0 0 20px;font-size:.875rem;color:var(--muted)}
.admin-who form{margin-inline-start:auto}
.admin-toolbar{display:flex;flex-wrap:wrap;align-items:flex-end;gap:10px 12px;margin:20px 0 14px}
.admin-toolbar .field{flex:1 1 200px;margin:0}
.admin-toolbar label{margin-bottom:4px;font-size:.8125rem}
.admin-toolbar .input{min-height:38px;padding:6px 10px}
.admin-toolbar .button{width:auto}
.pager{display:flex;justify-content:space-between;gap:12px;margin-top:14px;font-size:.9375rem}
.stats{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,150px),1fr));gap:12px;margin:20px 0 0;padding:0}
.stat{margin:0;padding:12px 14px;border:1px solid var(--border);border-radius:12px;background:var(--subtle)}
.stat dt{font-size:.8125rem;color:var(--muted)}
.stat dd{margin:2px 0 0;font-size:1.5rem;font-weight:650}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,300px),1fr));gap:16px;margin-top:16px}
.chart{margin:0;padding:12px 14px;border:1px solid var(--border);border-radius:12px}
.chart figcaption{display:flex;justify-content:space-between;gap:8px;font-weight:600;font-size:.9375rem}
.chart-total{color:var(--muted);font-weight:400}
.chart svg{display:block;width:100%;height:auto;margin-top:8px;color:var(--accent);direction:ltr}
.chart .axis{stroke:var(--border)}
.chart .tick{fill:var(--muted);font-size:10px}
.chart details{margin-top:6px;font-size:.8125rem}
.chart summary{cursor:pointer;color:var(--accent)}
.chart table{margin-top:6px}
.range{display:flex;flex-wrap:wrap;gap:6px;margin-top:16px}
.range a{padding:4px 12px;border:1px solid var(--subtle-border);border-radius:999px;text-decoration:none;font-size:.875rem;color:var(--text)}
.range a[aria-current="true"]{background:var(--primary);border-color:var(--primary);color:var(--on-primary)}
.checks{display:flex;flex-wrap:wrap;gap:6px 18px;margin:0 0 20px;padding:0;border:0}
.checks legend{margin-bottom:6px;padding:0;font-size:.9375rem;font-weight:600}
.checks label{display:flex;align-items:center;gap:8px;margin:0;font-weight:400}
.checks input{flex:none;width:18px;height:18px;accent-color:var(--primary)}
textarea.input{min-height:88px;resize:vertical;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.875rem}
.facts{display:grid;grid-template-columns:max-content 1fr;gap:6px 16px;margin:16px 0 0;font-size:.9375rem}
.facts dt{color:var(--muted)}
.facts dd{margin:0;overflow-wrap:anywhere}
.row-buttons{display:flex;flex-wrap:wrap;gap:8px;margin-top:12px}
.row-buttons form{margin:0}
.table .button-small{min-height:32px}
.verify-ok{color:var(--ok-text);font-weight:600}
.event-type{overflow-wrap:normal}
@media (max-width:479px){.facts{grid-template-columns:1fr;gap:0}.facts dd{margin-bottom:8px}}
`;

/** The signed-in admin and a way to sign out, above each page's content. */
function whoIsSignedIn(view: AdminPageBase): SafeHtml {
  const { t } = view.i18n;
  return html`<div class="admin-who"><span>${t('adminConsole.signedInAs', { login: view.adminLogin })}</span>${postForm({
    action: view.signOut.action,
    csrfToken: view.signOut.csrfToken,
    content: submitButton({ label: t('adminConsole.signOut'), variant: 'secondary', className: 'button-small' }),
  })}</div>`;
}

/**
 * A complete console page: the branded card (widened), the console's nav with the current
 * section marked, who is signed in, the notice or error of what was just done, the `<h1>` and
 * `content`, all in the page's language (`view.i18n`; the nav mirrors in a right-to-left one).
 *
 * @example
 * renderAdminPage({ ...base, section: 'keys' }, i18n.t('adminConsole.keys.title'), html`<p>…</p>`);
 */
export function renderAdminPage(view: AdminPageBase, title: HtmlValue, content: HtmlValue): string {
  const nav = html`<nav class="admin-nav" aria-label="${view.i18n.text('adminConsole.nav.label')}"><ul>${navLinks(view.i18n).map(
    ([section, label]) => html`<li><a href="${view.links[section]}"${section === view.section && html` aria-current="page"`}>${label}</a></li>`,
  )}</ul></nav>`;
  return renderDocument(
    view,
    title,
    html`<div class="admin-page">${nav}${whoIsSignedIn(view)}${alertBox('admin-error', view.error)}${noticeBox('admin-notice', view.notice)}<h1>${title}</h1>${content}</div>`,
    ADMIN_STYLES,
  );
}

/** A table in its scrolling frame (wide tables scroll inside the card at 375 px, never the page). */
export function adminTable(caption: string, headings: HtmlValue[], rows: HtmlValue[][], empty: HtmlValue): SafeHtml {
  if (rows.length === 0) return html`<p class="note">${empty}</p>`;
  return html`<div class="table-wrap" role="region" aria-label="${caption}" tabindex="0"><table class="table"><caption class="visually-hidden">${caption}</caption><thead><tr>${headings.map(
    (heading) => html`<th scope="col">${heading}</th>`,
  )}</tr></thead><tbody>${rows.map((cells) => html`<tr>${cells.map((cell) => html`<td>${cell}</td>`)}</tr>`)}</tbody></table></div>`;
}

/** "Newer" / "Older" (or "Previous" / "Next") links of a paginated list, in `i18n`'s language; nothing when neither applies. */
export function pager(
  i18n: Translator,
  previous: { href: string; label: HtmlValue } | undefined,
  next: { href: string; label: HtmlValue } | undefined,
): SafeHtml | false {
  if (!previous && !next) return false;
  return html`<nav class="pager" aria-label="${i18n.text('adminConsole.pager.label')}"><span>${previous && html`<a href="${previous.href}">${previous.label}</a>`}</span><span>${next && html`<a href="${next.href}">${next.label}</a>`}</span></nav>`;
}

/** A small form with one button (an action on a row or a record), carrying the page's CSRF token and `fields`. */
export function actionButton(
  view: Pick<AdminPageBase, 'csrfToken'>,
  action: string,
  label: HtmlValue,
  options: { fields?: Record<string, string>; variant?: 'primary' | 'secondary' | 'danger' } = {},
): SafeHtml {
  const variant = options.variant ?? 'secondary';
  return postForm({
    action,
    csrfToken: view.csrfToken,
    ...(options.fields ? { hiddenFields: options.fields } : {}),
    content: submitButton({
      label,
      variant: variant === 'danger' ? 'secondary' : variant,
      className: variant === 'danger' ? 'button-small button-danger' : 'button-small',
    }),
  });
}
