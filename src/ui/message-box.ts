import { html, type SafeHtml } from './escape.js';
import { ALERT_ICON } from './icons.js';
import { INFO_ICON } from './mfa-icons.js';

/**
 * An error message in `role="alert"`, announced as soon as the page loads; nothing when `message`
 * is empty. `id` lets a field point at it with `aria-describedby`. With `focus`, the message itself
 * takes the focus on load (`tabindex="-1" autofocus`): for a page of several forms whose error
 * belongs to none of its fields, so that keyboard and screen-reader users start from it.
 */
export function alertBox(id: string, message: string | undefined, options: { focus?: boolean } = {}): SafeHtml | false {
  return (
    message !== undefined &&
    message !== '' &&
    html`<div class="alert" id="${id}" role="alert"${options.focus === true && html` tabindex="-1" autofocus`}>${ALERT_ICON}<p>${message}</p></div>`
  );
}

/** A confirmation ("Passkey added.") in `role="status"`; nothing when `message` is empty. */
export function noticeBox(id: string, message: string | undefined): SafeHtml | false {
  return message !== undefined && message !== '' && html`<div class="notice" id="${id}" role="status">${INFO_ICON}<p>${message}</p></div>`;
}
