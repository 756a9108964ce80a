import { OAuthProviderError, type OAuthValidationError, type Profile } from 'gatehouse/client';
import type { Note } from './notes.js';

/** Escapes text for HTML. */
function e(value: string | number | undefined): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function layout(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${e(title)} – Notes</title><style>
body{font:16px/1.5 system-ui,sans-serif;max-width:42rem;margin:3rem auto;padding:0 1rem;color:#16181d}
a.button,button{display:inline-block;background:#2f5bea;color:#fff;border:0;border-radius:8px;padding:.6rem 1rem;text-decoration:none;font:inherit;cursor:pointer}
a.secondary{background:#eef1f6;color:#16181d}dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}dt{font-weight:600}
li{margin:.25rem 0}code{background:#f2f4f7;padding:0 .25rem;border-radius:4px}
:root{color-scheme:light dark}
@media (prefers-color-scheme:dark){body{background:#111318;color:#e6e8ee}a.secondary{background:#262a33;color:#e6e8ee}code{background:#262a33}a.button:not(.secondary){background:#4a72f5}}
</style></head><body><h1>${e(title)}</h1>${body}</body></html>`;
}

export function homePage(profile: Profile | undefined): string {
  if (!profile) {
    return layout('Notes', `<p>You are signed out.</p><p><a class="button" href="/login">Sign in with Gatehouse</a></p>`);
  }
  return layout(
    'Notes',
    `<p>Signed in as <strong>${e(profile.name ?? profile.email ?? profile.sub)}</strong>.</p>
<p><a class="button" href="/profile">Your profile</a> <a class="button secondary" href="/logout">Sign out</a></p>`,
  );
}

export function profilePage(profile: Profile, scopes: string[]): string {
  return layout(
    'Your profile',
    `<dl><dt>Name</dt><dd id="name">${e(profile.name)}</dd><dt>Email</dt><dd id="email">${e(profile.email)}${profile.emailVerified ? ' (verified)' : ''}</dd>
<dt>Subject</dt><dd><code>${e(profile.sub)}</code></dd><dt>Granted scopes</dt><dd id="scopes">${scopes.map((scope) => `<code>${e(scope)}</code>`).join(' ')}</dd></dl>
<p><a class="button" id="load-notes" href="/notes">Load my notes from the API</a> <a class="button secondary" href="/logout">Sign out</a></p>`,
  );
}

export function notesPage(notes: Note[]): string {
  return layout(
    'Your notes',
    `<ul id="notes">${notes.map((note) => `<li>${e(note.text)}</li>`).join('')}</ul>
<p><a class="button secondary" href="/profile">Back to profile</a></p>`,
  );
}

/**
 * Why sign-in did not complete, in the user's words: never the provider's free text (it is
 * reflected input) and never a stack trace. Each case leads back to a page that works.
 */
export function signInFailedPage(error: OAuthProviderError | OAuthValidationError): string {
  const reason =
    error instanceof OAuthProviderError
      ? error.error === 'access_denied'
        ? 'You cancelled signing in, so the app did not get access to your account.'
        : `Gatehouse could not sign you in (${/^[a-z_]{1,40}$/.test(error.error) ? error.error : 'an error'}). Please try again.`
      : error.reason === 'missing_transaction'
        ? 'This sign-in link is old or was not started in this browser (it may have been opened twice, or from another tab). Start again from here.'
        : 'The answer from Gatehouse could not be verified, so you were not signed in. Please start again.';
  return layout(
    'Not signed in',
    `<p id="reason">${e(reason)}</p>
<p><a class="button" href="/login">Try again</a> <a class="button secondary" href="/">Back to the home page</a></p>`,
  );
}

/** The API refused the app's call (for example after the access was removed on the account page). */
export function apiErrorPage(status: number): string {
  return layout(
    'Notes unavailable',
    `<p>The notes API refused the request (status ${e(status)}). If you removed this app's access on your Gatehouse account page, sign in again.</p>
<p><a class="button" href="/login?returnTo=/notes">Sign in again</a> <a class="button secondary" href="/">Back to the home page</a></p>`,
  );
}

export function notFoundPage(): string {
  return layout('Page not found', `<p>There is no page here.</p><p><a class="button secondary" href="/">Back to the home page</a></p>`);
}
