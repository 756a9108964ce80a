import { html, type HtmlValue } from '../escape.js';
import { postForm, submitButton, textField } from '../form.js';
import { actionButton, adminTable, pager, renderAdminPage, type AdminPageBase } from './layout.js';

/** A registered client as the console lists it. */
export interface AdminClientRow {
  clientId: string;
  name: string;
  /** `Confidential` or `Public`. */
  type: string;
  grantTypes: string[];
  createdAt: string;
  /** Its detail page. */
  href: string;
}

/** View model of {@link renderAdminClientsPage}. */
export interface AdminClientsView extends AdminPageBase {
  clients: AdminClientRow[];
  /** The register form's page. */
  newClient: string;
  previous?: string;
  next?: string;
}

/** The registered clients, a page at a time, with a link to register one. */
export function renderAdminClientsPage(view: AdminClientsView): string {
  const rows = view.clients.map((client) => [
    html`<a href="${client.href}">${client.name}</a><span class="cell-meta"><code>${client.clientId}</code></span>`,
    client.type,
    client.grantTypes.join(', '),
    client.createdAt,
  ]);
  return renderAdminPage(
    view,
    'Clients',
    html`<p class="lead">Applications registered to sign people in or call APIs.</p>
<p class="section-actions section-actions-start"><a class="button button-primary button-small" href="${view.newClient}">Register a client</a></p>
${adminTable('Registered clients', ['Name', 'Type', 'Grant types', 'Registered'], rows, 'No client is registered yet.')}
${pager(view.previous ? { href: view.previous, label: 'Previous page' } : undefined, view.next ? { href: view.next, label: 'Next page' } : undefined)}`,
  );
}

/** What the register form shows again after an error. */
export interface AdminClientForm {
  name: string;
  type: 'confidential' | 'public';
  grantTypes: string[];
  redirectUris: string;
  scope: string;
}

/** View model of {@link renderAdminClientNewPage}. */
export interface AdminClientNewView extends AdminPageBase {
  action: string;
  cancel: string;
  form: AdminClientForm;
  /** The grant types offered, with their labels. */
  grants: { value: string; label: string }[];
  /** The field the error is about, marked invalid. */
  invalidField?: 'name' | 'redirect_uris' | 'scope' | 'grant_types' | 'type';
}

/** A set of checkboxes or radio buttons in a fieldset with its legend. */
function choices(type: 'checkbox' | 'radio', name: string, legend: string, options: { value: string; label: string; checked: boolean }[]): HtmlValue {
  // Checkboxes each have their own name (`grant_<value>`): the server refuses a form with a repeated field.
  const checkbox = type === 'checkbox';
  return html`<fieldset class="checks"><legend>${legend}</legend>${options.map(
    (option) =>
      html`<label><input type="${type}" name="${checkbox ? `${name}_${option.value}` : name}" value="${checkbox ? 'yes' : option.value}"${option.checked && html` checked`}>${option.label}</label>`,
  )}</fieldset>`;
}

/** The form to register a client: name, type, grant types, redirect URIs (one a line), scopes. */
export function renderAdminClientNewPage(view: AdminClientNewView): string {
  const { form } = view;
  const invalid = (field: AdminClientNewView['invalidField']) => view.invalidField === field;
  const describedBy = view.error ? 'admin-error' : undefined;
  // The focus goes to the field in error; the name takes it otherwise (a choice in error is below it).
  const focusElsewhere = invalid('redirect_uris') || invalid('scope');
  const content = postForm({
    action: view.action,
    csrfToken: view.csrfToken,
    content: html`${textField({ id: 'name', name: 'name', label: 'Name', type: 'text', autocomplete: 'off', value: form.name, verbatim: false, maxLength: 200, autofocus: !focusElsewhere, invalid: invalid('name'), ...(describedBy && invalid('name') ? { describedBy } : {}) })}
${choices('radio', 'type', 'Type', [
  { value: 'confidential', label: 'Confidential (a server that keeps a secret)', checked: form.type === 'confidential' },
  { value: 'public', label: 'Public (a browser or mobile app, no secret)', checked: form.type === 'public' },
])}
${choices(
  'checkbox',
  'grant',
  'Grant types',
  view.grants.map((grant) => ({ ...grant, checked: form.grantTypes.includes(grant.value) })),
)}
<div class="field"><label for="redirect_uris">Redirect URIs <span class="optional">(one a line)</span></label><p class="hint" id="redirect_uris-hint">Exact https addresses the sign-in may return to (http only on localhost).</p><textarea class="input" id="redirect_uris" name="redirect_uris" rows="3" autocapitalize="none" spellcheck="false" aria-describedby="redirect_uris-hint${describedBy && invalid('redirect_uris') ? ' admin-error' : ''}"${invalid('redirect_uris') && html` autofocus aria-invalid="true"`}>${form.redirectUris}</textarea></div>
${textField({ id: 'scope', name: 'scope', label: 'Scopes', type: 'text', autocomplete: 'off', value: form.scope, optional: true, hint: 'Separated by spaces. Empty: the OpenID scopes for a client that signs people in.', autofocus: invalid('scope'), invalid: invalid('scope'), ...(describedBy && invalid('scope') ? { describedBy } : {}) })}
<div class="actions"><a class="button button-secondary" href="${view.cancel}">Cancel</a>${submitButton({ label: 'Register', variant: 'primary' })}</div>`,
  });
  return renderAdminPage(view, 'Register a client', content);
}

