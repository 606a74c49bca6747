/**
 * `qcore/node`: only what needs Node. A workspace over a real directory
 * (whose `grep` matches in a worker thread), the grep matcher itself, and the
 * environment filter `exec` applies. The core's names come from `qcore`; the
 * remote workspace endpoint from `qcore/server`, so this entry needs no hono.
 *
 * A file belongs in `adapters/node/` only if it imports Node (`node:*`);
 * code that needs only web standards, or hono, lives in `src/` even if
 * only Node uses it today. `server.ts` is the `qcore/server` entry, `cli/`
 * the terminal app.
 */
export type { NodeGrepMatcherOptions } from './grep-worker.js';
export { createNodeGrepMatcher } from './grep-worker.js';
export { inheritedEnvironment } from './node-exec.js';
export type { NodeWorkspaceOptions } from './node-workspace.js';
export { NodeWorkspace } from './node-workspace.js';
