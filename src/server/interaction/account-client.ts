import type { ClientRecord } from '../../stores/contract.js';
import { englishMessages, type MessageKey, type Translator } from '../../ui/i18n/index.js';
import { ClientDocumentError } from '../clients/client-documents.js';
import { findClient, type ClientLookupContext } from '../clients/find-client.js';
import type { ServerContext } from '../context.js';
import { urlTo } from '../routes.js';

/**
 * The account pages sign users in through the same interaction as applications do, as this
 * built-in pseudo-client: no consent, and the sign-in ends at `/account` instead of a code.
 */
export const ACCOUNT_CLIENT_ID = 'gatehouse:account';

/**
 * The admin console (`/admin`) signs its people in the same way, as this built-in pseudo-client:
 * no consent, a second factor required (`require_mfa`: a user with none is walked through setting
 * one up), and the sign-in ends at `/admin`.
 */
export const ADMIN_CLIENT_ID = 'gatehouse:admin';

/** The built-in pseudo-clients: what the sign-in page calls them, where their sign-in ends, what they demand. */
const BUILT_IN_CLIENTS: Record<string, { name: (product: string) => string; label: MessageKey; landing: 'account' | 'adminDashboard'; requireMfa: boolean }> = {
  [ACCOUNT_CLIENT_ID]: { name: (product) => `your ${product} account`, label: 'builtInClient.account', landing: 'account', requireMfa: false },
  [ADMIN_CLIENT_ID]: { name: (product) => `the ${product} admin console`, label: 'builtInClient.admin', landing: 'adminDashboard', requireMfa: true },
};

/** Whether `clientId` is one of the server's own pages (the account pages, the admin console), not a registered client. */
export function isBuiltInClient(clientId: string): boolean {
  return Object.hasOwn(BUILT_IN_CLIENTS, clientId);
}

/** What a sign-in history calls a built-in pseudo-client ("Account page"), in the language of `i18n` (English unless given); `undefined` for a registered client. */
export function builtInLabel(clientId: string, i18n: Translator = englishMessages()): string | undefined {
  return isBuiltInClient(clientId) ? i18n.text(BUILT_IN_CLIENTS[clientId]!.label) : undefined;
}

/** Where the sign-in of a built-in pseudo-client ends (`/account`, `/admin`); `undefined` for a registered client. */
export function builtInLanding(ctx: Pick<ServerContext, 'config'>, clientId: string): string | undefined {
  return isBuiltInClient(clientId) ? urlTo(ctx, BUILT_IN_CLIENTS[clientId]!.landing) : undefined;
}

function builtInClient(ctx: Pick<ServerContext, 'config'>, clientId: string): ClientRecord {
  const { name, landing, requireMfa } = BUILT_IN_CLIENTS[clientId]!;
  return {
    clientId,
    clientSecretHash: null,
    clientName: name(ctx.config.branding.productName),
    redirectUris: [urlTo(ctx, landing)],
    postLogoutRedirectUris: [],
    grantTypes: [],
    scope: '',
    tokenEndpointAuthMethod: 'none',
    idTokenSignedResponseAlg: 'ES256',
    resources: [],
    isResourceServer: false,
    servedResources: [],
    extra: requireMfa ? { require_mfa: true } : {},
    createdAt: 0,
    updatedAt: 0,
  };
}

/** The client an interaction is for: a registered client, or one of the built-in pseudo-clients. */
export async function interactionClient(ctx: Pick<ServerContext, 'config'> & ClientLookupContext, clientId: string): Promise<ClientRecord | undefined> {
  if (isBuiltInClient(clientId)) return builtInClient(ctx, clientId);
  try {
    return await findClient(ctx, clientId);
  } catch (error) {
    // A metadata document that can no longer be used ends the sign-in as an unknown client would.
    if (error instanceof ClientDocumentError) return undefined;
    throw error;
  }
}
