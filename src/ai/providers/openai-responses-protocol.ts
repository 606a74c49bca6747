/**
 * The OpenAI Responses protocol (`POST /responses`, streamed as SSE), the API
 * OpenAI recommends for its reasoning models. Requests are stateless
 * (`store: false`): the whole history goes in `input` on every turn, and
 * reasoning travels back encrypted.
 *
 * Provider data this protocol keeps on content parts, read back only when
 * the next turn goes to the same model:
 * - thinking: `{ itemId, encryptedContent?, summary? }`, the reasoning item
 *   (`summary` holds its parts, which the thinking text joins);
 * - text: `{ itemId, phase? }`, the message item it came from;
 * - tool call: `{ itemId }`, the `fc_…` id of the function_call item. The
 *   call's `call_id` is the tool call's own `id`.
 */
import type { MessageAssembler } from '../assembler.js';
import type { Engine } from '../engine.js';
import type { ProviderRequest } from '../request.js';
import type { EventSourceMessage } from '../sse.js';
import { generateToolCallId } from '../tool-call-id.js';
import type {
  AssistantMessage,
  Context,
  ImageContent,
  Model,
  ProviderData,
  ReasoningLevel,
  ResponseFormat,
  StreamFunction,
  StreamOptions,
  TextContent,
  ToolChoice,
  ToolResultMessage,
  UserMessage,
} from '../types.js';

// The shared code this protocol calls, handed over by `defineOpenAIResponses` (see `engine.ts`), not imported:
// an import would split it into a chunk of its own in every app's bundle.
let errorKind: Engine['errorKind'];
let normalizeToolCallId: Engine['normalizeToolCallId'];
let parseEventJson: Engine['parseEventJson'];
let ProviderError: Engine['ProviderError'];
let readServerSentEvents: Engine['readServerSentEvents'];
let transformMessages: Engine['transformMessages'];
type ProviderError = InstanceType<Engine['ProviderError']>;

/** The API rejects a longer `call_id` ("Expected a string with maximum length 64"). */
const MAX_CALL_ID = 64;
/** The API's minimum for `max_output_tokens`. */
const MIN_OUTPUT_TOKENS = 16;
const ENCRYPTED_REASONING = 'reasoning.encrypted_content';
/** Joins the parts of a reasoning summary in the thinking text. */
const SUMMARY_SEPARATOR = '\n\n';
const IMAGE_OMITTED = '(image omitted: this model does not accept images)';

// ---------------------------------------------------------------- request wire format

type WireInputContent =
  | { type: 'input_text'; text: string }
  | { type: 'input_image'; image_url: string; detail: 'auto' };

interface WireMessageItem {
  type: 'message';
  role: 'assistant';
  content: { type: 'output_text'; text: string }[];
  id?: string;
  phase?: string;
}

interface WireFunctionCallItem {
  type: 'function_call';
  call_id: string;
  name: string;
  arguments: string;
  id?: string;
}

interface WireReasoningItem {
  type: 'reasoning';
  id: string;
  encrypted_content: string;
  summary: { type: 'summary_text'; text: string }[];
}

type WireInputItem =
  | { role: 'user'; content: WireInputContent[] }
  | WireMessageItem
  | WireFunctionCallItem
  | WireReasoningItem
  | { type: 'function_call_output'; call_id: string; output: string | WireInputContent[] };

type WireToolChoice = 'auto' | 'none' | 'required' | { type: 'function'; name: string };

interface WireRequestBody {
  model: string;
  input: WireInputItem[];
  stream: true;
  store: false;
  instructions?: string;
  include?: string[];
  tools?: { type: 'function'; name: string; description: string; parameters: unknown; strict: false }[];
  tool_choice?: WireToolChoice;
  max_output_tokens?: number;
  temperature?: number;
  reasoning?: { effort: Exclude<ReasoningLevel, 'off'>; summary: 'auto' };
  text?: { format: { type: 'json_schema' } & ResponseFormat };
}

