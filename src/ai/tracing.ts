/**
 * Tracing of `stream()`: with `StreamOptions.tracing`, each call is one
 * `chat {model}` span, named and described by OpenTelemetry's GenAI semantic
 * conventions (1.37 and later; the names checked against
 * `@opentelemetry/semantic-conventions` 1.45.0, which only tests import).
 * `stream()` hands the whole call here with itself as `inner`, so the span
 * covers structured output, its repair and retries. Loaded on first use,
 * like a protocol, so an app that never traces fetches none of this
 * (`registerBuiltinApis` provides it where dynamic import is not allowed).
 *
 * Keys never reach a span: nothing here reads `apiKey`, headers or
 * credentials, the server is only the base URL's host and port, and error
 * messages come from the reply, which redacts them.
 */
import type { Engine } from './engine.js';
import type { AssistantMessageEventStream } from './event-stream.js';
import type {
  AssistantMessage,
  AssistantMessageEvent,
  AssistantMessageStream,
  Context,
  FetchFunction,
  Message,
  Model,
  Span,
  SpanAttributes,
  StreamFunction,
  StreamOptions,
  TracingOptions,
} from './types.js';

// The shared code, handed over by `defineTracing` (see `engine.ts`), not imported.
let AssistantMessageEventStreamClass: typeof AssistantMessageEventStream;
let emptyUsage: Engine['emptyUsage'];

/** Takes the shared code and gives the registry's stream function; `stream()` puts itself in `options.inner`. */
export default function defineTracing(engine: Engine): StreamFunction {
  ({ AssistantMessageEventStream: AssistantMessageEventStreamClass, emptyUsage } = engine);
  return (model, context, options) => {
    const { inner, tracing, ...rest } = options as StreamOptions & { inner: StreamFunction; tracing: TracingOptions };
    return traceChat(model, context, rest, tracing, inner);
  };
}

/**
 * `gen_ai.provider.name` for qcore's provider names: the conventions'
 * well-known values where one fits (`moonshot_ai` is in the GenAI
 * conventions' own registry, after 1.45.0); any other provider is named as
 * qcore names it. The agent's spans keep the same table (`agent-tracing.ts`).
 */
const PROVIDER_NAMES: Record<string, string> = {
  google: 'gcp.gemini',
  'amazon-bedrock': 'aws.bedrock',
  kimi: 'moonshot_ai',
};

/** The attributes of the request, known before it is sent. */
function requestAttributes(model: Model, options: StreamOptions): SpanAttributes {
  let url: URL | undefined;
  try {
    url = new URL(model.baseUrl);
  } catch {}
  return {
    'gen_ai.operation.name': 'chat',
    'gen_ai.provider.name': PROVIDER_NAMES[model.provider] ?? model.provider,
    'gen_ai.request.model': model.id,
    'gen_ai.request.max_tokens': options.maxTokens,
    'gen_ai.request.temperature': options.temperature,
    'gen_ai.output.type': options.output === undefined ? undefined : 'json',
    // The host alone: a base URL's userinfo or query never goes into a span.
    'server.address': url?.hostname || undefined,
    'server.port': url ? Number(url.port || (url.protocol === 'http:' ? 80 : 443)) : undefined,
  };
}

/** The conventions' finish reasons (`stop`, `length`, `content_filter`, `tool_call`, `error`). */
export function finishReason(message: AssistantMessage): string {
  switch (message.stopReason) {
    case 'toolUse':
      return 'tool_call';
    case 'error':
    case 'aborted':
      return message.errorKind === 'refusal' ? 'content_filter' : 'error';
    default:
      return message.stopReason;
  }
}

/** What a span gets at the end of a reply. */
function replyAttributes(message: AssistantMessage): SpanAttributes {
  const usage = message.usage;
  return {
    'gen_ai.response.model': message.model,
    'gen_ai.response.id': message.responseId,
    'gen_ai.response.finish_reasons': [finishReason(message)],
    // The conventions count cached input in input_tokens; qcore's `usage.input` leaves it out.
    'gen_ai.usage.input_tokens': usage.input + usage.cacheRead + usage.cacheWrite,
    'gen_ai.usage.output_tokens': usage.output,
    'gen_ai.usage.cache_read.input_tokens': usage.cacheRead,
    'gen_ai.usage.cache_creation.input_tokens': usage.cacheWrite,
    'qcore.cost.usd': usage.cost.total,
  };
}

/** Drops the attributes that have no value, which some tracers refuse. */
function defined(attributes: SpanAttributes): SpanAttributes {
  const out: SpanAttributes = {};
  for (const [key, value] of Object.entries(attributes)) if (value !== undefined) out[key] = value;
  return out;
}

