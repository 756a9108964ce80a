import { html } from './escape.js';
import { postForm, submitButton, textField } from './form.js';
import type { Translator } from './i18n/messages.js';
import { CHECK_ICON } from './icons.js';
import { renderDocument, type PageBase } from './layout.js';
import { alertBox } from './message-box.js';
import { messageText, type MessageText } from './message-text.js';
import { DEVICE_ICON, INFO_ICON } from './mfa-icons.js';

/** The device page's heading icon. */
function pageIcon(icon: ReturnType<typeof html>): ReturnType<typeof html> {
  return html`<div class="page-icon" aria-hidden="true">${icon}</div>`;
}

/** View model of {@link renderDeviceCodePage}. */
export interface DeviceCodePageView extends PageBase {
  /** The page's language. */
  i18n: Translator;
  /** Where the form posts to. */
  action: string;
  /** Sent back in the hidden `csrf` field. */
  csrfToken: string;
  /** The code filled in from the link the device showed (`verification_uri_complete`), as `XXXX-XXXX`. */
  userCode?: string;
  /** Why the last code was refused (fixed text, never the code typed), such as `{ key: 'device.error.wrongCode' }`. */
  error?: MessageText;
}

const DEVICE_ERROR_ID = 'device-error';
/** The example code of the hint, its dash non-breaking so the code stays on one line. */
const EXAMPLE_CODE = 'BDWP\u2011HQPK';

/**
 * "Connect a device": one field for the user code, posted as `user_code` with `csrf`. A code
 * filled in from the device's link still has to be confirmed with the button (RFC 8628 §5.4: a
 * link sent by someone else must not connect their device without the user checking the code).
 */
export function renderDeviceCodePage(view: DeviceCodePageView): string {
  const { i18n } = view;
  const { t } = i18n;
  const error = messageText(i18n, view.error);
  const hasError = error !== undefined && error !== '';
  const prefilled = view.userCode !== undefined && !hasError;
  const form = postForm({
    action: view.action,
    csrfToken: view.csrfToken,
    content: [
      textField({
        id: 'user_code',
        name: 'user_code',
        label: t('device.code'),
        type: 'text',
        autocomplete: 'one-time-code',
        hint: i18n.text('device.codeHint', { example: EXAMPLE_CODE }),
        maxLength: 64,
        ...(view.userCode !== undefined ? { value: view.userCode } : {}),
        autofocus: !prefilled,
        invalid: hasError,
        describedBy: hasError ? DEVICE_ERROR_ID : undefined,
        i18n,
      }),
      submitButton({ label: t('device.continue'), variant: 'primary', className: 'submit' }),
    ],
  });
  const lead = prefilled
    ? html`<p class="lead">${t('device.checkCode')}</p>`
    : html`<p class="lead">${t('device.enterCode', { product: view.branding.productName })}</p>`;
  const title = t('device.title');
  return renderDocument(view, title, html`${pageIcon(DEVICE_ICON)}<h1>${title}</h1>${lead}<div class="body">${alertBox(DEVICE_ERROR_ID, error)}${form}</div>`);
}

/** View model of {@link renderDeviceDonePage}. */
export interface DeviceDonePageView extends PageBase {
  /** The page's language. */
  i18n: Translator;
  /** Whether the user allowed the device. */
  approved: boolean;
  /** The client's name. */
  clientName: string;
}

/** The end of a device sign-in: allowed or not, the rest happens on the device. */
export function renderDeviceDonePage(view: DeviceDonePageView): string {
  const { t } = view.i18n;
  const client = view.clientName;
  const title = view.approved ? t('deviceDone.connected.title') : t('deviceDone.refused.title');
  const lead = view.approved ? t('deviceDone.connected.lead', { client }) : t('deviceDone.refused.lead', { client });
  return renderDocument(view, title, html`${pageIcon(view.approved ? CHECK_ICON : INFO_ICON)}<h1>${title}</h1><p class="lead">${lead}</p>`);
}
