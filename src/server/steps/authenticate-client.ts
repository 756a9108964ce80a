import type { ClientRecord } from '../../stores/contract.js';
import { authenticateClient, invalidClient, type ClientAuthContext } from '../client-auth.js';
import type { FormParams } from '../http/form.js';

/**
 * Authenticates the calling client (RFC 6749 §2.3): one method, the registered one, spent before
 * it is checked against the client id + address budget; throws `invalid_client` (401) or `429`.
 */
export async function authenticateCaller({
  ctx,
  request,
  form,
}: {
  ctx: ClientAuthContext;
  request: Request;
  form: FormParams;
}): Promise<{ client: ClientRecord }> {
  return { client: await authenticateClient(ctx, request, form) };
}

/** RFC 7662 §2.1: introspection needs real client authentication (a confidential client), against token scanning. */
export function requireConfidentialClient({ client }: { client: ClientRecord }): undefined {
  if (client.tokenEndpointAuthMethod === 'none') throw invalidClient('introspection requires a confidential client');
}
