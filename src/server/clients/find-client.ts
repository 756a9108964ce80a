/**
 * The one lookup of a client by id, for every endpoint (authorization, token, revocation,
 * introspection, end session, the consent page): the registry first, then, when client metadata
 * documents are on, the document a client identifier URL names. So each endpoint sees the same client.
 */
import type { ClientRecord } from '../../stores/contract.js';
import { clientAddress, type ServerContext } from '../context.js';
import { rateLimitedError, recordRateLimitHit } from '../protection/rate-limited.js';

/** What a client lookup works with. */
export type ClientLookupContext = Pick<ServerContext, 'store' | 'clientDocuments' | 'limits' | 'request' | 'metrics' | 'audit'>;

/**
 * The client `clientId` names, or `undefined` when there is none. A registered client wins, even
 * one whose id is a URL (CIMD §8: pre-registered document URLs). A client identifier URL is then
 * resolved from its document; a lookup that makes the server fetch first spends a point of the
 * address's `clientMetadataFetchPerIp` (spent, not given back: the fetch is the cost).
 *
 * @throws {ClientDocumentError} when the URL's document cannot be fetched or is invalid.
 * @throws {OAuthError} `429` when the address has caused too many fetches.
 */
export async function findClient(ctx: ClientLookupContext, clientId: string): Promise<ClientRecord | undefined> {
  const registered = await ctx.store.clients.get(clientId);
  const documents = ctx.clientDocuments;
  if (registered || !documents?.handles(clientId)) return registered;
  return documents.resolve(clientId, async () => {
    const limited = await ctx.limits.consume('clientMetadataFetchPerIp', clientAddress(ctx));
    if (limited) {
      await recordRateLimitHit(ctx, limited, {});
      throw rateLimitedError(limited);
    }
  });
}
