import type { ProviderPreset } from '../providers/preset.js';

/**
 * Which client a session or a sign-in cookie belongs to. Two applications may share a `secret`
 * (and a token store); a session made by one must never be accepted by the other, nor under
 * another cookie name.
 *
 * @example
 * const binding: SessionBinding = { cookiePrefix: 'gh', clientId: 'staff-app', issuer: 'https://accounts.google.com' };
 */
export interface SessionBinding {
  /** The client's `cookiePrefix`. */
  cookiePrefix: string;
  /** The client's `clientId` at the provider. */
  clientId: string;
  /**
   * The provider preset's issuer as configured (before discovery): its `issuer`, else the issuer
   * of its given metadata (OAuth 2.0 presets), else its id.
   */
  issuer: string;
}

/** The binding of a client, from its configuration alone, so it is known before any request. */
export function clientBinding(preset: ProviderPreset, clientId: string, cookiePrefix: string): SessionBinding {
  return { cookiePrefix, clientId, issuer: preset.issuer ?? preset.metadata?.issuer ?? preset.id };
}

/**
 * AES-GCM additional data for a value of `purpose` made by the client of `binding`: decrypting
 * it under another client, another prefix or another purpose fails. JSON keeps the parts apart
 * whatever characters they hold.
 */
export function boundContext(purpose: string, binding: SessionBinding, ...more: string[]): string {
  return JSON.stringify([purpose, binding.cookiePrefix, binding.clientId, binding.issuer, ...more]);
}

/** Whether a loaded session was made by the client of `binding` (false for sessions made before bindings existed). */
export function isBoundTo(session: { boundTo?: unknown }, binding: SessionBinding): boolean {
  const bound = session.boundTo as Partial<SessionBinding> | null | undefined;
  return (
    typeof bound === 'object' &&
    bound !== null &&
    bound.cookiePrefix === binding.cookiePrefix &&
    bound.clientId === binding.clientId &&
    bound.issuer === binding.issuer
  );
}
