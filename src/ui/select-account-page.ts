import { accountLines, avatar, type AccountSummary } from './account.js';
import { continueToClient, type ClientSummary } from './client.js';
import { html } from './escape.js';
import { postForm } from './form.js';
import { ADD_PERSON_ICON } from './icons.js';
import { messagesOf, renderDocument, type PageBase } from './layout.js';

/** View model of {@link renderSelectAccountPage}. */
export interface SelectAccountPageView extends PageBase {
  /** Where the form posts to. */
  action: string;
  /** Sent back in the hidden `csrf` field. */
  csrfToken: string;
  /** Further hidden fields sent back with the answer (which account the page was shown to). */
  hiddenFields?: Record<string, string>;
  /** The application the user continues to. */
  client: ClientSummary;
  /** The account currently signed in. */
  account: AccountSummary;
}

/**
 * The account chooser for `prompt=select_account` (OpenID Connect Core §3.1.2.1). Posts
 * `choice=current` or `choice=other` with `csrf`.
 */
export function renderSelectAccountPage(view: SelectAccountPageView): string {
  const i18n = messagesOf(view);
  const { t } = i18n;
  const form = postForm({
    action: view.action,
    csrfToken: view.csrfToken,
    ...(view.hiddenFields ? { hiddenFields: view.hiddenFields } : {}),
    content: html`<div class="choices"><button type="submit" class="choice choice-primary" name="choice" value="current">${avatar(view.account)}<span class="account-text"><span class="account-label">${t('selectAccount.continueAs')}</span>${accountLines(view.account)}</span></button><button type="submit" class="choice" name="choice" value="other"><span class="avatar avatar-plain" aria-hidden="true">${ADD_PERSON_ICON}</span><span class="account-name">${t('selectAccount.other')}</span></button></div>`,
  });
  return renderDocument(
    view,
    t('selectAccount.title'),
    html`<h1>${t('selectAccount.title')}</h1>${continueToClient(view.client, i18n)}<div class="body">${form}</div>`,
  );
}
