/**
 * The Gemini API protocol (`POST /models/{id}:streamGenerateContent?alt=sse`).
 * Each SSE event is a whole `GenerateContentResponse`; the stream has no end
 * marker, so the reply is complete when the body ends after a `finishReason`.
 *
 * Provider data this protocol keeps on content parts, read back only when
 * the next turn goes to the same model:
 * - any part: `{ thoughtSignature }`, sent back on the same part, which
 *   Gemini 3 requires for function calling;
 * - tool calls: `{ id }` when Gemini named the call itself, so that only its
 *   own ids go back in `functionCall` and `functionResponse`.
 */

import type { MessageAssembler } from '../../assembler.js';
import type { Engine } from '../../engine.js';
import type { ProviderRequest } from '../../request.js';
import { generateToolCallId } from '../../tool-call-id.js';
import type {
  AssistantMessage,
  Context,
  ImageContent,
  JsonSchema,
  Message,
  Model,
  ProviderData,
  ReasoningLevel,
  StreamFunction,
  StreamOptions,
  TextContent,
  ToolChoice,
  ToolResultMessage,
} from '../../types.js';
import { toGeminiSchema } from './gemini-schema.js';

// The shared code this protocol calls, handed over by `defineGoogle` (see `engine.ts`), not imported:
// an import would split it into a chunk of its own in every app's bundle.
let errorKind: Engine['errorKind'];
let parseEventJson: Engine['parseEventJson'];
let ProviderError: Engine['ProviderError'];
let readServerSentEvents: Engine['readServerSentEvents'];
let transformMessages: Engine['transformMessages'];
type ProviderError = InstanceType<Engine['ProviderError']>;

const IMAGE_OMITTED = '(image omitted: this model does not accept images)';
/**
 * Gemini 3 rejects a function call without a signature in the current turn.
 * Calls made by another model have none; the API documents this value for them.
 */
const FOREIGN_CALL_SIGNATURE = 'skip_thought_signature_validator';

// ---------------------------------------------------------------- request wire format

type WireInlineData = { inlineData: { mimeType: string; data: string } };
type WireTextPart = { text: string; thought?: true; thoughtSignature?: string };
type WireFunctionCallPart = {
  functionCall: { name: string; args: Record<string, unknown>; id?: string };
  thoughtSignature?: string;
};
type WireFunctionResponsePart = {
  functionResponse: { name: string; response: { output: string } | { error: string }; id?: string };
};
type WireRequestPart = WireTextPart | WireInlineData | WireFunctionCallPart | WireFunctionResponsePart;

interface WireContent {
  role: 'user' | 'model';
  parts: WireRequestPart[];
}

type WireThinkingLevel = 'minimal' | 'low' | 'medium' | 'high';

interface WireThinkingConfig {
  includeThoughts?: boolean;
  thinkingBudget?: number;
  thinkingLevel?: WireThinkingLevel;
}

interface WireToolConfig {
  functionCallingConfig: { mode: 'AUTO' | 'ANY' | 'NONE'; allowedFunctionNames?: string[] };
}

interface WireRequestBody {
  contents: WireContent[];
  systemInstruction?: { parts: { text: string }[] };
  tools?: { functionDeclarations: { name: string; description: string; parameters?: unknown }[] }[];
  toolConfig?: WireToolConfig;
  generationConfig?: {
    maxOutputTokens?: number;
    temperature?: number;
    thinkingConfig?: WireThinkingConfig;
    responseMimeType?: 'application/json';
    responseJsonSchema?: JsonSchema;
  };
}

// ---------------------------------------------------------------- stream wire format

/** A response part. Only the fields qcore reads; code execution and other parts are skipped. */
interface WirePart {
  text?: string;
  thought?: boolean;
  thoughtSignature?: string;
  functionCall?: { name?: string; args?: unknown; id?: string };
}

interface WireUsage {
  promptTokenCount?: number;
  cachedContentTokenCount?: number;
  candidatesTokenCount?: number;
  thoughtsTokenCount?: number;
  toolUsePromptTokenCount?: number;
  totalTokenCount?: number;
}

