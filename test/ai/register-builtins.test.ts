import { expect, test } from 'vitest';
import { getApi } from '../../src/ai/api-registry.js';
import { streamAnthropic } from '../../src/ai/providers/anthropic-messages.js';
import { streamBedrock } from '../../src/ai/providers/bedrock/index.js';
import { streamGoogle } from '../../src/ai/providers/google/index.js';
import { streamOpenAICompletions } from '../../src/ai/providers/openai-completions.js';
import { streamOpenAIResponses } from '../../src/ai/providers/openai-responses.js';
import { registerBuiltinApis } from '../../src/ai/providers/register-all.js';
import type { KnownApi, StreamFunction } from '../../src/ai/types.js';

// In a file of its own: no other test may have loaded a protocol through the registry first.
test('registerBuiltinApis puts every protocol in the registry at once, so no stream needs a dynamic import', () => {
  const expected: Record<KnownApi, StreamFunction> = {
    'anthropic-messages': streamAnthropic,
    'openai-completions': streamOpenAICompletions,
    'openai-responses': streamOpenAIResponses,
    'google-generative-ai': streamGoogle,
    'bedrock-converse-stream': streamBedrock as StreamFunction,
  };
  for (const [api, streamFunction] of Object.entries(expected)) expect(getApi(api)).not.toBe(streamFunction);
  registerBuiltinApis();
  for (const [api, streamFunction] of Object.entries(expected)) expect(getApi(api)).toBe(streamFunction);
});
