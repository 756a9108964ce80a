import { html } from '../escape.js';
import { actionButton, adminTable, renderAdminPage, type AdminPageBase } from './layout.js';

/** A signing key as the console lists it (never its private half). */
export interface AdminKeyRow {
  kid: string;
  alg: string;
  /** `active` or `retired`. */
  status: 'active' | 'retired';
  /** Whether it is still in the JWKS. */
  published: boolean;
  /** Its age in words ("3 days"), in the page's language. */
  age: string;
}

/** View model of {@link renderAdminKeysPage}. */
export interface AdminKeysView extends AdminPageBase {
  keys: AdminKeyRow[];
  rotate: string;
}

/** The signing keys (kid, algorithm, status, age) and rotating them. */
export function renderAdminKeysPage(view: AdminKeysView): string {
  const { t, text } = view.i18n;
  const rows = view.keys.map((key) => [
    html`<code>${key.kid}</code>`,
    key.alg,
    html`<span class="badge${key.status === 'active' ? ' badge-on' : ''}">${key.status === 'active' ? t('adminConsole.keys.active') : t('adminConsole.keys.retired')}</span>`,
    key.published ? t('adminConsole.keys.yes') : t('adminConsole.keys.no'),
    key.age,
  ]);
  const headings = [
    t('adminConsole.keys.kid'),
    t('adminConsole.keys.algorithm'),
    t('adminConsole.keys.status'),
    t('adminConsole.keys.published'),
    t('adminConsole.keys.age'),
  ];
  return renderAdminPage(
    view,
    t('adminConsole.keys.title'),
    html`<p class="lead">${t('adminConsole.keys.lead')}</p>
${adminTable(text('adminConsole.keys.title'), headings, rows, t('adminConsole.keys.empty'))}
<section class="section-danger" aria-labelledby="rotate-title"><h2 id="rotate-title">${t('adminConsole.keys.rotateTitle')}</h2><p class="section-lead">${t('adminConsole.keys.rotateLead')}</p>${actionButton(view, view.rotate, t('adminConsole.keys.rotate'), { variant: 'danger' })}</section>`,
  );
}
