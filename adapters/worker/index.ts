/**
 * `qcore/worker`: an agent as a fetch handler, for Cloudflare Workers and any
 * runtime whose handlers take a `Request`. The core's names come from
 * `qcore`, which runs here unchanged. The handler uses only web standards,
 * so its code lives in `src/agent/wire/`; this entry only names it. Durable
 * sessions (`defineAgentSession`, `createAgentSessionHandler`, the SQLite
 * `DurableObjectSessionStore`) need Durable Objects, so they live here.
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
export type {
  AgentSessionClass,
  AgentSessionConfig,
  AgentSessionObject,
  AgentSessionOptions,
  AgentSessionSetup,
} from './agent-session.js';
export { defineAgentSession } from './agent-session.js';
export { DurableObjectSessionStore } from './durable-object-session-store.js';
export type {
  DurableObjectNamespace,
  DurableObjectState,
  DurableObjectStorage,
  ExecutionContextLike,
  SqlStorage,
} from './durable-types.js';
export type {
  AgentSessionAuthorization,
  AgentSessionHandler,
  AgentSessionHandlerOptions,
} from './session-handler.js';
export { createAgentSessionHandler } from './session-handler.js';
