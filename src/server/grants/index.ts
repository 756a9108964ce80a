import type { ClientRecord, GrantType } from '../../stores/contract.js';
import type { ServerContext } from '../context.js';
import type { FormParams } from '../http/form.js';
import { authorizationCodeGrant } from './authorization-code.js';
import { clientCredentialsGrant } from './client-credentials.js';
import { deviceCodeGrant } from './device-code.js';
import { refreshTokenGrant } from './refresh-token.js';
import { TOKEN_EXCHANGE_GRANT, tokenExchangeGrant } from './token-exchange.js';
import type { TokenResponse } from '../tokens/token-response.js';

/** What a grant answers: the tokens, and the end user they were issued for (none for a client's own tokens). */
export interface GrantResult {
  tokens: TokenResponse;
  subject?: string;
}

/**
 * What the token request binds the tokens to: the JWK thumbprint of its DPoP proof's key (RFC 9449
 * §6.1), checked once by the token endpoint; `undefined` for bearer tokens.
 */
export interface TokenBinding {
  jkt: string | undefined;
}

/** A grant handler: validates the grant-specific parameters and answers with tokens. */
export type GrantHandler = (ctx: ServerContext, client: ClientRecord, params: FormParams, binding: TokenBinding) => Promise<GrantResult>;

/** The grants this server implements, by `grant_type`. Discovery advertises exactly these keys. */
export const GRANT_HANDLERS: Record<GrantType, GrantHandler> = {
  authorization_code: authorizationCodeGrant,
  refresh_token: refreshTokenGrant,
  client_credentials: clientCredentialsGrant,
  [TOKEN_EXCHANGE_GRANT]: tokenExchangeGrant,
  'urn:ietf:params:oauth:grant-type:device_code': deviceCodeGrant,
};

export function supportedGrantTypes(): GrantType[] {
  return Object.keys(GRANT_HANDLERS) as GrantType[];
}