function traceChat(
  model: Model,
  context: Context,
  options: StreamOptions,
  tracing: TracingOptions,
  inner: StreamFunction,
): AssistantMessageStream {
  const started = performance.now();
  let span: Span;
  try {
    span = tracing.tracer.startSpan(`chat ${model.id}`, defined(requestAttributes(model, options)), tracing.parent);
    if (tracing.recordContent) span.setAttributes(defined(inputContent(context)));
  } catch (error) {
    // A tracer that fails costs the trace, never the reply.
    console.error('qcore: the tracer failed to start a span', error);
    return inner(model, context, options);
  }
  let requests = 0;
  const userFetch = options.fetch;
  const counted: FetchFunction = (input, init) => {
    requests++;
    return (userFetch ?? fetch)(input, init);
  };
  const out = new AssistantMessageEventStreamClass();
  void pipe(inner(model, context, { ...options, fetch: counted }), out, (end, firstDelta) => {
    const message = end.type === 'done' ? end.message : end.error;
    const failed = end.type === 'error';
    span.setAttributes(
      defined({
        ...replyAttributes(message),
        ...(tracing.recordContent ? outputContent(message) : {}),
        'qcore.ttft_ms': firstDelta === undefined ? undefined : firstDelta - started,
        'qcore.requests': requests,
        'error.type': failed ? (message.errorKind ?? 'unknown') : undefined,
      }),
    );
    span.end(failed ? new Error(message.errorMessage ?? message.stopReason) : undefined);
  });
  return out;
}

type EndEvent = Extract<AssistantMessageEvent, { type: 'done' | 'error' }>;

/**
 * Passes `stream`'s events to `out`, noting when the first delta came; the
 * span ends before the last event goes out, so a caller that awaited the
 * reply finds its span ended.
 */
async function pipe(
  stream: AssistantMessageStream,
  out: AssistantMessageEventStream,
  finish: (end: EndEvent, firstDelta: number | undefined) => void,
): Promise<void> {
  let firstDelta: number | undefined;
  let last: AssistantMessage | undefined;
  for await (const event of stream) {
    if (event.type === 'done' || event.type === 'error') {
      try {
        finish(event, firstDelta);
      } catch (error) {
        console.error('qcore: the tracer failed to end a span', error);
      }
      out.push(event);
      return;
    }
    if (firstDelta === undefined && event.type.endsWith('_delta')) firstDelta = performance.now();
    last = event.partial;
    out.push(event);
  }
  // Every qcore stream ends with `done` or `error`; a custom protocol's may not.
  const error: AssistantMessage = {
    ...(last ?? { role: 'assistant', content: [], api: '', provider: '', model: '', usage: emptyUsage() }),
    stopReason: 'error',
    errorMessage: 'the stream ended before the reply was complete',
    errorKind: 'network',
    timestamp: Date.now(),
  } as AssistantMessage;
  const end: EndEvent = { type: 'error', reason: 'error', error };
  try {
    finish(end, firstDelta);
  } catch {}
  out.push(end);
}

// ---------------------------------------------------------------- content (recordContent only)

type Part = Record<string, unknown>;

/** A message's parts as the conventions' input and output message schemas define them. */
function partsOf(message: Message): Part[] {
  if (message.role === 'toolResult') {
    const text = message.content.map((part) => (part.type === 'text' ? part.text : '')).join('');
    return [{ type: 'tool_call_response', id: message.toolCallId, response: text }];
  }
  if (typeof message.content === 'string') return [{ type: 'text', content: message.content }];
  return message.content.map((part): Part => {
    if (part.type === 'text') return { type: 'text', content: part.text };
    if (part.type === 'thinking') return { type: 'reasoning', content: part.thinking };
    if (part.type === 'toolCall') return { type: 'tool_call', id: part.id, name: part.name, arguments: part.arguments };
    return { type: 'blob', modality: 'image', mime_type: part.mimeType, content: part.data };
  });
}

const ROLES = { user: 'user', assistant: 'assistant', toolResult: 'tool' } as const;

function inputContent(context: Context): SpanAttributes {
  return {
    'gen_ai.system_instructions': context.systemPrompt
      ? JSON.stringify([{ type: 'text', content: context.systemPrompt }])
      : undefined,
    'gen_ai.input.messages': JSON.stringify(
      context.messages.map((message) => ({ role: ROLES[message.role], parts: partsOf(message) })),
    ),
  };
}

function outputContent(message: AssistantMessage): SpanAttributes {
  return {
    'gen_ai.output.messages': JSON.stringify([
      { role: 'assistant', parts: partsOf(message), finish_reason: finishReason(message) },
    ]),
  };
}
