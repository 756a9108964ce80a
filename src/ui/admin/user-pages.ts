import { html, type HtmlValue } from '../escape.js';
import { submitButton, textField } from '../form.js';
import type { Translator } from '../i18n/messages.js';
import { actionButton, adminTable, pager, renderAdminPage, type AdminPageBase } from './layout.js';

/** A user as the console lists them. */
export interface AdminUserRow {
  username: string;
  email: string | null;
  name?: string;
  disabled: boolean;
  admin: boolean;
  createdAt: string;
  /** Their page. */
  href: string;
}

/** View model of {@link renderAdminUsersPage}. */
export interface AdminUsersView extends AdminPageBase {
  users: AdminUserRow[];
  /** Where the search form goes (GET `q`). */
  search: string;
  /** The search as typed (shown again), when there was one. */
  query?: string;
  previous?: string;
  next?: string;
}

/** The users, a page at a time, or the one a search (username, email or sub) found. */
export function renderAdminUsersPage(view: AdminUsersView): string {
  const { i18n } = view;
  const { t, text } = i18n;
  const rows = view.users.map((user) => [
    html`<a href="${user.href}">${user.username}</a>${user.name && html`<span class="cell-meta">${user.name}</span>`}`,
    user.email ?? '—',
    html`${user.disabled ? html`<span class="badge">${t('adminConsole.users.disabled')}</span>` : html`<span class="badge badge-on">${t('adminConsole.users.active')}</span>`}${user.admin && html`<span class="badge">${t('adminConsole.users.admin')}</span>`}`,
    user.createdAt,
  ]);
  const searched = view.query !== undefined && view.query !== '';
  const headings = [t('adminConsole.users.user'), t('adminConsole.users.email'), t('adminConsole.users.status'), t('adminConsole.users.created')];
  return renderAdminPage(
    view,
    t('adminConsole.users.title'),
    html`<form class="admin-toolbar" method="get" action="${view.search}" role="search">${textField({
      id: 'q',
      name: 'q',
      label: t('adminConsole.users.find'),
      type: 'text',
      autocomplete: 'off',
      value: view.query ?? '',
      optional: true,
      maxLength: 320,
      i18n,
    })}${submitButton({ label: t('adminConsole.users.findSubmit'), variant: 'primary', className: 'button-small' })}${searched && html`<a class="button button-secondary button-small" href="${view.search}">${t('adminConsole.users.showAll')}</a>`}</form>
${adminTable(text('adminConsole.users.title'), headings, rows, searched ? t('adminConsole.users.notFound') : t('adminConsole.users.empty'))}
${pager(
  i18n,
  view.previous ? { href: view.previous, label: t('adminConsole.pager.previous') } : undefined,
  view.next ? { href: view.next, label: t('adminConsole.pager.next') } : undefined,
)}`,
  );
}

/** One of the user's sessions. */
export interface AdminUserSession {
  signedInAt: string;
  methods: string;
  device?: string;
  address?: string;
}

/** One of the applications the user allowed. */
export interface AdminUserConsent {
  id: string;
  client: string;
  scope: string;
  grantedAt: string;
}

/** View model of {@link renderAdminUserPage}. */
export interface AdminUserView extends AdminPageBase {
  user: {
    sub: string;
    username: string;
    email: string | null;
    emailVerified: boolean;
    name?: string;
    disabled: boolean;
    roles: string[];
    createdAt: string;
    /** Second factors set up (recovery codes not counted). */
    factors: number;
  };
  /**
   * Their failed sign-ins counted from every address (browsers new to the account), and, when
   * those are refused now, for how long ("12 minutes"); `undefined` when it could not be read.
   */
  signIn: { failures: number; budget: number; throttledFor?: string } | undefined;
  sessions: AdminUserSession[];
  consents: AdminUserConsent[];
  actions: {
    unlock: string;
    disabled: string;
    revokeSessions: string;
    resetFactors: string;
    /** Grants (`admin=yes`) or revokes (`admin=no`) the admin role. */
    adminRole: string;
    remove: string;
    revokeConsent: string;
  };
  /** The audit log filtered to this user. */
  auditEvents: string;
  /** The signed-in admin is looking at their own account. */
  self: boolean;
  back: string;
}

/** The sign-in throttle as a sentence. */
function signInState(signIn: AdminUserView['signIn'], { t }: Translator): HtmlValue {
  if (!signIn) return html`<span class="warning">${t('adminConsole.user.signIn.unknown')}</span>`;
  if (signIn.throttledFor) {
    const warning = (content: HtmlValue[]) => html`<span class="warning">${content}</span>`;
    return t('adminConsole.user.signIn.throttled', { warning, failures: signIn.failures, duration: signIn.throttledFor });
  }
  return signIn.failures === 0
    ? t('adminConsole.user.signIn.clear')
    : t('adminConsole.user.signIn.counted', { failures: signIn.failures, budget: signIn.budget });
}

