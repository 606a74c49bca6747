/** `qcore/worker`: helpers for Cloudflare Workers. The core runs here unchanged. */
export * from '../../src/index.js';
export type {
  AgentFetchHandler,
  AgentHandlerContext,
  AgentHandlerOptions,
  AgentHandlerSetup,
  WaitUntilContext,
} from './agent-handler.js';
export { createAgentHandler } from './agent-handler.js';
export type { CorsOptions } from './cors.js';
