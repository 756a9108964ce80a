import { html, type SafeHtml } from './escape.js';
import { englishMessages, type Translator } from './i18n/messages.js';

/** The signed-in end-user as the pages show them. */
export interface AccountSummary {
  /** Display name, when known. */
  name?: string;
  /** What the user signs in with: username or email address. */
  login: string;
}

function initial(account: AccountSummary): string {
  // Array.from splits by code point, so an emoji or astral letter is not cut in half.
  const first = Array.from((account.name ?? account.login).trim())[0] ?? '?';
  return first.toLocaleUpperCase();
}

/** A round avatar showing the account's initial; decorative, as the name is always shown beside it. */
export function avatar(account: AccountSummary): SafeHtml {
  return html`<span class="avatar" aria-hidden="true">${initial(account)}</span>`;
}

/** Name over login, or the login alone when there is no name. */
export function accountLines(account: AccountSummary): SafeHtml {
  const name = account.name?.trim();
  return name
    ? html`<span class="account-name">${name}</span><span class="account-login">${account.login}</span>`
    : html`<span class="account-name">${account.login}</span>`;
}

/** "Signed in as …" panel with avatar, name and login. */
export function signedInAs(account: AccountSummary, i18n: Translator = englishMessages()): SafeHtml {
  return html`<div class="account">${avatar(account)}<div class="account-text"><span class="account-label">${i18n.t('account.signedInAs')}</span>${accountLines(account)}</div></div>`;
}
