/**
 * Workspaces and the coding tools that run on them: `defineTool`, the
 * `Workspace` interface (`types.ts`) with its in-memory and remote
 * implementations, the seven coding tools and the helpers they share.
 *
 * Belongs here: tools and workspaces that need only web standards, built on
 * `src/agent`'s tool type. Does not belong: a workspace over a real disk or
 * one that needs a runtime (`adapters/node`, `adapters/browser`), the
 * server side of `RemoteWorkspace` (`src/server`), or zod at load time (the
 * built-in tools use plain JSON Schemas; zod is an optional peer for users'
 * own `defineTool`).
 */

export type { BashToolDetails, BashToolOptions } from './bash-tool.js';
export { createBashTool } from './bash-tool.js';
export type { CodingToolName, CodingToolsOptions } from './coding-tools.js';
export { CODING_TOOL_NAMES, createCodingTools } from './coding-tools.js';
export type { InferArgs, StandardSchema, ToolDefinition, TypedJsonSchema } from './define-tool.js';
export { defineTool, typedJsonSchema } from './define-tool.js';
export type { EditToolDetails } from './edit-tool.js';
export { createEditTool } from './edit-tool.js';
export type { FindToolDetails, FindToolOptions } from './find-tool.js';
export { createFindTool } from './find-tool.js';
export type { GrepLineMatch, GrepMatcher, GrepMatchRequest, GrepPattern } from './grep-matcher.js';
export { defaultGrepMatcher } from './grep-matcher.js';
export type { GrepToolDetails, GrepToolOptions } from './grep-tool.js';
export { createGrepTool } from './grep-tool.js';
export type { LsToolDetails, LsToolOptions } from './ls-tool.js';
export { createLsTool } from './ls-tool.js';
export type { MemoryWorkspaceOptions } from './memory-workspace.js';
export { MemoryWorkspace } from './memory-workspace.js';
export { basename, dirname, joinPath, resolveWorkspacePath } from './paths.js';
export type { ReadToolDetails, ReadToolOptions } from './read-tool.js';
export { createReadTool } from './read-tool.js';
export type { RemoteFetch, RemoteHealth, RemoteWorkspaceOptions } from './remote-workspace.js';
export { RemoteWorkspace } from './remote-workspace.js';
export type {
  ExecOptions,
  ExecResult,
  Workspace,
  WorkspaceEntry,
  WorkspaceEntryType,
  WorkspaceStat,
} from './types.js';
export { WorkspaceError } from './types.js';
export type { WriteToolDetails } from './write-tool.js';
export { createWriteTool } from './write-tool.js';
