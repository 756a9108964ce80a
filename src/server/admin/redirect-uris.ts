import { isLoopbackHost } from '../../core/urls.js';
import { AdminInputError } from './input-error.js';

/**
 * Validates a redirect URI at registration (RFC 6749 §3.1.2, RFC 9700 §2.1, RFC 8252 §7):
 * absolute, no fragment; https, or http only on a loopback host; a private-use scheme
 * (reverse domain name, e.g. `com.example.app:/cb`) only for public native clients.
 */
export function checkRedirectUri(uri: string, field: string, publicClient: boolean): void {
  if (!URL.canParse(uri)) throw new AdminInputError(field, `"${uri}" is not an absolute URI`);
  const url = new URL(uri);
  if (uri.includes('#')) throw new AdminInputError(field, `"${uri}" must not have a fragment`);
  if (url.protocol === 'https:') return;
  if (url.protocol === 'http:') {
    if (isLoopbackHost(url.hostname)) return;
    throw new AdminInputError(field, `"${uri}" must use https (plain http is allowed only for loopback hosts)`);
  }
  if (publicClient && /^[a-z][a-z0-9+-]*(\.[a-z0-9+-]+)+:$/.test(url.protocol)) return;
  throw new AdminInputError(
    field,
    `"${uri}" uses a scheme that is not allowed (https, loopback http, or a reverse-domain private-use scheme for native public clients)`,
  );
}