// ---------------------------------------------------------------- stream wire format

interface WireUsage {
  input_tokens?: number;
  input_tokens_details?: { cached_tokens?: number | null; cache_write_tokens?: number | null } | null;
  output_tokens?: number;
  output_tokens_details?: { reasoning_tokens?: number | null } | null;
}

interface WireError {
  code?: string | null;
  message?: string | null;
  type?: string | null;
}

interface WireResponse {
  id?: string;
  status?: string;
  usage?: WireUsage | null;
  error?: WireError | null;
  incomplete_details?: { reason?: string | null } | null;
}

interface WireTextPart {
  type: string;
  text?: string;
  refusal?: string;
}

type WireItem =
  | { type: 'message'; id?: string; phase?: string | null; content?: WireTextPart[] }
  | { type: 'function_call'; id?: string; call_id?: string; name?: string; arguments?: string }
  | {
      type: 'reasoning';
      id?: string;
      summary?: WireTextPart[];
      /** Raw reasoning, as open-weight models served over this protocol send it. */
      content?: WireTextPart[];
      encrypted_content?: string | null;
    }
  // Built-in tool calls and item types added later: not modelled, skipped.
  | { type: '__other' };

/** Where an event points: the output item by index, and by id for servers that omit the index. */
interface ItemRef {
  output_index?: number;
  item_id?: string;
}

type WireEvent =
  | { type: 'response.created' | 'response.in_progress' | 'response.queued'; response?: WireResponse }
  | { type: 'response.completed' | 'response.incomplete' | 'response.failed'; response?: WireResponse }
  | ({ type: 'response.output_item.added' | 'response.output_item.done'; item: WireItem } & ItemRef)
  | ({ type: 'response.content_part.added'; content_index?: number } & ItemRef)
  | ({ type: 'response.output_text.delta' | 'response.refusal.delta'; content_index?: number; delta: string } & ItemRef)
  | ({ type: 'response.function_call_arguments.delta'; delta: string } & ItemRef)
  | ({ type: 'response.function_call_arguments.done'; arguments?: string } & ItemRef)
  | ({
      type: 'response.reasoning_summary_text.delta' | 'response.reasoning_text.delta';
      summary_index?: number;
      content_index?: number;
      delta: string;
    } & ItemRef)
  // OpenAI documents the fields flat; some servers nest them in `error`.
  | { type: 'error'; code?: string | null; message?: string | null; error?: WireError | null }
  | { type: '__other' };

// ---------------------------------------------------------------- entry point

/** The protocol, given the shared code: the registry calls it on first use, `openai-responses.ts` at once. */
export default function defineOpenAIResponses(engine: Engine): StreamFunction {
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
  };
  if (apiKey) headers.authorization = `Bearer ${apiKey}`;
  const base = model.baseUrl.replace(/\/+$/, '');
  return { url: `${base}/responses`, headers, body: buildBody(model, context, options) };
}

function buildBody(model: Model, context: Context, options: StreamOptions): WireRequestBody {
  const body: WireRequestBody = { model: model.id, input: convertInput(model, context), stream: true, store: false };
  if (context.systemPrompt) body.instructions = context.systemPrompt;
  // Stateless turns keep reasoning only in encrypted form; models that cannot reason reject the include.
  if (model.reasoning) body.include = [ENCRYPTED_REASONING];
  const tools = context.tools ?? [];
  if (tools.length > 0) {
    body.tools = tools.map((tool) => ({
      type: 'function',
      name: tool.name,
      description: tool.description,
      parameters: tool.parameters,
      strict: false,
    }));
    if (options.toolChoice !== undefined) body.tool_choice = toWireToolChoice(options.toolChoice);
  }
  if (options.maxTokens !== undefined) body.max_output_tokens = Math.max(MIN_OUTPUT_TOKENS, options.maxTokens);
  const level = options.reasoning;
  if (model.reasoning && level !== undefined && level !== 'off') {
    body.reasoning = { effort: level, summary: 'auto' };
  } else if (options.temperature !== undefined) {
    // Reasoning models refuse a temperature while they reason.
    body.temperature = options.temperature;
  }
  // Structured Outputs, flat in `text.format`: https://platform.openai.com/docs/api-reference/responses/create#responses-create-text
  if (options.responseFormat) body.text = { format: { type: 'json_schema', ...options.responseFormat } };
  return body;
}

