import { signedInAs, type AccountSummary } from './account.js';
import { html, type HtmlValue } from './escape.js';
import type { Translator } from './i18n/messages.js';
import { renderDocument, type PageBase } from './layout.js';
import { safeUrl } from './safe-url.js';

/** View model of {@link renderHomePage}. */
export interface HomePageView extends PageBase {
  /** The page's language. */
  i18n: Translator;
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
 * page, the discovery document and the documentation. Plain links and no script (the only form is
 * the language switcher, when the server offers one).
 *
 * @example
 * renderHomePage({ branding, nonce, i18n, issuer: 'https://id.example', accountUrl: 'https://id.example/account',
 *   discoveryUrl: 'https://id.example/.well-known/openid-configuration', documentationUrl: 'https://www.npmjs.com/package/gatehouse' });
 */
export function renderHomePage(view: HomePageView): string {
  const { i18n } = view;
  const { t } = i18n;
  const product = view.branding.productName;
  // Every link goes through safeUrl, as on the other pages: escaping alone does not stop `javascript:`.
  const accountUrl = safeUrl(view.accountUrl);
  const discovery = safeUrl(view.discoveryUrl);
  const docs = safeUrl(view.documentationUrl);
  const accountLink = (label: HtmlValue, className: string) =>
    accountUrl !== undefined && html`<a class="button button-primary${className}" href="${accountUrl}">${label}</a>`;
  const account =
    view.account !== undefined ? html`${signedInAs(view.account, i18n)}${accountLink(t('home.manageAccount'), ' submit')}` : accountLink(t('home.signIn'), '');
  // <nowrap> keeps "sign-in service" on one line: a break at its hyphen reads badly.
  const heading = t('home.heading', { product, nowrap: (content: HtmlValue[]) => html`<span class="nowrap">${content}</span>` });
  return renderDocument(
    view,
    t('home.title'),
    html`<h1>${heading}</h1><p class="lead">${t('home.lead', { product })}</p>
<div class="body">${account}</div>
<section class="home-developers" aria-labelledby="developers-heading"><h2 id="developers-heading" class="section-title">${t('home.developers')}</h2><ul class="link-list">
${discovery !== undefined && html`<li><a href="${discovery}">${t('home.discovery')}</a><span class="muted"> · ${t('home.discoveryNote')}</span></li>`}
${docs !== undefined && html`<li><a href="${docs}">${t('home.documentation')}</a><span class="muted"> · ${t('home.documentationNote')}</span></li>`}
</ul><p class="reference">${t('home.issuer', { issuer: view.issuer })}</p></section>`,
  );
}
