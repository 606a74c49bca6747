/** `qcore/worker`: helpers for Cloudflare Workers. The core runs here unchanged. */
export * from '../../src/index.js';
