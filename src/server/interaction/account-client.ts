import type { ClientRecord } from '../../stores/contract.js';
import type { ServerContext } from '../context.js';
import { urlTo } from '../routes.js';

/**
 * The account pages sign users in through the same interaction as applications do, as this
 * built-in pseudo-client: no consent, and the sign-in ends at `/account` instead of a code.
 */
export const ACCOUNT_CLIENT_ID = 'gatehouse:account';

function accountClient(ctx: Pick<ServerContext, 'config'>): ClientRecord {
  return {
    clientId: ACCOUNT_CLIENT_ID,
    clientSecretHash: null,
    clientName: `your ${ctx.config.branding.productName} account`,
    redirectUris: [urlTo(ctx, 'account')],
    postLogoutRedirectUris: [],
    grantTypes: [],
    scope: '',
    tokenEndpointAuthMethod: 'none',
    idTokenSignedResponseAlg: 'ES256',
    resources: [],
    isResourceServer: false,
    extra: {},
    createdAt: 0,
    updatedAt: 0,
  };
}

/** The client an interaction is for: a registered client, or the account pages. */
export async function interactionClient(ctx: Pick<ServerContext, 'config' | 'store'>, clientId: string): Promise<ClientRecord | undefined> {
  return clientId === ACCOUNT_CLIENT_ID ? accountClient(ctx) : ctx.store.clients.get(clientId);
}
