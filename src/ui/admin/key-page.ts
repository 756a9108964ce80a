import { html } from '../escape.js';
import { actionButton, adminTable, renderAdminPage, type AdminPageBase } from './layout.js';

/** A signing key as the console lists it (never its private half). */
export interface AdminKeyRow {
  kid: string;
  alg: string;
  /** `active` or `retired`. */
  status: string;
  /** Whether it is still in the JWKS. */
  published: boolean;
  /** Its age in words ("3 days"). */
  age: string;
}

/** View model of {@link renderAdminKeysPage}. */
export interface AdminKeysView extends AdminPageBase {
  keys: AdminKeyRow[];
  rotate: string;
}

/** The signing keys (kid, algorithm, status, age) and rotating them. */
export function renderAdminKeysPage(view: AdminKeysView): string {
  const rows = view.keys.map((key) => [
    html`<code>${key.kid}</code>`,
    key.alg,
    html`<span class="badge${key.status === 'active' ? ' badge-on' : ''}">${key.status}</span>`,
    key.published ? 'Yes' : 'No',
    key.age,
  ]);
  return renderAdminPage(
    view,
    'Signing keys',
    html`<p class="lead">The keys that sign ID tokens and access tokens. Retired keys stay published until the tokens they signed have expired.</p>
${adminTable('Signing keys', ['Key ID', 'Algorithm', 'Status', 'Published', 'Age'], rows, 'No signing key yet: one is made at the first start.')}
<section class="section-danger" aria-labelledby="rotate-title"><h2 id="rotate-title">Rotate</h2><p class="section-lead">New keys sign from now on; asks you to confirm first.</p>${actionButton(view, view.rotate, 'Rotate signing keys', { variant: 'danger' })}</section>`,
  );
}
