/**
 * The sign-in transaction as the browser sees it, against the fake Google: the cookie's attributes
 * (RFC 6265bis: HttpOnly, SameSite=Lax so it survives the top-level redirect back, Secure on
 * https), its 10-minute life, one cookie per attempt so parallel tabs do not clobber each other's
 * PKCE verifier and nonce, and `returnTo` limited to local paths (no open redirect, RFC 9700 §4.11).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createOAuthClient, google, type OAuthClient } from '../../../src/client/index.js';
import { callbackRequest, CookieJar, parseSetCookie, providerRedirect } from '../../fakes/browser.js';
import { startFakeGoogle, type FakeGoogle } from '../../fakes/fake-google.js';

const HTTPS_REDIRECT = 'https://app.example/auth/callback';
const HTTP_REDIRECT = 'http://127.0.0.1:8080/auth/callback';
const SECRET = 'x'.repeat(40);

let fake: FakeGoogle;

beforeEach(async () => {
  fake = await startFakeGoogle({ redirectUris: [HTTPS_REDIRECT, HTTP_REDIRECT] });
});

afterEach(async () => {
  await fake.close();
});

function makeClient(redirectUri = HTTPS_REDIRECT): OAuthClient {
  return createOAuthClient({
    provider: google({ issuer: fake.issuer }),
    clientId: fake.clientId,
    clientSecret: fake.clientSecret,
    redirectUri,
    secret: SECRET,
    allowInsecureRequests: true,
  });
}

describe('transaction cookie attributes', () => {
  it('HttpOnly, SameSite=Lax, Path=/, Max-Age=600 and Secure with an https redirect URI', async () => {
    const { url, setCookie } = await makeClient().authorizationUrl();
    const cookie = parseSetCookie(setCookie);
    expect(cookie.attributes.get('httponly')).toBe(true);
    expect(cookie.attributes.get('samesite')).toBe('Lax');
    expect(cookie.attributes.get('path')).toBe('/');
    expect(cookie.attributes.get('max-age')).toBe('600');
    expect(cookie.attributes.get('secure')).toBe(true);
    // Sealed: neither the state nor the nonce can be read from it.
    expect(cookie.value).not.toContain(url.searchParams.get('state')!);
    expect(cookie.value).not.toContain(url.searchParams.get('nonce')!);
  });

  it('not Secure with an http (loopback) redirect URI, so the browser sends it back', async () => {
    const { setCookie } = await makeClient(HTTP_REDIRECT).authorizationUrl();
    const cookie = parseSetCookie(setCookie);
    expect(cookie.attributes.has('secure')).toBe(false);
    expect(cookie.attributes.get('httponly')).toBe(true);
    expect(cookie.attributes.get('samesite')).toBe('Lax');
    expect(cookie.attributes.get('max-age')).toBe('600');
  });

  it('the callback clears the transaction cookie and sets an HttpOnly, Secure session', async () => {
    const client = makeClient();
    const { url, setCookie } = await client.authorizationUrl();
    const { name } = parseSetCookie(setCookie);
    const result = await client.handleCallback(callbackRequest(await providerRedirect(url), [setCookie]));
    const cleared = result.setCookies.map(parseSetCookie).find((cookie) => cookie.name === name);
    expect(cleared?.attributes.get('max-age')).toBe('0');
    const session = result.setCookies.map(parseSetCookie).filter((cookie) => cookie.name !== name);
    expect(session.length).toBeGreaterThan(0);
    for (const cookie of session) {
      expect(cookie.attributes.get('httponly')).toBe(true);
      expect(cookie.attributes.get('secure')).toBe(true);
      expect(cookie.attributes.get('samesite')).toBe('Lax');
    }
  });
});

describe('two sign-in attempts in one browser', () => {
  it('use separate cookies and both complete, in either order', async () => {
    const client = makeClient();
    const jar = new CookieJar();
    const first = await client.authorizationUrl({ returnTo: '/first' });
    jar.set([first.setCookie]);
    const second = await client.authorizationUrl({ returnTo: '/second' });
    jar.set([second.setCookie]);
    expect(parseSetCookie(first.setCookie).name).not.toBe(parseSetCookie(second.setCookie).name);
    expect(jar.cookies.size).toBe(2);

    const firstBack = await providerRedirect(first.url);
    const secondBack = await providerRedirect(second.url);

    // The second tab finishes first.
    const secondResult = await client.handleCallback(jar.request(secondBack));
    expect(secondResult.returnTo).toBe('/second');
    jar.set(secondResult.setCookies);
    expect(jar.cookies.has(parseSetCookie(first.setCookie).name)).toBe(true);
    expect(jar.cookies.has(parseSetCookie(second.setCookie).name)).toBe(false);

    const firstResult = await client.handleCallback(jar.request(firstBack));
    expect(firstResult.returnTo).toBe('/first');
    expect(firstResult.profile.sub).toBe(fake.user.sub);
    expect(firstResult.idTokenClaims?.nonce).toBe(first.url.searchParams.get('nonce'));
    expect(secondResult.idTokenClaims?.nonce).toBe(second.url.searchParams.get('nonce'));
  });
});

describe('returnTo', () => {
  async function returnToAfterSignIn(returnTo: string): Promise<string | undefined> {
    const client = makeClient();
    const { url, setCookie } = await client.authorizationUrl({ returnTo });
    const result = await client.handleCallback(callbackRequest(await providerRedirect(url), [setCookie]));
    return result.returnTo;
  }

  it.each(['/profile', '/profile?tab=security#keys'])('keeps the local path %s', async (path) => {
    expect(await returnToAfterSignIn(path)).toBe(path);
  });

  it.each(['https://evil.example/', '//evil.example', '/\\evil.example', 'evil.example/path', 'javascript:alert(1)'])(
    'drops %s (another origin, or not a path)',
    async (target) => {
      expect(await returnToAfterSignIn(target)).toBeUndefined();
    },
  );

  it('drops a path that a browser reads as another origin once it strips a tab (/<TAB>/evil.example)', async () => {
    // WHATWG URL parsing removes ASCII tab and newline, so "/\t/evil.example" becomes
    // "//evil.example": a redirect to it leaves the site. (HTTP allows a tab in Location.)
    const target = '/\t/evil.example';
    expect(new URL(target, 'https://app.example').origin).toBe('https://evil.example');
    expect(await returnToAfterSignIn(target)).toBeUndefined();
  });
});
