import { builtinApi } from '../api-registry.js';
import type { StreamFunction } from '../types.js';
import type { BedrockStreamOptions } from './bedrock/index.js';

/*
 * The built-in protocols by name, as `qcore` exports them. Each loads its
 * protocol on first call, like `stream()`: re-exporting the protocols
 * themselves from the root would bundle all five into the first chunk of
 * every app, even one that only calls `stream()`. A user's `registerApi`
 * does not change what these call.
 */
export const streamAnthropic: StreamFunction = (model, context, options) =>
  builtinApi('anthropic-messages')(model, context, options);
export const streamOpenAICompletions: StreamFunction = (model, context, options) =>
  builtinApi('openai-completions')(model, context, options);
export const streamOpenAIResponses: StreamFunction = (model, context, options) =>
  builtinApi('openai-responses')(model, context, options);
export const streamGoogle: StreamFunction = (model, context, options) =>
  builtinApi('google-generative-ai')(model, context, options);
export const streamBedrock: StreamFunction<BedrockStreamOptions> = (model, context, options) =>
  builtinApi('bedrock-converse-stream')(model, context, options);
