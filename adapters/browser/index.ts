/** `qcore/browser`: backends for browsers. The core runs here unchanged. */
export * from '../../src/index.js';
