/**
 * The Anthropic Messages protocol (`POST /v1/messages`, streamed as SSE).
 * Claude speaks it, and so do compatible servers such as Kimi's.
 *
 * Provider data this protocol keeps on content parts, read back only when
 * the next turn goes to the same model:
 * - thinking: `{ signature }`, the signature Anthropic needs to accept the
 *   block again;
 * - redacted thinking: `{ data }`, the encrypted reasoning, sent back as is.
 */
import type { MessageAssembler } from '../assembler.js';
import type { Engine } from '../engine.js';
import type { ProviderRequest } from '../request.js';
import type { EventSourceMessage } from '../sse.js';
import type {
  Context,
  ImageContent,
  Message,
  Model,
  ReasoningLevel,
  StreamFunction,
  StreamOptions,
  TextContent,
  ToolChoice,
  ToolResultMessage,
} from '../types.js';

// The shared code this protocol calls, handed over by `defineAnthropic` (see `engine.ts`), not imported:
// an import would split it into a chunk of its own in every app's bundle.
let errorKind: Engine['errorKind'];
let normalizeToolCallId: Engine['normalizeToolCallId'];
let parseEventJson: Engine['parseEventJson'];
let ProviderError: Engine['ProviderError'];
let readServerSentEvents: Engine['readServerSentEvents'];
let transformMessages: Engine['transformMessages'];

const API_VERSION = '2023-06-01';
const MIN_ANSWER_TOKENS = 1024;
const THINKING_BUDGETS: Record<Exclude<ReasoningLevel, 'off'>, number> = {
  minimal: 1024,
  low: 2048,
  medium: 8192,
  high: 16384,
};
const IMAGE_OMITTED = '(image omitted: this model does not accept images)';

// ---------------------------------------------------------------- request wire format

interface CacheControl {
  type: 'ephemeral';
}

type WireTextBlock = { type: 'text'; text: string; cache_control?: CacheControl };
type WireImageBlock = {
  type: 'image';
  source: { type: 'base64'; media_type: string; data: string };
  cache_control?: CacheControl;
};
type WireRequestBlock =
  | WireTextBlock
  | WireImageBlock
  | { type: 'thinking'; thinking: string; signature: string }
  | { type: 'redacted_thinking'; data: string }
  | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown>; cache_control?: CacheControl }
  | {
      type: 'tool_result';
      tool_use_id: string;
      content?: (WireTextBlock | WireImageBlock)[];
      is_error?: boolean;
      cache_control?: CacheControl;
    };

interface WireMessage {
  role: 'user' | 'assistant';
  content: string | WireRequestBlock[];
}

type WireToolChoice = { type: 'auto' } | { type: 'any' } | { type: 'none' } | { type: 'tool'; name: string };

interface WireRequestBody {
  model: string;
  max_tokens: number;
  stream: true;
  messages: WireMessage[];
  system?: WireTextBlock[];
  tools?: { name: string; description: string; input_schema: unknown }[];
  tool_choice?: WireToolChoice;
  temperature?: number;
  thinking?: { type: 'enabled'; budget_tokens: number };
  output_config?: { format: { type: 'json_schema'; schema: unknown } };
}

// ---------------------------------------------------------------- stream wire format

interface WireUsage {
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
}

type WireContentBlock =
  | { type: 'text'; text: string }
  | { type: 'thinking'; thinking: string; signature?: string }
  | { type: 'redacted_thinking'; data: string }
  | { type: 'tool_use'; id: string; name: string; input?: Record<string, unknown> }
  // Server tools, citations and future block types: not modelled, skipped.
  | { type: '__other' };

type WireDelta =
  | { type: 'text_delta'; text: string }
  | { type: 'thinking_delta'; thinking: string }
  | { type: 'signature_delta'; signature: string }
  | { type: 'input_json_delta'; partial_json: string }
  | { type: '__other' };

type WireStreamEvent =
  | { type: 'message_start'; message: { id?: string; usage?: WireUsage } }
  | { type: 'content_block_start'; index: number; content_block: WireContentBlock }
  | { type: 'content_block_delta'; index: number; delta: WireDelta }
  | { type: 'content_block_stop'; index: number }
  | { type: 'message_delta'; delta: { stop_reason?: string | null }; usage?: WireUsage }
  | { type: 'message_stop' }
  | { type: 'ping' }
  | { type: 'error'; error?: { type?: string; message?: string } };

