import type { AssistantMessageEventStream } from './event-stream.js';
import { finishToolArguments, PartialJsonParser } from './partial-json.js';
import { redactSecrets } from './redact.js';
import type {
  AssistantMessage,
  AssistantMessageEvent,
  ErrorInfo,
  ErrorKind,
  Model,
  ProviderData,
  TextContent,
  ThinkingContent,
  ToolCall,
  Usage,
} from './types.js';
import { calculateCost, emptyUsage } from './usage.js';

/**
 * The most argument text one tool call may stream: 16 MiB (in UTF-16 code
 * units). Far above what a model writes, and it bounds what a hostile or
 * broken server can make qcore hold. Past it the stream ends with an error.
 */
export const MAX_TOOL_ARGUMENT_CHARS = 16 * 1024 * 1024;

const USAGE_KEYS = ['input', 'output', 'cacheRead', 'cacheWrite'] as const;

interface OpenBlock {
  open: boolean;
  parser?: PartialJsonParser;
  raw: string;
}

export interface UsageUpdate {
  input?: number;
  output?: number;
  cacheRead?: number;
  cacheWrite?: number;
}

/**
 * The one content-block state machine every provider feeds. A provider
 * translates its wire events into calls here; this class owns the partial
 * message, the event order, tool-argument parsing and the terminal event.
 *
 * `start` is held back until the first block opens, so that a request can
 * still be retried when it fails before any content.
 */
export class MessageAssembler {
  readonly message: AssistantMessage;
  #blocks: OpenBlock[] = [];
  #started = false;
  /** The open text or thinking block, or -1. */
  #openProse = -1;
  #ended = false;
  /** Redacted from every error message. */
  #secrets: string[] = [];

  readonly #model: Model;
  readonly #stream: AssistantMessageEventStream;

  constructor(model: Model, stream: AssistantMessageEventStream) {
    this.#model = model;
    this.#stream = stream;
    this.message = {
      role: 'assistant',
      content: [],
      api: model.api,
      provider: model.provider,
      model: model.id,
      usage: emptyUsage(),
      stopReason: 'stop',
      timestamp: Date.now(),
    };
  }

  /** True once any event has gone out; a retry is no longer possible. */
  get hasEmitted(): boolean {
    return this.#started;
  }

  get isEnded(): boolean {
    return this.#ended;
  }

  /** Forgets a failed attempt that emitted nothing, before a retry. */
  reset(): void {
    this.message.content.length = 0;
    this.message.usage = emptyUsage();
    this.message.responseId = undefined;
    this.#blocks = [];
    this.#openProse = -1;
  }

  #emitStart(): void {
    if (this.#started) return;
    this.#started = true;
    this.#stream.push({ type: 'start', partial: this.message });
  }

  startText(providerData?: ProviderData): number {
    return this.#open({ type: 'text', text: '' }, 'text', providerData);
  }

  startThinking(providerData?: ProviderData, redacted?: boolean): number {
    const part: ThinkingContent = { type: 'thinking', thinking: '' };
    if (redacted) part.redacted = true;
    return this.#open(part, 'thinking', providerData);
  }

  startToolCall(id: string, name: string, providerData?: ProviderData): number {
    return this.#open({ type: 'toolCall', id, name, arguments: {} }, 'toolcall', providerData, new PartialJsonParser());
  }