interface WireCandidate {
  content?: { parts?: WirePart[]; role?: string };
  finishReason?: string;
  finishMessage?: string;
}

interface WireErrorBody {
  code?: number;
  message?: string;
  status?: string;
}

type WireResponse =
  | { error: WireErrorBody }
  | {
      error?: undefined;
      candidates?: WireCandidate[];
      promptFeedback?: { blockReason?: string; blockReasonMessage?: string };
      usageMetadata?: WireUsage;
      responseId?: string;
      modelVersion?: string;
    };

// ---------------------------------------------------------------- entry point

/** The protocol, given the shared code: the registry calls it on first use, `google-generative-ai.ts` at once. */
export default function defineGoogle(engine: Engine): StreamFunction {
  ({ errorKind, parseEventJson, ProviderError, readServerSentEvents, transformMessages } = engine);
  return engine.defineStreamFunction(buildRequest, consumeStream, (body) => ({
    // Google names the error in `error.status`; a bad key is a 400 whose reason alone says so.
    label: /"status": *"([A-Z_]+)"/.exec(body)?.[1],
    kind: /API_KEY_INVALID/.test(body) ? 'auth' : undefined,
  }));
}

function buildRequest(
  model: Model,
  context: Context,
  options: StreamOptions,
  apiKey: string | undefined,
): ProviderRequest {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'text/event-stream' };
  // A header, not the `key` query parameter: URLs end up in error messages and logs.
  if (apiKey) headers['x-goog-api-key'] = apiKey;
  const baseUrl = model.baseUrl.replace(/\/+$/, '');
  return {
    url: `${baseUrl}/models/${model.id}:streamGenerateContent?alt=sse`,
    headers,
    body: buildBody(model, context, options),
  };
}

function buildBody(model: Model, context: Context, options: StreamOptions): WireRequestBody {
  const body: WireRequestBody = { contents: convertMessages(transformMessages(context.messages, model), model) };
  if (context.systemPrompt) body.systemInstruction = { parts: [{ text: context.systemPrompt }] };
  const tools = context.tools ?? [];
  if (tools.length > 0) {
    body.tools = [
      {
        functionDeclarations: tools.map((tool) => {
          const parameters = toGeminiSchema(tool.parameters);
          return parameters
            ? { name: tool.name, description: tool.description, parameters }
            : { name: tool.name, description: tool.description };
        }),
      },
    ];
    if (options.toolChoice !== undefined) body.toolConfig = toToolConfig(options.toolChoice);
  }
  const generation: NonNullable<WireRequestBody['generationConfig']> = {};
  if (options.maxTokens !== undefined) generation.maxOutputTokens = options.maxTokens;
  if (options.temperature !== undefined) generation.temperature = options.temperature;
  if (model.reasoning) generation.thinkingConfig = thinkingConfig(model, options.reasoning);
  // Structured output: `responseJsonSchema` takes JSON Schema as it is (not the `responseSchema` subset that
  // `gemini-schema.ts` writes), with `responseMimeType` required: https://ai.google.dev/api/generate-content#generationconfig
  if (options.responseFormat) {
    generation.responseMimeType = 'application/json';
    generation.responseJsonSchema = options.responseFormat.schema;
  }
  if (Object.keys(generation).length > 0) body.generationConfig = generation;
  return body;
}

/** `auto` is AUTO, `none` NONE; `required` and one named tool are ANY, the latter with its name allowed alone. */
function toToolConfig(choice: ToolChoice): WireToolConfig {
  if (typeof choice !== 'string') {
    return { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: [choice.name] } };
  }
  return { functionCallingConfig: { mode: choice === 'required' ? 'ANY' : choice === 'auto' ? 'AUTO' : 'NONE' } };
}

/** Gemini 2.5 takes a token budget; the budgets sit inside every 2.5 model's accepted range. */
const THINKING_BUDGETS: Record<Exclude<ReasoningLevel, 'off'>, number> = {
  minimal: 512,
  low: 2048,
  medium: 8192,
  high: 24576,
};

