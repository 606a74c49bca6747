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
  /**
   * The flavour of `openai-completions` to speak:
   * - `openai`: usage in a final chunk with empty `choices`;
   * - `qwen`: tool-call continuation deltas with an empty `id`, usage chunk with empty `choices`;
   * - `kimi`: reasoning in `reasoning_content`, usage inside the last choice;
   * - `deepseek`: reasoning in `reasoning_content`, cache hits as `prompt_cache_hit_tokens`;
   * - `openrouter`: reasoning in `reasoning`.
   * Default `openai`.
   */
  variant?: 'openai' | 'qwen' | 'kimi' | 'deepseek' | 'openrouter';
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

export interface MockScript<TTurn = MockTurn | MockTurnFunction> {
  /** Answered in order, one per request. When they run out the server answers 500. */
  turns: TTurn[];
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
}