// ---------------------------------------------------------------- entry point

/** The protocol, given the shared code: the registry calls it on first use, `anthropic-messages.ts` at once. */
export default function defineAnthropic(engine: Engine): StreamFunction {
  ({ errorKind, normalizeToolCallId, parseEventJson, ProviderError, readServerSentEvents, transformMessages } = engine);
  return engine.defineStreamFunction(buildRequest, consumeStream);
}

function buildRequest(
  model: Model,
  context: Context,
  options: StreamOptions,
  apiKey: string | undefined,
): ProviderRequest {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'text/event-stream',
    'anthropic-version': API_VERSION,
    // Lets a browser call the API directly; servers ignore it.
    'anthropic-dangerous-direct-browser-access': 'true',
  };
  if (apiKey) headers['x-api-key'] = apiKey;
  return {
    url: `${model.baseUrl.replace(/\/+$/, '')}/v1/messages`,
    headers,
    body: buildBody(model, context, options),
  };
}

function buildBody(model: Model, context: Context, options: StreamOptions): WireRequestBody {
  const cache = model.compat?.supportsCacheControl !== false;
  const tools = context.tools ?? [];
  const toolChoice = tools.length > 0 ? toWireToolChoice(options.toolChoice) : undefined;
  const messages = convertMessages(
    transformMessages(context.messages, model, (id) => normalizeToolCallId(id, 64)),
    model,
  );
  if (cache) markLastBlock(messages);

  let maxTokens = options.maxTokens ?? model.maxTokens;
  let budget = 0;
  const level = options.reasoning;
  // The API refuses thinking together with a forced tool choice; the caller's tool choice wins.
  const forcesTool = toolChoice !== undefined && (toolChoice.type === 'any' || toolChoice.type === 'tool');
  if (model.reasoning && level && level !== 'off' && !forcesTool) {
    budget = THINKING_BUDGETS[level];
    // Thinking counts against max_tokens, which must exceed the budget; raise it, up to the model's limit.
    const ceiling = Math.max(model.maxTokens, maxTokens);
    if (maxTokens < budget + MIN_ANSWER_TOKENS) maxTokens = Math.min(budget + MIN_ANSWER_TOKENS, ceiling);
    if (budget + MIN_ANSWER_TOKENS > maxTokens)
      budget = Math.max(THINKING_BUDGETS.minimal, maxTokens - MIN_ANSWER_TOKENS);
    if (budget >= maxTokens) budget = 0; // Too small a model for the smallest budget.
  }

  const body: WireRequestBody = { model: model.id, max_tokens: maxTokens, stream: true, messages };
  if (context.systemPrompt) {
    const system: WireTextBlock = { type: 'text', text: context.systemPrompt };
    if (cache) system.cache_control = { type: 'ephemeral' };
    body.system = [system];
  }
  if (tools.length > 0) {
    body.tools = tools.map((tool) => ({
      name: tool.name,
      description: tool.description,
      input_schema: tool.parameters,
    }));
    if (toolChoice) body.tool_choice = toolChoice;
  }
  if (budget > 0) body.thinking = { type: 'enabled', budget_tokens: budget };
  else if (options.temperature !== undefined) body.temperature = options.temperature;
  // Structured output, "JSON outputs": https://platform.claude.com/docs/en/build-with-claude/structured-outputs
  // (generally available, no beta header; it works alongside thinking, unlike a forced tool). Each object
  // schema must say `additionalProperties: false`, which zod's input schemas leave out: it is added where unset.
  const format = options.responseFormat;
  if (format) body.output_config = { format: { type: 'json_schema', schema: JSON.parse(closeObjects(format.schema)) } };
  return body;
}

/** `schema` as JSON, each object schema that does not say otherwise closed with `additionalProperties: false`. */
function closeObjects(schema: unknown): string {
  // An object's own `additionalProperties` wins over the default spread before it.
  return JSON.stringify(schema, (_key, value) =>
    value?.type === 'object' ? { additionalProperties: false, ...value } : value,
  );
}

