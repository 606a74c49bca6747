/**
 * Structured output over any protocol: `stream(model, context, { output })`.
 * The model is asked in its protocol's own way (`native`: the protocol sends
 * `options.responseFormat`) or by a forced call of one tool whose parameters
 * are the schema (`tool`; thinking is turned off for it, since providers
 * refuse a forced tool while thinking). Either way the caller sees a text
 * reply holding JSON, with an `object_delta` after each of its deltas, fed by
 * one incremental parser, and the checked value in `message.output` at the
 * end. Loaded on first use, like a protocol (`registerBuiltinApis` provides
 * it where dynamic import is not allowed).
 */
import type { Engine } from './engine.js';
import type { AssistantMessageEventStream } from './event-stream.js';
import { describeIssues, outputMode, type PreparedOutput, prepareOutput } from './output-schema.js';
import type { PartialJsonParser } from './partial-json.js';
import type {
  AssistantMessage,
  AssistantMessageEvent,
  AssistantMessageStream,
  Context,
  Model,
  OutputIssue,
  StreamFunction,
  StreamOptions,
  TextContent,
  ToolCall,
  Usage,
} from './types.js';

// The shared code, handed over by `defineStructuredOutput` (see `engine.ts`), not imported: an import
// would split these modules out of the first chunk into one of their own.
let AssistantMessageEventStreamClass: typeof AssistantMessageEventStream;
let PartialJsonParserClass: typeof PartialJsonParser;
let emptyUsage: Engine['emptyUsage'];

/**
 * Takes the shared code and gives the registry's stream function, which
 * finds the protocol's own in `options.inner` (`stream()` puts it there).
 */
export default function defineStructuredOutput(engine: Engine): StreamFunction {
  ({
    AssistantMessageEventStream: AssistantMessageEventStreamClass,
    PartialJsonParser: PartialJsonParserClass,
    emptyUsage,
  } = engine);
  return (model, context, options) => {
    const { inner, ...rest } = options as StreamOptions & { inner: StreamFunction };
    return streamStructured(model, context, rest, inner);
  };
}

export { outputMode };

/** The outcome of reading one reply's JSON. */
type Checked = { ok: true; value: unknown } | { ok: false; message: string; issues: OutputIssue[] };

/**
 * Streams `model`'s reply through `inner` (the protocol's stream function)
 * with structured output. Never throws: a bad `output` ends the stream with
 * an `invalid_request` error.
 */
export function streamStructured(
  model: Model,
  context: Context,
  options: StreamOptions,
  inner: StreamFunction,
): AssistantMessageStream {
  const out = new AssistantMessageEventStreamClass();
  let prepared: PreparedOutput;
  try {
    prepared = prepareOutput(options.output as NonNullable<StreamOptions['output']>, options.outputName);
  } catch (error) {
    const message = failedMessage(model, error instanceof Error ? error.message : String(error), 'invalid_request');
    out.push({ type: 'error', reason: 'error', error: message });
    return out;
  }
  void run(model, context, options, inner, prepared, out);
  return out;
}

async function run(
  model: Model,
  context: Context,
  options: StreamOptions,
  inner: StreamFunction,
  prepared: PreparedOutput,
  out: AssistantMessageEventStream,
): Promise<void> {
  const mode = outputMode(model);
  const relay = new Relay(out, mode === 'tool' ? prepared.name : undefined, prepared.unwrap);
  let attemptContext = context;
  for (let attempt = 0; ; attempt++) {
    const request = requestFor(mode, attemptContext, options, prepared);
    const end = await relay.pipe(inner(model, request.context, request.options), attempt > 0);
    if (end.type === 'error') return relay.finishError(end);
    // Native mode lets the model call tools first (an agent's turn): such a reply holds no output yet.
    if (end.reason === 'toolUse' && mode === 'native') return relay.pass('toolUse');
    const checked =
      end.reason === 'length' ? cutShort() : await check(relay.outputText(), prepared, relay.parsedOutput());
    if (checked.ok) return relay.finish(checked.value);
    if (attempt > 0 || !options.repair) return relay.fail(checked.message, checked.issues);
    // One more request: the reply so far, then what was wrong with it.
    attemptContext = {
      ...context,
      messages: [
        ...context.messages,
        { role: 'assistant', content: [{ type: 'text', text: relay.outputText() }], ...headOf(relay.message) },
        {
          role: 'user',
          content: `That output does not match the schema: ${checked.message}. Reply again with only the corrected JSON.`,
          timestamp: Date.now(),
        },
      ] as Context['messages'],
    };
    relay.startRepair();
  }
}