function toWireToolChoice(choice: ToolChoice): WireToolChoice {
  if (typeof choice === 'string') return choice;
  return { type: 'function', name: choice.name };
}

// ---------------------------------------------------------------- context conversion

function convertInput(model: Model, context: Context): WireInputItem[] {
  const messages = transformMessages(context.messages, model, (id) => normalizeToolCallId(id, MAX_CALL_ID));
  const images = model.input.includes('image');
  const out: WireInputItem[] = [];
  for (const message of messages) {
    if (message.role === 'user') {
      const content = userContent(message, images);
      if (content.length > 0) out.push({ role: 'user', content });
    } else if (message.role === 'assistant') {
      appendAssistant(out, message);
    } else {
      out.push(toolOutput(message, images));
    }
  }
  return out;
}

function imagePart(image: ImageContent): WireInputContent {
  return { type: 'input_image', image_url: `data:${image.mimeType};base64,${image.data}`, detail: 'auto' };
}

function userContent(message: UserMessage, images: boolean): WireInputContent[] {
  if (typeof message.content === 'string') {
    return message.content ? [{ type: 'input_text', text: message.content }] : [];
  }
  const out: WireInputContent[] = [];
  for (const part of message.content) {
    if (part.type === 'text') {
      if (part.text) out.push({ type: 'input_text', text: part.text });
    } else out.push(images ? imagePart(part) : { type: 'input_text', text: IMAGE_OMITTED });
  }
  return out;
}

function toolOutput(message: ToolResultMessage, images: boolean): WireInputItem {
  let text = '';
  const pictures: WireInputContent[] = [];
  for (const part of message.content) {
    if (part.type === 'text') text += text ? `\n${part.text}` : part.text;
    else if (images) pictures.push(imagePart(part));
    else text += text ? `\n${IMAGE_OMITTED}` : IMAGE_OMITTED;
  }
  // A function output may carry images as content parts; plain text stays a string.
  const output: string | WireInputContent[] =
    pictures.length > 0 ? [...(text ? [{ type: 'input_text' as const, text }] : []), ...pictures] : text;
  return { type: 'function_call_output', call_id: message.toolCallId, output };
}

/** One output item of an earlier reply; `item` is undefined when it cannot be sent. */
interface HistoryItem {
  reasoning: boolean;
  item: WireMessageItem | WireFunctionCallItem | WireReasoningItem | undefined;
}

/**
 * Sends an assistant turn back as the output items it came from, in order.
 * The API pairs a reasoning item with the item right after it, by id: a
 * reasoning item goes back only if that item does too, with its id, and an
 * item whose reasoning cannot go back loses its id, so that neither side of
 * a pair arrives alone.
 */
