import { html } from './escape.js';
import { postForm, submitButton, textField } from './form.js';
import { CHECK_ICON } from './icons.js';
import { renderDocument, type PageBase } from './layout.js';
import { alertBox } from './message-box.js';
import { DEVICE_ICON, INFO_ICON } from './mfa-icons.js';

/** The device page's heading icon. */
function pageIcon(icon: ReturnType<typeof html>): ReturnType<typeof html> {
  return html`<div class="page-icon" aria-hidden="true">${icon}</div>`;
}

/** View model of {@link renderDeviceCodePage}. */
export interface DeviceCodePageView extends PageBase {
  /** Where the form posts to. */
  action: string;
  /** Sent back in the hidden `csrf` field. */
  csrfToken: string;
  /** The code filled in from the link the device showed (`verification_uri_complete`), as `XXXX-XXXX`. */
  userCode?: string;
  /** Why the last code was refused (fixed text, never the code typed). */
  error?: string;
}

const DEVICE_ERROR_ID = 'device-error';
const DEVICE_HINT = 'It is 8 letters, shown on your device, like BDWP\u2011HQPK. Capitals and the dash are optional.';

/**
 * "Connect a device": one field for the user code, posted as `user_code` with `csrf`. A code
 * filled in from the device's link still has to be confirmed with the button (RFC 8628 §5.4: a
 * link sent by someone else must not connect their device without the user checking the code).
 */
export function renderDeviceCodePage(view: DeviceCodePageView): string {
  const hasError = view.error !== undefined && view.error !== '';
  const prefilled = view.userCode !== undefined && !hasError;
  const form = postForm({
    action: view.action,
    csrfToken: view.csrfToken,
    content: [
      textField({
        id: 'user_code',
        name: 'user_code',
        label: 'Code',
        type: 'text',
        autocomplete: 'one-time-code',
        hint: DEVICE_HINT,
        maxLength: 64,
        ...(view.userCode !== undefined ? { value: view.userCode } : {}),
        autofocus: !prefilled,
        invalid: hasError,
        describedBy: hasError ? DEVICE_ERROR_ID : undefined,
      }),
      submitButton({ label: 'Continue', variant: 'primary', className: 'submit' }),
    ],
  });
  const lead = prefilled
    ? html`<p class="lead">Check that this code is the one your device shows, then continue. If you did not start signing in on a device yourself, close this page.</p>`
    : html`<p class="lead">Enter the code your device shows to sign it in to your ${view.branding.productName} account.</p>`;
  return renderDocument(
    view,
    'Connect a device',
    html`${pageIcon(DEVICE_ICON)}<h1>Connect a device</h1>${lead}<div class="body">${alertBox(DEVICE_ERROR_ID, view.error)}${form}</div>`,
  );
}

/** View model of {@link renderDeviceDonePage}. */
export interface DeviceDonePageView extends PageBase {
  /** Whether the user allowed the device. */
  approved: boolean;
  /** The client's name. */
  clientName: string;
}

/** The end of a device sign-in: allowed or not, the rest happens on the device. */
export function renderDeviceDonePage(view: DeviceDonePageView): string {
  const title = view.approved ? 'Device connected' : 'Device not connected';
  const lead = view.approved
    ? html`<p class="lead">${view.clientName} is signed in to your account. You can return to your device and close this page.</p>`
    : html`<p class="lead">You did not allow ${view.clientName}: it gets no access to your account. You can return to your device and close this page.</p>`;
  return renderDocument(view, title, html`${pageIcon(view.approved ? CHECK_ICON : INFO_ICON)}<h1>${title}</h1>${lead}`);
}