/** The request for one attempt: the schema in the protocol's field, or as a forced tool. */
function requestFor(
  mode: 'native' | 'tool',
  context: Context,
  options: StreamOptions,
  prepared: PreparedOutput,
): { context: Context; options: StreamOptions } {
  const { output: _output, outputName: _name, repair: _repair, ...rest } = options;
  if (mode === 'native') {
    return {
      context,
      options: { ...rest, responseFormat: { name: prepared.name, schema: prepared.schema, strict: prepared.strict } },
    };
  }
  return {
    context: {
      ...context,
      tools: [
        ...(context.tools ?? []),
        {
          name: prepared.name,
          description: 'Give the answer by calling this tool with it.',
          parameters: prepared.schema,
        },
      ],
    },
    options: { ...rest, toolChoice: { type: 'tool', name: prepared.name }, reasoning: 'off' },
  };
}

function cutShort(): Checked {
  const message = 'the reply was cut at maxTokens before its JSON ended';
  return { ok: false, message, issues: [{ message, path: [] }] };
}

/** `parsed`: the value the incremental parse already built, which spares parsing the whole text again. */
async function check(text: string, prepared: PreparedOutput, parsed?: { value: unknown }): Promise<Checked> {
  let value: unknown;
  try {
    value = parsed ? parsed.value : JSON.parse(text);
  } catch {
    const message = text.trim() === '' ? 'the reply holds no JSON' : 'the reply is not JSON';
    return { ok: false, message, issues: [{ message, path: [] }] };
  }
  const result = await prepared.check(value);
  if (result.ok) return result;
  return { ok: false, message: describeIssues(result.issues), issues: result.issues };
}

/**
 * Passes one or two replies' events to `out` as one reply: blocks of a
 * repair go after the first reply's, usage adds up, and there is one `start`
 * and one end. In `tool` mode the forced call becomes a text block holding
 * its JSON. After each delta of the output text, an `object_delta`.
 */
class Relay {
  message: AssistantMessage;
  #started = false;
  /** Where this attempt's blocks go in `message.content`. */
  #offset = 0;
  /** The output text's block in `message.content`, and its parser. */
  #outputIndex = -1;
  #parser: PartialJsonParser | undefined;
  /** The forced call's arguments, once its `toolcall_end` brought them parsed and valid. */
  #parsedCall: { value: unknown } | undefined;
  #usageBefore: Usage = emptyUsage();
  readonly #out: AssistantMessageEventStream;
  readonly #toolName: string | undefined;

  /** The answer inside the JSON (a schema whose root is not an object is sent wrapped). */
  readonly #unwrap: (json: unknown) => unknown;

  constructor(out: AssistantMessageEventStream, toolName: string | undefined, unwrap: (json: unknown) => unknown) {
    this.#out = out;
    this.#toolName = toolName;
    this.#unwrap = unwrap;
    this.message = {
      role: 'assistant',
      content: [],
      api: '',
      provider: '',
      model: '',
      usage: emptyUsage(),
      stopReason: 'stop',
      timestamp: Date.now(),
    };
  }

