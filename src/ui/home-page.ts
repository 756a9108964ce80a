import { signedInAs, type AccountSummary } from './account.js';
import { html } from './escape.js';
import { renderDocument, type PageBase } from './layout.js';
import { safeUrl } from './safe-url.js';

/** View model of {@link renderHomePage}. */
export interface HomePageView extends PageBase {
  /** The issuer identifier, shown for developers. */
  issuer: string;
  /** The account page (`{issuer}/account`). */
  accountUrl: string;
  /** The discovery document (`{issuer}/.well-known/openid-configuration`). */
  discoveryUrl: string;
  /** Where the documentation lives; only `http(s)` URLs are linked. */
  documentationUrl: string;
  /** The account this browser is signed in to, if any. */
  account?: AccountSummary;
}

/**
 * The page at the issuer URL: says what the service is (the product's sign-in service, where
 * applications send people to sign in), who is signed in in this browser, and links to the account
 * page, the discovery document and the documentation. Plain links, no forms, no script.
 *
 * @example
 * renderHomePage({ branding, nonce, issuer: 'https://id.example', accountUrl: 'https://id.example/account',
 *   discoveryUrl: 'https://id.example/.well-known/openid-configuration', documentationUrl: 'https://www.npmjs.com/package/gatehouse' });
 */
export function renderHomePage(view: HomePageView): string {
  const product = view.branding.productName;
  // Every link goes through safeUrl, as on the other pages: escaping alone does not stop `javascript:`.
  const accountUrl = safeUrl(view.accountUrl);
  const discovery = safeUrl(view.discoveryUrl);
  const docs = safeUrl(view.documentationUrl);
  const accountLink = (label: string, className: string) =>
    accountUrl !== undefined && html`<a class="button button-primary${className}" href="${accountUrl}">${label}</a>`;
  const account =
    view.account !== undefined ? html`${signedInAs(view.account)}${accountLink('Manage your account', ' submit')}` : accountLink('Sign in to your account', '');
  return renderDocument(
    view,
    'Sign-in service',
    // "sign-in service" stays on one line: a break at its hyphen reads badly.
    html`<h1>${product} <span class="nowrap">sign-in service</span></h1><p class="lead">Applications that use ${product} bring you here to sign in. Here you can also see and manage your account.</p>
<div class="body">${account}</div>
<section class="home-developers" aria-labelledby="developers-heading"><h2 id="developers-heading" class="section-title">For developers</h2><ul class="link-list">
${discovery !== undefined && html`<li><a href="${discovery}">Discovery document</a><span class="muted"> · OpenID Connect configuration (JSON)</span></li>`}
${docs !== undefined && html`<li><a href="${docs}">Documentation</a><span class="muted"> · setting up applications and running the service</span></li>`}
</ul><p class="reference">Issuer: <code>${view.issuer}</code></p></section>`,
  );
}
