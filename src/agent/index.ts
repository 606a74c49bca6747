/**
 * The agent layer: the stateless loop (`agent-loop.ts`: prompt, stream,
 * run tools, repeat), the stateful `Agent` around it (history, queues,
 * abort), context accounting and compaction (`context-*.ts`,
 * `compaction.ts`, `summarize.ts`), tool execution, the public types
 * (`types.ts`), and the agent's
 * event wire format with its client `connectAgent`; `wire/` serves an agent
 * over HTTP.
 *
 * Belongs here: what runs an agent on top of `src/ai`, with web standards
 * only. Does not belong: provider or protocol code (`src/ai`), concrete
 * tools and workspaces (`src/tools`; the agent sees only `AgentTool`), or
 * anything that needs a runtime (`adapters/`). Nothing here imports
 * `src/tools`.
 */
export { Agent } from './agent.js';
export type { AgentWireDelta, AgentWireEvent, AgentWireMessageUpdate } from './agent-event-wire.js';
export { AgentEventDecoder, AgentEventEncoder, AgentWireError, encodeAgentWireError } from './agent-event-wire.js';
export type { AgentLoopResult } from './agent-loop.js';
export { agentLoop, DEFAULT_MAX_TURNS, runAgentLoop } from './agent-loop.js';
export { DEFAULT_KEEP_RECENT_TOKENS, DEFAULT_RESERVE_TOKENS } from './compaction.js';
export type { AgentConnection, ConnectAgentInput, ConnectAgentOptions, ConnectAgentResult } from './connect-agent.js';
export { connectAgent } from './connect-agent.js';
export type {
  AgentSessionConnection,
  AgentSessionConnectionEvent,
  AgentSessionEvent,
  ConnectSessionOptions,
} from './connect-session.js';
export { AgentSessionError } from './connect-session.js';
export { estimateMessageTokens } from './context-estimate.js';
export { defaultConvertToLlm } from './convert-to-llm.js';
export type {
  AgentSessionResync,
  AgentSessionState,
  AgentSessionStatus,
  AgentSessionSummary,
} from './session-protocol.js';
export type * from './types.js';
