/**
 * What `stream()` wraps around a protocol's stream function when a call asks
 * for more: structured output (`output`, `structured-output.ts`) and tracing
 * (`tracing`, `tracing.ts`). Loaded on first use, like a protocol, as one
 * chunk: each lazily loaded chunk costs the first chunk a dynamic import
 * (about 25 B gzipped), on rows within bytes of their budgets, so the two
 * share one. An app that uses one of them downloads the other's code too,
 * once, when it first does; an app that uses neither downloads none.
 */
import type { Engine } from './engine.js';
import defineStructuredOutput from './structured-output.js';
import defineTracing from './tracing.js';
import type { StreamFunction } from './types.js';

/** Takes the shared code (see `engine.ts`) and gives the registry's stream function for both. */
export default function defineLayers(engine: Engine): StreamFunction {
  const structured = defineStructuredOutput(engine);
  const traced = defineTracing(engine);
  // Tracing comes first, around the whole call, and calls `stream()` back without `tracing`: `output` comes here again.
  return (model, context, options) => (options?.tracing ? traced : structured)(model, context, options);
}
