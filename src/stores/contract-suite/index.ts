/**
 * The storage contract suite: `gatehouse/stores/contract-suite`, for Vitest (an optional peer
 * dependency). Run it against a store of your own to check it behaves as Gatehouse's stores do.
 */
export { describeStoreContract, type StoreUnderTest } from './suite.js';
export type { Clock } from '../../core/clock.js';
