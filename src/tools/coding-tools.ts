/**
 * The standard coding tool set over one workspace.
 */
import type { AgentTool } from '../agent/types.js';
import { type BashToolOptions, createBashTool } from './bash-tool.js';
import { createEditTool } from './edit-tool.js';
import { createFindTool, type FindToolOptions } from './find-tool.js';
import { createGrepTool, type GrepToolOptions } from './grep-tool.js';
import { createLsTool, type LsToolOptions } from './ls-tool.js';
import { createReadTool, type ReadToolOptions } from './read-tool.js';
import type { Workspace } from './types.js';
import { createWriteTool } from './write-tool.js';

export type CodingToolName = 'read' | 'write' | 'edit' | 'ls' | 'find' | 'grep' | 'bash';

export const CODING_TOOL_NAMES: readonly CodingToolName[] = ['read', 'write', 'edit', 'ls', 'find', 'grep', 'bash'];

export interface CodingToolsOptions {
  /** Which tools to create. Default: all of them. */
  tools?: readonly CodingToolName[];
  read?: ReadToolOptions;
  ls?: LsToolOptions;
  find?: FindToolOptions;
  grep?: GrepToolOptions;
  bash?: BashToolOptions;
}

/**
 * Creates the chosen tools in a fixed order. `bash` is left out when the
 * workspace has no `exec`, even if asked for, so one tool list can serve
 * every runtime.
 */
export function createCodingTools(workspace: Workspace, options: CodingToolsOptions = {}): AgentTool[] {
  const wanted = new Set(options.tools ?? CODING_TOOL_NAMES);
  const tools: AgentTool[] = [];
  if (wanted.has('read')) tools.push(createReadTool(workspace, options.read));
  if (wanted.has('write')) tools.push(createWriteTool(workspace));
  if (wanted.has('edit')) tools.push(createEditTool(workspace));
  if (wanted.has('ls')) tools.push(createLsTool(workspace, options.ls));
  if (wanted.has('find')) tools.push(createFindTool(workspace, options.find));
  if (wanted.has('grep')) tools.push(createGrepTool(workspace, options.grep));
  if (wanted.has('bash') && workspace.exec) tools.push(createBashTool(workspace, options.bash));
  return tools;
}
