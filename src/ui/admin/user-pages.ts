import { html, type HtmlValue } from '../escape.js';
import { submitButton, textField } from '../form.js';
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
  const rows = view.users.map((user) => [
    html`<a href="${user.href}">${user.username}</a>${user.name && html`<span class="cell-meta">${user.name}</span>`}`,
    user.email ?? '—',
    html`${user.disabled ? html`<span class="badge">disabled</span>` : html`<span class="badge badge-on">active</span>`}${user.admin && html`<span class="badge">admin</span>`}`,
    user.createdAt,
  ]);
  const searched = view.query !== undefined && view.query !== '';
  return renderAdminPage(
    view,
    'Users',
    html`<form class="admin-toolbar" method="get" action="${view.search}" role="search">${textField({
      id: 'q',
      name: 'q',
      label: 'Find a user by username, email or ID',
      type: 'text',
      autocomplete: 'off',
      value: view.query ?? '',
      optional: true,
      maxLength: 320,
    })}${submitButton({ label: 'Find', variant: 'primary', className: 'button-small' })}${searched && html`<a class="button button-secondary button-small" href="${view.search}">Show all</a>`}</form>
${adminTable('Users', ['User', 'Email', 'Status', 'Created'], rows, searched ? 'No user has that username, email or ID.' : 'No user yet.')}
${pager(view.previous ? { href: view.previous, label: 'Previous page' } : undefined, view.next ? { href: view.next, label: 'Next page' } : undefined)}`,
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
function signInState(signIn: AdminUserView['signIn']): HtmlValue {
  if (!signIn) return html`<span class="warning">Could not be read now (the rate-limit store did not answer).</span>`;
  if (signIn.throttledFor) {
    return html`<span class="warning">Throttled:</span> ${String(signIn.failures)} failed sign-ins; from browsers new to this account, sign-ins are refused for ${signIn.throttledFor} more.`;
  }
  return signIn.failures === 0
    ? 'Not throttled: no failed sign-in counted.'
    : `Not throttled: ${signIn.failures} of ${signIn.budget} failed sign-ins allowed in the window.`;
}

/** A user: profile, status, roles, factors; unlock, disable or enable, their sessions and consents; the dangerous actions. */
export function renderAdminUserPage(view: AdminUserView): string {
  const { user, actions } = view;
  // Named apart from their sections' headings: two regions of one name break landmark-unique.
  const sessions = adminTable(
    `Sessions of ${user.username}`,
    ['Signed in', 'How', 'Device', 'Address'],
    view.sessions.map((session) => [session.signedInAt, session.methods, session.device ?? 'Unknown', session.address ?? '—']),
    'Not signed in anywhere.',
  );
  const consents = adminTable(
    `Applications ${user.username} allowed`,
    ['Application', 'Access', 'Allowed', ''],
    view.consents.map((consent) => [
      consent.client,
      html`<code>${consent.scope || '—'}</code>`,
      consent.grantedAt,
      actionButton(view, actions.revokeConsent, `Revoke`, { fields: { consent: consent.id } }),
    ]),
    'No application allowed.',
  );
  return renderAdminPage(
    view,
    user.username,
    html`<p class="back-link"><a href="${view.back}">All users</a></p>
<dl class="facts"><dt>ID (sub)</dt><dd><code>${user.sub}</code></dd><dt>Name</dt><dd>${user.name ?? '—'}</dd><dt>Email</dt><dd>${user.email ?? '—'}${user.email && (user.emailVerified ? ' (verified)' : ' (not verified)')}</dd><dt>Status</dt><dd>${user.disabled ? 'Disabled: cannot sign in' : 'Active'}</dd><dt>Roles</dt><dd>${user.roles.join(', ') || 'None'}</dd><dt>Second factors</dt><dd>${String(user.factors)}</dd><dt>Sign-in</dt><dd id="sign-in-state">${signInState(view.signIn)}</dd><dt>Created</dt><dd>${user.createdAt}</dd></dl>
<p class="section-actions section-actions-start"><a class="button button-secondary button-small" href="${view.auditEvents}">Audit events</a></p>
<section class="section" aria-labelledby="access-title"><h2 id="access-title">Access</h2><p class="section-lead">Unlocking ends any sign-in lockout or throttling of this account at once, including lockouts from one address, which are not shown here; their sessions stay.</p><div class="row-buttons">${actionButton(view, actions.unlock, 'Unlock sign-in')}${actionButton(
      view,
      actions.disabled,
      user.disabled ? 'Enable account' : 'Disable account',
      { fields: { disabled: user.disabled ? 'no' : 'yes' } },
    )}</div></section>
<section class="section" aria-labelledby="sessions-title"><h2 id="sessions-title">Sessions</h2>${sessions}</section>
<section class="section" aria-labelledby="consents-title"><h2 id="consents-title">Applications allowed</h2>${consents}</section>
<section class="section-danger" aria-labelledby="danger-title"><h2 id="danger-title">Careful</h2><p class="section-lead">Each of these asks you to confirm first.</p><div class="row-buttons">${actionButton(view, actions.revokeSessions, 'Sign out everywhere', { variant: 'danger' })}${actionButton(
      view,
      actions.resetFactors,
      'Reset second factors',
      { variant: 'danger' },
    )}${roleButton(view)}${!view.self && actionButton(view, actions.remove, 'Delete user', { variant: 'danger' })}</div></section>`,
  );
}

/** Grant the admin role, or remove it (one's own: "Remove my admin role"). */
function roleButton(view: AdminUserView): HtmlValue {
  if (!view.user.roles.includes('admin'))
    return actionButton(view, view.actions.adminRole, 'Grant admin role', { fields: { admin: 'yes' }, variant: 'danger' });
  return actionButton(view, view.actions.adminRole, view.self ? 'Remove my admin role' : 'Remove admin role', { fields: { admin: 'no' }, variant: 'danger' });
}
