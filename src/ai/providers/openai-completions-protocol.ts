/**
 * OpenAI Chat Completions, and every server that speaks it: OpenAI, Qwen
 * (DashScope compatible mode), Kimi, DeepSeek, xAI, Azure, OpenRouter and
 * local Ollama / vLLM / llama.cpp. Differences between them are data in
 * `model.compat`; the stream reader tolerates every known chunk shape.
 */
import type { MessageAssembler } from '../assembler.js';
import type { Engine } from '../engine.js';
import type { ProviderRequest } from '../request.js';
import { generateToolCallId } from '../tool-call-id.js';
import type {
  AssistantMessage,
  Context,
  ImageContent,
  Model,
  OpenAICompletionsCompat,
  ReasoningLevel,
  ResponseFormat,
  StreamFunction,
  StreamOptions,
  ToolCall,
  ToolChoice,
  ToolResultMessage,
  UserMessage,
} from '../types.js';

// The shared code this protocol calls, handed over by `defineOpenAICompletions` (see `engine.ts`), not imported:
// an import would split it into a chunk of its own in every app's bundle.
let errorKind: Engine['errorKind'];
let normalizeToolCallId: Engine['normalizeToolCallId'];
let parseEventJson: Engine['parseEventJson'];
let ProviderError: Engine['ProviderError'];
let readServerSentEvents: Engine['readServerSentEvents'];
let transformMessages: Engine['transformMessages'];
type ProviderError = InstanceType<Engine['ProviderError']>;

// ---------------------------------------------------------------- request wire types

type WireContentPart = { type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string } };

interface WireToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

type WireMessage =
  | { role: 'system' | 'developer'; content: string }
  | { role: 'user'; content: string | WireContentPart[] }
  | { role: 'assistant'; content: string | null; tool_calls?: WireToolCall[]; reasoning_content?: string }
  | { role: 'tool'; tool_call_id: string; content: string };

type WireToolChoice = 'auto' | 'none' | 'required' | { type: 'function'; function: { name: string } };

interface WireRequestBody {
  model: string;
  messages: WireMessage[];
  stream: true;
  stream_options?: { include_usage: true };
  tools?: { type: 'function'; function: { name: string; description: string; parameters: unknown } }[];
  tool_choice?: WireToolChoice;
  temperature?: number;
  max_tokens?: number;
  max_completion_tokens?: number;
  reasoning_effort?: Exclude<ReasoningLevel, 'off'>;
  enable_thinking?: boolean;
  thinking_budget?: number;
  /** llama.cpp's `llama-server`: variables for the model's chat template. */
  chat_template_kwargs?: { enable_thinking: boolean };
  thinking?: { type: 'enabled' | 'disabled' };
  response_format?: { type: 'json_schema'; json_schema: ResponseFormat };
}

// ---------------------------------------------------------------- stream wire types

interface WireUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  total_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number | null } | null;
  completion_tokens_details?: { reasoning_tokens?: number | null } | null;
  /** DeepSeek. */
  prompt_cache_hit_tokens?: number;
  /** Kimi (Moonshot). */
  cached_tokens?: number;
}

interface WireChunkToolCall {
  index?: number;
  id?: string | null;
  type?: string;
  function?: { name?: string | null; arguments?: string | Record<string, unknown> | null } | null;
}

interface WireDelta {
  role?: string | null;
  content?: string | null;
  refusal?: string | null;
  /** Qwen, Kimi, DeepSeek, xAI, vLLM. */
  reasoning_content?: string | null;
  /** OpenRouter, Ollama. */
  reasoning?: string | null;
  tool_calls?: WireChunkToolCall[] | null;
}

interface WireChoice {
  index?: number;
  delta?: WireDelta | null;
  finish_reason?: string | null;
  /** Kimi sends usage inside the last choice. */
  usage?: WireUsage | null;
}

interface WireErrorBody {
  message?: string;
  type?: string;
  code?: string | number | null;
}

/**
 * A normal chunk. Azure's first one carries only `prompt_filter_results`
 * and no choices. vLLM reports errors flat, as `{object: 'error', message}`.
 */
interface WireChunk {
  error?: null;
  id?: string;
  object?: string;
  choices?: WireChoice[] | null;
  usage?: WireUsage | null;
  message?: string;
  type?: string;
  code?: string | number | null;
}

/** An error sent inside the stream, after a 200. */
interface WireErrorChunk {
  error: WireErrorBody | string;
}

type WirePayload = WireChunk | WireErrorChunk;

// ---------------------------------------------------------------- entry