/**
 * Gemini 2.5 is steered by `thinkingBudget`, Gemini 3 and later by
 * `thinkingLevel`; which one, and the least a model accepts, is data in
 * `model.compat`. Level models cannot stop thinking, so `off` asks for the
 * least and hides the thoughts.
 */
function thinkingConfig(model: Model, level: ReasoningLevel | undefined): WireThinkingConfig {
  const config: WireThinkingConfig = { includeThoughts: level !== 'off' };
  if (level === undefined) return config;
  const compat = model.compat ?? {};
  if (compat.thinkingControl === 'budget') {
    config.thinkingBudget = level === 'off' ? (compat.offThinkingBudget ?? 0) : THINKING_BUDGETS[level];
    return config;
  }
  if (level === 'off' || level === 'minimal') config.thinkingLevel = compat.minThinkingLevel ?? 'low';
  else config.thinkingLevel = level;
  return config;
}

// ---------------------------------------------------------------- context conversion

function convertMessages(messages: readonly Message[], model: Model): WireContent[] {
  const out: WireContent[] = [];
  const images = model.input.includes('image');
  // Gemini's own call ids, by qcore id: only these go back in `functionResponse`.
  const wireIds = new Map<string, string>();
  let results: WireContent | undefined;
  for (const message of messages) {
    if (message.role === 'toolResult') {
      // Every result of one model turn goes in a single user content, images after the responses.
      if (!results) {
        results = { role: 'user', parts: [] };
        out.push(results);
      }
      addToolResult(results.parts, message, wireIds.get(message.toolCallId), images);
      continue;
    }
    results = undefined;
    if (message.role === 'user') {
      const parts =
        typeof message.content === 'string'
          ? message.content.trim()
            ? [{ text: message.content }]
            : []
          : userParts(message.content, images);
      if (parts.length > 0) out.push({ role: 'user', parts });
      continue;
    }
    const parts = modelParts(message, wireIds);
    if (parts.length > 0) out.push({ role: 'model', parts });
  }
  return out;
}

function userParts(content: readonly (TextContent | ImageContent)[], images: boolean): WireRequestPart[] {
  const parts: WireRequestPart[] = [];
  for (const part of content) {
    if (part.type === 'text') {
      if (part.text.trim()) parts.push({ text: part.text });
    } else if (images) parts.push({ inlineData: { mimeType: part.mimeType, data: part.data } });
    else parts.push({ text: IMAGE_OMITTED });
  }
  return parts;
}

function signatureOf(data: ProviderData | undefined): string | undefined {
  const signature = data?.thoughtSignature;
  return typeof signature === 'string' && signature ? signature : undefined;
}

function modelParts(message: AssistantMessage, wireIds: Map<string, string>): WireRequestPart[] {
  const parts: WireRequestPart[] = [];
  let firstCall: WireFunctionCallPart | undefined;
  let signedCall = false;
  for (const part of message.content) {
    const signature = signatureOf(part.providerData);
    if (part.type === 'text') {
      // An empty text part can carry the turn's signature; without one it is noise the API rejects.
      if (!part.text && !signature) continue;
      parts.push(signature ? { text: part.text, thoughtSignature: signature } : { text: part.text });
    } else if (part.type === 'thinking') {
      // Only this model's own thinking reaches here (transformMessages turns other thinking into text).
      if (!part.thinking && !signature) continue;
      const thought: WireTextPart = { text: part.thinking, thought: true };
      if (signature) thought.thoughtSignature = signature;
      parts.push(thought);
    } else {
      const call: WireFunctionCallPart = { functionCall: { name: part.name, args: part.arguments } };
      const wireId = part.providerData?.id;
      if (typeof wireId === 'string' && wireId) {
        call.functionCall.id = wireId;
        wireIds.set(part.id, wireId);
      }
      if (signature) {
        call.thoughtSignature = signature;
        signedCall = true;
      }
      firstCall ??= call;
      parts.push(call);
    }
  }
  if (firstCall && !signedCall) firstCall.thoughtSignature = FOREIGN_CALL_SIGNATURE;
  return parts;
}

