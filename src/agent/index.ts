export { Agent } from './agent.js';
export type { AgentWireDelta, AgentWireEvent, AgentWireMessageUpdate } from './agent-event-wire.js';
export { AgentEventDecoder, AgentEventEncoder, AgentWireError, encodeAgentWireError } from './agent-event-wire.js';
export type { AgentLoopResult } from './agent-loop.js';
export { agentLoop, DEFAULT_MAX_TURNS, runAgentLoop } from './agent-loop.js';
export type { AgentConnection, ConnectAgentInput, ConnectAgentOptions, ConnectAgentResult } from './connect-agent.js';
export { connectAgent } from './connect-agent.js';
export type * from './types.js';