/** The protocol, given the shared code: the registry calls it on first use, `openai-completions.ts` at once. */
export default function defineOpenAICompletions(engine: Engine): StreamFunction {
  ({ errorKind, normalizeToolCallId, parseEventJson, ProviderError, readServerSentEvents, transformMessages } = engine);
  return engine.defineStreamFunction(buildRequest, consume);
}

// ---------------------------------------------------------------- request

function buildRequest(
  model: Model,
  context: Context,
  options: StreamOptions,
  apiKey: string | undefined,
): ProviderRequest {
  const compat: OpenAICompletionsCompat = model.compat ?? {};
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'text/event-stream',
  };
  if (apiKey) headers.authorization = `Bearer ${apiKey}`;

  const body: WireRequestBody = {
    model: model.id,
    messages: convertMessages(model, context, compat),
    stream: true,
  };
  if (compat.supportsUsageInStreaming !== false) body.stream_options = { include_usage: true };
  if (context.tools?.length) {
    body.tools = context.tools.map((tool) => ({
      type: 'function',
      function: { name: tool.name, description: tool.description, parameters: tool.parameters },
    }));
  }
  if (options.toolChoice !== undefined && compat.supportsToolChoice !== false) {
    body.tool_choice = convertToolChoice(options.toolChoice);
  }
  if (options.temperature !== undefined) body.temperature = options.temperature;
  if (options.maxTokens !== undefined) {
    if (compat.maxTokensField === 'max_tokens') body.max_tokens = options.maxTokens;
    else body.max_completion_tokens = options.maxTokens;
  }
  applyReasoning(body, model, compat, options.reasoning);
  // Structured Outputs: https://platform.openai.com/docs/api-reference/chat/create#chat-create-response_format
  // (`{name, schema, strict}` is the field's own shape).
  if (options.responseFormat) body.response_format = { type: 'json_schema', json_schema: options.responseFormat };

  return { url: `${model.baseUrl.replace(/\/$/, '')}/chat/completions`, headers, body };
}

/** Qwen's `thinking_budget` per level; `high` leaves the model's own maximum. */
const QWEN_THINKING_BUDGET: Partial<Record<ReasoningLevel, number>> = {
  minimal: 1024,
  low: 4096,
  medium: 16384,
};

function applyReasoning(
  body: WireRequestBody,
  model: Model,
  compat: OpenAICompletionsCompat,
  level: ReasoningLevel | undefined,
): void {
  if (!model.reasoning || level === undefined) return;
  const format = compat.thinkingFormat ?? 'reasoning_effort';
  if (format === 'reasoning_effort') {
    if (level !== 'off') body.reasoning_effort = level;
  } else if (format === 'enable_thinking') {
    body.enable_thinking = level !== 'off';
    const budget = QWEN_THINKING_BUDGET[level];
    if (budget !== undefined) body.thinking_budget = budget;
  } else if (format === 'chat_template_kwargs') {
    body.chat_template_kwargs = { enable_thinking: level !== 'off' };
  } else if (format === 'thinking') {
    body.thinking = { type: level === 'off' ? 'disabled' : 'enabled' };
  }
}

function convertToolChoice(choice: ToolChoice): WireToolChoice {
  if (typeof choice === 'string') return choice;
  return { type: 'function', function: { name: choice.name } };
}

// ---------------------------------------------------------------- messages

function convertMessages(model: Model, context: Context, compat: OpenAICompletionsCompat): WireMessage[] {
  const out: WireMessage[] = [];
  if (context.systemPrompt) {
    out.push({ role: compat.supportsDeveloperRole ? 'developer' : 'system', content: context.systemPrompt });
  }
  // OpenAI rejects tool-call ids longer than 40 characters.
  const messages = transformMessages(context.messages, model, (id) => normalizeToolCallId(id, 40));
  const acceptsImages = model.input.includes('image');
  // A tool message holds only text; images from a run of tool results follow it as one user message.
  let toolImages: WireContentPart[] = [];

  for (const message of messages) {
    if (message.role !== 'toolResult' && toolImages.length > 0) {
      out.push(toolImagesMessage(toolImages));
      toolImages = [];
    }
    if (message.role === 'user') {
      out.push(convertUser(message, acceptsImages));
    } else if (message.role === 'assistant') {
      const converted = convertAssistant(message, compat);
      if (converted) out.push(converted);
    } else {
      out.push(convertToolResult(message, acceptsImages, toolImages));
    }
  }
  if (toolImages.length > 0) out.push(toolImagesMessage(toolImages));
  return out;
}

function imagePart(image: ImageContent): WireContentPart {
  return { type: 'image_url', image_url: { url: `data:${image.mimeType};base64,${image.data}` } };
}