function addToolResult(
  parts: WireRequestPart[],
  message: ToolResultMessage,
  wireId: string | undefined,
  images: boolean,
): void {
  let text = '';
  const attached: WireInlineData[] = [];
  let imageCount = 0;
  for (const part of message.content) {
    if (part.type === 'text') text += text ? `\n${part.text}` : part.text;
    else {
      imageCount++;
      if (images) attached.push({ inlineData: { mimeType: part.mimeType, data: part.data } });
    }
  }
  if (imageCount > 0 && !images) text += text ? `\n${IMAGE_OMITTED}` : IMAGE_OMITTED;
  else if (imageCount > 0 && !text) text = '(see the attached image)';
  const response = message.isError ? { error: text } : { output: text };
  const result: WireFunctionResponsePart = { functionResponse: { name: message.toolName, response } };
  if (wireId) result.functionResponse.id = wireId;
  // Responses first, in call order; Gemini pairs them with the calls by position when there are no ids.
  let at = parts.length;
  while (at > 0 && 'inlineData' in (parts[at - 1] as WireRequestPart)) at--;
  parts.splice(at, 0, result);
  parts.push(...attached);
}

// ---------------------------------------------------------------- streaming

type Finish = 'stop' | 'length';

/** Finish reasons that mean the reply was withheld or broken, with what to tell the user. */
const FAILED_FINISH: Record<string, string> = {
  SAFETY: 'the reply was blocked by the safety filters',
  RECITATION: 'the reply was blocked for reciting training data',
  LANGUAGE: 'the reply was in an unsupported language',
  BLOCKLIST: 'the reply contained a blocked term',
  PROHIBITED_CONTENT: 'the reply was blocked for prohibited content',
  SPII: 'the reply was blocked for sensitive personal information',
  MALFORMED_FUNCTION_CALL: 'the model produced a malformed function call',
  UNEXPECTED_TOOL_CALL: 'the model called a tool that was not offered',
  TOO_MANY_TOOL_CALLS: 'the model made too many tool calls',
  MISSING_THOUGHT_SIGNATURE: 'a function call in the history lacks its thought signature',
  MALFORMED_RESPONSE: 'the model produced a malformed response',
  IMAGE_SAFETY: 'the reply was blocked by the image safety filters',
  IMAGE_PROHIBITED_CONTENT: 'the reply was blocked for prohibited image content',
  IMAGE_RECITATION: 'the reply was blocked for reciting an image',
};

/** Streaming state for one response: the open text or thinking block, and tool ids in use. */
interface StreamState {
  open: number;
  kind: 'text' | 'thinking' | undefined;
  signed: boolean;
  ids: Set<string>;
}

async function consumeStream(response: Response, asm: MessageAssembler, touch: () => void): Promise<void> {
  const state: StreamState = { open: -1, kind: undefined, signed: false, ids: new Set() };
  let finish: Finish | undefined;
  await readServerSentEvents(
    response.body as ReadableStream<Uint8Array>,
    (event) => {
      if (asm.isEnded || event.data.length === 0) return;
      const payload = parseEventJson<WireResponse>(event.data, asm);
      if (typeof payload !== 'object' || payload === null) return;
      if (payload.error) throw streamError(payload.error);
      asm.setResponseId(payload.responseId);
      const blocked = payload.promptFeedback?.blockReason;
      if (blocked) {
        const detail = payload.promptFeedback?.blockReasonMessage;
        asm.fail('error', `Gemini blocked the prompt (${blocked})${detail ? `: ${detail}` : ''}`, 'refusal');
        return;
      }
      if (payload.usageMetadata) applyUsage(asm, payload.usageMetadata);
      const candidate = payload.candidates?.[0];
      if (!candidate) return;
      const parts = candidate.content?.parts;
      if (parts) for (let i = 0; i < parts.length; i++) onPart(asm, state, parts[i] as WirePart);
      const reason = candidate.finishReason;
      if (!reason) return;
      const failure = FAILED_FINISH[reason];
      if (failure) {
        const detail = candidate.finishMessage ? `: ${candidate.finishMessage}` : '';
        // The rest are filters refusing.
        const kind = /MALFORMED|TOOL_CALL|SIGNATURE/.test(reason) ? 'invalid_output' : 'refusal';
        asm.fail('error', `Gemini stopped: ${failure} (finishReason ${reason})${detail}`, kind);
        return;
      }
      // STOP and reasons added later: the reply did end. Function calls make it toolUse in the assembler.
      finish = reason === 'MAX_TOKENS' ? 'length' : 'stop';
    },
    touch,
  );
  // Usage may follow the finish reason in a later event, so the reply ends with the body.
  if (finish !== undefined) asm.finish(finish);
}

