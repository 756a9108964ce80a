import { html, type SafeHtml } from './escape.js';
import { ALERT_ICON } from './icons.js';
import { INFO_ICON } from './mfa-icons.js';

/**
 * An error message in `role="alert"`, announced as soon as the page loads; nothing when `message`
 * is empty. `id` lets a field point at it with `aria-describedby`.
 */
export function alertBox(id: string, message: string | undefined): SafeHtml | false {
  return message !== undefined && message !== '' && html`<div class="alert" id="${id}" role="alert">${ALERT_ICON}<p>${message}</p></div>`;
}

/** A confirmation ("Passkey added.") in `role="status"`; nothing when `message` is empty. */
export function noticeBox(id: string, message: string | undefined): SafeHtml | false {
  return message !== undefined && message !== '' && html`<div class="notice" id="${id}" role="status">${INFO_ICON}<p>${message}</p></div>`;
}
