/** The storage contract suite every backend runs; it ships as `gatehouse/stores/contract-suite`. */
export { describeStoreContract, type StoreUnderTest } from '../src/stores/contract-suite/index.js';