  /** Appends a block and emits its `*_start` event (after `start`, once). */
  #open(
    part: AssistantMessage['content'][number],
    kind: 'text' | 'thinking' | 'toolcall',
    providerData?: ProviderData,
    parser?: PartialJsonParser,
  ): number {
    if (providerData) part.providerData = providerData;
    this.#emitStart();
    const content = this.message.content;
    // Text and thinking never overlap another block; tool calls may (parallel calls stream by index).
    if (this.#openProse !== -1) this.endBlock(this.#openProse);
    const index = content.length;
    if (!parser) this.#openProse = index;
    content.push(part);
    this.#blocks.push({ open: true, parser, raw: '' });
    this.#stream.push({ type: `${kind}_start`, contentIndex: index, partial: this.message } as AssistantMessageEvent);
    return index;
  }

  textDelta(index: number, delta: string): void {
    const part = this.message.content[index] as TextContent;
    part.text += delta;
    this.#stream.push({ type: 'text_delta', contentIndex: index, delta, partial: this.message });
  }

  thinkingDelta(index: number, delta: string): void {
    const part = this.message.content[index] as ThinkingContent;
    part.thinking += delta;
    this.#stream.push({ type: 'thinking_delta', contentIndex: index, delta, partial: this.message });
  }

  /**
   * Appends streamed argument text. Past `MAX_TOOL_ARGUMENT_CHARS` it ends
   * the stream with an error and throws, so that the caller stops reading.
   */
  toolCallDelta(index: number, delta: string): void {
    const block = this.#blocks[index] as OpenBlock;
    const parser = block.parser as PartialJsonParser;
    if (block.raw.length + delta.length > MAX_TOOL_ARGUMENT_CHARS) {
      const name = (this.message.content[index] as ToolCall).name;
      const message = `The tool call "${name}" sent arguments longer than 16 MiB; the stream was stopped`;
      this.fail('error', message, 'invalid_output');
      throw new Error(message);
    }
    block.raw += delta;
    parser.feed(delta);
    const value = parser.value;
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      (this.message.content[index] as ToolCall).arguments = value as Record<string, unknown>;
    }
    this.#stream.push({ type: 'toolcall_delta', contentIndex: index, delta, partial: this.message });
  }

  /**
   * Sets a tool call's arguments when the protocol sends them whole and
   * already parsed (Gemini). Nothing is re-parsed: the one `toolcall_delta`
   * builds its raw JSON text only if a consumer reads `delta`.
   */
  toolCallArguments(index: number, args: Record<string, unknown>): void {
    const block = this.#blocks[index] as OpenBlock;
    block.parser = undefined;
    (this.message.content[index] as ToolCall).arguments = args;
    let raw: string | undefined;
    const event = {
      type: 'toolcall_delta' as const,
      contentIndex: index,
      partial: this.message,
      get delta(): string {
        raw ??= JSON.stringify(args);
        return raw;
      },
    };
    this.#stream.push(event);
  }

  /** Merges opaque provider data into a block, such as a signature that arrives late. */
  addProviderData(index: number, data: ProviderData): void {
    const part = this.message.content[index];
    if (part) part.providerData = part.providerData ? Object.assign(part.providerData, data) : data;
  }

  /** Replaces a tool call's id or name, for providers that send them late. */
  updateToolCall(index: number, fields: { id?: string; name?: string }): void {
    const part = this.message.content[index] as ToolCall;
    if (fields.id) part.id = fields.id;
    if (fields.name) part.name = fields.name;
  }

  endBlock(index: number): void {
    const block = this.#blocks[index];
    const part = this.message.content[index];
    if (!block?.open || !part) return;
    block.open = false;
    if (index === this.#openProse) this.#openProse = -1;
    if (part.type !== 'toolCall') {
      const content = part.type === 'text' ? part.text : part.thinking;
      this.#stream.push({
        type: `${part.type}_end`,
        contentIndex: index,
        content,
        partial: this.message,
      } as AssistantMessageEvent);
      return;
    }
    // Without a parser the arguments arrived whole and parsed (toolCallArguments).
    if (block.parser) {
      const parsed = finishToolArguments(block.parser, block.raw);
      part.arguments = parsed.value;
      if (parsed.error !== undefined) part.invalidArguments = { raw: block.raw, error: parsed.error };
      block.parser = undefined;
    }
    this.#stream.push({ type: 'toolcall_end', contentIndex: index, toolCall: part, partial: this.message });
  }

  #endAllBlocks(): void {
    for (let i = 0; i < this.#blocks.length; i++) this.endBlock(i);
  }

  setResponseId(id: string | undefined): void {
    if (id) this.message.responseId = id;
  }

  /**
   * Updates the usage; fields left out keep their value. A field that is not
   * a finite number (a string, `1e999` from the wire) counts as 0, so that
   * totals and cost stay numbers.
   */
  setUsage(update: UsageUpdate): void {
    const usage: Usage = this.message.usage;
    for (const key of USAGE_KEYS) if (update[key] !== undefined) usage[key] = tokens(update[key]);
    usage.totalTokens = usage.input + usage.output + usage.cacheRead + usage.cacheWrite;
    usage.cost = calculateCost(this.#model, usage);
  }

  /** Ends the stream successfully. Open blocks are closed first. */
  finish(reason: 'stop' | 'length' | 'toolUse'): void {
    if (this.#ended) return;
    this.#endAllBlocks();
    // Some servers report `stop` after tool calls; the content is what counts.
    const final =
      reason === 'stop' && this.message.content.some((part) => part.type === 'toolCall') ? 'toolUse' : reason;
    this.message.stopReason = final;
    this.#ended = true;
    this.#emitStart();
    this.#stream.push({ type: 'done', reason: final, message: this.message });
  }

  /** Ends the stream with an error; partial content and usage are kept. */
  fail(
    reason: 'error' | 'aborted',
    errorMessage: string,
    info: ErrorKind | ErrorInfo = reason === 'aborted' ? reason : 'unknown',
  ): void {
    if (this.#ended) return;
    this.#ended = true;
    this.message.stopReason = reason;
    this.message.errorMessage = this.redact(errorMessage);
    Object.assign(this.message, typeof info === 'string' ? { errorKind: info } : info);
    this.#emitStart();
    this.#stream.push({ type: 'error', reason, error: this.message });
  }

  /** Keys and tokens that must never appear in an error message. */
  addSecrets(secrets: readonly string[]): void {
    for (const secret of secrets) if (secret.length >= 4 && !this.#secrets.includes(secret)) this.#secrets.push(secret);
    // Longest first, so that a secret holding another goes whole.
    this.#secrets.sort((a, b) => b.length - a.length);
  }

  /** `text` without the secrets added so far. Redact before cutting text of your own. */
  redact(text: string): string {
    return redactSecrets(text, this.#secrets);
  }
}

function tokens(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}
