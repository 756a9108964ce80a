import { isLoopbackHost } from '../../core/urls.js';

/**
 * What a redirect URI is, for the rules of registration:
 * - `https`: a web client's (or a native app's claimed https URI, RFC 8252 §7.2);
 * - `loopback`: `http` on a loopback host, any port (RFC 8252 §7.3);
 * - `private-use`: a reverse-domain private-use scheme, `com.example.app:/cb` (RFC 8252 §7.1).
 */
export type RedirectUriKind = 'https' | 'loopback' | 'private-use';

/**
 * RFC 8252 §7.1: a private-use scheme in reverse domain name form (at least one dot), so that it
 * cannot be `javascript:`, `data:`, `file:` or another scheme a browser or the platform owns.
 */
const PRIVATE_USE_SCHEME = /^[a-z][a-z0-9+-]*(\.[a-z0-9+-]+)+:$/;

/** Why a redirect URI is refused: fixed text (never the URI), fit for an `error_description`. */
export type RedirectUriProblem =
  | 'is not an absolute URI'
  | 'must not have a fragment'
  | 'must not carry a user name or password'
  | 'must use https (plain http is allowed only for loopback hosts)'
  | 'uses a scheme that is not allowed (https, loopback http, or a reverse-domain private-use scheme for public native clients)';

/**
 * The kind of a redirect URI, or why it is refused (RFC 6749 §3.1.2, RFC 9700 §2.1, RFC 8252 §7):
 * absolute, without a fragment or credentials; https, or http only on a loopback host; a private-use
 * scheme (reverse domain name) only for a public client (`publicClient`), since a confidential client
 * is a web server and any app on a device can claim a private-use scheme.
 *
 * A `localhost` host counts as loopback: RFC 8252 §8.3 calls it NOT RECOMMENDED (the name may
 * resolve elsewhere, or go through a firewall), not forbidden, and native tools (MCP clients, CLIs)
 * register it. The authorization endpoint matches loopback redirect URIs on any port (§7.3).
 *
 * @example
 * redirectUriKind('http://127.0.0.1:8400/cb', true); // { kind: 'loopback' }
 * redirectUriKind('com.example.app:/cb', false);   // { problem: 'uses a scheme that is not allowed (...)' }
 */
export function redirectUriKind(uri: string, publicClient: boolean): { kind: RedirectUriKind } | { problem: RedirectUriProblem } {
  if (!URL.canParse(uri)) return { problem: 'is not an absolute URI' };
  const url = new URL(uri);
  if (uri.includes('#')) return { problem: 'must not have a fragment' };
  if (url.username !== '' || url.password !== '') return { problem: 'must not carry a user name or password' };
  if (url.protocol === 'https:') return { kind: 'https' };
  if (url.protocol === 'http:') {
    if (isLoopbackHost(url.hostname)) return { kind: 'loopback' };
    return { problem: 'must use https (plain http is allowed only for loopback hosts)' };
  }
  if (publicClient && PRIVATE_USE_SCHEME.test(url.protocol)) return { kind: 'private-use' };
  return {
    problem: 'uses a scheme that is not allowed (https, loopback http, or a reverse-domain private-use scheme for public native clients)',
  };
}
