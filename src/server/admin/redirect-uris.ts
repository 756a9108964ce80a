import { redirectUriKind } from '../clients/redirect-uris.js';
import { AdminInputError } from './input-error.js';

/**
 * Validates a redirect URI an operator registers, by the one rule of registration
 * ({@link redirectUriKind}: https, loopback http, or a private-use scheme for public native
 * clients), naming the URI in the error (operators see their own input back).
 */
export function checkRedirectUri(uri: string, field: string, publicClient: boolean): void {
  const verdict = redirectUriKind(uri, publicClient);
  if ('problem' in verdict) throw new AdminInputError(field, `"${uri}" ${verdict.problem}`);
}
