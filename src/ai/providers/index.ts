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
 * Belongs here: building one protocol's request body and translating its
 * wire events into the assembler's calls. Does not belong: what every protocol shares
 * (retries, timeouts, SSE, redaction: `src/ai/request.ts` and friends),
 * vendor quirks guessed from a `baseUrl` (they are `model.compat` data), or
 * a static import of a protocol anywhere in `src/` but `register-all.ts`.
 */
import type { KnownApi, StreamFunction } from '../types.js';

/** Each module's default export is its stream function (Bedrock's options extend StreamOptions; the registry hands it whatever the caller passed to stream()). */
export const builtinLoaders = {
  'anthropic-messages': () => import('./anthropic-messages.js'),
  'openai-completions': () => import('./openai-completions.js'),
  'openai-responses': () => import('./openai-responses.js'),
  'google-generative-ai': () => import('./google/index.js'),
  'bedrock-converse-stream': () => import('./bedrock/index.js'),
} as Record<KnownApi, () => Promise<{ default: StreamFunction }>>;
