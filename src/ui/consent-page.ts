import { signedInAs, type AccountSummary } from './account.js';
import { clientLogo, type ClientSummary } from './client.js';
import { html } from './escape.js';
import { decisionButtons, postForm } from './form.js';
import { CHECK_ICON } from './icons.js';
import { INFO_ICON } from './mfa-icons.js';
import { renderDocument, type PageBase } from './layout.js';
import { hostOf, safeUrl } from './safe-url.js';
import { describeScopes } from './scopes.js';

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
}

/**
 * The consent page: what the client asks for, in plain words, and whose account it is. Posts
 * `decision=approve` ("Allow") or `decision=deny` ("Cancel") with `csrf`.
 */
export function renderConsentPage(view: ConsentPageView): string {
  const { client, branding } = view;
  const home = safeUrl(client.uri);
  const host = hostOf(client.uri);
  // Showing where the app lives helps users spot a look-alike name. An unverified client's home
  // page is only its own claim: the host that identifies it is shown instead, in the notice.
  const origin =
    client.unverified === undefined &&
    home !== undefined &&
    host !== undefined &&
    html`<p class="lead"><a href="${home}" target="_blank" rel="noopener noreferrer">${host}</a></p>`;
  const unverified =
    client.unverified !== undefined &&
    html`<div class="notice notice-plain" id="unverified-client">${INFO_ICON}<p><strong>Unverified application.</strong> ${branding.productName} has not checked who runs ${client.name}. It is identified by <strong>${client.unverified.host}</strong>: continue only if you expected an application from there.</p></div>`;
  const scopes = describeScopes(view.scopes).map(({ scope, description }) => html`<li data-scope="${scope}">${CHECK_ICON}<span>${description}</span></li>`);
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
<div class="body">${unverified}${signedInAs(view.account)}
<h2 class="section-title">This will allow ${client.name} to:</h2>
<ul class="scopes">${scopes}</ul>
<p class="note">Only allow this if you trust ${client.name} with this information.</p>
${form}</div>`,
  );
}