  /** The text the output is read from: this attempt's output block. */
  outputText(): string {
    const block = this.message.content[this.#outputIndex];
    return block?.type === 'text' ? block.text : '';
  }

  /**
   * The output's value as the stream's own parse left it, when that parse
   * completed without error: the native text's parser, or the forced call's
   * arguments as the protocol's assembler parsed them.
   */
  parsedOutput(): { value: unknown } | undefined {
    if (this.#parsedCall) return this.#parsedCall;
    const parser = this.#parser;
    if (!parser) return undefined;
    const value = parser.finish();
    return parser.error === undefined ? { value } : undefined;
  }

  startRepair(): void {
    this.#offset = this.message.content.length;
    this.#outputIndex = -1;
    this.#parser = undefined;
    this.#parsedCall = undefined;
    this.#usageBefore = { ...this.message.usage, cost: { ...this.message.usage.cost } };
  }

  /** Relays one reply; resolves with its `done` or `error` event. */
  async pipe(
    stream: AssistantMessageStream,
    repair: boolean,
  ): Promise<Extract<AssistantMessageEvent, { type: 'done' | 'error' }>> {
    let end: Extract<AssistantMessageEvent, { type: 'done' | 'error' }> | undefined;
    // A first reply in native mode is passed on as it is, its own message and events, with an
    // object_delta after each delta of its text: nothing to rebuild, so nothing allocated per event.
    if (!repair && this.#toolName === undefined) {
      for await (const event of stream) {
        if (event.type === 'done' || event.type === 'error') {
          end = event;
          break;
        }
        this.message = event.partial;
        if (event.type === 'start') this.#started = true;
        this.#out.push(event);
        if (event.type === 'text_start' && this.#outputIndex === -1) this.#openOutput(event.contentIndex);
        else if (event.type === 'text_delta' && event.contentIndex === this.#outputIndex) {
          this.#objectDelta(event.contentIndex, event.delta);
        }
      }
      if (end) this.message = end.type === 'done' ? end.message : end.error;
      return (
        end ?? {
          type: 'error',
          reason: 'error',
          error: failedMessage(this.message, 'the stream ended early', 'network'),
        }
      );
    }
    for await (const event of stream) {
      if (event.type === 'done' || event.type === 'error') {
        this.#sync(event.type === 'done' ? event.message : event.error, repair);
        end = event;
        break;
      }
      this.#sync(event.partial, repair);
      this.#relay(event);
    }
    return (
      end ?? { type: 'error', reason: 'error', error: failedMessage(this.message, 'the stream ended early', 'network') }
    );
  }

  #relay(event: Exclude<AssistantMessageEvent, { type: 'done' | 'error' }>): void {
    const partial = this.message;
    if (event.type === 'start') {
      if (!this.#started) this.#out.push({ type: 'start', partial });
      this.#started = true;
      return;
    }
    const index = event.contentIndex + this.#offset;
    const source = event.partial.content[event.contentIndex];
    const isOutputCall = source?.type === 'toolCall' && source.name === this.#toolName;
    switch (event.type) {
      case 'toolcall_start':
        if (isOutputCall) {
          this.message.content[index] = { type: 'text', text: '' };
          this.#openOutput(index);
          this.#out.push({ type: 'text_start', contentIndex: index, partial });
          return;
        }
        this.message.content[index] = source as ToolCall;
        this.#out.push({ ...event, contentIndex: index, partial });
        return;
      case 'toolcall_delta':
        if (isOutputCall) this.#outputDelta(index, event.delta, source);
        else this.#out.push({ ...event, contentIndex: index, partial });
        return;
      case 'toolcall_end':
        if (isOutputCall) {
          const block = this.message.content[index] as TextContent;
          if (!event.toolCall.invalidArguments) this.#parsedCall = { value: event.toolCall.arguments };
          this.#out.push({ type: 'text_end', contentIndex: index, content: block.text, partial });
          return;
        }
        this.#out.push({ ...event, contentIndex: index, partial });
        return;
      case 'text_start':
        this.message.content[index] = source as TextContent;
        // In native mode the reply's text is the output: its first text block.
        if (this.#toolName === undefined && this.#outputIndex === -1) this.#openOutput(index);
        this.#out.push({ ...event, contentIndex: index, partial });
        return;
      case 'text_delta':
        this.#out.push({ ...event, contentIndex: index, partial });
        if (index === this.#outputIndex) this.#objectDelta(index, event.delta);
        return;
      case 'thinking_start':
        this.message.content[index] = source as AssistantMessage['content'][number];
        this.#out.push({ ...event, contentIndex: index, partial });
        return;
      default:
        this.#out.push({ ...event, contentIndex: index, partial } as AssistantMessageEvent);
    }
  }

  #openOutput(index: number): void {
    this.#outputIndex = index;
    // A forced call's arguments are parsed by the protocol's assembler (`#outputDelta`).
    if (this.#toolName === undefined) this.#parser = new PartialJsonParserClass();
  }

  /**
   * A delta of the forced call's JSON: text for the caller, then the object
   * so far. The object is the call's arguments: the assembler parses them
   * incrementally into a live tree already, and a second parser here would
   * double the cost of the stream (see bench/structured.ts).
   */
  #outputDelta(index: number, delta: string, call: ToolCall): void {
    const block = this.message.content[index] as TextContent;
    block.text += delta;
    const partial = this.message;
    this.#out.push({ type: 'text_delta', contentIndex: index, delta, partial });
    this.#out.push({ type: 'object_delta', contentIndex: index, object: this.#unwrap(call.arguments), partial });
  }

  #objectDelta(index: number, delta: string): void {
    const parser = this.#parser as PartialJsonParser;
    parser.feed(delta);
    this.#out.push({
      type: 'object_delta',
      contentIndex: index,
      object: this.#unwrap(parser.value),
      partial: this.message,
    });
  }

  /** Copies the inner reply's head; usage adds to a first attempt's. */
  #sync(inner: AssistantMessage, repair: boolean): void {
    const message = this.message;
    message.api = inner.api;
    message.provider = inner.provider;
    message.model = inner.model;
    if (inner.responseId !== undefined) message.responseId = inner.responseId;
    message.usage = repair ? addUsage(this.#usageBefore, inner.usage) : inner.usage;
  }

  finish(value: unknown): void {
    this.message.output = value;
    this.message.stopReason = 'stop';
    this.#emitStart();
    this.#out.push({ type: 'done', reason: 'stop', message: this.message });
  }

  /** Ends as the inner reply did, with no output: a reply of tool calls. */
  pass(reason: 'toolUse'): void {
    this.message.stopReason = reason;
    this.#emitStart();
    this.#out.push({ type: 'done', reason, message: this.message });
  }

  fail(message: string, issues: OutputIssue[]): void {
    Object.assign(this.message, {
      stopReason: 'error',
      errorMessage: `The output does not match the schema: ${message}`,
      errorKind: 'invalid_output',
      outputIssues: issues,
    });
    this.#emitStart();
    this.#out.push({ type: 'error', reason: 'error', error: this.message });
  }

  finishError(end: Extract<AssistantMessageEvent, { type: 'error' }>): void {
    const { error } = end;
    Object.assign(this.message, {
      stopReason: error.stopReason,
      errorMessage: error.errorMessage,
      errorKind: error.errorKind,
      ...(error.errorStatus !== undefined ? { errorStatus: error.errorStatus } : {}),
      ...(error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}),
    });
    this.#emitStart();
    this.#out.push({ type: 'error', reason: end.reason, error: this.message });
  }

