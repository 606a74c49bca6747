import { getApi } from './api-registry.js';
import { MessageAssembler } from './assembler.js';
import { AssistantMessageEventStream } from './event-stream.js';
import { streamAnthropic } from './providers/anthropic-messages.js';
import { streamBedrock } from './providers/bedrock/index.js';
import { streamGoogle } from './providers/google/index.js';
import { streamOpenAICompletions } from './providers/openai-completions.js';
import { streamOpenAIResponses } from './providers/openai-responses.js';
import { modelBaseUrlProblem } from './request.js';
import type {
  AssistantMessage,
  AssistantMessageStream,
  Context,
  Model,
  StreamFunction,
  StreamOptions,
} from './types.js';

const builtins: Record<string, StreamFunction> = {
  'anthropic-messages': streamAnthropic,
  'openai-completions': streamOpenAICompletions,
  'google-generative-ai': streamGoogle,
  'openai-responses': streamOpenAIResponses,
  'bedrock-converse-stream': streamBedrock as StreamFunction,
};

/**
 * Streams one assistant reply from any provider. Never throws: failures end
 * the stream with an `error` event whose message has `stopReason` `'error'`
 * or `'aborted'`.
 */
export function stream<TOptions extends StreamOptions = StreamOptions>(
  model: Model,
  context: Context,
  options?: TOptions,
): AssistantMessageStream {
  // Checked here too for protocols registered without runProviderStream: fetch would quote the URL whole.
  const problem = modelBaseUrlProblem(model);
  const streamFunction = getApi(model.api) ?? builtins[model.api];
  if (streamFunction && !problem) return streamFunction(model, context, options);
  const out = new AssistantMessageEventStream();
  new MessageAssembler(model, out).fail('error', problem ?? `No stream function registered for api "${model.api}"`);
  return out;
}

/** The final message of `stream(...)`. */
export function complete<TOptions extends StreamOptions = StreamOptions>(
  model: Model,
  context: Context,
  options?: TOptions,
): Promise<AssistantMessage> {
  return stream(model, context, options).result();
}
