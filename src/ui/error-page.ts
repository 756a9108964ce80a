import { html } from './escape.js';
import { renderDocument, type PageBase } from './layout.js';

/** View model of {@link renderErrorPage}. */
export interface ErrorPageView extends PageBase {
  /** Short headline, such as "Something went wrong". */
  title: string;
  /** What happened and what the user can do, in plain words. Never internal detail. */
  message: string;
  /** Correlates the user's report with the server log. */
  requestId?: string;
}

/**
 * A friendly error page for when the user cannot be sent back to the application (for example an
 * unknown client or redirect URI, RFC 6749 §4.1.2.1). It shows only what it is given.
 */
export function renderErrorPage(view: ErrorPageView): string {
  const reference = view.requestId !== undefined && view.requestId !== '' && html`<p class="reference">Reference: <code>${view.requestId}</code></p>`;
  return renderDocument(view, view.title, html`<h1>${view.title}</h1><p class="lead">${view.message}</p>${reference}`);
}
