/** The storage contract suite every backend runs; it ships as `gatehouse/stores/contract-suite`. */
export { describeStoreContract } from '../src/stores/contract-suite/index.js';
