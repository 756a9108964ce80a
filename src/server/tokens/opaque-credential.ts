import { randomToken } from '../../core/encoding.js';
import type { Json } from '../../stores/contract.js';
import type { ServerContext } from '../context.js';

/**
 * Mints an opaque credential (256 random bits) owned by a token family and stores only its keyed
 * hash (`purpose` keys the hash), so a database leak yields no usable codes or tokens.
 */
export async function issueOpaqueCredential(
  ctx: Pick<ServerContext, 'clock' | 'secrets' | 'store'>,
  credential: { kind: string; purpose: string; familyId: string; value: Json; ttlSeconds: number },
): Promise<string> {
  const secret = randomToken(32);
  await ctx.store.artifacts.put({
    kind: credential.kind,
    id: ctx.secrets.hash(secret, credential.purpose),
    value: credential.value,
    ownerId: credential.familyId,
    expiresAt: ctx.clock.now() + credential.ttlSeconds * 1000,
  });
  return secret;
}
