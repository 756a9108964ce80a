import { systemClock, type Clock } from '../../core/clock.js';
import type { Store } from '../contract.js';
import { MemoryArtifactRepository } from './artifact-repository.js';
import { MemoryAuditRepository } from './audit-repository.js';
import { MemoryClientRepository } from './client-repository.js';
import { MemoryConsentRepository } from './consent-repository.js';
import { MemoryMfaFactorRepository } from './mfa-factor-repository.js';
import { MemorySigningKeyRepository } from './signing-key-repository.js';
import { MemoryUserRepository } from './user-repository.js';

/** Options of {@link createMemoryStore}. */
export interface MemoryStoreOptions {
  /** Judges artifact expiry; defaults to the system clock. */
  clock?: Clock;
}

/**
 * A store kept in process memory: for tests, development and single-process demos. Everything is
 * lost when the process exits.
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
    audit: new MemoryAuditRepository(),
    artifacts,
    migrate: async () => [],
    ping: async () => {
      // Memory is always there.
    },
    close: async () => {
      // Nothing to release.
    },
  };
}
