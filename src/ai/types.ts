/**
 * Public types of the LLM layer. Everything a caller sends or receives is
 * plain JSON, so a context can be stored, sent over the wire and restored.
 */

/** Wire protocols qcore speaks. A user may register more (see `registerApi`). */
export type KnownApi =
  | 'anthropic-messages'
  | 'openai-completions'
  | 'openai-responses'
  | 'google-generative-ai'
  | 'bedrock-converse-stream';
export type Api = KnownApi | (string & {});

export type KnownProvider = 'anthropic' | 'openai' | 'qwen' | 'kimi' | 'deepseek' | 'google' | 'amazon-bedrock';
export type Provider = KnownProvider | (string & {});

export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** A JSON Schema object, as sent to providers. */
export type JsonSchema = { [key: string]: unknown };

// ---------------------------------------------------------------- models

/** Prices in US dollars per million tokens. */
export interface ModelCost {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
}

/**
 * Known quirks of OpenAI-compatible servers. They are data on the model, so
 * nothing is guessed from a URL. Every field is optional; the defaults fit
 * OpenAI itself.
 */
export interface OpenAICompletionsCompat {
  /** Which field carries the token limit. Default `max_completion_tokens`. */
  maxTokensField?: 'max_tokens' | 'max_completion_tokens';
  /** Ask for usage in the final chunk via `stream_options`. Default true. */
  supportsUsageInStreaming?: boolean;
  /** Use the `developer` role instead of `system`. Default false. */
  supportsDeveloperRole?: boolean;
  /**
   * How reasoning is switched on. Default `reasoning_effort`. `enable_thinking`
   * sends `enable_thinking: true|false` (Qwen); `chat_template_kwargs` sends
   * `chat_template_kwargs: { enable_thinking: true|false }`, which llama.cpp's
   * `llama-server` passes to the model's chat template (Qwen3 and others);
   * `thinking` sends `thinking: { type: 'enabled' | 'disabled' }` (DeepSeek,
   * whose models think unless told not to).
   */
  thinkingFormat?: 'reasoning_effort' | 'enable_thinking' | 'chat_template_kwargs' | 'thinking' | 'none';
  /**
   * Send earlier reasoning back as `reasoning_content` on assistant turns
   * that made tool calls. Kimi and DeepSeek reject follow-ups without it.
   */
  sendReasoningContent?: boolean;
  /** Whether the server accepts `tool_choice`. Default true. */
  supportsToolChoice?: boolean;
}

/** Quirks of Anthropic-compatible servers. */
export interface AnthropicMessagesCompat {
  /** Mark the system prompt and last message with `cache_control`. Default true. */
  supportsCacheControl?: boolean;
}

/** How a Gemini model is told how much to think. */
export interface GoogleGenerativeAICompat {
  /**
   * `level`: `thinkingLevel` (Gemini 3 and later); `budget`: `thinkingBudget`
   * (Gemini 2.5). Sending both is a 400. Default `level`.
   */
  thinkingControl?: 'level' | 'budget';
  /** Level models: the least thinking accepted, sent for `off` and `minimal`. Default `low`. */
  minThinkingLevel?: 'minimal' | 'low';
  /** Budget models: the budget sent for `off` (0 stops thinking; 2.5 Pro needs 128). Default 0. */
  offThinkingBudget?: number;
}

export type ModelCompat = OpenAICompletionsCompat & AnthropicMessagesCompat & GoogleGenerativeAICompat;

export interface Model<TApi extends Api = Api> {
  id: string;
  name: string;
  api: TApi;
  provider: Provider;
  baseUrl: string;
  /** Whether the model can think before answering. */
  reasoning: boolean;
  input: ('text' | 'image')[];
  cost: ModelCost;
  contextWindow: number;
  maxTokens: number;
  headers?: Record<string, string>;
  /**
   * Top-level fields merged into every request body for this model, for
   * fields qcore does not model (a gateway's routing, a sampler setting).
   * They override what qcore sets, and `StreamOptions.extraBody` overrides
   * them. The fields qcore builds from the context are refused, and the
   * request fails before it is sent: `model`, `messages`, `input`,
   * `contents`, `stream`, `tools` and `toolConfig` (`RESERVED_BODY_KEYS`).
   */
  extraBody?: Record<string, unknown>;
  compat?: ModelCompat;
  /**
   * How the model is asked for structured output (`StreamOptions.output`):
   * `native` sends the schema in the protocol's own request field
   * (`response_format`, `text.format`, `responseJsonSchema`,
   * `output_config.format`, `outputConfig.textFormat`); `tool` forces a call
   * of one tool whose parameters are the schema. Unset: the protocol's
   * default (`native`, except `tool` for Anthropic and Bedrock).
   */
  structuredOutput?: 'native' | 'tool';
}

