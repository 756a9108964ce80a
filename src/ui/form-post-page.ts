import { html, trustedHtml } from './escape.js';
import { hiddenInputs } from './form.js';
import { englishMessages, type Translator } from './i18n/messages.js';
import { FORM_POST_STYLES } from './styles.js';

/** View model of {@link renderFormPostPage}. */
export interface FormPostPageView {
  /** Per-response CSP nonce for the `<style>` and the `<script>`. */
  nonce: string;
  /** The client's `redirect_uri`. */
  action: string;
  /** Authorization response parameters, such as `code`, `state` and `iss`. */
  fields: Record<string, string>;
  /** The language of the sign-in (its title, and the note shown without JavaScript); English when not given. */
  i18n?: Translator;
}

/**
 * OAuth 2.0 Form Post Response Mode: a page that posts the authorization response to the client's
 * redirect URI. A nonce-carrying script submits it at once; with JavaScript off the user presses
 * "Continue".
 *
 * The caller's CSP must allow `script-src 'nonce-…'` as well as `style-src 'nonce-…'`.
 */
export function renderFormPostPage(view: FormPostPageView): string {
  const i18n = view.i18n ?? englishMessages();
  const { t } = i18n;
  return html`<!doctype html>
<html lang="${i18n.locale}" dir="${i18n.dir}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex, nofollow">
<title>${t('formPost.title')}</title>
<style nonce="${view.nonce}">${trustedHtml(FORM_POST_STYLES)}</style>
</head>
<body>
<form method="post" action="${view.action}">
${hiddenInputs(view.fields)}
<noscript><p>${t('formPost.noscript')}</p><button type="submit">${t('formPost.continue')}</button></noscript>
</form>
<script nonce="${view.nonce}">document.forms[0].submit();</script>
</body>
</html>
`.value;
}
