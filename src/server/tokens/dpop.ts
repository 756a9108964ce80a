import {
  createDpopNonces,
  DPOP_ALGORITHMS,
  dpopHeaderOf,
  DpopProofError,
  verifyDpopProof,
  type DpopNonces,
  type DpopProof,
  type DpopReplayCache,
} from '../../core/dpop.js';
import { OAuthError } from '../../core/errors.js';
import { StoreConflictError, type ClientRecord } from '../../stores/contract.js';
import { auditEvent } from '../audit/events.js';
import { isFapi2, profileSigningAlgs } from '../clients/profiles.js';
import { clientAddress, type ServerContext } from '../context.js';

/**
 * Whether the client must present a DPoP proof at the token endpoint (RFC 9449 §5.2
 * `dpop_bound_access_tokens`): the one place that says so, for the token endpoint and profiles
 * built on it.
 */
export function requiresDpop(client: Pick<ClientRecord, 'dpopBoundAccessTokens' | 'profile'>): boolean {
  return client.dpopBoundAccessTokens === true || isFapi2(client);
}

/** Artifact kind of spent proofs, keyed by a hash of the proof key's thumbprint and `jti`. */
const SPENT_PROOF = 'dpop_jti';

/** Spent proofs in the store's artifacts (Redis with the hybrid store), so every instance sees them. */
function storeReplayCache(ctx: Pick<ServerContext, 'store'>): DpopReplayCache {
  return {
    async spend(key, expiresAt) {
      try {
        // `put` refuses an id it holds: of concurrent spends, exactly one stores it.
        await ctx.store.artifacts.put({ kind: SPENT_PROOF, id: key, value: null, ownerId: null, expiresAt });
        return true;
      } catch (error) {
        if (error instanceof StoreConflictError) return false;
        throw error;
      }
    },
  };
}

/**
 * The server's nonces when `tokens.dpopNonce` is on, else `undefined`. Derived from the
 * installation secret, so every instance issues and accepts the same ones (RFC 9449 §8).
 */
function serverDpopNonces(ctx: Pick<ServerContext, 'config' | 'clock' | 'secrets'>): DpopNonces | undefined {
  if (ctx.config.tokens.dpopNonce !== 'on') return undefined;
  // Built once per server (its secrets), not at every proof: the key is a keyed hash of the secret.
  let nonces = NONCES.get(ctx.secrets);
  if (!nonces) {
    nonces = createDpopNonces({ secret: ctx.secrets.hash('dpop-nonce-key', 'dpop-nonce'), now: () => ctx.clock.now() });
    NONCES.set(ctx.secrets, nonces);
  }
  return nonces;
}

/** Each server's nonces, by its secrets (capabilities built once per server, with its clock). */
const NONCES = new WeakMap<object, DpopNonces>();

/** The `DPoP-Nonce` header to send with a response (RFC 9449 §8.2), when nonces are on. */
export function dpopNonceHeader(ctx: Pick<ServerContext, 'config' | 'clock' | 'secrets'>): Record<string, string> {
  const nonces = serverDpopNonces(ctx);
  return nonces ? { 'DPoP-Nonce': nonces.current() } : {};
}

type ProofContext = Pick<ServerContext, 'audit' | 'clock' | 'config' | 'limits' | 'request' | 'secrets' | 'store'>;

/**
 * The request's DPoP proof, verified for `url` (the endpoint's public URL, from the issuer) and,
 * when `accessToken` is given, its `ath`; `undefined` when the request has none. A refused proof
 * is audited (bounded per address, as client authentication failures are) and thrown as
 * {@link DpopProofError}.
 */
export async function verifyRequestProof(
  ctx: ProofContext,
  request: Request,
  options: { url: string; accessToken?: string | undefined; clientId?: string | undefined; algorithms?: readonly string[] | undefined },
): Promise<DpopProof | undefined> {
  try {
    const proof = dpopHeaderOf(request);
    if (proof === undefined) return undefined;
    return await verifyDpopProof(proof, {
      method: request.method,
      url: options.url,
      now: ctx.clock.now(),
      replay: storeReplayCache(ctx),
      nonces: serverDpopNonces(ctx),
      accessToken: options.accessToken,
      maxAge: ctx.config.tokens.dpopProofMaxAge,
      algorithms: options.algorithms,
    });
  } catch (error) {
    // A missing nonce is the protocol's normal first round (§8), not worth a record.
    if (error instanceof DpopProofError && error.error === 'invalid_dpop_proof') {
      if (await ctx.limits.auditAllowed('token.dpop_proof_refused', clientAddress(ctx))) {
        ctx.audit.recordLater(auditEvent('token.dpop_proof_refused', { ...(options.clientId ? { client_id: options.clientId } : {}), reason: error.message }));
      }
    }
    throw error;
  }
}

/**
 * The DPoP proof a client sent to one of the back-channel endpoints it authenticates at (the
 * token endpoint, RFC 9449 §5; the pushed authorization request endpoint, §10.1), verified for
 * `url` with the algorithms the client's profile allows; `undefined` when there is none. A refused
 * proof is thrown as the token endpoint answers it ({@link tokenEndpointProofError}).
 */
export async function clientRequestProof(ctx: ProofContext, request: Request, client: ClientRecord, url: string): Promise<DpopProof | undefined> {
  try {
    return await verifyRequestProof(ctx, request, { url, clientId: client.clientId, algorithms: profileSigningAlgs(client, DPOP_ALGORITHMS) });
  } catch (error) {
    if (error instanceof DpopProofError) throw tokenEndpointProofError(ctx, error);
    throw error;
  }
}

/**
 * A refused proof at the token endpoint (RFC 9449 §5): `400 invalid_dpop_proof`, or
 * `400 use_dpop_nonce` with a fresh `DPoP-Nonce` (§8).
 */
export function tokenEndpointProofError(ctx: Pick<ServerContext, 'config' | 'clock' | 'secrets'>, error: DpopProofError): OAuthError {
  return new OAuthError(error.error, error.message, { status: 400, headers: dpopNonceHeader(ctx) });
}