function appendAssistant(out: WireInputItem[], message: AssistantMessage): void {
  const items: HistoryItem[] = [];
  let open: WireMessageItem | undefined;
  for (const part of message.content) {
    if (part.type === 'text') {
      const itemId = stringField(part.providerData, 'itemId');
      // Parts of one message item stay one item; a message without an id merges with its neighbour.
      if (!open || open.id !== itemId) {
        open = { type: 'message', role: 'assistant', content: [] };
        if (itemId) open.id = itemId;
        const phase = stringField(part.providerData, 'phase');
        if (phase) open.phase = phase;
        items.push({ reasoning: false, item: open });
      }
      if (part.text) open.content.push({ type: 'output_text', text: part.text });
      continue;
    }
    open = undefined;
    if (part.type === 'thinking') {
      items.push({ reasoning: true, item: reasoningItem(part.providerData) });
    } else {
      const call: WireFunctionCallItem = {
        type: 'function_call',
        call_id: part.id,
        name: part.name,
        arguments: JSON.stringify(part.arguments),
      };
      const itemId = stringField(part.providerData, 'itemId');
      if (itemId) call.id = itemId;
      items.push({ reasoning: false, item: call });
    }
  }

  // A message left without text is not sent: its reasoning item then loses its pair.
  for (const entry of items) {
    if (entry.item?.type === 'message' && entry.item.content.length === 0) entry.item = undefined;
  }
  let orphaned = false;
  for (let i = 0; i < items.length; i++) {
    const entry = items[i] as HistoryItem;
    if (entry.reasoning) {
      const next = items[i + 1]?.item;
      const paired = next !== undefined && next.type !== 'reasoning' && next.id !== undefined;
      if (!paired) entry.item = undefined;
      orphaned = entry.item === undefined;
    } else if (orphaned && entry.item && entry.item.type !== 'reasoning') {
      delete entry.item.id;
    }
    if (entry.item) out.push(entry.item);
  }
}

function reasoningItem(data: ProviderData | undefined): WireReasoningItem | undefined {
  const id = stringField(data, 'itemId');
  const encrypted = stringField(data, 'encryptedContent');
  // Without its encrypted content a reasoning item refers to stored state, and nothing is stored.
  if (!id || !encrypted) return undefined;
  const parts = data?.summary;
  const summary = Array.isArray(parts)
    ? parts.flatMap((text) => (typeof text === 'string' ? [{ type: 'summary_text' as const, text }] : []))
    : [];
  return { type: 'reasoning', id, encrypted_content: encrypted, summary };
}

function stringField(data: ProviderData | undefined, name: string): string | undefined {
  const value = data?.[name];
  return typeof value === 'string' && value ? value : undefined;
}

// ---------------------------------------------------------------- streaming

interface MessageSlot {
  kind: 'message';
  data: ProviderData;
  /** Text block per content part index. */
  blocks: number[];
}

interface CallSlot {
  kind: 'call';
  block: number;
  /** Whether argument text arrived; servers that send none give the whole arguments at the end. */
  streamed: boolean;
}

interface ReasoningSlot {
  kind: 'reasoning';
  itemId: string | undefined;
  /** Opened on the first reasoning text, or when the item ends. */
  block: number;
  /** The summary part the last delta belonged to. */
  part: number;
}

type Slot = MessageSlot | CallSlot | ReasoningSlot;

const NO_BLOCK = -1;