// ---------------------------------------------------------------- content

/**
 * Opaque data a provider needs back unchanged on the next turn: a thinking
 * signature, a Gemini `thoughtSignature`, a Responses item id, encrypted
 * reasoning. Only the protocol that wrote it reads it, and only when the
 * next turn goes to the same model.
 */
export type ProviderData = JsonObject;

export interface TextContent {
  type: 'text';
  text: string;
  providerData?: ProviderData;
}

export interface ThinkingContent {
  type: 'thinking';
  thinking: string;
  /** The provider sent this reasoning encrypted; `providerData` holds it. */
  redacted?: boolean;
  providerData?: ProviderData;
}

export interface ImageContent {
  type: 'image';
  /** Base64 without a `data:` prefix. */
  data: string;
  mimeType: string;
  providerData?: ProviderData;
}

/** Set when a tool call's arguments were not valid JSON when the call ended. */
export interface InvalidToolArguments {
  /** The raw text the model sent. */
  raw: string;
  /** What the JSON parser said. */
  error: string;
}

export interface ToolCall {
  type: 'toolCall';
  id: string;
  name: string;
  /** The parsed arguments; while streaming, what has been parsed so far. */
  arguments: Record<string, unknown>;
  /**
   * Present when the arguments did not parse. `arguments` then holds only
   * what could be read, and the call must not be executed.
   */
  invalidArguments?: InvalidToolArguments;
  providerData?: ProviderData;
}

// ---------------------------------------------------------------- messages

export interface Usage {
  /** Input tokens not read from or written to the cache. */
  input: number;
  /** Output tokens, thinking included. */
  output: number;
  cacheRead: number;
  cacheWrite: number;
  totalTokens: number;
  /** US dollars, computed from the model's prices. */
  cost: { input: number; output: number; cacheRead: number; cacheWrite: number; total: number };
}

export type StopReason = 'stop' | 'length' | 'toolUse' | 'error' | 'aborted';

/**
 * Why a reply failed, for code that must decide what to do next: wait and
 * retry (`rate_limit`, `overloaded`, `server`, `network`, `timeout`),
 * compact the history (`context_overflow`), or ask the user (`auth`,
 * `permission`, billing problems included). `refusal`: the model or a
 * content filter declined to answer.
 */
export type ErrorKind =
  | 'auth'
  | 'permission'
  | 'rate_limit'
  | 'overloaded'
  | 'context_overflow'
  | 'invalid_request'
  | 'not_found'
  | 'refusal'
  | 'server'
  | 'network'
  | 'timeout'
  | 'aborted'
  | 'invalid_output'
  | 'unknown';

/** What is known about a failure besides its message. */
export interface ErrorInfo {
  errorKind: ErrorKind;
  /** The HTTP status, when the provider answered with one. */
  errorStatus?: number;
  /** How long the provider asked to wait (`retry-after`), when it did. */
  retryAfterMs?: number;
}

export interface UserMessage {
  role: 'user';
  content: string | (TextContent | ImageContent)[];
  timestamp: number;
}

export interface AssistantMessage {
  role: 'assistant';
  content: (TextContent | ThinkingContent | ToolCall)[];
  api: Api;
  provider: Provider;
  model: string;
  usage: Usage;
  stopReason: StopReason;
  errorMessage?: string;
  /** Set with `errorMessage`. */
  errorKind?: ErrorKind;
  errorStatus?: number;
  retryAfterMs?: number;
  /** The provider's id for this response, when it sends one. */
  responseId?: string;
  /** With `StreamOptions.output`: the value the reply held, checked against the schema. */
  output?: unknown;
  /** With `errorKind: 'invalid_output'` from the check of `output`: what did not match (the text is in `content`). */
  outputIssues?: OutputIssue[];
  timestamp: number;
}

