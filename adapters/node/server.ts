/**
 * `qcore/server`: the remote workspace endpoint, built on hono. A separate
 * entry so that `qcore/node` loads without the optional hono peers. The app
 * itself needs only web standards and hono, so it lives in `src/server/`;
 * `startExecServer`, which listens with Node, stays here.
 */
export type { ExecAppOptions } from '../../src/server/exec-app.js';
export { createExecApp } from '../../src/server/exec-app.js';
export type { ExecServer, ExecServerOptions } from './exec-server.js';
export { startExecServer } from './exec-server.js';
