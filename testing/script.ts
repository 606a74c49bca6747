/**
 * The mock server's script language. Everything here is plain data, so a
 * script can also be sent over HTTP from tests that run in Chromium or
 * workerd. Only Node callers may use functions as turns.
 */

/** Wire protocols the mock server speaks. */
export type MockApi =
  | 'anthropic-messages'
  | 'openai-completions'
  | 'openai-responses'
  | 'google-generative-ai'
  | 'bedrock-converse-stream';

export type MockBlock =
  | { type: 'text'; text: string }
  | { type: 'thinking'; thinking: string; signature?: string }
  /** Anthropic's `redacted_thinking`: encrypted reasoning the client must send back. */
  | { type: 'redactedThinking'; data: string }
  | {
      type: 'toolCall';
      id?: string;
      name: string;
      /** An object is serialised; a string is sent as is, so it may be invalid JSON. */
      arguments: Record<string, unknown> | string;
    };

export interface MockUsage {
  /** Input tokens not read from or written to the cache. */
  input: number;
  output: number;
  cacheRead?: number;
  cacheWrite?: number;
  /** Reasoning tokens, included in `output`. */
  reasoning?: number;
}

/** Where a reply's stream goes wrong. `afterEvents` counts the wire events sent first. */
export type MockStreamFault =
  /** Sends half of the next event, then closes the connection. */
  | { type: 'cut'; afterEvents: number }
  /** Stops sending and keeps the connection open. */
  | { type: 'stall'; afterEvents: number }
  /** Sends an event whose JSON is broken. */
  | { type: 'malformed'; afterEvents: number }
  /** Sends the provider's own "overloaded" error event. */
  | { type: 'overloaded'; afterEvents?: number }
  /**
   * Starts an SSE `data:` line and never ends it: sends `bytes` (default
   * 64 MiB) with no newline, or until the client closes the connection.
   */
  | { type: 'endlessLine'; afterEvents?: number; bytes?: number }
  /** Sends only SSE comment lines, one every `intervalMs` (default 50), until the client closes. */
  | { type: 'keepalive'; afterEvents?: number; intervalMs?: number };

/**
 * The flavour of `openai-completions` a reply speaks, and whose context-overflow error the
 * session answers with:
 * - `openai`: usage in a final chunk with empty `choices`;
 * - `qwen`: tool-call continuation deltas with an empty `id`, usage chunk with empty `choices`;
 * - `kimi`: reasoning in `reasoning_content`, usage inside the last choice;
 * - `deepseek`: reasoning in `reasoning_content`, cache hits as `prompt_cache_hit_tokens`;
 * - `openrouter`: reasoning in `reasoning`;
 * - `llama.cpp`: llama.cpp's `llama-server`; streams as `openai`, overflows with its own
 *   `exceed_context_size_error`.
 */
export type MockVariant = 'openai' | 'qwen' | 'kimi' | 'deepseek' | 'openrouter' | 'llama.cpp';

/** A streamed reply, encoded in the wire format of the endpoint it answers. */
export interface MockReply {
  type?: 'reply';
  content: MockBlock[];
  /** `stop`, `length` and `toolUse` map to the wire's own words; another string is sent as is. */
  stopReason?: 'stop' | 'length' | 'toolUse' | (string & {});
  usage?: MockUsage;
  /** Characters per text, thinking or argument delta. Default 16. */
  deltaSize?: number;
  /** Bytes per socket write; small values split events, lines and UTF-8 characters. Default: one write per event. */
  writeSize?: number;
  /** Milliseconds between wire events, so that a replay streams at a pace a person can watch. Default 0. */
  paceMs?: number;
  /** The flavour of `openai-completions` to speak (see {@link MockVariant}). Default: the model's, else `openai`. */
  variant?: MockVariant;
  fault?: MockStreamFault;
  /** Response id sent on the wire. */
  id?: string;
}

/**
 * A non-streamed HTTP answer, such as 429 with `retry-after`, 500 with a JSON
 * body, or a redirect (`status: 307, headers: { location }`).
 */
export interface MockHttpError {
  type: 'http';
  status: number;
  /** An object is sent as JSON; a string as text. Default: the provider's own error shape. */
  body?: unknown;
  headers?: Record<string, string>;
}

/**
 * Wire events sent verbatim, such as a recorded real stream: SSE text (each
 * event ending in a blank line), or binary frames as base64 so that a script
 * stays JSON.
 */
export interface MockRawReply {
  type: 'raw';
  events: (string | { base64: string })[];
  writeSize?: number;
  /** Default `text/event-stream`. */
  contentType?: string;
}

export type MockTurn = MockReply | MockHttpError | MockRawReply;

