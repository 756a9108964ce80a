import { systemClock, type Clock } from '../../core/clock.js';
import type { Store } from '../contract.js';
import { MemoryArtifactRepository } from './artifact-repository.js';
import { MemoryAuditRepository } from './audit-repository.js';
import { MemoryClientRepository } from './client-repository.js';
import { MemoryConsentRepository } from './consent-repository.js';
import { MemoryLogoutDeliveryRepository } from './logout-delivery-repository.js';
import { MemoryMfaFactorRepository } from './mfa-factor-repository.js';
import { MemorySigningKeyRepository } from './signing-key-repository.js';
import { MemoryUserRepository } from './user-repository.js';

/** Options of {@link createMemoryStore}. */
export interface MemoryStoreOptions {
  /** Judges artifact expiry; defaults to the system clock. */
  clock?: Clock;
  /**
   * How many audit events to keep: the newest ones, the oldest being dropped as new ones come
   * (default 10,000; `Infinity` keeps all, for a test that needs the whole log). `list`, `tail` and
   * `verifyAuditLog` work on what is kept; verifying starts at the oldest kept event and says so
   * (`firstSeq`).
   */
  maxAuditEvents?: number;
}

/**
 * A store kept in process memory: for tests, development and single-process demos. Everything is
 * lost when the process exits. The audit log keeps only the newest events (`maxAuditEvents`,
 * default 10,000), so a server under load does not grow without bound: use a SQL store for an
 * audit trail that is kept.
 *
 * @example
 * const store = createMemoryStore();
 * await store.clients.create(client);
 */
export function createMemoryStore(options: MemoryStoreOptions = {}): Store {
  const artifacts = new MemoryArtifactRepository(options.clock ?? systemClock);
  // Each needs the other: factors belong to an existing user and go when the user does.
  const users: MemoryUserRepository = new MemoryUserRepository((userId) => factors.deleteByUserNow(userId));
  const factors = new MemoryMfaFactorRepository((userId) => users.existsNow(userId));
  return {
    clients: new MemoryClientRepository(),
    users,
    keys: new MemorySigningKeyRepository(),
    consents: new MemoryConsentRepository((ownerId) => artifacts.deleteByOwnerNow(ownerId)),
    factors,
    audit: new MemoryAuditRepository(options.maxAuditEvents),
    artifacts,
    logoutDeliveries: new MemoryLogoutDeliveryRepository(),
    migrate: async () => [],
    ping: async () => {
      // Memory is always there.
    },
    close: async () => {
      // Nothing to release.
    },
  };
}
