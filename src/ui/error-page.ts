import { html, type HtmlValue } from './escape.js';
import { messagesOf, renderDocument, type PageBase } from './layout.js';

/** View model of {@link renderErrorPage}. */
export interface ErrorPageView extends PageBase {
  /** Short headline, such as "Something went wrong": a message (`i18n.t('error.expired.title')`) or text. */
  title: HtmlValue;
  /** What happened and what the user can do, in plain words. Never internal detail. */
  message: HtmlValue;
  /** Correlates the user's report with the server log. */
  requestId?: string;
}

/**
 * A friendly error page for when the user cannot be sent back to the application (for example an
 * unknown client or redirect URI, RFC 6749 §4.1.2.1). It shows only what it is given, in the
 * language of `i18n`.
 */
export function renderErrorPage(view: ErrorPageView): string {
  const { t } = messagesOf(view);
  const reference = view.requestId !== undefined && view.requestId !== '' && html`<p class="reference">${t('error.reference', { id: view.requestId })}</p>`;
  return renderDocument(view, view.title, html`<h1>${view.title}</h1><p class="lead">${view.message}</p>${reference}`);
}
