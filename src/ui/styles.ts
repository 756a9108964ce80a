import { DEFAULT_BRANDING, type Branding } from './branding.js';
import { ensureContrast, mixColors, readableTextColor, LIGHT_TEXT } from './color.js';

const LIGHT_SURFACE = '#ffffff';
const DARK_SURFACE = '#1a1d24';

const FONT_STACK = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", "Noto Sans", "Liberation Sans", Arial, sans-serif';

/**
 * The colours derived from the brand colour. The button keeps the brand colour with white or
 * near-black text; for mid-tones where neither reaches AA (such as `#777777`), the button is shaded
 * just enough that it does. Links and focus rings use a shade that reaches AA on the card,
 * separately for the light and the dark scheme.
 */
export function brandPalette(primaryColor: string): {
  primary: string;
  onPrimary: string;
  primaryHover: string;
  accentLight: string;
  accentDark: string;
} {
  const onPrimary = readableTextColor(primaryColor);
  const primary = ensureContrast(primaryColor, onPrimary);
  // Hover moves the background away from the text colour, so contrast only grows.
  const primaryHover = mixColors(primary, onPrimary === LIGHT_TEXT ? '#000000' : '#ffffff', 0.14);
  return {
    primary,
    onPrimary,
    primaryHover,
    accentLight: ensureContrast(primaryColor, LIGHT_SURFACE),
    accentDark: ensureContrast(primaryColor, DARK_SURFACE),
  };
}

/**
 * The stylesheet of a branded page. `branding.primaryColor` must already be validated
 * (see `resolveBranding`): it is written into the CSS as is.
 */
