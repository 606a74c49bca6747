export { Agent } from './agent.js';
export type { AgentLoopResult } from './agent-loop.js';
export { agentLoop, DEFAULT_MAX_TURNS, runAgentLoop } from './agent-loop.js';
export type * from './types.js';
