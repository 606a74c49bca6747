/**
 * `qcore/worker`: an agent as a fetch handler, for Cloudflare Workers and any
 * runtime whose handlers take a `Request`. The core's names come from
 * `qcore`, which runs here unchanged.
 */
export type {
  AgentFetchHandler,
  AgentHandlerContext,
  AgentHandlerOptions,
  AgentHandlerSetup,
  WaitUntilContext,
} from './agent-handler.js';
export { createAgentHandler } from './agent-handler.js';
export type { CorsOptions } from './cors.js';