  #emitStart(): void {
    if (this.#started) return;
    this.#started = true;
    this.#out.push({ type: 'start', partial: this.message });
  }
}

function addUsage(a: Usage, b: Usage): Usage {
  return {
    input: a.input + b.input,
    output: a.output + b.output,
    cacheRead: a.cacheRead + b.cacheRead,
    cacheWrite: a.cacheWrite + b.cacheWrite,
    totalTokens: a.totalTokens + b.totalTokens,
    cost: {
      input: a.cost.input + b.cost.input,
      output: a.cost.output + b.cost.output,
      cacheRead: a.cost.cacheRead + b.cost.cacheRead,
      cacheWrite: a.cost.cacheWrite + b.cost.cacheWrite,
      total: a.cost.total + b.cost.total,
    },
  };
}

function headOf(message: AssistantMessage): Omit<AssistantMessage, 'role' | 'content'> {
  const { role: _role, content: _content, ...head } = message;
  return head;
}

function failedMessage(
  source: Pick<AssistantMessage, 'api' | 'provider'> & { id?: string; model?: string },
  errorMessage: string,
  errorKind: 'invalid_request' | 'network',
): AssistantMessage {
  return {
    role: 'assistant',
    content: [],
    api: source.api,
    provider: source.provider,
    model: source.model ?? source.id ?? '',
    usage: emptyUsage(),
    stopReason: 'error',
    errorMessage,
    errorKind,
    timestamp: Date.now(),
  };
}