/** A request as the mock server received it. */
export interface MockRequest {
  api: MockApi;
  method: string;
  path: string;
  headers: Record<string, string>;
  /** The parsed JSON body. */
  body: unknown;
}

/** A turn computed from the request it answers (Node only). */
export type MockTurnFunction = (request: MockRequest) => MockTurn | Promise<MockTurn>;

/**
 * What the mock knows of one model, keyed in {@link MockScript.models} by the model id as the
 * request names it: `body.model` for `anthropic-messages`, `openai-completions` and
 * `openai-responses`; the URL path, URL-decoded, for Gemini (`…/models/{id}:streamGenerateContent`)
 * and Bedrock (`…/model/{id}/converse-stream`).
 */
export interface MockModel {
  /**
   * The model's context window in the mock's own tokens (see `countRequestTokens` in
   * `testing/context.ts`). A request over it is answered with the provider's real
   * context-overflow error; one under it streams the scripted reply, whose usage, when the
   * reply sets none, reports the counted tokens. Overrides {@link MockScript.contextWindow}.
   */
  contextWindow?: number;
  /** The `openai-completions` flavour of this model: its overflow error, and its replies' default. */
  variant?: MockVariant;
}

/**
 * A standing answer: a request whose raw body text contains `whenBodyIncludes` is answered with
 * `reply` without consuming a scripted turn, as often as it comes. The first match wins; the
 * context-window check comes first. The body is JSON, so write quotes, backslashes and newlines
 * escaped as JSON escapes them (`\"`, `\n`).
 */
export interface MockResponder<TTurn = MockTurn | MockTurnFunction> {
  whenBodyIncludes: string;
  reply: TTurn;
}

export interface MockScript<TTurn = MockTurn | MockTurnFunction> {
  /** Answered in order, one per request. When they run out the server answers 500. */
  turns: TTurn[];
  /**
   * The context window of every model of the session, in the mock's own tokens; a model in
   * {@link models} may set its own. Without one, requests are never too long and replies
   * without `usage` report zero tokens, as before.
   */
  contextWindow?: number;
  /** Per-model settings, keyed by the model id the request names (see {@link MockModel}). */
  models?: Record<string, MockModel>;
  /** Standing answers, checked before the turns (see {@link MockResponder}). */
  responders?: MockResponder<TTurn>[];
}

/** Splits text into pieces of at most `size` characters, never inside a surrogate pair. */
export function splitText(text: string, size: number): string[] {
  if (text.length === 0) return [];
  const pieces: string[] = [];
  let start = 0;
  while (start < text.length) {
    let end = Math.min(start + size, text.length);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end++;
    pieces.push(text.slice(start, end));
    start = end;
  }
  return pieces;
}

/** One server-sent event in wire form. */
export function sseEvent(data: string, event?: string): string {
  return event ? `event: ${event}\ndata: ${data}\n\n` : `data: ${data}\n\n`;
}

/** One wire event: SSE text, or a binary frame for protocols that are not SSE. */
export type WireChunk = string | Uint8Array;

/** Encodes replies into one protocol's wire events. */
export interface WireEncoder {
  /** Default `text/event-stream`. */
  contentType?: string;
  reply(reply: MockReply, request: MockRequest): WireChunk[];
  /** The protocol's own "overloaded" error event. */
  overloaded(): WireChunk;
  /** An event the client cannot decode. Default: an SSE event with broken JSON. */
  malformed?(): WireChunk;
  /** The protocol's JSON error body for an HTTP error of this status. */
  errorBody(status: number, message: string): unknown;
  /**
   * The provider's real answer to a request too long for `window`, or `undefined` when it fits.
   * `measure` is the request as the mock counts it (`measureRequest` in `testing/context.ts`).
   */
  contextOverflow?(measure: MockRequestMeasure, window: number, variant?: MockVariant): MockHttpError | undefined;
  /**
   * The provider's real answer to a request it refuses as it reads it (a malformed field, fields that
   * may not go together), or `undefined` when it takes the request. Checked before any turn is consumed.
   */
  refuse?(request: MockRequest): MockHttpError | undefined;
}

/** A request as the mock's counting rule sees it (see `measureRequest` in `testing/context.ts`). */
export interface MockRequestMeasure {
  /** The model id the request names, when it names one. */
  model?: string;
  /** Tokens of each prompt-bearing field present, by its wire name (`messages`, `tools`, `system`…). */
  parts: Record<string, number>;
  /** The sum of `parts`: the request's input tokens. */
  input: number;
  /** The output limit the request asks for (`max_tokens` and its equivalents), if any. */
  maxTokens?: number;
}
