/** The wire encoder of each protocol the mock speaks. */
import type { MockApi, WireEncoder } from '../script.js';
import { anthropicEncoder } from './anthropic-messages.js';
import { bedrockEncoder } from './bedrock-converse-stream.js';
import { googleEncoder } from './google-generative-ai.js';
import { openaiCompletionsEncoder } from './openai-completions.js';
import { openaiResponsesEncoder } from './openai-responses.js';

const ENCODERS: Record<MockApi, WireEncoder> = {
  'anthropic-messages': anthropicEncoder,
  'openai-completions': openaiCompletionsEncoder,
  'google-generative-ai': googleEncoder,
  'openai-responses': openaiResponsesEncoder,
  'bedrock-converse-stream': bedrockEncoder,
};

export function encoderFor(api: MockApi): WireEncoder {
  return ENCODERS[api];
}
