import { describe, expect, it } from 'vitest';
import { cookieName, parseCookies, readChunkedCookie, readCookie, setChunkedCookie, setCookie } from './cookies.js';

const withCookies = (header: string) => new Request('https://example.com/', { headers: { cookie: header } });

describe('cookies', () => {
  it.each([
    ['a=1; b=2', 'b', '2'],
    ['a=1;b=2 ', 'b', '2'],
    ['a=1; a=2', 'a', '1'],
    ['a=x=y', 'a', 'x=y'],
    ['=1; a=', 'a', ''],
    ['b=2', 'a', undefined],
    ['', 'a', undefined],
  ])('reads %j: %s is %j (a repeated name keeps its first value)', (header, name, expected) => {
    expect(readCookie(withCookies(header), name)).toBe(expected);
  });

  it.each([
    [{ secure: false }, 'n=v; Path=/; HttpOnly; SameSite=Lax'],
    [{ secure: true, maxAge: 60 }, 'n=v; Path=/; HttpOnly; SameSite=Lax; Secure; Max-Age=60'],
    [{ secure: false, maxAge: 0 }, 'n=v; Path=/; HttpOnly; SameSite=Lax; Max-Age=0'],
    [{ secure: false, sameSite: 'None' as const }, 'n=v; Path=/; HttpOnly; SameSite=None; Secure'],
  ])('writes %j as %s (SameSite=None is always Secure)', (attributes, expected) => {
    expect(setCookie('n', 'v', attributes)).toBe(expected);
  });

  it('prefixes __Host- only under https', () => {
    expect([cookieName('sid', true), cookieName('sid', false)]).toEqual(['__Host-sid', 'sid']);
  });

  it('chunks long values, reads them back, and clears chunks a shorter value no longer uses', () => {
    const long = 'x'.repeat(9000);
    const written = setChunkedCookie(undefined, 's', long, { secure: true });
    expect(written).toHaveLength(3);
    const header = written.map((cookie) => cookie.split(';')[0]).join('; ');
    expect(readChunkedCookie(withCookies(header), 's')).toBe(long);
    const shorter = setChunkedCookie(withCookies(header), 's', 'short', { secure: true });
    expect(shorter.map((cookie) => cookie.split(';')[0])).toEqual(['s.0=short', 's.1=', 's.2=']);
    expect(parseCookies(withCookies('s.0=a; s.2=c')).size).toBe(2);
    expect(readChunkedCookie(withCookies('s.1=b'), 's')).toBeUndefined();
  });
});
