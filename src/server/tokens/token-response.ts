/**
 * A successful token response (RFC 6749 §5.1; OIDC Core §3.1.3.3 adds `id_token`; RFC 8693 §2.2.1
 * adds `issued_token_type` to a token exchange's).
 */
export interface TokenResponse {
  access_token: string;
  /** `DPoP` for a sender-constrained token (RFC 9449 §5). */
  token_type: 'Bearer' | 'DPoP';
  expires_in: number;
  scope?: string;
  refresh_token?: string;
  id_token?: string;
  issued_token_type?: string;
}
