/**
 * `qcore/node`: the core plus what needs Node: a workspace over a real
 * directory and coding tools that accept a path. The remote workspace
 * endpoint lives in `qcore/server`, so this entry needs no hono.
 */

import type { AgentTool } from '../../src/agent/types.js';
import type { CodingToolsOptions } from '../../src/tools/coding-tools.js';
import { createCodingTools as createCoreCodingTools } from '../../src/tools/coding-tools.js';
import { createGrepTool as createCoreGrepTool, type GrepToolOptions } from '../../src/tools/grep-tool.js';
import type { Workspace } from '../../src/tools/types.js';
import { sharedNodeGrepMatcher } from './grep-worker.js';
import { NodeWorkspace, type NodeWorkspaceOptions } from './node-workspace.js';

export * from '../../src/index.js';
export type { NodeGrepMatcherOptions } from './grep-worker.js';
export { createNodeGrepMatcher } from './grep-worker.js';
export { inheritedEnvironment } from './node-exec.js';
export type { NodeWorkspaceOptions } from './node-workspace.js';
export { NodeWorkspace } from './node-workspace.js';

/**
 * The core's `createGrepTool`, matching in a worker thread that an abort or
 * a per-file time budget can kill. Shadows the core export of the same name.
 */
export function createGrepTool(
  workspace: Workspace,
  options: GrepToolOptions = {},
): ReturnType<typeof createCoreGrepTool> {
  return createCoreGrepTool(workspace, { matcher: sharedNodeGrepMatcher(), ...options });
}

export interface NodeCodingToolsOptions extends CodingToolsOptions {
  /** For the `NodeWorkspace` made when a directory is given. */
  workspace?: NodeWorkspaceOptions;
}

/**
 * The core's `createCodingTools`, also taking a directory, which it wraps in
 * a `NodeWorkspace`, and with `grep` matching in a worker thread. Shadows the
 * core export of the same name.
 */
export function createCodingTools(
  cwdOrWorkspace: string | Workspace,
  options: NodeCodingToolsOptions = {},
): AgentTool[] {
  const { workspace: workspaceOptions, ...toolOptions } = options;
  const workspace =
    typeof cwdOrWorkspace === 'string' ? new NodeWorkspace(cwdOrWorkspace, workspaceOptions) : cwdOrWorkspace;
  return createCoreCodingTools(workspace, {
    ...toolOptions,
    grep: { matcher: sharedNodeGrepMatcher(), ...toolOptions.grep },
  });
}