export function pageStyles(branding: Branding): string {
  const c = brandPalette(branding.primaryColor);
  return `
*,*::before,*::after{box-sizing:border-box}
:root{color-scheme:light dark;
--bg:#f2f4f7;--surface:${LIGHT_SURFACE};--text:#16181d;--muted:#596070;--border:#e2e5eb;
--field:#ffffff;--field-border:#858c99;--subtle:#f5f6f8;--subtle-border:#c9ced7;
--primary:${c.primary};--on-primary:${c.onPrimary};--primary-hover:${c.primaryHover};--accent:${c.accentLight};
--alert-bg:#fdf1f1;--alert-border:#f0bcbc;--alert-text:#8a1c1c;
--shadow:0 1px 2px rgb(16 24 40 / .05),0 16px 40px -12px rgb(16 24 40 / .16)}
@media (prefers-color-scheme:dark){:root{
--bg:#0e1015;--surface:${DARK_SURFACE};--text:#eceef3;--muted:#a6adba;--border:#2c313b;
--field:#12151b;--field-border:#737b8a;--subtle:#222631;--subtle-border:#3d4350;--accent:${c.accentDark};
--alert-bg:#361619;--alert-border:#6e2b31;--alert-text:#ffd2d2;
--shadow:0 1px 2px rgb(0 0 0 / .4),0 16px 40px -12px rgb(0 0 0 / .6)}}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;min-height:100vh;min-height:100dvh;display:flex;flex-direction:column;align-items:center;
padding:24px 16px;background:var(--bg);color:var(--text);font-family:${FONT_STACK};
font-size:1rem;line-height:1.5;-webkit-font-smoothing:antialiased}
@media (min-width:480px){body{justify-content:center;padding:48px 24px}}
.card{width:100%;max-width:420px;background:var(--surface);border:1px solid var(--border);
border-radius:16px;box-shadow:var(--shadow);padding:28px 22px 32px}
@media (min-width:480px){.card{padding:36px 40px 40px}}
.brand{display:flex;align-items:center;justify-content:center;gap:10px;margin:0 0 24px;min-height:36px}
.brand img{display:block;max-width:200px;max-height:40px;width:auto;height:auto}
.brand-mark{display:inline-flex;align-items:center;justify-content:center;width:32px;height:32px;
border-radius:9px;background:var(--primary);color:var(--on-primary);font-weight:700;font-size:1.0625rem}
.brand-name{font-size:1.125rem;font-weight:650;letter-spacing:-.01em}
.language{display:flex;flex-wrap:wrap;align-items:center;justify-content:center;gap:8px;margin-top:16px;
font-size:.875rem;color:var(--muted)}
.language select,.language button{font:inherit;color:var(--text);background:var(--field);
border:1px solid var(--field-border);border-radius:8px;padding:4px 8px}
.language button{cursor:pointer}
.language label{margin:0}
h1{margin:0;font-size:1.5rem;line-height:1.3;font-weight:650;letter-spacing:-.02em;text-align:center;
text-wrap:balance;overflow-wrap:anywhere}
h1.long{font-size:1.3125rem;line-height:1.35}
:lang(ja){word-break:auto-phrase}
p{margin:0}
.lead{margin-top:8px;color:var(--muted);text-align:center;overflow-wrap:anywhere}
.lead strong{color:var(--text);font-weight:600}
.client-logo{display:inline-block;width:20px;height:20px;margin-inline-end:6px;border-radius:5px;
object-fit:contain;vertical-align:-4px}
.client-logo-large{display:block;width:56px;height:56px;margin:0 auto 16px;border-radius:12px;object-fit:contain}
.body{margin-top:28px}
a{color:var(--accent);text-underline-offset:2px}
a:hover{text-decoration-thickness:2px}
:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
.field{margin-bottom:20px}
label{display:block;margin-bottom:6px;font-size:.9375rem;font-weight:600}
.input{display:block;width:100%;min-height:46px;padding:10px 12px;font:inherit;color:var(--text);
background:var(--field);border:1px solid var(--field-border);border-radius:9px;
transition:border-color .15s,box-shadow .15s}
.input:focus-visible{outline:2px solid var(--accent);outline-offset:0;border-color:var(--accent)}
.input[aria-invalid="true"]{border-color:var(--alert-text)}
.button{display:flex;align-items:center;justify-content:center;width:100%;min-height:46px;margin:0;
padding:10px 16px;font:inherit;font-weight:600;line-height:1.25;border-radius:9px;
border:1px solid transparent;cursor:pointer;transition:background-color .15s,border-color .15s}
.button-primary{background:var(--primary);color:var(--on-primary)}
.button-primary:hover{background:var(--primary-hover)}
.button-secondary{background:var(--surface);color:var(--text);border-color:var(--subtle-border)}
.button-secondary:hover{background:var(--subtle)}
.submit{margin-top:28px}
.field-link{margin:-12px 0 0;font-size:.875rem;text-align:end}
.email-code{margin-top:10px}
.divider{display:flex;align-items:center;gap:12px;margin:24px 0 16px;color:var(--muted);font-size:.875rem}
.divider::before,.divider::after{content:"";flex:1;border-top:1px solid var(--subtle-border)}
.upstreams{display:grid;gap:10px}
.upstream{width:100%}
.upstreams+[data-passkey-block]{margin-top:10px}
.actions{display:flex;flex-wrap:wrap;gap:12px;margin-top:28px}
.actions .button{flex:1 1 0;min-width:max-content;white-space:nowrap}
.alert{display:flex;gap:10px;align-items:flex-start;margin:0 0 24px;padding:12px 14px;
border:1px solid var(--alert-border);border-radius:10px;background:var(--alert-bg);color:var(--alert-text);
font-size:.9375rem;overflow-wrap:anywhere}
.icon{flex:none;width:20px;height:20px}
.alert .icon{margin-top:1px}
.account{display:flex;align-items:center;gap:12px;padding:12px 14px;background:var(--subtle);
border:1px solid var(--border);border-radius:12px}
.avatar{flex:none;display:inline-flex;align-items:center;justify-content:center;width:38px;height:38px;
border-radius:50%;background:var(--primary);color:var(--on-primary);font-weight:650}
.avatar-plain{background:var(--subtle);color:var(--text);border:1px solid var(--subtle-border)}
.account-text{display:flex;flex-direction:column;min-width:0;line-height:1.35}
.account-label{font-size:.8125rem;color:var(--muted)}
.account-name{font-weight:600;overflow-wrap:anywhere}
.account-login{font-size:.875rem;color:var(--muted);overflow-wrap:anywhere}
.section-title{margin:24px 0 4px;font-size:.9375rem;font-weight:600}
.scopes{list-style:none;margin:0;padding:0}
.scopes li{display:flex;gap:12px;padding:11px 0;border-bottom:1px solid var(--border)}
.scopes li:last-child{border-bottom:0}
.scopes .icon{color:var(--accent);margin-top:1px}
.note{margin-top:20px;font-size:.875rem;color:var(--muted)}
.choices{display:grid;gap:12px}
.choice{display:flex;align-items:center;gap:14px;width:100%;margin:0;padding:14px 16px;text-align:start;
font:inherit;color:var(--text);background:var(--surface);border:1px solid var(--subtle-border);
border-radius:12px;cursor:pointer;transition:background-color .15s,border-color .15s}
.choice:hover{background:var(--subtle)}
.choice-primary{border-color:var(--accent)}
.reference{margin-top:24px;padding-top:16px;border-top:1px solid var(--border);font-size:.8125rem;
color:var(--muted);text-align:center}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;font-size:.9em;
overflow-wrap:anywhere}
.center{text-align:center}
.optional{font-weight:400;color:var(--muted)}
.pow-status{margin-top:12px;font-size:.875rem;color:var(--muted);text-align:center}
.pow-status:empty{display:none}
.resend{margin-top:10px}
@media (prefers-reduced-motion:reduce){*{transition:none!important}}
${VERIFICATION_AND_ACCOUNT_STYLES}`;
}