export interface ToolResultMessage<TDetails = unknown> {
  role: 'toolResult';
  toolCallId: string;
  toolName: string;
  content: (TextContent | ImageContent)[];
  /** Structured data for UIs; never sent to the model. */
  details?: TDetails;
  isError: boolean;
  timestamp: number;
}

export type Message = UserMessage | AssistantMessage | ToolResultMessage;

/** A tool as the model sees it. */
export interface Tool {
  name: string;
  description: string;
  parameters: JsonSchema;
}

export interface Context {
  systemPrompt?: string;
  messages: Message[];
  tools?: Tool[];
}

// ---------------------------------------------------------------- options

export type ReasoningLevel = 'off' | 'minimal' | 'low' | 'medium' | 'high';

export type ToolChoice = 'auto' | 'none' | 'required' | { type: 'tool'; name: string };

/** The fetch signature qcore calls; any spec-compliant fetch fits. */
export type FetchFunction = (input: string, init: RequestInit) => Promise<Response>;

/**
 * A Standard Schema (https://standardschema.dev): zod 4, Valibot, ArkType and
 * others implement it. `jsonSchema` is Standard JSON Schema, which zod 4.2
 * and later provide; it is how qcore tells the model the shape without
 * importing the library.
 */
export interface StandardSchemaV1<Output = unknown> {
  readonly '~standard': {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (value: unknown) => StandardSchemaResult<Output> | Promise<StandardSchemaResult<Output>>;
    readonly jsonSchema?: { readonly input: (options: { target: string }) => Record<string, unknown> };
    readonly types?: { readonly input: unknown; readonly output: Output };
  };
}

export type StandardSchemaResult<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | {
      readonly issues: ReadonlyArray<{
        readonly message: string;
        readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }>;
      }>;
    };

/** What `output` takes: a Standard Schema (zod and others) or a plain JSON Schema. */
export type OutputSchema<T = unknown> = StandardSchemaV1<T> | JsonSchema;

/** The value an `OutputSchema` describes. */
export type InferOutput<S> = S extends StandardSchemaV1<infer T> ? T : unknown;

/** One way the output failed its schema: `path` names where (`[]` for the whole value). */
export interface OutputIssue {
  message: string;
  path: (string | number)[];
}

/**
 * The schema as a protocol sends it, set by the structured-output layer from
 * `output` for a model whose `structuredOutput` is `native`. `strict` is true
 * when the schema meets OpenAI's strict-mode rules (every property required,
 * no additional properties).
 */
export interface ResponseFormat {
  name: string;
  schema: JsonSchema;
  strict: boolean;
}

export interface StreamOptions {
  /** Defaults to the provider's environment variable, where `process.env` exists. */
  apiKey?: string;
  signal?: AbortSignal;
  maxTokens?: number;
  temperature?: number;
  reasoning?: ReasoningLevel;
  toolChoice?: ToolChoice;
  /** Extra HTTP headers; they override the model's. */
  headers?: Record<string, string>;
  /** Merged into the request body last, for fields qcore does not model. */
  extraBody?: Record<string, unknown>;
  fetch?: FetchFunction;
  /** Retries before the first event. Default 2. */
  maxRetries?: number;
  /** Longest wait for the first byte and for each next chunk. Default 120 000 ms. */
  timeoutMs?: number;
  /**
   * Longest time for the whole stream, retries and their waits included.
   * No default: `timeoutMs` alone never ends a stream that keeps sending
   * (even only keep-alive comments). Past it the stream ends with an error.
   */
  maxDurationMs?: number;
  /**
   * Asks for a JSON value of this shape: a zod schema (or any Standard
   * Schema) or a plain JSON Schema. The stream adds `object_delta` events as
   * the value grows, and the final message holds the checked value in
   * `output`. A reply that does not parse or match ends the stream with
   * `errorKind: 'invalid_output'` and `outputIssues`.
   */
  output?: OutputSchema;
  /** The output's name, where the request needs one (a tool's or a format's). Default `output`. */
  outputName?: string;
  /** With `output`: one more request that shows the model what failed, before giving up. Default false. */
  repair?: boolean;
  /** Set by the structured-output layer (see `ResponseFormat`); a protocol that supports it sends it. */
  responseFormat?: ResponseFormat;
  /** Traces the call: one `chat {model}` span (see `TracingOptions`). Off without it, at no cost. */
  tracing?: TracingOptions;
}

