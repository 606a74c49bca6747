/**
 * The coding agent the CLI runs: a `NodeWorkspace` on the working
 * directory, the chosen coding tools, and the system prompt built from the
 * directory and its instruction files.
 */
import { Agent } from '../../../src/agent/agent.js';
import type { AgentMessage, AgentOptions, AgentTool, CompactionOptions } from '../../../src/agent/types.js';
import type { Model, ReasoningLevel, StreamOptions } from '../../../src/ai/types.js';
import { type CodingToolName, createCodingTools } from '../../../src/tools/coding-tools.js';
import { createUndoJournal, type UndoJournal } from '../../../src/tools/undo-journal.js';
import { NodeWorkspace } from '../node-workspace.js';
import type { SandboxOptions } from '../sandbox.js';
import { findContextFiles } from './context-files.js';
import { hideFromReads } from './permissions/hidden-workspace.js';
import { buildSystemPrompt } from './system-prompt.js';

export interface AgentSetupInput {
  cwd: string;
  /** Tools besides the coding tools: the MCP servers' (their names start with `mcp__`). */
  extraTools?: readonly AgentTool[];
  /** Paths (workspace-relative) that `Read(…)` deny rules keep from the file tools. */
  hiddenFromReads?: (path: string) => boolean;
  qcoreHome: string;
  model: Model;
  thinking: ReasoningLevel;
  tools: readonly CodingToolName[] | undefined;
  messages: AgentMessage[];
  /** Variables given to commands on top of the filtered environment (`--env`, the config's `env`). */
  commandEnv: Record<string, string>;
  getApiKey: (provider: string) => string | undefined;
  /** The config file's `compaction`; automatic compaction is on unless it says otherwise. */
  compaction?: CompactionOptions;
  /** Approval rules, hooks and asking (`permissions/tool-gate.ts`). */
  beforeToolCall?: AgentOptions['beforeToolCall'];
  afterToolCall?: AgentOptions['afterToolCall'];
  /** `--sandbox`, already checked with `checkSandbox`: every bash command runs in bubblewrap. */
  sandbox?: SandboxOptions & { network: boolean };
}

export interface AgentSetup {
  agent: Agent;
  /**
   * The options the agent started with. Change them through
   * `agent.setStreamOptions`: the agent keeps its own copy.
   */
  streamOptions: Omit<StreamOptions, 'signal'> & { reasoning: ReasoningLevel };
  toolNames: string[];
  contextFiles: string[];
  /** What `write` and `edit` changed in the current prompt, for `/undo`. */
  undo: UndoJournal;
  /** The coding tools alone, to put back beside a changed set of MCP tools. */
  codingTools: AgentTool[];
}

export function createCodingAgent(input: AgentSetupInput): AgentSetup {
  // Its grep matches in a worker thread, so a catastrophic pattern cannot hold the terminal.
  const workspace = new NodeWorkspace(input.cwd, {
    env: input.commandEnv,
    ...(input.sandbox ? { sandbox: input.sandbox } : {}),
  });
  const undo = createUndoJournal(workspace);
  const visible = input.hiddenFromReads ? hideFromReads(undo.workspace, input.hiddenFromReads) : undo.workspace;
  const tools = createCodingTools(visible, input.tools ? { tools: input.tools } : {});
  const toolNames = tools.map((tool) => tool.name);
  const contextFiles = findContextFiles(input.cwd, input.qcoreHome);
  const systemPrompt = buildSystemPrompt({
    cwd: input.cwd,
    date: new Date(),
    tools: toolNames,
    contextFiles,
    ...(input.sandbox ? { sandbox: { network: input.sandbox.network } } : {}),
  });
  const streamOptions: AgentSetup['streamOptions'] = { reasoning: input.thinking };
  const agent = new Agent({
    model: input.model,
    systemPrompt,
    tools: [...tools, ...(input.extraTools ?? [])],
    messages: input.messages,
    streamOptions,
    getApiKey: input.getApiKey,
    ...(input.compaction ? { compaction: input.compaction } : {}),
    ...(input.beforeToolCall ? { beforeToolCall: input.beforeToolCall } : {}),
    ...(input.afterToolCall ? { afterToolCall: input.afterToolCall } : {}),
  });
  return {
    agent,
    streamOptions,
    toolNames,
    contextFiles: contextFiles.map((file) => file.path),
    undo,
    codingTools: tools,
  };
}
