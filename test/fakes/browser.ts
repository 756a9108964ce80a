/**
 * The browser's part of a sign-in against a fake provider that approves at once: follow the
 * authorization URL to the provider's redirect, then come back to the application's callback with
 * the cookies the application set.
 */

/** Opens `url` without following redirects and returns the `Location` of the provider's 302. */
export async function providerRedirect(url: URL | string): Promise<string> {
  const response = await fetch(url, { redirect: 'manual' });
  const location = response.headers.get('location');
  if (response.status !== 302 || !location) {
    throw new Error(`expected a redirect from ${String(url)}, got ${response.status}: ${(await response.text()).slice(0, 300)}`);
  }
  return new URL(location, url).href;
}

/** The `Cookie` header a browser sends back for these `Set-Cookie` values (cleared ones left out). */
export function cookieHeader(setCookies: string[]): string {
  return setCookies
    .filter((header) => !/;\s*max-age=0\b/i.test(header))
    .map((header) => header.split(';')[0]!)
    .join('; ');
}

/** The callback request the browser sends to `location`, with the given cookies. */
export function callbackRequest(location: string, setCookies: string[]): Request {
  return new Request(location, { headers: { cookie: cookieHeader(setCookies) } });
}

/** Parses one `Set-Cookie` value into its name, value and attributes (lower-cased names). */
export function parseSetCookie(header: string): { name: string; value: string; attributes: Map<string, string | true> } {
  const [pair, ...rest] = header.split(';');
  const eq = pair!.indexOf('=');
  const attributes = new Map<string, string | true>();
  for (const part of rest) {
    const [name, ...value] = part.trim().split('=');
    attributes.set(name!.toLowerCase(), value.length > 0 ? value.join('=') : true);
  }
  return { name: pair!.slice(0, eq).trim(), value: pair!.slice(eq + 1).trim(), attributes };
}

/** A browser's cookies for the application's origin: `Set-Cookie` in, `Cookie` out. */
export class CookieJar {
  readonly cookies = new Map<string, string>();

  /** Applies `Set-Cookie` values as a browser would (Max-Age=0 deletes). */
  set(setCookies: string[]): this {
    for (const header of setCookies) {
      const { name, value, attributes } = parseSetCookie(header);
      if (attributes.get('max-age') === '0') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return this;
  }

  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  /** A request to `url` carrying the jar's cookies. */
  request(url: string, init: RequestInit = {}): Request {
    return new Request(url, { ...init, headers: { ...(init.headers as Record<string, string> | undefined), cookie: this.header() } });
  }
}
