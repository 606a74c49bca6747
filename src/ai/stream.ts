import { getApi } from './api-registry.js';
import { MessageAssembler } from './assembler.js';
import { AssistantMessageEventStream } from './event-stream.js';
import { modelBaseUrlProblem } from './request.js';
import type { AssistantMessage, AssistantMessageStream, Context, Model, StreamOptions } from './types.js';

/**
 * Streams one assistant reply from any provider. Never throws: failures end
 * the stream with an `error` event whose message has `stopReason` `'error'`
 * or `'aborted'`. A built-in protocol's code loads the first time one of its
 * models streams (see `registerBuiltinApis` for hosts without dynamic import).
 */
export function stream<TOptions extends StreamOptions = StreamOptions>(
  model: Model,
  context: Context,
  options?: TOptions,
): AssistantMessageStream {
  // Checked here too for protocols registered without runProviderStream: fetch would quote the URL whole.
  const problem = modelBaseUrlProblem(model);
  const streamFunction = getApi(model.api);
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
