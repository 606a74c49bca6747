/**
 * `qcore/node`: only what needs Node. A workspace over a real directory
 * (whose `grep` matches in a worker thread), the grep matcher itself, the
 * environment filter `exec` applies, the bubblewrap sandbox it can run
 * commands in, sessions as JSONL files, and MCP servers run as child
 * processes over stdio (`connectMcpStdio`). The core's
 * names come from `qcore`; the remote workspace endpoint from
 * `qcore/server`, so this entry needs no hono.
 *
 * A file belongs in `adapters/node/` only if it imports Node (`node:*`);
 * code that needs only web standards, or hono, lives in `src/` even if
 * only Node uses it today. `server.ts` is the `qcore/server` entry, `cli/`
 * the terminal app.
 */
export type { NodeGrepMatcherOptions } from './grep-worker.js';
export { createNodeGrepMatcher } from './grep-worker.js';
export type { JsonlSessionStoreOptions } from './jsonl-session-store.js';
export { JsonlSessionStore } from './jsonl-session-store.js';
export type { ConnectMcpStdioOptions, StdioTransport, StdioTransportOptions } from './mcp-stdio.js';
export { connectMcpStdio, createStdioTransport } from './mcp-stdio.js';
export { inheritedEnvironment } from './node-exec.js';
export type { NodeWorkspaceOptions } from './node-workspace.js';
export { NodeWorkspace } from './node-workspace.js';
export type { SandboxOptions } from './sandbox.js';
export { checkSandbox, defaultHiddenPaths } from './sandbox.js';
