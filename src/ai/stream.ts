import { getApi } from './api-registry.js';
import { MessageAssembler } from './assembler.js';
import { AssistantMessageEventStream } from './event-stream.js';
import { LAYERS } from './providers/index.js';
import { modelBaseUrlProblem } from './request.js';
import type {
  AssistantMessage,
  AssistantMessageStream,
  Context,
  ErrorKind,
  InferOutput,
  Model,
  OutputIssue,
  OutputSchema,
  StreamFunction,
  StreamOptions,
} from './types.js';

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
  // Tracing wraps the whole call (structured output and failures included), and calls back without `tracing`.
  if (options?.tracing) {
    return (getApi(LAYERS) as StreamFunction)(model, context, { ...options, inner: stream } as StreamOptions);
  }
  // Checked here too for protocols registered without runProviderStream: fetch would quote the URL whole.
  const problem = modelBaseUrlProblem(model);
  const streamFunction = getApi(model.api);
  if (streamFunction && !problem) {
    return options?.output === undefined
      ? streamFunction(model, context, options)
      : (getApi(LAYERS) as StreamFunction)(model, context, {
          ...options,
          inner: streamFunction,
        } as StreamOptions);
  }
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

/**
 * A structured reply that failed: a provider or network error (`kind` as in
 * `ErrorKind`), or output that is not JSON or does not match the schema
 * (`invalid_output`, with the reply's `text` and the `issues`).
 */
export class StructuredOutputError extends Error {
  override name = 'StructuredOutputError';
  constructor(
    /** The whole reply, as the stream ended with it. */
    readonly reply: AssistantMessage,
  ) {
    super(reply.errorMessage ?? 'the reply holds no output');
  }
  get kind(): ErrorKind {
    return this.reply.errorKind ?? 'unknown';
  }
  /** The reply's text, where the JSON should have been. */
  get text(): string {
    return this.reply.content.map((part) => (part.type === 'text' ? part.text : '')).join('');
  }
  get issues(): OutputIssue[] {
    return this.reply.outputIssues ?? [];
  }
}

/**
 * The value of a structured reply: `stream(model, context, { output })`'s
 * checked `output`. Rejects with a `StructuredOutputError` when the reply
 * failed or its output did not match.
 */
export async function completeObject<S extends OutputSchema>(
  model: Model,
  context: Context,
  options: StreamOptions & { output: S },
): Promise<InferOutput<S>> {
  const reply = await stream(model, context, options).result();
  if (reply.stopReason === 'error' || reply.stopReason === 'aborted' || !('output' in reply)) {
    throw new StructuredOutputError(reply);
  }
  return reply.output as InferOutput<S>;
}