async function consumeStream(response: Response, asm: MessageAssembler, touch: () => void): Promise<void> {
  const slots: (Slot | undefined)[] = [];
  const slotsById = new Map<string, Slot>();

  const find = (ref: ItemRef): Slot | undefined =>
    typeof ref.output_index === 'number'
      ? slots[ref.output_index]
      : ref.item_id !== undefined
        ? slotsById.get(ref.item_id)
        : undefined;

  const remember = (ref: ItemRef, itemId: string | undefined, slot: Slot): void => {
    if (typeof ref.output_index === 'number') slots[ref.output_index] = slot;
    if (itemId) slotsById.set(itemId, slot);
  };

  /** The text block of a message's content part, opened if it is new. */
  const openText = (slot: MessageSlot, contentIndex: number): number => {
    let block = slot.blocks[contentIndex];
    if (block === undefined) {
      const data = slot.data;
      block = asm.startText(data.itemId === undefined && data.phase === undefined ? undefined : { ...data });
      slot.blocks[contentIndex] = block;
    }
    return block;
  };

  const textBlock = (ref: ItemRef, contentIndex: number | undefined): number => {
    let slot = find(ref);
    if (slot?.kind !== 'message') {
      // Text for an item the server never announced: treat it as a message of its own.
      slot = { kind: 'message', data: ref.item_id ? { itemId: ref.item_id } : {}, blocks: [] };
      remember(ref, ref.item_id, slot);
    }
    return openText(slot, contentIndex ?? 0);
  };

  const itemAdded = (ref: ItemRef, item: WireItem): void => {
    switch (item.type) {
      case 'message': {
        const data: ProviderData = {};
        if (item.id) data.itemId = item.id;
        if (item.phase) data.phase = item.phase;
        const slot: MessageSlot = { kind: 'message', data, blocks: [] };
        remember(ref, item.id, slot);
        // Opened now, so that even an empty message keeps its place after its reasoning item.
        openText(slot, 0);
        return;
      }
      case 'function_call': {
        const callId = item.call_id || item.id || generateToolCallId();
        const block = asm.startToolCall(callId, item.name ?? '', item.id ? { itemId: item.id } : undefined);
        const slot: CallSlot = { kind: 'call', block, streamed: false };
        remember(ref, item.id, slot);
        if (item.arguments) {
          slot.streamed = true;
          asm.toolCallDelta(block, item.arguments);
        }
        return;
      }
      case 'reasoning':
        remember(ref, item.id, { kind: 'reasoning', itemId: item.id, block: NO_BLOCK, part: 0 });
        return;
      default:
        return;
    }
  };

  const reasoningDelta = (slot: ReasoningSlot, part: number, delta: string): void => {
    if (slot.block === NO_BLOCK) {
      slot.block = asm.startThinking(slot.itemId ? { itemId: slot.itemId } : undefined);
      slot.part = part;
    } else if (part !== slot.part) {
      slot.part = part;
      delta = SUMMARY_SEPARATOR + delta;
    }
    if (delta) asm.thinkingDelta(slot.block, delta);
  };

  const itemDone = (ref: ItemRef, item: WireItem): void => {
    const slot = find(ref);
    if (!slot) return;
    if (slot.kind === 'message') {
      if (item.type === 'message') {
        const parts = item.content ?? [];
        for (let i = 0; i < parts.length; i++) {
          const part = parts[i] as WireTextPart;
          const text = part.text ?? part.refusal ?? '';
          const block = slot.blocks[i];
          // Servers that stream no deltas send the text only here.
          if (text && (block === undefined || (asm.message.content[block] as TextContent).text === '')) {
            asm.textDelta(openText(slot, i), text);
          }
        }
        if (item.phase && slot.data.phase !== item.phase) {
          for (const block of slot.blocks) asm.addProviderData(block, { phase: item.phase });
        }
      }
      for (const block of slot.blocks) asm.endBlock(block);
    } else if (slot.kind === 'call') {
      if (item.type === 'function_call') {
        if (!slot.streamed && item.arguments) asm.toolCallDelta(slot.block, item.arguments);
        if (item.call_id || item.name) asm.updateToolCall(slot.block, { id: item.call_id, name: item.name });
      }
      asm.endBlock(slot.block);
    } else if (item.type === 'reasoning') {
      endReasoning(slot, item);
    }
  };

  const endReasoning = (slot: ReasoningSlot, item: Extract<WireItem, { type: 'reasoning' }>): void => {
    const summary: string[] = [];
    for (const part of item.summary ?? []) if (typeof part.text === 'string') summary.push(part.text);
    if (slot.block === NO_BLOCK) {
      // Nothing streamed: the summary (or raw reasoning) arrives whole, or there is none to show.
      let text = summary.join(SUMMARY_SEPARATOR);
      if (!text) for (const part of item.content ?? []) text += part.text ?? '';
      slot.block = asm.startThinking(slot.itemId ? { itemId: slot.itemId } : undefined, text === '');
      if (text) asm.thinkingDelta(slot.block, text);
    }
    const data: ProviderData = { summary };
    if (item.encrypted_content) data.encryptedContent = item.encrypted_content;
    asm.addProviderData(slot.block, data);
    asm.endBlock(slot.block);
  };

  const onEvent = (message: EventSourceMessage): void => {
    if (asm.isEnded) return;
    const data = message.data;
    // Some compatible servers end with Chat Completions' sentinel.
    if (data === '[DONE]' || data.length === 0) return;
    const event = parseEventJson<WireEvent | null>(data, asm);
    if (typeof event !== 'object' || event === null) return;
    switch (event.type) {
      case 'response.created':
      case 'response.in_progress':
      case 'response.queued':
        asm.setResponseId(event.response?.id);
        return;
      case 'response.output_item.added':
        itemAdded(event, event.item);
        return;
      case 'response.content_part.added':
        if (find(event)?.kind === 'message') textBlock(event, event.content_index);
        return;
      case 'response.output_text.delta':
      case 'response.refusal.delta':
        // A refusal is what the model said instead of an answer: show it as text.
        if (event.delta) asm.textDelta(textBlock(event, event.content_index), event.delta);
        return;
      case 'response.function_call_arguments.delta': {
        const slot = find(event);
        if (slot?.kind !== 'call' || !event.delta) return;
        slot.streamed = true;
        asm.toolCallDelta(slot.block, event.delta);
        return;
      }
      case 'response.function_call_arguments.done': {
        const slot = find(event);
        if (slot?.kind !== 'call' || slot.streamed || !event.arguments) return;
        slot.streamed = true;
        asm.toolCallDelta(slot.block, event.arguments);
        return;
      }
      case 'response.reasoning_summary_text.delta':
      case 'response.reasoning_text.delta': {
        const slot = find(event);
        if (slot?.kind !== 'reasoning') return;
        const part = event.type === 'response.reasoning_summary_text.delta' ? event.summary_index : event.content_index;
        reasoningDelta(slot, part ?? 0, event.delta);
        return;
      }
      case 'response.output_item.done':
        itemDone(event, event.item);
        return;
      case 'response.completed':
        applyUsage(asm, event.response?.usage);
        asm.setResponseId(event.response?.id);
        asm.finish('stop');
        return;
      case 'response.incomplete': {
        applyUsage(asm, event.response?.usage);
        const reason = event.response?.incomplete_details?.reason ?? 'unknown';
        if (reason === 'content_filter') asm.fail('error', 'The provider stopped the reply: content_filter', 'refusal');
        else asm.finish('length');
        return;
      }
      case 'response.failed':
        applyUsage(asm, event.response?.usage);
        throw streamError(event.response?.error ?? undefined);
      case 'error':
        throw streamError(event.error ?? { code: event.code, message: event.message });
      default:
        // Done events whose content the deltas already gave, and event types added later.
        return;
    }
  };
  await readServerSentEvents(response.body as ReadableStream<Uint8Array>, onEvent, touch);
}

function applyUsage(asm: MessageAssembler, usage: WireUsage | null | undefined): void {
  if (!usage) return;
  const input = usage.input_tokens ?? 0;
  const cached = usage.input_tokens_details?.cached_tokens ?? 0;
  const written = usage.input_tokens_details?.cache_write_tokens ?? 0;
  // input_tokens counts cache reads and writes too; output_tokens already counts reasoning.
  asm.setUsage({
    input: Math.max(0, input - cached - written),
    output: usage.output_tokens ?? 0,
    cacheRead: cached,
    cacheWrite: written,
  });
}

function streamError(error: WireError | undefined): ProviderError {
  const code = error?.code ?? error?.type ?? undefined;
  const message = error?.message || 'unknown error';
  const text = code ? `${code}: ${message}` : message;
  return new ProviderError(`The provider reported an error: ${text}`, errorKind(0, text));
}
