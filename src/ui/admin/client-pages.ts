import { html, type HtmlValue, type SafeHtml } from '../escape.js';
import { postForm, submitButton, textField } from '../form.js';
import type { Translator } from '../i18n/messages.js';
import { actionButton, adminTable, pager, renderAdminPage, type AdminPageBase } from './layout.js';

/** A registered client as the console lists it. */
export interface AdminClientRow {
  clientId: string;
  name: string;
  /** Whether it keeps a secret (else a public client). */
  confidential: boolean;
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
  const { i18n } = view;
  const { t, text } = i18n;
  const rows = view.clients.map((client) => [
    html`<a href="${client.href}">${client.name}</a><span class="cell-meta"><code>${client.clientId}</code></span>`,
    clientType(client.confidential, i18n),
    client.grantTypes.join(', '),
    client.createdAt,
  ]);
  const headings = [t('adminConsole.clients.name'), t('adminConsole.clients.type'), t('adminConsole.clients.grantTypes'), t('adminConsole.clients.registered')];
  return renderAdminPage(
    view,
    t('adminConsole.clients.title'),
    html`<p class="lead">${t('adminConsole.clients.lead')}</p>
<p class="section-actions section-actions-start"><a class="button button-primary button-small" href="${view.newClient}">${t('adminConsole.clients.register')}</a></p>
${adminTable(text('adminConsole.clients.caption'), headings, rows, t('adminConsole.clients.empty'))}
${pager(
  i18n,
  view.previous ? { href: view.previous, label: t('adminConsole.pager.previous') } : undefined,
  view.next ? { href: view.next, label: t('adminConsole.pager.next') } : undefined,
)}`,
  );
}

/** "Confidential" or "Public", in the page's language. */
function clientType(confidential: boolean, { t }: Translator): SafeHtml {
  return confidential ? t('adminConsole.clients.confidential') : t('adminConsole.clients.public');
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
  /** The grant types offered, with their labels in the page's language. */
  grants: { value: string; label: string }[];
  /** The field the error is about, marked invalid. */
  invalidField?: 'name' | 'redirect_uris' | 'scope' | 'grant_types' | 'type';
}

/** A set of checkboxes or radio buttons in a fieldset with its legend. */
function choices(type: 'checkbox' | 'radio', name: string, legend: HtmlValue, options: { value: string; label: HtmlValue; checked: boolean }[]): HtmlValue {
  // Checkboxes each have their own name (`grant_<value>`): the server refuses a form with a repeated field.
  const checkbox = type === 'checkbox';
  return html`<fieldset class="checks"><legend>${legend}</legend>${options.map(
    (option) =>
      html`<label><input type="${type}" name="${checkbox ? `${name}_${option.value}` : name}" value="${checkbox ? 'yes' : option.value}"${option.checked && html` checked`}>${option.label}</label>`,
  )}</fieldset>`;
}

/** The form to register a client: name, type, grant types, redirect URIs (one a line), scopes. */
export function renderAdminClientNewPage(view: AdminClientNewView): string {
  const { form, i18n } = view;
  const { t } = i18n;
  const invalid = (field: AdminClientNewView['invalidField']) => view.invalidField === field;
  const describedBy = view.error ? 'admin-error' : undefined;
  // The focus goes to the field in error; the name takes it otherwise (a choice in error is below it).
  const focusElsewhere = invalid('redirect_uris') || invalid('scope');
  const content = postForm({
    action: view.action,
    csrfToken: view.csrfToken,
    content: html`${textField({ id: 'name', name: 'name', label: t('adminConsole.clients.name'), type: 'text', autocomplete: 'off', value: form.name, verbatim: false, maxLength: 200, autofocus: !focusElsewhere, invalid: invalid('name'), ...(describedBy && invalid('name') ? { describedBy } : {}) })}
${choices('radio', 'type', t('adminConsole.clients.type'), [
  { value: 'confidential', label: t('adminConsole.clientNew.confidential'), checked: form.type === 'confidential' },
  { value: 'public', label: t('adminConsole.clientNew.public'), checked: form.type === 'public' },
])}
${choices(
  'checkbox',
  'grant',
  t('adminConsole.clients.grantTypes'),
  view.grants.map((grant) => ({ ...grant, checked: form.grantTypes.includes(grant.value) })),
)}
<div class="field"><label for="redirect_uris">${redirectUrisLabel(i18n)}</label><p class="hint" id="redirect_uris-hint">${t('adminConsole.clientNew.redirectUrisHint')}</p><textarea class="input" id="redirect_uris" name="redirect_uris" rows="3" autocapitalize="none" spellcheck="false" aria-describedby="redirect_uris-hint${describedBy && invalid('redirect_uris') ? ' admin-error' : ''}"${invalid('redirect_uris') && html` autofocus aria-invalid="true"`}>${form.redirectUris}</textarea></div>
${textField({ id: 'scope', name: 'scope', label: t('adminConsole.clients.scopes'), type: 'text', autocomplete: 'off', value: form.scope, optional: true, i18n, hint: i18n.text('adminConsole.clientNew.scopeHint'), autofocus: invalid('scope'), invalid: invalid('scope'), ...(describedBy && invalid('scope') ? { describedBy } : {}) })}
<div class="actions"><a class="button button-secondary" href="${view.cancel}">${t('adminConsole.cancel')}</a>${submitButton({ label: t('adminConsole.clientNew.submit'), variant: 'primary' })}</div>`,
  });
  return renderAdminPage(view, t('adminConsole.clients.register'), content);
}

