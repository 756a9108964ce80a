import { signedInAs, type AccountSummary } from './account.js';
import { clientLogo, type ClientSummary } from './client.js';
import { html } from './escape.js';
import { decisionButtons, postForm } from './form.js';
import { CHECK_ICON } from './icons.js';
import type { Translator } from './i18n/messages.js';
import { renderDocument, type PageBase } from './layout.js';
import { hostOf, safeUrl } from './safe-url.js';
import { describeClaims, describeScopes } from './scopes.js';

/** View model of {@link renderConsentPage}. */
export interface ConsentPageView extends PageBase {
  /** The page's language: every word on it comes from the catalogs. */
  i18n: Translator;
  /** Where the form posts to. */
  action: string;
  /** Sent back in the hidden `csrf` field. */
  csrfToken: string;
  /** Further hidden fields sent back with the answer (which account the page was shown to). */
  hiddenFields?: Record<string, string>;
  /** The application asking for access. */
  client: ClientSummary;
  /** Who is granting it. */
  account: AccountSummary;
  /** The requested scopes, as in the authorization request. */
  scopes: string[];
  /** The resources (RFC 8707) the access is for, when the request named any: shown so the user sees which APIs. */
  resources?: string[];
  /**
   * User claims asked for one by one (OIDC Core §5.5 `claims`) beyond what the scopes release
   * (`email`, `name`...): listed, so that consent never covers something the user was not shown.
   */
  claims?: string[];
  /**
   * Set for a client that registered itself (dynamic client registration): nothing vouches for its
   * name, logo or home page, so the page says so and shows where the answer goes instead: the host
   * of this request's redirect URI (or its private-use scheme, for an app on the device).
   */
  unverified?: {
    redirectDomain: string;
    /**
     * For a client known by its metadata document (draft-ietf-oauth-client-id-metadata-document):
     * the host of its `client_id` URL, which the page names too (§8.4).
     */
    documentHost?: string;
  };
  /**
   * Set when a device asks (RFC 8628): its user code, which the page asks the user to compare with
   * the one on the device before allowing (§5.4, remote phishing).
   */
  device?: { userCode: string };
}

/**
 * The consent page: what the client asks for, in plain words, and whose account it is. Posts
 * `decision=approve` ("Allow") or `decision=deny` ("Cancel") with `csrf`.
 */
export function renderConsentPage(view: ConsentPageView): string {
  const { branding, unverified, i18n } = view;
  const { t } = i18n;
  const product = branding.productName;
  // A self-registered client's logo and home page are its own claims: not shown (its name is, marked unverified).
  const client: ClientSummary = unverified ? { name: view.client.name } : view.client;
  const home = safeUrl(client.uri);
  const host = hostOf(client.uri);
  // Showing where the app lives helps users spot a look-alike name.
  const origin = unverified
    ? html`<p class="lead"><span class="badge badge-warning">${t('consent.unverified')}</span> ${
        unverified.documentHost === undefined
          ? t('consent.registeredBySelf', { product })
          : t('consent.describedBySelf', { product, host: html`<strong class="document-host">${unverified.documentHost}</strong>` })
      } ${t('consent.answerGoesTo', { domain: html`<strong class="redirect-domain">${unverified.redirectDomain}</strong>` })}</p>`
    : home !== undefined && host !== undefined && html`<p class="lead"><a href="${home}" target="_blank" rel="noopener noreferrer">${host}</a></p>`;
  const scopes = describeScopes(view.scopes, i18n).map(
    ({ scope, description }) => html`<li data-scope="${scope}">${CHECK_ICON}<span>${description}</span></li>`,
  );
  const claims = view.claims ?? [];
  const claimList =
    claims.length > 0 &&
    html`<li data-claims>${CHECK_ICON}<span>${t('consent.claims', {
      claims: i18n.list(describeClaims(claims, i18n).map((label) => html`<strong class="claim">${label}</strong>`)),
    })}</span></li>`;
  const resources = view.resources ?? [];
  const limitedTo =
    resources.length > 0 &&
    html`<p class="note resources">${t('consent.onlyAt', { resources: i18n.list(resources.map((resource) => html`<strong class="resource">${resource}</strong>`)) })}</p>`;
  // RFC 8628 §5.4: the user compares the code with the device's before allowing it.
  const deviceNote =
    view.device &&
    html`
<p class="note" data-device-code>${t('consent.device', { code: html`<strong class="nowrap">${view.device.userCode}</strong>` })}</p>`;
  const form = postForm({
    action: view.action,
    csrfToken: view.csrfToken,
    ...(view.hiddenFields ? { hiddenFields: view.hiddenFields } : {}),
    content: decisionButtons('decision', { value: 'deny', label: t('consent.cancel') }, { value: 'approve', label: t('consent.allow') }),
  });
  return renderDocument(
    view,
    t('consent.title', { client: client.name }),
    html`${clientLogo(client, 'large')}<h1 class="long">${t('consent.heading', { client: client.name, product })}</h1>${origin}
<div class="body">${signedInAs(view.account, i18n)}${deviceNote}
<h2 class="section-title">${t('consent.willAllow', { client: client.name })}</h2>
<ul class="scopes">${scopes}${claimList}</ul>
${limitedTo}
<p class="note">${t('consent.trust', { client: client.name })}</p>
${form}</div>`,
  );
}
