/**
 * Fixtures of the page tests beside the code (`src/ui/*.test.ts`): every page rendered with one set
 * of inputs, and tag and attribute readers for the HTML. Test code only: tsconfig.build.json leaves
 * the `testing` folders of src/ out of dist/.
 */
import {
  renderConsentPage,
  renderDeviceCodePage,
  renderDeviceDonePage,
  renderErrorPage,
  renderFormPostPage,
  renderHomePage,
  renderLockoutPage,
  renderLoginPage,
  renderLogoutConfirmPage,
  renderSelectAccountPage,
  renderSignedOutPage,
  type Branding,
} from '../index.js';
import { englishMessages, type Translator } from '../i18n/index.js';

/** Every string a page shows, so one value can be pushed through all of them. */
export interface PageInputs {
  branding: Branding;
  nonce: string;
  /** The pages' language; English unless given. */
  i18n?: Translator;
  text: string;
  url: string;
}

export interface RenderedPage {
  name: string;
  html: string;
  /** Whether the page posts a form carrying the CSRF token. */
  hasCsrfForm: boolean;
  /** Whether the page is one of the branded, card-style pages. */
  branded: boolean;
}

/** Render every page with `text` in each free-text slot and `url` in each URL slot. */
export function renderAllPages(inputs: PageInputs): RenderedPage[] {
  const { branding, nonce, text, url } = inputs;
  const base = { branding, nonce, i18n: inputs.i18n ?? englishMessages() };
  const client = { name: text, logoUri: url, uri: url };
  const account = { name: text, login: text };
  const csrf = { action: url, csrfToken: text };
  return [
    { name: 'login', html: renderLoginPage({ ...base, ...csrf, client, loginHint: text }), hasCsrfForm: true, branded: true },
    {
      name: 'login with error',
      html: renderLoginPage({ ...base, ...csrf, client, loginHint: text, error: { text } }),
      hasCsrfForm: true,
      branded: true,
    },
    {
      name: 'consent',
      html: renderConsentPage({ ...base, ...csrf, client, account, scopes: ['openid', text] }),
      hasCsrfForm: true,
      branded: true,
    },
    {
      name: 'consent of an unverified client',
      html: renderConsentPage({ ...base, ...csrf, client, account, scopes: ['openid', text], unverified: { redirectDomain: text } }),
      hasCsrfForm: true,
      branded: true,
    },
    {
      name: 'consent of a device',
      html: renderConsentPage({ ...base, ...csrf, client, account, scopes: ['openid', text], device: { userCode: text }, resources: [text] }),
      hasCsrfForm: true,
      branded: true,
    },
    {
      name: 'device code',
      html: renderDeviceCodePage({ ...base, ...csrf, userCode: text, error: text }),
      hasCsrfForm: true,
      branded: true,
    },
    { name: 'device done', html: renderDeviceDonePage({ ...base, approved: true, clientName: text }), hasCsrfForm: false, branded: true },
    { name: 'select account', html: renderSelectAccountPage({ ...base, ...csrf, client, account }), hasCsrfForm: true, branded: true },
    {
      name: 'error',
      html: renderErrorPage({ ...base, title: text, message: text, requestId: text }),
      hasCsrfForm: false,
      branded: true,
    },
    {
      name: 'logout confirm',
      html: renderLogoutConfirmPage({ ...base, ...csrf, clientName: text, hiddenFields: { [text]: text, state: text } }),
      hasCsrfForm: true,
      branded: true,
    },
    { name: 'signed out', html: renderSignedOutPage(base), hasCsrfForm: false, branded: true },
    {
      name: 'home',
      html: renderHomePage({ ...base, issuer: text, accountUrl: url, discoveryUrl: url, documentationUrl: url }),
      hasCsrfForm: false,
      branded: true,
    },
    {
      name: 'home, signed in',
      html: renderHomePage({ ...base, issuer: text, accountUrl: url, discoveryUrl: url, documentationUrl: url, account }),
      hasCsrfForm: false,
      branded: true,
    },
    {
      name: 'lockout',
      html: renderLockoutPage({
        ...base,
        reason: 'account',
        retryAt: { text, iso: text, exact: text },
        retryIn: text,
        anotherAccountUrl: url,
        forgotPasswordUrl: url,
      }),
      hasCsrfForm: false,
      branded: true,
    },
    {
      name: 'form post',
      html: renderFormPostPage({ nonce, action: url, fields: { code: text, [text]: text } }),
      hasCsrfForm: false,
      branded: false,
    },
  ];
}

/** The opening tags named `tag` in `html`, e.g. every `<input …>`. */
export function tags(html: string, tag: string): string[] {
  return html.match(new RegExp(`<${tag}\\b[^>]*>`, 'gi')) ?? [];
}

/** The value of attribute `name` in one opening tag, unescaped only as far as the tests need. */
export function attr(tag: string, name: string): string | undefined {
  const match = new RegExp(`\\s${name}="([^"]*)"`, 'i').exec(tag);
  return match?.[1]?.replaceAll('&quot;', '"').replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&#39;', "'").replaceAll('&amp;', '&');
}
