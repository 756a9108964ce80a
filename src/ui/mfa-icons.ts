import { html, trustedHtml, type SafeHtml } from './escape.js';

// Outline icons for the verification and account pages. Like those in icons.ts they are decorative:
// each sits next to text that says the same, so it is hidden from assistive technology. They are
// drawn with strokes rather than filled paths because they depict devices, where outlines read better
// at 20px. The markup is constant and written here, hence trustedHtml.
function outlineIcon(shapes: string): SafeHtml {
  return html`<svg class="icon" viewBox="0 0 20 20" fill="none" stroke="currentColor" stroke-width="1.6" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true" focusable="false">${trustedHtml(shapes)}</svg>`;
}

/** A shield with a tick: an authenticator app. */
export const APP_ICON = outlineIcon('<path d="M10 2.5 4 5v4.6c0 3.5 2.5 6.5 6 7.9 3.5-1.4 6-4.4 6-7.9V5l-6-2.5Z"/><path d="m7.4 10 1.9 1.9 3.3-3.6"/>');

/** A key: a passkey. */
export const KEY_ICON = outlineIcon('<circle cx="6.5" cy="10" r="3.5"/><path d="M10 10h7.5M15 10v2.6M17.5 10v2"/>');

/** A mobile phone: codes by text message. */
export const PHONE_ICON = outlineIcon('<rect x="5.5" y="2" width="9" height="16" rx="2"/><path d="M9 15h2"/>');

/** An envelope: codes by email. */
export const MAIL_ICON = outlineIcon('<rect x="2.5" y="4.5" width="15" height="11" rx="2"/><path d="m3.2 5.6 6.8 5 6.8-5"/>');

/** A sheet with lines: recovery codes. */
export const CODES_ICON = outlineIcon('<rect x="4" y="2.5" width="12" height="15" rx="2"/><path d="M7 7h6M7 10h6M7 13h3.5"/>');

/** A monitor: a signed-in session. */
export const DEVICE_ICON = outlineIcon('<rect x="2.5" y="3.5" width="15" height="10" rx="1.5"/><path d="M7 17h6M10 13.5V17"/>');

/** A padlock: a locked-out state. */
export const LOCK_ICON = outlineIcon('<rect x="4" y="9" width="12" height="8.5" rx="2"/><path d="M6.8 9V6.5a3.2 3.2 0 0 1 6.4 0V9"/>');

/** An "i" in a circle: confirmations and neutral information. */
export const INFO_ICON = outlineIcon('<circle cx="10" cy="10" r="7.5"/><path d="M10 9v4.5M10 6.4v.1"/>');

/** A downward arrow into a tray: download. */
export const DOWNLOAD_ICON = outlineIcon('<path d="M10 3v9M6.5 8.5 10 12l3.5-3.5M3.5 13.5V15a1.5 1.5 0 0 0 1.5 1.5h10a1.5 1.5 0 0 0 1.5-1.5v-1.5"/>');
