/**
 * `qcore/server`: the remote workspace endpoint, built on hono. A separate
 * entry so that `qcore/node` loads without the optional hono peers.
 */
export type { ExecAppOptions } from './exec-app.js';
export { createExecApp } from './exec-app.js';
export type { ExecServer, ExecServerOptions } from './exec-server.js';
export { startExecServer } from './exec-server.js';
