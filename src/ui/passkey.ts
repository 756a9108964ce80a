import { html, trustedHtml, type HtmlValue, type SafeHtml } from './escape.js';
import { CSRF_FIELD, hiddenInputs } from './form.js';
import { ALERT_ICON } from './icons.js';
import type { Translator } from './i18n/messages.js';

/**
 * Runs a WebAuthn ceremony for the `form[data-passkey]` on the page, with the
 * `window.SimpleWebAuthnBrowser` global from `@simplewebauthn/browser` (loaded just before):
 *
 * 1. POST the form's `action` with header `X-CSRF-Token` (the form's hidden CSRF value); the answer
 *    is JSON `{ options, challengeId }`.
 * 2. `startAuthentication`/`startRegistration({ optionsJSON: options })`.
 * 3. POST JSON `{ challengeId, response }` (plus `label` when registering) to `data-verify-url`,
 *    same header; on `{ redirect }` go there. A successful registration without one reloads.
 * Progress is said in the form's `role="status"` region; a failure (non-2xx, not JSON, cancelled)
 * in its `role="alert"` region, in the same alert box as the pages' other errors. What it says comes
 * from the form's `data-messages` (JSON, see {@link passkeyMessages}), English where absent.
 *
 * The script is a constant: every value it needs comes from escaped attributes in the markup, so
 * nothing the server knows is ever written into script text. Elements marked `data-passkey-block`
 * stay `hidden` until the script finds WebAuthn supported: without JavaScript, or on a browser
 * without passkeys, the button would do nothing, so it is not shown at all.
 */
const PASSKEY_SCRIPT = `(() => {
  const lib = window.SimpleWebAuthnBrowser;
  const form = document.querySelector('form[data-passkey]');
  if (!form || !lib || !window.PublicKeyCredential) return;
  if (typeof lib.browserSupportsWebAuthn === 'function' && !lib.browserSupportsWebAuthn()) return;
  const register = form.dataset.passkey === 'register';
  const status = document.getElementById(form.dataset.status);
  const errorBox = document.getElementById(form.dataset.error).firstElementChild;
  const errorText = errorBox.querySelector('p');
  const button = form.querySelector('button[type="submit"]');
  const csrf = form.elements.namedItem(${JSON.stringify(CSRF_FIELD)}).value;
  const messages = JSON.parse(form.dataset.messages || '{}');
  const say = (text) => { status.textContent = text; };
  // The error region stays in the page (its role makes screen readers announce what appears in it).
  const fail = (text) => { say(''); errorText.textContent = text; errorBox.hidden = false; };
  const clearError = () => { errorBox.hidden = true; errorText.textContent = ''; };
  const post = async (url, body) => {
    const headers = { 'X-CSRF-Token': csrf, Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const response = await fetch(url, { method: 'POST', credentials: 'same-origin', headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const data = await response.json().catch(() => null);
    if (!response.ok || data === null || typeof data !== 'object') throw new Error('The server did not accept the request.');
    return data;
  };
  const goTo = (target) => {
    const url = new URL(target, location.href);
    if (['javascript:', 'data:', 'vbscript:', 'blob:', 'file:'].includes(url.protocol)) return false;
    location.href = url.href;
    return true;
  };
  for (const block of document.querySelectorAll('[data-passkey-block]')) block.hidden = false;
  let busy = false;
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (busy) return;
    busy = true;
    button.disabled = true;
    clearError();
    say(register ? messages.createSteps || 'Follow the steps on your device to create a passkey.' : messages.useSteps || 'Follow the steps on your device to use your passkey.');
    try {
      const { options, challengeId } = await post(form.action);
      const response = register ? await lib.startRegistration({ optionsJSON: options }) : await lib.startAuthentication({ optionsJSON: options });
      const body = { challengeId, response };
      if (register) body.label = form.elements.namedItem('label').value.trim();
      const result = await post(form.dataset.verifyUrl, body);
      say(register ? messages.added || 'Passkey added.' : messages.verified || 'Verified. Continuing…');
      if (typeof result.redirect === 'string' && goTo(result.redirect)) return;
      if (register) { location.reload(); return; }
      throw new Error('The server did not say where to continue.');
    } catch (error) {
      const name = error && error.name;
      if (name === 'NotAllowedError' || name === 'AbortError') fail(messages.cancelled || 'The passkey request was cancelled or timed out. Try again.');
      else if (register && name === 'InvalidStateError') fail(messages.alreadyRegistered || 'This device already has a passkey for your account.');
      else if (register) fail(messages.notAdded || 'The passkey could not be added. Try again.');
      else fail(messages.notVerified || 'The passkey could not be verified. Try again, or use another way to verify.');
      busy = false;
      button.disabled = false;
    }
  });
})();`;

/**
 * The form the passkey script drives: a `method="post"` form to `optionsUrl` carrying the CSRF token
 * (never submitted natively: the script takes over its `submit` event), `content` (the button, and
 * the label input when registering), an `aria-live` status region for progress, and a
 * `role="alert"` region (`{statusId}-error`) whose alert box, hidden until then, shows a failure.
 */
export function passkeyForm(options: {
  ceremony: 'authenticate' | 'register';
  optionsUrl: string;
  verifyUrl: string;
  csrfToken: string;
  statusId: string;
  content: HtmlValue;
  /** What the script says, in the page's language ({@link passkeyMessages}); English without. */
  messages?: Record<string, string>;
}): SafeHtml {
  const o = options;
  // Like postForm, plus the data attributes the script reads.
  const errorId = `${o.statusId}-error`;
  return html`<form method="post" action="${o.optionsUrl}" data-passkey="${o.ceremony}" data-verify-url="${o.verifyUrl}" data-status="${o.statusId}" data-error="${errorId}"${o.messages && html` data-messages="${JSON.stringify(o.messages)}"`}>${hiddenInputs({ [CSRF_FIELD]: o.csrfToken })}${o.content}</form><p class="passkey-status" id="${o.statusId}" role="status" aria-live="polite"></p><div class="passkey-error" id="${errorId}" role="alert"><div class="alert" hidden>${ALERT_ICON}<p></p></div></div>`;
}

/**
 * The two nonce-carrying scripts of a passkey page: the browser library from `src`, then the
 * constant ceremony script. The page's CSP must allow `script-src 'self' 'nonce-…'` (or the
 * library's origin) and `connect-src` to the options and verify URLs.
 */
export function passkeyScripts(src: string, nonce: string): SafeHtml {
  return html`<script src="${src}" nonce="${nonce}"></script><script nonce="${nonce}">${trustedHtml(PASSKEY_SCRIPT)}</script>`;
}

/**
 * What the passkey script says, in the page's language: the `data-messages` of {@link passkeyForm},
 * for signing in with a passkey (`authenticate`) or adding one (`register`).
 */
export function passkeyMessages(i18n: Translator, ceremony: 'authenticate' | 'register' = 'authenticate'): Record<string, string> {
  if (ceremony === 'register') {
    return {
      createSteps: i18n.text('passkey.createSteps'),
      added: i18n.text('passkey.added'),
      cancelled: i18n.text('passkey.cancelled'),
      alreadyRegistered: i18n.text('passkey.alreadyRegistered'),
      notAdded: i18n.text('passkey.notAdded'),
    };
  }
  return {
    useSteps: i18n.text('passkey.useSteps'),
    verified: i18n.text('passkey.verified'),
    cancelled: i18n.text('passkey.cancelled'),
    notVerified: i18n.text('passkey.notVerified'),
  };
}
