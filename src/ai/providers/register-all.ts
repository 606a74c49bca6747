import { validateJsonSchema } from '../../tools/json-schema-validate.js';
import { provideJsonSchemaValidator } from '../../tools/json-schema-validator.js';
import { provideBuiltinApi } from '../api-registry.js';
import { engine } from '../engine.js';
import defineLayers from '../layers.js';
import * as outputSchema from '../output-schema.js';
import { provideOutputSchema } from '../output-schema-loader.js';
import type { KnownApi, StreamFunction } from '../types.js';
import { streamAnthropic } from './anthropic-messages.js';
import { streamBedrock } from './bedrock/index.js';
import { streamGoogle } from './google/index.js';
import { LAYERS } from './index.js';
import { streamOpenAICompletions } from './openai-completions.js';
import { streamOpenAIResponses } from './openai-responses.js';

const all: Record<KnownApi, StreamFunction> = {
  'anthropic-messages': streamAnthropic,
  'openai-completions': streamOpenAICompletions,
  'openai-responses': streamOpenAIResponses,
  'google-generative-ai': streamGoogle,
  'bedrock-converse-stream': streamBedrock as StreamFunction,
};

/**
 * Registers every built-in protocol (and structured output and tracing) at once, by static import, for hosts
 * where dynamic `import()` is not allowed (a Durable Object handler under
 * vitest-pool-workers, some single-file bundles). Synchronous, so it can run
 * at a module's top level before the first `stream()`.
 *
 * Exported as `qcore/builtins`, never from the root: a root that imported it
 * would make every app's bundle fetch all five protocols up front, even one
 * that never calls it (`npm run check:core` checks the published layout).
 */
export function registerBuiltinApis(): void {
  for (const [api, streamFunction] of Object.entries(all)) provideBuiltinApi(api, streamFunction);
  provideBuiltinApi(LAYERS, defineLayers(engine));
  provideJsonSchemaValidator(validateJsonSchema);
  provideOutputSchema(outputSchema);
}
