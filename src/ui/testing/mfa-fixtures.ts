/**
 * Fixtures of the MFA page tests beside the code (and of the passkey script test in Chromium):
 * views, every MFA page rendered, form and text readers. Test code only: tsconfig.build.json leaves
 * the `testing` folders of src/ out of dist/.
 */
import {
  renderAccountPage,
  renderContactVerifyPage,
  renderMfaChallengePage,
  renderMfaEnrollPage,
  renderReauthRequiredPage,
  renderRecoveryCodesPage,
  type AccountPageActions,
  type Branding,
} from '../index.js';
import { attr, tags } from './all-pages.js';

/** A small QR-like SVG as the server would render it; trusted markup. */
export const QR_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 29 29" shape-rendering="crispEdges"><path fill="#ffffff" d="M0 0h29v29H0z"/><path stroke="#000000" d="M1 1.5h7m2 0h1"/></svg>';

export const RECOVERY_CODES = [
  'k7m2p-q9x4a',
  'b3nw8-tz6ye',
  'h4cj9-r2vsd',
  'p8fq3-m6wnk',
  'x2ta7-e5hzr',
  'd9gk4-w3bcu',
  'n6yp2-j8qmf',
  'u5rs3-c7dtx',
  'e4wz9-k2hng',
  'm3vb8-s6pja',
];

export function accountActions(url: string): AccountPageActions {
  return {
    addTotp: `${url}/totp`,
    addPasskeyOptions: `${url}/passkeys/options`,
    addPasskeyVerify: `${url}/passkeys`,
    addContact: `${url}/contacts`,
    removeFactor: `${url}/factors/remove`,
    regenerateRecoveryCodes: `${url}/recovery-codes`,
    signOutOthers: `${url}/sessions/others`,
    signOut: `${url}/sign-out`,
    passkeyScriptUrl: `${url}/assets/webauthn.js`,
  };
}

export interface MfaPageInputs {
  branding: Branding;
  nonce: string;
  /** Pushed into every free-text slot. */
  text: string;
  /** Base of every action and URL. */
  url: string;
}

export interface RenderedMfaPage {
  name: string;
  html: string;
  /** How many `<script>` elements the page may have (the passkey library and the ceremony script). */
  scripts: number;
}

/** Every new page, in its main variants, with `text` in each free-text slot. */
export function renderMfaPages(inputs: MfaPageInputs): RenderedMfaPage[] {
  const { branding, nonce, text, url } = inputs;
  const base = { branding, nonce };
  const client = { name: text, logoUri: `${url}/logo.png`, uri: url };
  const contacts = [
    { factorId: text, channel: 'sms' as const, masked: text },
    { factorId: `${text}2`, channel: 'email' as const, masked: text },
  ];
  const passkey = { optionsUrl: `${url}/passkey/options`, verifyUrl: `${url}/passkey`, scriptUrl: `${url}/assets/webauthn.js` };
  const challenge = { ...base, action: url, csrfToken: text, client };
  const allMethods = { totp: true, recoveryCodes: true, passkey: true, contacts };
  return [
    { name: 'mfa challenge', html: renderMfaChallengePage({ ...challenge, methods: allMethods }), scripts: 0 },
    { name: 'mfa challenge with passkey', html: renderMfaChallengePage({ ...challenge, methods: allMethods, passkey }), scripts: 2 },
    {
      name: 'mfa challenge, code sent, error',
      html: renderMfaChallengePage({ ...challenge, methods: allMethods, codeSent: { factorId: text, masked: text }, error: text }),
      scripts: 0,
    },
    {
      name: 'mfa challenge locked',
      html: renderMfaChallengePage({ ...challenge, methods: allMethods, lockedUntil: text, passkey }),
      scripts: 2,
    },
    {
      name: 'mfa enroll',
      html: renderMfaEnrollPage({ ...base, action: url, csrfToken: text, client, qrSvg: QR_SVG, secret: text, error: text, required: true }),
      scripts: 0,
    },
    {
      name: 'recovery codes',
      html: renderRecoveryCodesPage({ ...base, codes: [...RECOVERY_CODES, text], continueAction: url, csrfToken: text, continueLabel: text }),
      scripts: 0,
    },
    {
      name: 'account',
      html: renderAccountPage({
        ...base,
        csrfToken: text,
        account: { name: text, login: text },
        factors: [
          { id: text, type: 'totp', label: text, createdAt: text, lastUsedAt: text },
          { id: `${text}2`, type: 'webauthn', label: text, createdAt: text },
        ],
        recoveryCodesLeft: 2,
        sessions: [
          { id: text, current: true, signedInAt: text, methods: text, device: text, address: text },
          { id: `${text}2`, current: false, signedInAt: { text, iso: text, exact: text }, methods: text, device: text, address: text },
        ],
        signIns: [
          { at: text, method: text, client: text, outcome: text },
          { at: { text, iso: text, exact: text }, method: text, client: text, device: text, address: text, outcome: text },
        ],
        actions: accountActions(url),
        notice: text,
        error: text,
      }),
      scripts: 2,
    },
    {
      name: 'contact verify',
      html: renderContactVerifyPage({ ...base, action: url, csrfToken: text, factorId: text, masked: text, error: text }),
      scripts: 0,
    },
    { name: 'reauth required', html: renderReauthRequiredPage({ ...base, action: url, csrfToken: text, message: text }), scripts: 0 },
  ];
}

/** Form controls a user fills in or picks: inputs other than hidden ones, selects and text areas. */
export function visibleControls(html: string): string[] {
  return [...tags(html, 'input').filter((tag) => attr(tag, 'type') !== 'hidden'), ...tags(html, 'select'), ...tags(html, 'textarea')];
}

/** Each `<form>…</form>` of the page, whole. */
export function forms(html: string): string[] {
  return html.match(/<form\b[\s\S]*?<\/form>/gi) ?? [];
}

/** The hidden fields of one form, by name. */
export function hiddenFields(form: string): Record<string, string | undefined> {
  return Object.fromEntries(
    tags(form, 'input')
      .filter((tag) => attr(tag, 'type') === 'hidden')
      .map((tag): [string, string | undefined] => [attr(tag, 'name') ?? '', attr(tag, 'value')]),
  );
}

/** The text of an element's content with tags stripped and entities for the test characters decoded. */
export function text(html: string): string {
  return html
    .replace(/<[^>]*>/g, '')
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&amp;', '&');
}