/** View model of {@link renderAdminClientSecretPage}. */
export interface AdminClientSecretView extends AdminPageBase {
  clientId: string;
  name: string;
  /** `null` for a public client (no secret). */
  secret: string | null;
  /** The client's page. */
  done: string;
}

/** The client's id and its secret, shown this once (after registering, or rotating the secret). */
export function renderAdminClientSecretPage(view: AdminClientSecretView): string {
  const secret = view.secret !== null && html`<div><dt>Client secret</dt><dd><code data-client-secret>${view.secret}</code></dd></div>`;
  const note =
    view.secret === null
      ? html`<p class="note">A public client has no secret.</p>`
      : html`<p class="note note-warning"><strong>Copy the secret now.</strong> It is shown only this once and stored only as a hash: if it is lost, rotate it.</p>`;
  return renderAdminPage(
    view,
    view.name,
    html`<dl class="secret"><div><dt>Client ID</dt><dd><code data-client-id>${view.clientId}</code></dd></div>${secret}</dl>${note}
<p class="back-link"><a href="${view.done}">Go to the client</a></p>`,
  );
}

/** View model of {@link renderAdminClientPage}. */
export interface AdminClientView extends AdminPageBase {
  client: {
    clientId: string;
    name: string;
    type: string;
    grantTypes: string[];
    scope: string;
    redirectUris: string[];
    createdAt: string;
    updatedAt: string;
    confidential: boolean;
  };
  /** The redirect URIs as typed, after an error. */
  redirectUrisDraft?: string;
  actions: { redirectUris: string; rotateSecret: string; remove: string };
  /** The audit log filtered to this client. */
  auditEvents: string;
  back: string;
}

/** A client: its facts, its redirect URIs (editable), rotating its secret and removing it. */
export function renderAdminClientPage(view: AdminClientView): string {
  const { client, actions } = view;
  const invalid = view.error !== undefined && view.redirectUrisDraft !== undefined;
  const edit = postForm({
    action: actions.redirectUris,
    csrfToken: view.csrfToken,
    content: html`<div class="field"><label for="redirect_uris">Redirect URIs <span class="optional">(one a line)</span></label><textarea class="input" id="redirect_uris" name="redirect_uris" rows="3" autocapitalize="none" spellcheck="false"${invalid && html` aria-invalid="true" aria-describedby="admin-error"`}>${view.redirectUrisDraft ?? client.redirectUris.join('\n')}</textarea></div>${submitButton({ label: 'Save redirect URIs', variant: 'secondary', className: 'button-small' })}`,
  });
  return renderAdminPage(
    view,
    client.name,
    html`<p class="back-link"><a href="${view.back}">All clients</a></p>
<dl class="facts"><dt>Client ID</dt><dd><code>${client.clientId}</code></dd><dt>Type</dt><dd>${client.type}</dd><dt>Grant types</dt><dd>${client.grantTypes.join(', ') || 'None'}</dd><dt>Scopes</dt><dd>${client.scope || 'None'}</dd><dt>Registered</dt><dd>${client.createdAt}</dd><dt>Changed</dt><dd>${client.updatedAt}</dd></dl>
<p class="section-actions section-actions-start"><a class="button button-secondary button-small" href="${view.auditEvents}">Audit events</a></p>
<section class="section" aria-labelledby="uris-title"><h2 id="uris-title">Redirect URIs</h2>${edit}</section>
<section class="section-danger" aria-labelledby="danger-title"><h2 id="danger-title">Careful</h2><p class="section-lead">Each of these asks you to confirm first.</p><div class="row-buttons">${
      client.confidential && actionButton(view, actions.rotateSecret, 'Rotate secret', { variant: 'danger' })
    }${actionButton(view, actions.remove, 'Delete client', { variant: 'danger' })}</div></section>`,
  );
}
