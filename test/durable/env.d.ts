/** What the durable tests take from the pool's modules, typed as narrowly as they use them. */
declare module 'cloudflare:workers' {
  export const exports: { default: { fetch(request: Request): Promise<Response> } };
  export const env: {
    AGENT_SESSIONS: import('../../adapters/worker/durable-types.js').DurableObjectNamespace;
  };
}

declare module 'cloudflare:test' {
  import type { DurableObjectState, DurableObjectStub } from '../../adapters/worker/durable-types.js';
  export function runInDurableObject<R>(
    stub: DurableObjectStub,
    callback: (instance: unknown, state: DurableObjectState) => R | Promise<R>,
  ): Promise<R>;
}
