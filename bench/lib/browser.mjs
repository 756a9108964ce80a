/**
 * A text-only browser for setting up the load: keeps cookies, follows redirects on the server's
 * origin, fills the sign-in and consent forms of either server, and stops at the client's redirect
 * URI. Set-up only: nothing it does is measured.
 */
import { REDIRECT_URI, USER } from './fixtures.mjs';

export class Browser {
  /** @param {string} origin the server's origin */
  constructor(origin) {
    this.origin = origin;
    this.cookies = new Map();
  }

  /** The `Cookie` header value, e.g. for the load generator's requests. */
  cookieHeader() {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  /** One request without following redirects; stores cookies. */
  async request(url, init = {}) {
    const headers = { ...init.headers };
    if (this.cookies.size > 0) headers.cookie = this.cookieHeader();
    const response = await fetch(new URL(url, this.origin), { ...init, headers, redirect: 'manual' });
    for (const header of response.headers.getSetCookie()) {
      const [pair] = header.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (/;\s*max-age=0\b/i.test(header) || /expires=Thu, 01 Jan 1970/i.test(header) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return response;
  }

  /**
   * Opens an authorization URL and plays the user until the server redirects to the client:
   * signs in as {@link USER} on a login form, approves a consent form. Returns the callback URL.
   */
  async authorize(url) {
    let next = { url, init: {} };
    for (let step = 0; step < 20; step += 1) {
      const response = await this.request(next.url, next.init);
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location) {
        await response.arrayBuffer();
        const target = new URL(location, next.url);
        if (target.href.startsWith(REDIRECT_URI)) return target;
        if (target.origin !== this.origin) throw new Error(`redirected off the server to ${target.href}`);
        next = { url: target.href, init: {} };
        continue;
      }
      const body = await response.text();
      if (response.status !== 200) throw new Error(`status ${response.status} at ${next.url}: ${body.slice(0, 300)}`);
      const submission = fillForm(body);
      if (!submission) throw new Error(`no form to fill at ${next.url}: ${body.slice(0, 300)}`);
      next = {
        url: new URL(submission.action, next.url).href,
        init: { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(submission.fields).toString() },
      };
    }
    throw new Error('too many steps before the redirect to the client');
  }
}

/** The first form of a page with its hidden fields, credentials and the approving button filled in. */
function fillForm(html) {
  const formMatch = /<form\b[^>]*\baction="([^"]*)"[^>]*>([\s\S]*?)<\/form>/i.exec(html);
  if (!formMatch) return undefined;
  const action = decode(formMatch[1]);
  const inner = formMatch[2];
  const fields = {};
  for (const input of inner.matchAll(/<input\b[^>]*>/gi)) {
    const tag = input[0];
    const name = attribute(tag, 'name');
    if (!name) continue;
    const type = (attribute(tag, 'type') ?? 'text').toLowerCase();
    if (type === 'hidden') fields[name] = attribute(tag, 'value') ?? '';
    else if (type === 'password') fields[name] = USER.password;
    else if (type === 'text' || type === 'email') fields[name] = USER.username;
  }
  // Gatehouse's consent page: decision=approve; the peer's pages need no button value.
  for (const button of inner.matchAll(/<button\b[^>]*>/gi)) {
    const name = attribute(button[0], 'name');
    const value = attribute(button[0], 'value');
    if (name && value === 'approve') fields[name] = value;
  }
  return { action, fields };
}

function attribute(tag, name) {
  const match = new RegExp(`\\b${name}="([^"]*)"`, 'i').exec(tag);
  return match ? decode(match[1]) : undefined;
}

function decode(value) {
  return value
    .replace(/&amp;/g, '&')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&#x2F;/g, '/');
}