const neutral = brandPalette(DEFAULT_BRANDING.primaryColor);

/** The unbranded stylesheet of the form post page, which is normally on screen for an instant. */
export const FORM_POST_STYLES = `
:root{color-scheme:light dark}
body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;padding:24px;
font-family:${FONT_STACK};line-height:1.5;background:#f2f4f7;color:#16181d;text-align:center}
button{margin-top:16px;min-height:44px;padding:10px 22px;font:inherit;font-weight:600;color:${neutral.onPrimary};
background:${neutral.primary};border:0;border-radius:9px;cursor:pointer}
button:hover{background:${neutral.primaryHover}}
button:focus-visible{outline:3px solid ${neutral.accentLight};outline-offset:2px}
@media (prefers-color-scheme:dark){body{background:#0e1015;color:#eceef3}
button:focus-visible{outline-color:${neutral.accentDark}}}
`;

/**
 * Rules of the two-step verification pages and the account page (appended to every page's
 * stylesheet: it is small, and one stylesheet per page keeps the CSP a single nonce).
 * `.card:has(.wide-page)` widens the card for the account page without a second layout; browsers
 * without `:has` keep the narrow card, which still works. `.form-grid-aligned` puts label, hint and
 * input on shared rows (CSS subgrid), so inputs side by side line up whether or not each has a
 * hint; it has no row gap (the inputs' margin spaces stacked fields), so an empty hint row takes no room.
 */
