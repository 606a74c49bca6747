/**
 * `qcore/worker`: an agent as a fetch handler, for Cloudflare Workers and any
 * runtime whose handlers take a `Request`. The core's names come from
 * `qcore`, which runs here unchanged. The handler uses only web standards,
 * so its code lives in `src/agent/wire/`; this entry only names it.
 *
 * A file belongs here only if it needs the Workers runtime itself (bindings,
 * Durable Objects, `cloudflare:*` modules); this entry never re-exports the
 * core.
 */
export type {
  AgentFetchHandler,
  AgentHandlerContext,
  AgentHandlerOptions,
  AgentHandlerSetup,
  WaitUntilContext,
} from '../../src/agent/wire/agent-handler.js';
export { createAgentHandler } from '../../src/agent/wire/agent-handler.js';
export type { CorsOptions } from '../../src/agent/wire/cors.js';