function onPart(asm: MessageAssembler, state: StreamState, part: WirePart): void {
  const signature = typeof part.thoughtSignature === 'string' && part.thoughtSignature ? part.thoughtSignature : '';
  const call = part.functionCall;
  if (call) {
    state.kind = undefined;
    state.open = -1;
    onFunctionCall(asm, state, call, signature);
    return;
  }
  const text = typeof part.text === 'string' ? part.text : '';
  if (!text && !signature) return;
  const kind = part.thought === true ? 'thinking' : 'text';
  // A second signature means a new part on Gemini's side; keep both by opening a new block.
  if (state.kind !== kind || (signature && state.signed)) {
    const data = signature ? { thoughtSignature: signature } : undefined;
    state.open = kind === 'thinking' ? asm.startThinking(data) : asm.startText(data);
    state.kind = kind;
    state.signed = signature !== '';
  } else if (signature) {
    asm.addProviderData(state.open, { thoughtSignature: signature });
    state.signed = true;
  }
  if (!text) return;
  if (kind === 'thinking') asm.thinkingDelta(state.open, text);
  else asm.textDelta(state.open, text);
}

/** Gemini sends a call whole, its arguments an object: one start, one delta, one end. */
function onFunctionCall(
  asm: MessageAssembler,
  state: StreamState,
  call: NonNullable<WirePart['functionCall']>,
  signature: string,
): void {
  const wireId = typeof call.id === 'string' && call.id && !state.ids.has(call.id) ? call.id : '';
  const id = wireId || uniqueId(state.ids);
  state.ids.add(id);
  let data: ProviderData | undefined;
  if (wireId || signature) {
    data = {};
    if (wireId) data.id = wireId;
    if (signature) data.thoughtSignature = signature;
  }
  const index = asm.startToolCall(id, typeof call.name === 'string' ? call.name : '', data);
  const args = call.args ?? {};
  if (typeof args === 'object' && args !== null && !Array.isArray(args)) {
    asm.toolCallArguments(index, args as Record<string, unknown>);
  } else {
    // Not an object: let the JSON path record it as invalid arguments.
    asm.toolCallDelta(index, JSON.stringify(args));
  }
  asm.endBlock(index);
}

function uniqueId(taken: Set<string>): string {
  for (;;) {
    const id = generateToolCallId();
    if (!taken.has(id)) return id;
  }
}

function applyUsage(asm: MessageAssembler, usage: WireUsage): void {
  const prompt = (usage.promptTokenCount ?? 0) + (usage.toolUsePromptTokenCount ?? 0);
  const cached = usage.cachedContentTokenCount ?? 0;
  asm.setUsage({
    input: Math.max(0, prompt - cached),
    output: (usage.candidatesTokenCount ?? 0) + (usage.thoughtsTokenCount ?? 0),
    cacheRead: cached,
  });
}

function streamError(error: WireErrorBody): ProviderError {
  const status = error.status ?? '';
  const code = typeof error.code === 'number' ? error.code : 0;
  const label = status || (code ? `HTTP ${code}` : 'error');
  const text = `${label}: ${error.message ?? 'unknown error'}`;
  // UNAVAILABLE, RESOURCE_EXHAUSTED, INTERNAL, DEADLINE_EXCEEDED name their kind.
  return new ProviderError(`Gemini reported an error: ${text}`, errorKind(code, text));
}
