import { signedInAs, type AccountSummary } from './account.js';
import { clientLogo, type ClientSummary } from './client.js';
import { html } from './escape.js';
import { decisionButtons, postForm } from './form.js';
import { CHECK_ICON } from './icons.js';
import { renderDocument, type PageBase } from './layout.js';
import { hostOf, safeUrl } from './safe-url.js';
import { describeClaims, describeScopes } from './scopes.js';

/** View model of {@link renderConsentPage}. */
export interface ConsentPageView extends PageBase {
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
  const { branding, unverified } = view;
  // A self-registered client's logo and home page are its own claims: not shown (its name is, marked unverified).
  const client: ClientSummary = unverified ? { name: view.client.name } : view.client;
  const home = safeUrl(client.uri);
  const host = hostOf(client.uri);
  // Showing where the app lives helps users spot a look-alike name.
  const origin = unverified
    ? html`<p class="lead"><span class="badge badge-warning">Unverified</span> ${
        unverified.documentHost === undefined
          ? html`Registered by the app itself, not by ${branding.productName}.`
          : html`Described by the app itself at <strong class="document-host">${unverified.documentHost}</strong>, not registered with ${branding.productName}.`
      } It receives your answer at <strong class="redirect-domain">${unverified.redirectDomain}</strong>.</p>`
    : home !== undefined && host !== undefined && html`<p class="lead"><a href="${home}" target="_blank" rel="noopener noreferrer">${host}</a></p>`;
  const scopes = describeScopes(view.scopes).map(({ scope, description }) => html`<li data-scope="${scope}">${CHECK_ICON}<span>${description}</span></li>`);
  const claims = view.claims ?? [];
  const claimList =
    claims.length > 0 &&
    html`<li data-claims>${CHECK_ICON}<span>See these details of your account: ${describeClaims(claims).map((label, index) => html`${index > 0 ? ', ' : ''}<strong class="claim">${label}</strong>`)}</span></li>`;
  const resources = view.resources ?? [];
  const limitedTo =
    resources.length > 0 &&
    html`<p class="note resources">Only at ${resources.map((resource, index) => html`${index > 0 ? ', ' : ''}<strong class="resource">${resource}</strong>`)}.</p>`;
  // RFC 8628 §5.4: the user compares the code with the device's before allowing it.
  const deviceNote =
    view.device &&
    html`
<p class="note" data-device-code>You are signing in on a device. Only allow this if you started it yourself and your device shows the code <strong class="nowrap">${view.device.userCode}</strong>.</p>`;
  const form = postForm({
    action: view.action,
    csrfToken: view.csrfToken,
    ...(view.hiddenFields ? { hiddenFields: view.hiddenFields } : {}),
    content: decisionButtons('decision', { value: 'deny', label: 'Cancel' }, { value: 'approve', label: 'Allow' }),
  });
  return renderDocument(
    view,
    `Allow access to ${client.name}`,
    html`${clientLogo(client, 'large')}<h1 class="long">${client.name} wants to access your ${branding.productName} account</h1>${origin}
<div class="body">${signedInAs(view.account)}${deviceNote}
<h2 class="section-title">This will allow ${client.name} to:</h2>
<ul class="scopes">${scopes}${claimList}</ul>
${limitedTo}
<p class="note">Only allow this if you trust ${client.name} with this information.</p>
${form}</div>`,
  );
}