/** A user: profile, status, roles, factors; unlock, disable or enable, their sessions and consents; the dangerous actions. */
export function renderAdminUserPage(view: AdminUserView): string {
  const { user, actions, i18n } = view;
  const { t, text } = i18n;
  // Named apart from their sections' headings: two regions of one name break landmark-unique.
  const sessions = adminTable(
    text('adminConsole.user.sessionsOf', { username: user.username }),
    [
      t('adminConsole.user.sessions.signedIn'),
      t('adminConsole.user.sessions.how'),
      t('adminConsole.user.sessions.device'),
      t('adminConsole.user.sessions.address'),
    ],
    view.sessions.map((session) => [
      session.signedInAt,
      session.methods,
      session.device ?? t('adminConsole.user.sessions.unknownDevice'),
      session.address ?? '—',
    ]),
    t('adminConsole.user.sessions.empty'),
  );
  const consents = adminTable(
    text('adminConsole.user.consentsOf', { username: user.username }),
    [t('adminConsole.user.consents.application'), t('adminConsole.user.consents.access'), t('adminConsole.user.consents.allowed'), ''],
    view.consents.map((consent) => [
      consent.client,
      html`<code>${consent.scope || '—'}</code>`,
      consent.grantedAt,
      actionButton(view, actions.revokeConsent, t('adminConsole.user.consents.revoke'), { fields: { consent: consent.id } }),
    ]),
    t('adminConsole.user.consents.empty'),
  );
  const email = user.email ? html`${user.email} ${user.emailVerified ? t('adminConsole.user.emailVerified') : t('adminConsole.user.emailNotVerified')}` : '—';
  return renderAdminPage(
    view,
    user.username,
    html`<p class="back-link"><a href="${view.back}">${t('adminConsole.user.back')}</a></p>
<dl class="facts"><dt>${t('adminConsole.user.sub')}</dt><dd><code>${user.sub}</code></dd><dt>${t('adminConsole.user.name')}</dt><dd>${user.name ?? '—'}</dd><dt>${t('adminConsole.user.email')}</dt><dd>${email}</dd><dt>${t('adminConsole.user.status')}</dt><dd>${user.disabled ? t('adminConsole.user.statusDisabled') : t('adminConsole.user.statusActive')}</dd><dt>${t('adminConsole.user.roles')}</dt><dd>${user.roles.length > 0 ? i18n.list(user.roles.map((role) => html`<code>${role}</code>`)) : t('adminConsole.none')}</dd><dt>${t('adminConsole.user.factors')}</dt><dd>${i18n.number(user.factors)}</dd><dt>${t('adminConsole.user.signIn')}</dt><dd id="sign-in-state">${signInState(view.signIn, i18n)}</dd><dt>${t('adminConsole.user.created')}</dt><dd>${user.createdAt}</dd></dl>
<p class="section-actions section-actions-start"><a class="button button-secondary button-small" href="${view.auditEvents}">${t('adminConsole.auditEvents')}</a></p>
<section class="section" aria-labelledby="access-title"><h2 id="access-title">${t('adminConsole.user.access')}</h2><p class="section-lead">${t('adminConsole.user.accessLead')}</p><div class="row-buttons">${actionButton(view, actions.unlock, t('adminConsole.user.unlock'))}${actionButton(
      view,
      actions.disabled,
      user.disabled ? t('adminConsole.user.enable') : t('adminConsole.user.disable'),
      { fields: { disabled: user.disabled ? 'no' : 'yes' } },
    )}</div></section>
<section class="section" aria-labelledby="sessions-title"><h2 id="sessions-title">${t('adminConsole.user.sessions')}</h2>${sessions}</section>
<section class="section" aria-labelledby="consents-title"><h2 id="consents-title">${t('adminConsole.user.consents')}</h2>${consents}</section>
<section class="section-danger" aria-labelledby="danger-title"><h2 id="danger-title">${t('adminConsole.careful')}</h2><p class="section-lead">${t('adminConsole.carefulLead')}</p><div class="row-buttons">${actionButton(view, actions.revokeSessions, t('adminConsole.user.revokeSessions'), { variant: 'danger' })}${actionButton(
      view,
      actions.resetFactors,
      t('adminConsole.user.resetFactors'),
      { variant: 'danger' },
    )}${roleButton(view)}${!view.self && actionButton(view, actions.remove, t('adminConsole.user.remove'), { variant: 'danger' })}</div></section>`,
  );
}

/** Grant the admin role, or remove it (one's own: "Remove my admin role"). */
function roleButton(view: AdminUserView): HtmlValue {
  const { t } = view.i18n;
  if (!view.user.roles.includes('admin'))
    return actionButton(view, view.actions.adminRole, t('adminConsole.user.grantAdmin'), { fields: { admin: 'yes' }, variant: 'danger' });
  const label = view.self ? t('adminConsole.user.revokeOwnAdmin') : t('adminConsole.user.revokeAdmin');
  return actionButton(view, view.actions.adminRole, label, { fields: { admin: 'no' }, variant: 'danger' });
}