// ---------------------------------------------------------------- tracing

/** A span's attributes, as OpenTelemetry takes them; qcore leaves out those it has no value for. */
export type SpanAttributes = Record<string, string | number | boolean | string[] | number[] | undefined>;

/** One traced operation, as a `Tracer` started it. */
export interface Span {
  setAttributes(attributes: SpanAttributes): void;
  /** Ends the span; `error` when the operation failed (an `Error` whose message holds no credentials). */
  end(error?: unknown): void;
}

/**
 * Where spans go: any tracing system, through one function. `otelTracer()`
 * from `qcore/otel` makes one from OpenTelemetry's; qcore itself imports no
 * tracing library. Names and attributes follow OpenTelemetry's GenAI
 * semantic conventions (`gen_ai.*`, 1.37 and later), qcore's own under `qcore.*`.
 */
export interface Tracer {
  startSpan(name: string, attributes: SpanAttributes, parent?: Span): Span;
}

/**
 * Tracing for `stream()` (`StreamOptions.tracing`) and the agent
 * (`AgentOptions.tracing`). A stream is one `chat {model}` span: the
 * request's model, provider and server, then the reply's usage, finish
 * reason, cost (`qcore.cost.usd`), time to the first delta
 * (`qcore.ttft_ms`) and HTTP requests (`qcore.requests`, retries included),
 * or `error.type` (the `ErrorKind`). Keys and headers never go into a span.
 */
export interface TracingOptions {
  tracer: Tracer;
  /** The span the new ones go under; none: the tracer decides (OpenTelemetry: the active span). */
  parent?: Span;
  /**
   * Records what was said: the system prompt, the messages sent and the
   * reply (`gen_ai.system_instructions`, `gen_ai.input.messages`,
   * `gen_ai.output.messages`, JSON as the conventions define them), and a
   * tool call's arguments and result. They may hold personal data. Default false.
   */
  recordContent?: boolean;
}

// ---------------------------------------------------------------- events

/**
 * Events of one streamed reply. `partial` is the live message being built:
 * the same object on every event, never a copy. Clone it to keep a snapshot.
 */
export type AssistantMessageEvent =
  | { type: 'start'; partial: AssistantMessage }
  | { type: 'text_start'; contentIndex: number; partial: AssistantMessage }
  | { type: 'text_delta'; contentIndex: number; delta: string; partial: AssistantMessage }
  | { type: 'text_end'; contentIndex: number; content: string; partial: AssistantMessage }
  | { type: 'thinking_start'; contentIndex: number; partial: AssistantMessage }
  | { type: 'thinking_delta'; contentIndex: number; delta: string; partial: AssistantMessage }
  | { type: 'thinking_end'; contentIndex: number; content: string; partial: AssistantMessage }
  | { type: 'toolcall_start'; contentIndex: number; partial: AssistantMessage }
  | { type: 'toolcall_delta'; contentIndex: number; delta: string; partial: AssistantMessage }
  | { type: 'toolcall_end'; contentIndex: number; toolCall: ToolCall; partial: AssistantMessage }
  /**
   * With `output`: the value parsed so far from the text at `contentIndex`,
   * after each of its deltas. `object` is the parser's live tree, updated in
   * place: clone it to keep a snapshot.
   */
  | { type: 'object_delta'; contentIndex: number; object: unknown; partial: AssistantMessage }
  | { type: 'done'; reason: 'stop' | 'length' | 'toolUse'; message: AssistantMessage }
  | { type: 'error'; reason: 'error' | 'aborted'; error: AssistantMessage };

export type AssistantMessageEventType = AssistantMessageEvent['type'];

/** An async iterable of events that also resolves to the final message. */
export interface AssistantMessageStream extends AsyncIterable<AssistantMessageEvent> {
  result(): Promise<AssistantMessage>;
}

/**
 * A wire protocol implementation. Options may carry protocol-specific
 * fields. It reads `context` while it builds its request and must copy what
 * it keeps longer: the agent passes its own `messages` array, which grows for
 * the next turn.
 */
export type StreamFunction<TOptions extends StreamOptions = StreamOptions> = (
  model: Model,
  context: Context,
  options?: TOptions,
) => AssistantMessageStream;