const IMAGE_OMITTED = '(image omitted: this model does not accept images)';

function convertUser(message: UserMessage, acceptsImages: boolean): WireMessage {
  if (typeof message.content === 'string') return { role: 'user', content: message.content };
  const hasImage = acceptsImages && message.content.some((part) => part.type === 'image');
  if (!hasImage) {
    // Plain text as a string: some compatible servers reject content arrays.
    const text = message.content.map((part) => (part.type === 'text' ? part.text : IMAGE_OMITTED)).join('\n');
    return { role: 'user', content: text };
  }
  const parts: WireContentPart[] = message.content.map((part) =>
    part.type === 'text' ? { type: 'text', text: part.text } : imagePart(part),
  );
  return { role: 'user', content: parts };
}

function convertAssistant(message: AssistantMessage, compat: OpenAICompletionsCompat): WireMessage | undefined {
  let text = '';
  let reasoning = '';
  const toolCalls: WireToolCall[] = [];
  for (const part of message.content) {
    if (part.type === 'text') {
      if (part.text) text += text ? `\n\n${part.text}` : part.text;
    } else if (part.type === 'thinking') {
      if (!part.redacted) reasoning += part.thinking;
    } else toolCalls.push(convertToolCall(part));
  }
  if (!text && toolCalls.length === 0) return undefined; // Servers reject an assistant turn with neither.
  const wire: WireMessage = { role: 'assistant', content: text || null };
  if (toolCalls.length > 0) {
    wire.tool_calls = toolCalls;
    // Moonshot and DeepSeek V4 treat an empty `reasoning_content` as missing and reject the
    // request, so a tool-call turn without reasoning gets one space.
    if (compat.sendReasoningContent) wire.reasoning_content = reasoning || ' ';
  }
  return wire;
}

function convertToolCall(call: ToolCall): WireToolCall {
  return { id: call.id, type: 'function', function: { name: call.name, arguments: JSON.stringify(call.arguments) } };
}

function convertToolResult(
  message: ToolResultMessage,
  acceptsImages: boolean,
  toolImages: WireContentPart[],
): WireMessage {
  let text = '';
  let images = 0;
  for (const part of message.content) {
    if (part.type === 'text') text += text ? `\n${part.text}` : part.text;
    else {
      images++;
      if (acceptsImages) toolImages.push(imagePart(part));
    }
  }
  if (images > 0 && !acceptsImages) text += text ? `\n${IMAGE_OMITTED}` : IMAGE_OMITTED;
  else if (images > 0 && !text) text = '(see the attached image)';
  return { role: 'tool', tool_call_id: message.toolCallId, content: text };
}

function toolImagesMessage(images: WireContentPart[]): WireMessage {
  return { role: 'user', content: [{ type: 'text', text: 'Attached image(s) from tool result:' }, ...images] };
}

// ---------------------------------------------------------------- stream

type Finish = 'stop' | 'length' | 'toolUse' | 'content_filter';

interface ToolSlot {
  block: number;
  id: string;
  /** False while the id is one we made up because the server sent none. */
  fromWire: boolean;
}

const NO_BLOCK = -1;

/**
 * Reads one response. The finish reason is remembered, not acted on: usage
 * often follows in a chunk of its own, so the reply ends at `[DONE]`, or at
 * the end of the body for local servers that omit it.
 */
