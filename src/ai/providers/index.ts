/**
 * The built-in protocols, one file (or folder, with the helpers only it
 * uses) per wire protocol. Code two protocols share belongs in `src/ai/`.
 *
 * Each is loaded by dynamic import the first time a model of its api
 * streams, so a bundle that talks to one protocol downloads only that one.
 * Only the registry reads this table; `register-all.ts` is the static
 * alternative for hosts that do not allow dynamic import; `by-name.ts`
 * holds the root's `streamAnthropic` and siblings, which load lazily too.
 *
 * A protocol is two files: `<name>-protocol.ts`, the code, whose default
 * export makes the stream function from the shared code it is handed
 * (`engine.ts`) and which imports nothing else from `src/ai/` but types; and
 * `<name>.ts`, that stream function ready to call, for static imports.
 *
 * Belongs here: building one protocol's request body and translating its
 * wire events into the assembler's calls. Does not belong: what every protocol shares
 * (retries, timeouts, SSE, redaction: `src/ai/request.ts` and friends),
 * vendor quirks guessed from a `baseUrl` (they are `model.compat` data), or
 * a static import of a protocol anywhere in `src/` but `register-all.ts`.
 */
import type { Engine } from '../engine.js';
import type { KnownApi, StreamFunction } from '../types.js';

/**
 * The registry's name for the code `stream()` wraps around a protocol's:
 * structured output and tracing, one chunk (`layers.ts`).
 */
export const LAYERS = 'qcore:layers';

/**
 * Each module's default export makes its stream function from the shared
 * code it is handed (`engine.ts`), so that its chunk imports nothing. Bedrock's
 * options extend StreamOptions; the registry hands it whatever the caller
 * passed to stream().
 */
export const builtinLoaders = {
  'anthropic-messages': () => import('./anthropic-messages-protocol.js'),
  'openai-completions': () => import('./openai-completions-protocol.js'),
  'openai-responses': () => import('./openai-responses-protocol.js'),
  'google-generative-ai': () => import('./google/google-generative-ai-protocol.js'),
  'bedrock-converse-stream': () => import('./bedrock/bedrock-converse-stream-protocol.js'),
  // Not a protocol: structured output and tracing (`StreamOptions.output`, `.tracing`), loaded the same way on first use.
  [LAYERS]: () => import('../layers.js'),
} as Record<KnownApi, () => Promise<{ default: (engine: Engine) => StreamFunction }>>;
