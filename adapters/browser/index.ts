/**
 * `qcore/browser`: only what needs a browser. A workspace persisted in
 * IndexedDB (whose `grep` matches in a Web Worker the page can kill), the
 * grep matcher itself, for other workspaces, and a `SessionStore` in
 * IndexedDB. The core's names come from `qcore`, which runs here unchanged.
 *
 * A file belongs here only if it needs a browser API (IndexedDB, Web
 * Workers from a page); anything that needs only web standards lives in
 * `src/`, and this entry never re-exports the core.
 */
export type { BrowserGrepMatcherOptions } from './grep-worker.js';
export { createBrowserGrepMatcher } from './grep-worker.js';
export type { IndexedDbSessionStoreOptions } from './indexeddb-session-store.js';
export { IndexedDbSessionStore } from './indexeddb-session-store.js';
export type { LightningFsWorkspaceOptions } from './lightning-fs-workspace.js';
export { LightningFsWorkspace } from './lightning-fs-workspace.js';