async function consume(response: Response, asm: MessageAssembler, touch: () => void): Promise<void> {
  let finish: Finish | undefined;
  let openBlock = NO_BLOCK;
  let openKind: 'text' | 'thinking' | undefined;
  const slotsByIndex: (ToolSlot | undefined)[] = [];
  const slotsById = new Map<string, ToolSlot>();
  let lastSlot: ToolSlot | undefined;

  const end = (): void => {
    if (asm.isEnded) return;
    if (finish === 'content_filter') asm.fail('error', 'The provider stopped the reply: content_filter', 'refusal');
    else asm.finish(finish ?? 'stop');
  };

  const closeOpen = (): void => {
    if (openBlock !== NO_BLOCK) asm.endBlock(openBlock);
    openBlock = NO_BLOCK;
    openKind = undefined;
  };

  const onToolCall = (call: WireChunkToolCall): void => {
    const id = typeof call.id === 'string' ? call.id : '';
    const fn = call.function;
    const name = fn && typeof fn.name === 'string' ? fn.name : '';
    const hasIndex = typeof call.index === 'number';
    let slot: ToolSlot | undefined;
    if (hasIndex) slot = slotsByIndex[call.index as number];
    else if (id) slot = slotsById.get(id);
    else slot = lastSlot;
    // Some servers number every parallel call 0; a different real id is a new call.
    if (slot && id && slot.fromWire && id !== slot.id) slot = undefined;

    if (!slot) {
      closeOpen();
      const fromWire = id !== '';
      const callId = fromWire ? id : generateToolCallId();
      slot = { block: asm.startToolCall(callId, name), id: callId, fromWire };
      if (hasIndex) slotsByIndex[call.index as number] = slot;
      if (fromWire) slotsById.set(id, slot);
      lastSlot = slot;
    } else {
      if (id && !slot.fromWire) {
        asm.updateToolCall(slot.block, { id });
        slot.id = id;
        slot.fromWire = true;
        slotsById.set(id, slot);
      }
      if (name && (asm.message.content[slot.block] as ToolCall).name !== name) {
        asm.updateToolCall(slot.block, { name });
      }
    }

    const args = fn?.arguments;
    if (typeof args === 'string') {
      if (args) asm.toolCallDelta(slot.block, args);
    } else if (args && typeof args === 'object') {
      // A few servers send the arguments as an object rather than JSON text.
      asm.toolCallDelta(slot.block, JSON.stringify(args));
    }
  };

  const onPayload = (payload: WirePayload): void => {
    if (typeof payload !== 'object' || payload === null) return;
    if (payload.error) throw streamError(payload.error);
    const chunk = payload as WireChunk;
    if (chunk.object === 'error') throw streamError(chunk);
    if (chunk.id) asm.setResponseId(chunk.id);
    const choice = chunk.choices?.[0];
    const usage = chunk.usage ?? choice?.usage;
    if (usage) applyUsage(asm, usage);
    if (!choice) return;

    const delta = choice.delta;
    if (delta) {
      const reasoning = nonEmpty(delta.reasoning_content) ?? nonEmpty(delta.reasoning);
      if (reasoning !== undefined) {
        if (openKind !== 'thinking') {
          closeOpen();
          openBlock = asm.startThinking();
          openKind = 'thinking';
        }
        asm.thinkingDelta(openBlock, reasoning);
      }
      // A refusal is what the model said instead of an answer: show it as text.
      const content = nonEmpty(delta.content) ?? nonEmpty(delta.refusal);
      if (content !== undefined) {
        if (openKind !== 'text') {
          closeOpen();
          openBlock = asm.startText();
          openKind = 'text';
        }
        asm.textDelta(openBlock, content);
      }
      const toolCalls = delta.tool_calls;
      if (Array.isArray(toolCalls)) toolCalls.forEach(onToolCall);
    }
    const reason = choice.finish_reason;
    if (reason) {
      // `stop`, and anything a compatible server invents: the reply did end.
      finish =
        reason === 'length' || reason === 'content_filter'
          ? reason
          : reason === 'tool_calls' || reason === 'function_call'
            ? 'toolUse'
            : 'stop';
    }
  };

  await readServerSentEvents(
    response.body as ReadableStream<Uint8Array>,
    (event) => {
      if (asm.isEnded) return;
      const data = event.data;
      if (data === '[DONE]') return end();
      if (data.length === 0) return;
      onPayload(parseEventJson<WirePayload>(data, asm));
    },
    touch,
  );
  // Local servers may close without `[DONE]`; a finish reason proves the reply is whole.
  if (finish !== undefined) end();
}

function nonEmpty(value: string | null | undefined): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function applyUsage(asm: MessageAssembler, usage: WireUsage): void {
  const prompt = usage.prompt_tokens ?? 0;
  const completion = usage.completion_tokens ?? 0;
  const cached =
    usage.prompt_tokens_details?.cached_tokens ?? usage.prompt_cache_hit_tokens ?? usage.cached_tokens ?? 0;
  const reasoning = usage.completion_tokens_details?.reasoning_tokens ?? 0;
  // OpenAI counts reasoning inside completion_tokens; xAI does not, which its total gives away.
  const reasoningApart = reasoning > 0 && usage.total_tokens === prompt + completion + reasoning;
  asm.setUsage({
    input: Math.max(0, prompt - cached),
    output: reasoningApart ? completion + reasoning : completion,
    cacheRead: cached,
  });
}

function streamError(error: WireErrorBody | string): ProviderError {
  const body: WireErrorBody = typeof error === 'string' ? { message: error } : error;
  const message = body.message ?? 'unknown error';
  const type = body.type;
  const code = body.code;
  // Some servers put the HTTP status in `code`; others a name such as `context_length_exceeded`.
  const status = Number(code) || 0;
  return new ProviderError(
    `The provider reported an error: ${type ? `${type}: ${message}` : message}`,
    errorKind(status, `${type} ${code} ${message}`),
  );
}
