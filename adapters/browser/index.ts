/** `qcore/browser`: backends for browsers. The core runs here unchanged. */
export * from '../../src/index.js';
export type { LightningFsWorkspaceOptions } from './lightning-fs-workspace.js';
export { LightningFsWorkspace } from './lightning-fs-workspace.js';
