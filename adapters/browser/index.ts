/**
 * `qcore/browser`: backends for browsers. The core runs here unchanged,
 * except that `grep` matches in a Web Worker the page can kill.
 */
import type { AgentTool } from '../../src/agent/types.js';
import { type CodingToolsOptions, createCodingTools as createCoreCodingTools } from '../../src/tools/coding-tools.js';
import { createGrepTool as createCoreGrepTool, type GrepToolOptions } from '../../src/tools/grep-tool.js';
import type { Workspace } from '../../src/tools/types.js';
import { sharedBrowserGrepMatcher } from './grep-worker.js';

export * from '../../src/index.js';
export type { BrowserGrepMatcherOptions } from './grep-worker.js';
export { createBrowserGrepMatcher } from './grep-worker.js';
export type { LightningFsWorkspaceOptions } from './lightning-fs-workspace.js';
export { LightningFsWorkspace } from './lightning-fs-workspace.js';

/**
 * The core's `createGrepTool`, matching in a Web Worker that an abort or a
 * per-file time budget can kill. Shadows the core export of the same name.
 */
export function createGrepTool(
  workspace: Workspace,
  options: GrepToolOptions = {},
): ReturnType<typeof createCoreGrepTool> {
  return createCoreGrepTool(workspace, { matcher: sharedBrowserGrepMatcher(), ...options });
}

/**
 * The core's `createCodingTools`, with `grep` matching in a Web Worker.
 * Shadows the core export of the same name.
 */
export function createCodingTools(workspace: Workspace, options: CodingToolsOptions = {}): AgentTool[] {
  return createCoreCodingTools(workspace, {
    ...options,
    grep: { matcher: sharedBrowserGrepMatcher(), ...options.grep },
  });
}