const VERIFICATION_AND_ACCOUNT_STYLES = `
:root{--ok-bg:#ecfdf3;--ok-border:#a6e9c1;--ok-text:#0b5a36}
@media (prefers-color-scheme:dark){:root{--ok-bg:#0f2a1f;--ok-border:#22543c;--ok-text:#b4efcf}}
[hidden]{display:none!important}
.visually-hidden{position:absolute!important;width:1px;height:1px;margin:-1px;padding:0;overflow:hidden;
clip:rect(0 0 0 0);clip-path:inset(50%);white-space:nowrap;border:0}
.muted{color:var(--muted)}
.nowrap{white-space:nowrap}
a.button{text-decoration:none}
.button-icon{gap:10px}
.button-small{display:inline-flex;width:auto;min-height:38px;padding:6px 14px;font-size:.875rem;white-space:nowrap}
.button:disabled{opacity:.55;cursor:not-allowed}
fieldset.plain{margin:0;padding:0;border:0;min-width:0}
fieldset:disabled .input{background:var(--subtle);border-color:var(--subtle-border);cursor:not-allowed}
.hint{margin:-2px 0 8px;font-size:.875rem;color:var(--muted)}
.input-code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;font-size:1.125rem;letter-spacing:.12em}
.options{display:grid;gap:10px}
.options .button{justify-content:flex-start;text-align:start}
.passkey-status{margin:0;font-size:.9375rem;color:var(--muted)}
.passkey-status:not(:empty){margin-top:10px}
.passkey-error .alert{margin:12px 0 0}
.disclosure{margin-top:24px;padding-top:16px;border-top:1px solid var(--border)}
.disclosure summary{cursor:pointer;width:max-content;max-width:100%;color:var(--accent);font-weight:600;
text-decoration:underline;text-underline-offset:2px}
.disclosure summary:hover{text-decoration-thickness:2px}
.disclosure[open] summary{margin-bottom:16px}
.notice{display:flex;gap:10px;align-items:flex-start;margin:0 0 24px;padding:12px 14px;
border:1px solid var(--ok-border);border-radius:10px;background:var(--ok-bg);color:var(--ok-text);
font-size:.9375rem;overflow-wrap:anywhere}
.notice .icon{margin-top:1px}
.notice-plain{background:var(--subtle);border-color:var(--border);color:var(--text)}
.notice-plain .icon{color:var(--accent)}
.steps{list-style:none;margin:20px 0 0;padding:0;counter-reset:step}
.steps>li{position:relative;counter-increment:step;padding-inline-start:40px}
.steps>li+li{margin-top:24px}
.steps>li::before{content:counter(step);position:absolute;inset-inline-start:0;top:0;display:flex;align-items:center;
justify-content:center;width:28px;height:28px;border-radius:50%;background:var(--primary);color:var(--on-primary);
font-size:.875rem;font-weight:650}
.step-title{margin:2px 0 12px;font-size:1rem;line-height:1.5;font-weight:650}
.qr{margin:0 0 16px}
.qr-code{width:188px;max-width:100%;padding:10px;background:#fff;border:1px solid var(--border);border-radius:12px}
.qr-code svg{display:block;width:100%;height:auto}
.secret{margin:0}
.secret dt{font-size:.875rem;color:var(--muted)}
.secret dd{margin:6px 0 0}
.secret code{display:inline-block;padding:6px 10px;font-size:1rem;letter-spacing:.06em;background:var(--subtle);
border:1px solid var(--border);border-radius:8px;user-select:all}
.recovery-codes{list-style:none;margin:0;padding:16px 18px;display:grid;grid-template-columns:repeat(2,max-content);
justify-content:center;gap:10px 36px;background:var(--subtle);border:1px solid var(--border);border-radius:12px}
.recovery-codes code{font-size:1rem;letter-spacing:.04em}
@media (max-width:330px){.recovery-codes{grid-template-columns:max-content}}
.note-warning{margin-top:16px;color:var(--text)}
.card:has(.wide-page){max-width:680px}
.account-bar{display:flex;flex-wrap:wrap;align-items:center;gap:12px;margin:24px 0}
.account-bar .account{flex:1 1 240px;min-width:0}
.account-bar form{margin-inline-start:auto}
.section{margin-top:28px;padding-top:24px;border-top:1px solid var(--border)}
.section h2{margin:0 0 4px;font-size:1.125rem;line-height:1.4;font-weight:650}
.section-lead{margin-bottom:14px;font-size:.9375rem;color:var(--muted)}
.subheading{margin:22px 0 8px;font-size:.9375rem;font-weight:650}
.section-actions{display:flex;justify-content:flex-end;margin-top:12px}
.badge{display:inline-block;margin-inline-end:6px;padding:0 8px;font-size:.75rem;font-weight:650;line-height:1.6;
border-radius:999px;vertical-align:1px;color:var(--muted);background:var(--subtle);border:1px solid var(--subtle-border)}
.badge-on{color:var(--ok-text);background:var(--ok-bg);border-color:var(--ok-border)}
.badge-warning{color:var(--alert-text);background:var(--alert-bg);border-color:var(--alert-border)}
.redirect-domain{overflow-wrap:anywhere}
.row-title .badge{margin:0 0 0 6px}
.rows{list-style:none;margin:0;padding:0;border:1px solid var(--border);border-radius:12px}
.rows>li{padding:12px 14px}
.rows>li+li{border-top:1px solid var(--border)}
.row,.add-head{display:flex;flex-wrap:wrap;align-items:center;gap:8px 12px}
.row-icon{flex:none;display:inline-flex;align-items:center;justify-content:center;width:36px;height:36px;
border-radius:9px;background:var(--subtle);color:var(--accent)}
.row-text{flex:1 1 200px;display:flex;flex-direction:column;min-width:0;line-height:1.4}
.row-title{font-weight:600;overflow-wrap:anywhere}
.row-meta{font-size:.875rem;color:var(--muted);overflow-wrap:anywhere}
.row-action{flex:none;margin-inline-start:auto}
.warning{color:var(--alert-text);font-weight:600}
.add-method form,.add-method .passkey-status,.add-method .passkey-error{margin-inline-start:48px}
.inline-form{display:flex;flex-wrap:wrap;align-items:flex-end;gap:8px 10px;margin-top:12px}
.inline-form .field{flex:1 1 180px;margin:0}
.inline-form .field-channel{flex:0 1 150px}
.inline-form label{margin-bottom:4px;font-size:.8125rem}
.inline-form .input{min-height:38px;padding:6px 10px}
.add-method .hint{margin:6px 0 0;font-size:.8125rem}
@media (max-width:479px){.add-method form,.add-method .passkey-status,.add-method .passkey-error{margin-inline-start:0}
.inline-form .field,.inline-form .field-channel{flex-basis:100%}}
.table-wrap{overflow-x:auto;border:1px solid var(--border);border-radius:12px}
.table{width:100%;border-collapse:collapse;font-size:.875rem}
.table th,.table td{padding:10px 14px;text-align:start;vertical-align:top;border-bottom:1px solid var(--border)}
.table th{font-size:.75rem;font-weight:650;letter-spacing:.04em;text-transform:uppercase;color:var(--muted);background:var(--subtle)}
.table tr:last-child td{border-bottom:0}
.cell-meta{display:block;color:var(--muted)}
@media (max-width:479px){.table th,.table td{padding:9px 10px}}
.page-icon{display:flex;align-items:center;justify-content:center;width:48px;height:48px;margin:0 auto 16px;
border-radius:50%;background:var(--subtle);color:var(--accent)}
.page-icon .icon{width:24px;height:24px}
.retry{margin-top:20px;padding:12px 14px;text-align:center;font-size:.9375rem;background:var(--subtle);
border:1px solid var(--border);border-radius:10px;overflow-wrap:anywhere}
.stacked-actions{display:grid;gap:10px;margin-top:24px}
.home-developers{margin-top:32px;border-top:1px solid var(--border)}
.link-list{list-style:none;margin:8px 0 0;padding:0;font-size:.9375rem}
.link-list li{padding:5px 0;overflow-wrap:anywhere}
.form-grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,220px),1fr));gap:14px 16px}
.form-grid .field{margin:0}
.form-grid label{margin-bottom:4px;font-size:.875rem}
.form-grid .input{min-height:40px;padding:7px 10px}
.field-hint{margin:4px 0 0;font-size:.8125rem}
.form-grid-aligned{row-gap:0;margin-bottom:-14px}
.form-grid-aligned .field{display:grid;grid-row:span 3;grid-template-rows:subgrid;row-gap:0}
.form-grid-aligned .hint{margin:0 0 6px;font-size:.8125rem}
.form-grid-aligned .field>.input{grid-row:3;margin-bottom:14px}
.field-error{margin:4px 0 0;font-size:.8125rem;font-weight:600;color:var(--alert-text)}
.section-actions-start{justify-content:flex-start}
.button-link{width:auto;gap:8px;text-decoration:none}
.button-link .icon{width:18px;height:18px}
.button-danger{background:var(--alert-text);color:var(--surface);border-color:var(--alert-text)}
.button-danger:hover{filter:brightness(1.1)}
a.button-danger,a.button-danger:hover{color:var(--surface)}
.section-danger{margin-top:32px;padding:20px 16px;border:1px solid var(--alert-border);border-radius:12px;background:var(--alert-bg)}
.section-danger h2{color:var(--alert-text)}
.section-danger .section-lead{color:var(--text)}
.confirm-list{margin:0 0 20px;padding-inline-start:20px;font-size:.9375rem}
.confirm-list li{margin:4px 0}
.back-link{margin:16px 0 0}
`;
