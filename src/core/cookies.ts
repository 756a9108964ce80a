/**
 * Cookies, for the server (sessions, the browser id) and the client library (sign-in transactions,
 * sessions): one reader, one `Set-Cookie` writer with safe defaults, `__Host-` names, chunking.
 */

/** Reads all cookies of a request into a map (the first value of a repeated name). */
export function parseCookies(request: Request): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (request.headers.get('cookie') ?? '').split(';')) {
    const eq = part.indexOf('=');
    const name = eq > 0 ? part.slice(0, eq).trim() : '';
    // A repeated name keeps its first value: the browser sends the most specific cookie first (RFC 6265 §5.4).
    if (name && !cookies.has(name)) cookies.set(name, part.slice(eq + 1).trim());
  }
  return cookies;
}

/** Reads one cookie of a request; `undefined` when absent. */
export function readCookie(request: Request, name: string): string | undefined {
  return parseCookies(request).get(name);
}

/** The cookie name: `__Host-` prefixed when cookies are Secure, so no subdomain can set or scope it (RFC 6265bis §4.1.3.2). */
export function cookieName(base: string, secure: boolean): string {
  return secure ? `__Host-${base}` : base;
}

export interface CookieAttributes {
  secure: boolean;
  /** Seconds; `0` deletes the cookie; omitted makes a browser-session cookie. */
  maxAge?: number;
  sameSite?: 'Lax' | 'None';
}

/** A `Set-Cookie` value: HttpOnly, Path=/, SameSite=Lax unless told, Secure when asked. */
export function setCookie(name: string, value: string, attributes: CookieAttributes): string {
  const parts = [`${name}=${value}`, 'Path=/', 'HttpOnly', `SameSite=${attributes.sameSite ?? 'Lax'}`];
  if (attributes.secure || attributes.sameSite === 'None') parts.push('Secure');
  if (attributes.maxAge !== undefined) parts.push(`Max-Age=${attributes.maxAge}`);
  return parts.join('; ');
}

/** Browsers keep about 4096 bytes per cookie; stay below with room for the attributes. */
const CHUNK = 3800;

/**
 * Writes a long value as numbered cookies `name.0`, `name.1`, ... and clears chunks the request
 * had beyond the new count.
 */
export function setChunkedCookie(request: Request | undefined, name: string, value: string, attributes: CookieAttributes): string[] {
  const headers: string[] = [];
  const count = Math.max(1, Math.ceil(value.length / CHUNK));
  for (let i = 0; i < count; i += 1) headers.push(setCookie(`${name}.${i}`, value.slice(i * CHUNK, (i + 1) * CHUNK), attributes));
  if (request) {
    for (const existing of parseCookies(request).keys()) {
      const match = existing.startsWith(`${name}.`) ? Number(existing.slice(name.length + 1)) : Number.NaN;
      if (Number.isInteger(match) && match >= count) headers.push(setCookie(existing, '', { ...attributes, maxAge: 0 }));
    }
  }
  return headers;
}

/** Reads a value written by {@link setChunkedCookie}; `undefined` when a chunk is missing. */
export function readChunkedCookie(request: Request, name: string): string | undefined {
  const cookies = parseCookies(request);
  const parts: string[] = [];
  for (let i = 0; cookies.has(`${name}.${i}`); i += 1) parts.push(cookies.get(`${name}.${i}`)!);
  return parts.length > 0 ? parts.join('') : undefined;
}

/** Clears every chunk of a chunked cookie the request carries. */
export function clearChunkedCookie(request: Request, name: string, attributes: CookieAttributes): string[] {
  return [...parseCookies(request).keys()]
    .filter((existing) => existing.startsWith(`${name}.`))
    .map((existing) => setCookie(existing, '', { ...attributes, maxAge: 0 }));
}
