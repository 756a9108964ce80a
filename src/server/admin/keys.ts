import { isPublished, keyRetentionMs, rotateSigningKeys } from '../keys/signing-keys.js';
import type { SecretKeys } from '../../core/secret.js';
import type { SigningKeyRecord, Store } from '../../stores/contract.js';

/** A signing key as `gatehouse keys list` and `GET /admin/api/v1/keys` show it: never its private half. */
export type SigningKeyView = {
  kid: string;
  alg: string;
  status: SigningKeyRecord['status'];
  /** Active, or retired recently enough that tokens it signed may still be live (still in the JWKS). */
  published: boolean;
  created_at: string;
  retired_at: string | null;
};

/** How long retired keys stay published, from the longest token lifetimes (seconds). */
export function retentionFor(accessTokenTtl: number, idTokenTtl: number): number {
  return keyRetentionMs(Math.max(accessTokenTtl, idTokenTtl));
}

/** The public facts of a key record, for display. */
function describeSigningKey(record: SigningKeyRecord, now: number, retentionMs: number): SigningKeyView {
  return {
    kid: record.kid,
    alg: record.alg,
    status: record.status,
    published: isPublished(record, now, retentionMs),
    created_at: new Date(record.createdAt).toISOString(),
    retired_at: record.retiredAt === null ? null : new Date(record.retiredAt).toISOString(),
  };
}

/** Every stored signing key, described (`gatehouse keys list`, `GET /keys`). */
export async function listSigningKeys(store: Store, now: number, retentionMs: number): Promise<SigningKeyView[]> {
  return (await store.keys.list()).map((record) => describeSigningKey(record, now, retentionMs));
}

/**
 * New active ES256 and RS256 keys; earlier ones stay published until tokens they signed have
 * expired (`gatehouse keys rotate`, `POST /keys/rotate`). Returns the new keys, described.
 */
export async function rotateKeys(store: Store, secretKeys: SecretKeys, now: number, retentionMs: number): Promise<SigningKeyView[]> {
  const fresh = await rotateSigningKeys(store, secretKeys, now);
  return fresh.map((record) => describeSigningKey(record, now, retentionMs));
}
