/** The sample records of the store contract suite (it ships with the package), for every test. */
export * from '../../src/stores/contract-suite/records.js';
