/**
 * `qcore/node`: backends for Node. Filled in by the Node adapter issue; for
 * now it re-exports the core so `qcore/node` is a complete entry.
 */
export * from '../../src/index.js';
