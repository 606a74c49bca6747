/** The one name qcore takes from the Workers runtime's `cloudflare:workers` module (see workerd.ts). */
declare module 'cloudflare:workers' {
  import type { DurableObjectState } from './durable-types.js';
  export abstract class DurableObject<Env = unknown> {
    constructor(ctx: DurableObjectState, env: Env);
  }
}