/** "Redirect URIs (one a line)": the label of the field on both the register form and a client's page. */
function redirectUrisLabel({ t }: Translator): SafeHtml {
  return t('adminConsole.clients.redirectUrisLabel', { hint: (content) => html`<span class="optional">${content}</span>` });
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
  const { t } = view.i18n;
  const secret =
    view.secret !== null && html`<div><dt>${t('adminConsole.clientSecret.secret')}</dt><dd><code data-client-secret>${view.secret}</code></dd></div>`;
  const note =
    view.secret === null
      ? html`<p class="note">${t('adminConsole.clientSecret.none')}</p>`
      : html`<p class="note note-warning">${t('adminConsole.clientSecret.copy')}</p>`;
  return renderAdminPage(
    view,
    view.name,
    html`<dl class="secret"><div><dt>${t('adminConsole.clients.clientId')}</dt><dd><code data-client-id>${view.clientId}</code></dd></div>${secret}</dl>${note}
<p class="back-link"><a href="${view.done}">${t('adminConsole.clientSecret.done')}</a></p>`,
  );
}

/** View model of {@link renderAdminClientPage}. */
export interface AdminClientView extends AdminPageBase {
  client: {
    clientId: string;
    name: string;
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
  const { client, actions, i18n } = view;
  const { t } = i18n;
  const invalid = view.error !== undefined && view.redirectUrisDraft !== undefined;
  const edit = postForm({
    action: actions.redirectUris,
    csrfToken: view.csrfToken,
    content: html`<div class="field"><label for="redirect_uris">${redirectUrisLabel(i18n)}</label><textarea class="input" id="redirect_uris" name="redirect_uris" rows="3" autocapitalize="none" spellcheck="false"${invalid && html` aria-invalid="true" aria-describedby="admin-error"`}>${view.redirectUrisDraft ?? client.redirectUris.join('\n')}</textarea></div>${submitButton({ label: t('adminConsole.client.saveRedirectUris'), variant: 'secondary', className: 'button-small' })}`,
  });
  return renderAdminPage(
    view,
    client.name,
    html`<p class="back-link"><a href="${view.back}">${t('adminConsole.client.back')}</a></p>
<dl class="facts"><dt>${t('adminConsole.clients.clientId')}</dt><dd><code>${client.clientId}</code></dd><dt>${t('adminConsole.clients.type')}</dt><dd>${clientType(client.confidential, i18n)}</dd><dt>${t('adminConsole.clients.grantTypes')}</dt><dd>${client.grantTypes.join(', ') || t('adminConsole.none')}</dd><dt>${t('adminConsole.clients.scopes')}</dt><dd>${client.scope || t('adminConsole.none')}</dd><dt>${t('adminConsole.clients.registered')}</dt><dd>${client.createdAt}</dd><dt>${t('adminConsole.client.changed')}</dt><dd>${client.updatedAt}</dd></dl>
<p class="section-actions section-actions-start"><a class="button button-secondary button-small" href="${view.auditEvents}">${t('adminConsole.auditEvents')}</a></p>
<section class="section" aria-labelledby="uris-title"><h2 id="uris-title">${t('adminConsole.client.redirectUris')}</h2>${edit}</section>
<section class="section-danger" aria-labelledby="danger-title"><h2 id="danger-title">${t('adminConsole.careful')}</h2><p class="section-lead">${t('adminConsole.carefulLead')}</p><div class="row-buttons">${
      client.confidential && actionButton(view, actions.rotateSecret, t('adminConsole.client.rotateSecret'), { variant: 'danger' })
    }${actionButton(view, actions.remove, t('adminConsole.client.remove'), { variant: 'danger' })}</div></section>`,
  );
}