function toWireToolChoice(choice: ToolChoice | undefined): WireToolChoice | undefined {
  if (choice === undefined) return undefined;
  if (choice === 'auto' || choice === 'none') return { type: choice };
  return choice === 'required' ? { type: 'any' } : { type: 'tool', name: choice.name };
}

// ---------------------------------------------------------------- context conversion

function convertMessages(messages: readonly Message[], model: Model): WireMessage[] {
  const out: WireMessage[] = [];
  const images = model.input.includes('image');
  let results: WireRequestBlock[] | undefined;
  for (const message of messages) {
    if (message.role === 'toolResult') {
      // Anthropic wants every result of one assistant turn in a single user message.
      if (!results) {
        results = [];
        out.push({ role: 'user', content: results });
      }
      results.push(toolResult(message, images));
      continue;
    }
    results = undefined;
    if (message.role === 'user') {
      if (typeof message.content === 'string') {
        if (message.content.trim()) out.push({ role: 'user', content: message.content });
        continue;
      }
      const content = userBlocks(message.content, images);
      if (content.length > 0) out.push({ role: 'user', content });
      continue;
    }
    const content: WireRequestBlock[] = [];
    for (const part of message.content) {
      if (part.type === 'text') {
        if (part.text.trim()) content.push({ type: 'text', text: part.text });
      } else if (part.type === 'thinking') {
        const data = part.providerData;
        if (part.redacted) {
          if (typeof data?.data === 'string') content.push({ type: 'redacted_thinking', data: data.data });
        } else if (typeof data?.signature === 'string' && data.signature) {
          content.push({ type: 'thinking', thinking: part.thinking, signature: data.signature });
        } else if (part.thinking.trim()) {
          // The API rejects thinking without its signature; as text the model still sees it.
          content.push({ type: 'text', text: part.thinking });
        }
      } else {
        content.push({ type: 'tool_use', id: part.id, name: part.name, input: part.arguments });
      }
    }
    if (content.length > 0) out.push({ role: 'assistant', content });
  }
  return out;
}

function userBlocks(
  parts: readonly (TextContent | ImageContent)[],
  images: boolean,
): (WireTextBlock | WireImageBlock)[] {
  const out: (WireTextBlock | WireImageBlock)[] = [];
  for (const part of parts) {
    if (part.type === 'text') {
      // The API rejects empty text blocks.
      if (part.text.trim()) out.push({ type: 'text', text: part.text });
    } else if (images) {
      out.push({ type: 'image', source: { type: 'base64', media_type: part.mimeType, data: part.data } });
    } else {
      out.push({ type: 'text', text: IMAGE_OMITTED });
    }
  }
  return out;
}

function toolResult(message: ToolResultMessage, images: boolean): WireRequestBlock {
  const content = userBlocks(message.content, images);
  const block: WireRequestBlock = { type: 'tool_result', tool_use_id: message.toolCallId };
  if (content.length > 0) block.content = content;
  if (message.isError) block.is_error = true;
  return block;
}

/** Puts a cache breakpoint on the last block that may carry one (thinking blocks may not). */
function markLastBlock(messages: WireMessage[]): void {
  const last = messages[messages.length - 1];
  if (!last) return;
  if (typeof last.content === 'string') {
    last.content = [{ type: 'text', text: last.content, cache_control: { type: 'ephemeral' } }];
    return;
  }
  for (let i = last.content.length - 1; i >= 0; i--) {
    const block = last.content[i];
    if (block && block.type !== 'thinking' && block.type !== 'redacted_thinking') {
      block.cache_control = { type: 'ephemeral' };
      return;
    }
  }
}

// ---------------------------------------------------------------- streaming

/** Per-block state for the wire index; `input` is a tool's start-time input, used only if no deltas come. */
interface BlockState {
  index: number;
  input?: string | undefined;
}

