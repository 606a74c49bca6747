/**
 * `qcore/node`: the core plus what needs Node: a workspace over a real
 * directory and coding tools that accept a path. The remote workspace
 * endpoint lives in `qcore/server`, so this entry needs no hono.
 */

import type { AgentTool } from '../../src/agent/types.js';
import type { CodingToolsOptions } from '../../src/tools/coding-tools.js';
import { createCodingTools as createCoreCodingTools } from '../../src/tools/coding-tools.js';
import type { Workspace } from '../../src/tools/types.js';
import { NodeWorkspace, type NodeWorkspaceOptions } from './node-workspace.js';

export * from '../../src/index.js';
export type { NodeWorkspaceOptions } from './node-workspace.js';
export { NodeWorkspace } from './node-workspace.js';

export interface NodeCodingToolsOptions extends CodingToolsOptions {
  /** For the `NodeWorkspace` made when a directory is given. */
  workspace?: NodeWorkspaceOptions;
}

/**
 * The core's `createCodingTools`, also taking a directory, which it wraps in
 * a `NodeWorkspace`. Shadows the core export of the same name.
 */
export function createCodingTools(
  cwdOrWorkspace: string | Workspace,
  options: NodeCodingToolsOptions = {},
): AgentTool[] {
  const { workspace: workspaceOptions, ...toolOptions } = options;
  const workspace =
    typeof cwdOrWorkspace === 'string' ? new NodeWorkspace(cwdOrWorkspace, workspaceOptions) : cwdOrWorkspace;
  return createCoreCodingTools(workspace, toolOptions);
}
