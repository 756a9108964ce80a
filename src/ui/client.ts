import { html, type SafeHtml } from './escape.js';
import { englishMessages, type Translator } from './i18n/messages.js';
import { safeUrl } from './safe-url.js';

/** What the pages show about the client application asking for sign-in. */
export interface ClientSummary {
  /** `client_name` (OpenID Connect Dynamic Client Registration §2). */
  name: string;
  /** `logo_uri`; only `http(s)` URLs are shown. */
  logoUri?: string;
  /** `client_uri`, the application's home page; only `http(s)` URLs are shown. */
  uri?: string;
  /** One of the server's own pages signing the user in (the account pages, the admin console): named by the page's language, not by `name`. */
  builtIn?: 'account' | 'admin';
}

/**
 * The client's logo, or nothing. `alt` is empty because the client's name is always written next to
 * it; reading it twice would only add noise.
 */
export function clientLogo(client: ClientSummary, size: 'small' | 'large'): SafeHtml {
  const src = safeUrl(client.logoUri);
  if (src === undefined) return html``;
  const cls = size === 'small' ? 'client-logo' : 'client-logo-large';
  return html`<img class="${cls}" src="${src}" alt="">`;
}

/** "to continue to {client}", with the client's logo when it has one. */
export function continueToClient(client: ClientSummary, i18n: Translator = englishMessages()): SafeHtml {
  if (client.builtIn === 'account') return html`<p class="lead">${i18n.t('client.continueToAccount')}</p>`;
  if (client.builtIn === 'admin') return html`<p class="lead">${i18n.t('client.continueToAdmin')}</p>`;
  return html`<p class="lead">${i18n.t('client.continueTo', { client: html`${clientLogo(client, 'small')}<strong>${client.name}</strong>` })}</p>`;
}