async function consumeStream(response: Response, asm: MessageAssembler, touch: () => void): Promise<void> {
  const blocks: (BlockState | undefined)[] = [];
  // The stop reason comes in `message_delta`; the reply ends at `message_stop`.
  let stop: StopMapping = 'stop';
  const onEvent = (message: EventSourceMessage): void => {
    const event = parseEventJson<WireStreamEvent>(message.data, asm);
    switch (event.type) {
      case 'message_start':
        asm.setResponseId(event.message.id);
        applyUsage(asm, event.message.usage);
        return;
      case 'content_block_start':
        blocks[event.index] = startBlock(asm, event.content_block);
        return;
      case 'content_block_delta': {
        const block = blocks[event.index];
        if (block) applyDelta(asm, block, event.delta);
        return;
      }
      case 'content_block_stop': {
        const block = blocks[event.index];
        if (!block) return;
        if (block.input !== undefined) asm.toolCallDelta(block.index, block.input);
        asm.endBlock(block.index);
        return;
      }
      case 'message_delta':
        applyUsage(asm, event.usage);
        if (event.delta.stop_reason) stop = mapStopReason(event.delta.stop_reason);
        return;
      case 'message_stop':
        if (stop === 'refusal') asm.fail('error', 'The model refused to answer (stop_reason "refusal")', 'refusal');
        else asm.finish(stop);
        return;
      case 'error': {
        const text = `${event.error?.type ?? 'error'}: ${event.error?.message ?? 'unknown error'}`;
        // overloaded_error, api_error, rate_limit_error… name their kind.
        throw new ProviderError(text, errorKind(0, text));
      }
      default:
        // `ping` and event types added later.
        return;
    }
  };
  // runProviderStream hands over only a response with a body.
  await readServerSentEvents(response.body as ReadableStream<Uint8Array>, onEvent, touch);
}

function startBlock(asm: MessageAssembler, block: WireContentBlock): BlockState | undefined {
  switch (block.type) {
    case 'text': {
      const index = asm.startText();
      if (block.text) asm.textDelta(index, block.text);
      return { index };
    }
    case 'thinking': {
      const index = asm.startThinking();
      if (block.thinking) asm.thinkingDelta(index, block.thinking);
      if (block.signature) asm.addProviderData(index, { signature: block.signature });
      return { index };
    }
    case 'redacted_thinking':
      return { index: asm.startThinking({ data: block.data }, true) };
    case 'tool_use': {
      const index = asm.startToolCall(block.id, block.name);
      // Anthropic streams the input and starts with `{}`; some compatible servers send it whole here instead.
      const input = block.input && Object.keys(block.input).length > 0 ? JSON.stringify(block.input) : undefined;
      return { index, input };
    }
    default:
      return undefined;
  }
}

function applyDelta(asm: MessageAssembler, block: BlockState, delta: WireDelta): void {
  switch (delta.type) {
    case 'text_delta':
      if (delta.text) asm.textDelta(block.index, delta.text);
      return;
    case 'thinking_delta':
      if (delta.thinking) asm.thinkingDelta(block.index, delta.thinking);
      return;
    case 'signature_delta':
      asm.addProviderData(block.index, { signature: delta.signature });
      return;
    case 'input_json_delta':
      if (!delta.partial_json) return;
      block.input = undefined;
      asm.toolCallDelta(block.index, delta.partial_json);
      return;
    default:
      return;
  }
}

function applyUsage(asm: MessageAssembler, usage: WireUsage | undefined): void {
  if (!usage) return;
  // Anthropic's input_tokens already leaves out cache reads and writes. Later events may resend counts.
  asm.setUsage({
    input: usage.input_tokens ?? undefined,
    output: usage.output_tokens ?? undefined,
    cacheRead: usage.cache_read_input_tokens ?? undefined,
    cacheWrite: usage.cache_creation_input_tokens ?? undefined,
  });
}

type StopMapping = 'stop' | 'length' | 'toolUse' | 'refusal';

function mapStopReason(reason: string): StopMapping {
  // end_turn, stop_sequence, pause_turn, and reasons added later are `stop`.
  return reason === 'max_tokens' || reason === 'model_context_window_exceeded'
    ? 'length'
    : reason === 'tool_use'
      ? 'toolUse'
      : reason === 'refusal'
        ? reason
        : 'stop';
}
