/**
 * Context windows in the mock: how it counts a request's tokens, which model a request names, and
 * the provider's answer to a request over the window. Web standards only, so tests in Chromium
 * and workerd can count as the server does.
 *
 * The counting rule is the mock's own, deterministic and documented, NOT a real tokenizer:
 * - a request's prompt-bearing fields are, by protocol:
 *   - `anthropic-messages`: `system`, `messages`, `tools`;
 *   - `openai-completions`: `messages`, `tools`;
 *   - `openai-responses`: `instructions`, `input`, `tools`;
 *   - `google-generative-ai`: `systemInstruction`, `contents`, `tools`;
 *   - `bedrock-converse-stream`: `system`, `messages`, `toolConfig`;
 * - each field present counts `ceil(UTF-8 bytes of JSON.stringify(value) / 4)` tokens, the value
 *   being the parsed request body's (so the same whatever the client's whitespace);
 * - a request's input tokens are the sum over its fields;
 * - a reply's output tokens are `ceil(characters / 4)`, the characters (`string.length`) of all
 *   its text, thinking and tool-call arguments (the JSON as sent) together.
 */
import type {
  MockApi,
  MockHttpError,
  MockReply,
  MockRequest,
  MockRequestMeasure,
  MockScript,
  MockVariant,
} from './script.js';
import { encoderFor } from './wire/index.js';

const PROMPT_FIELDS: Record<MockApi, string[]> = {
  'anthropic-messages': ['system', 'messages', 'tools'],
  'openai-completions': ['messages', 'tools'],
  'openai-responses': ['instructions', 'input', 'tools'],
  'google-generative-ai': ['systemInstruction', 'contents', 'tools'],
  'bedrock-converse-stream': ['system', 'messages', 'toolConfig'],
};

const utf8 = new TextEncoder();

/** `ceil(UTF-8 bytes / 4)`: the mock's tokens for a piece of text. */
export function countTextTokens(text: string): number {
  return Math.ceil(utf8.encode(text).length / 4);
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function decode(id: string): string {
  try {
    return decodeURIComponent(id);
  } catch {
    return id;
  }
}

/**
 * The model id a request names: `body.model` for Anthropic and both OpenAI protocols, the URL
 * path (URL-decoded) for Gemini and Bedrock.
 */
export function modelOfRequest(request: MockRequest): string | undefined {
  if (request.api === 'google-generative-ai') {
    const match = /\/models\/([^/]+):streamGenerateContent$/.exec(request.path);
    return match ? decode(match[1] as string) : undefined;
  }
  if (request.api === 'bedrock-converse-stream') {
    const match = /\/model\/([^/]+)\/converse-stream$/.exec(request.path);
    return match ? decode(match[1] as string) : undefined;
  }
  const model = record(request.body).model;
  return typeof model === 'string' ? model : undefined;
}

function maxTokensOf(request: MockRequest): number | undefined {
  const body = record(request.body);
  let value: unknown;
  switch (request.api) {
    case 'anthropic-messages':
      value = body.max_tokens;
      break;
    case 'openai-completions':
      value = body.max_completion_tokens ?? body.max_tokens;
      break;
    case 'openai-responses':
      value = body.max_output_tokens;
      break;
    case 'google-generative-ai':
      value = record(body.generationConfig).maxOutputTokens;
      break;
    case 'bedrock-converse-stream':
      value = record(body.inferenceConfig).maxTokens;
      break;
  }
  return typeof value === 'number' ? value : undefined;
}

/** A request as the counting rule sees it: its model, its tokens per prompt field, their sum and its output limit. */
export function measureRequest(request: MockRequest): MockRequestMeasure {
  const body = record(request.body);
  const parts: Record<string, number> = {};
  let input = 0;
  for (const field of PROMPT_FIELDS[request.api]) {
    const value = body[field];
    if (value === undefined) continue;
    const tokens = countTextTokens(JSON.stringify(value));
    parts[field] = tokens;
    input += tokens;
  }
  const measure: MockRequestMeasure = { parts, input };
  const model = modelOfRequest(request);
  if (model !== undefined) measure.model = model;
  const maxTokens = maxTokensOf(request);
  if (maxTokens !== undefined) measure.maxTokens = maxTokens;
  return measure;
}

/** The request's input tokens by the mock's rule (see the header of this file). */
export function countRequestTokens(request: MockRequest): number {
  return measureRequest(request).input;
}

/** A reply's output tokens by the mock's rule: `ceil(characters of text, thinking and arguments / 4)`. */
export function countReplyTokens(reply: Pick<MockReply, 'content'>): number {
  let characters = 0;
  for (const block of reply.content) {
    if (block.type === 'text') characters += block.text.length;
    else if (block.type === 'thinking') characters += block.thinking.length;
    else if (block.type === 'toolCall') {
      characters += (typeof block.arguments === 'string' ? block.arguments : JSON.stringify(block.arguments)).length;
    }
  }
  return Math.ceil(characters / 4);
}

/** The window and `openai-completions` flavour a session's script gives the model of a request. */
export function modelSettings(
  script: Pick<MockScript<unknown>, 'contextWindow' | 'models'>,
  request: MockRequest,
): { contextWindow?: number; variant?: MockVariant } {
  const id = modelOfRequest(request);
  const model = id !== undefined && script.models && Object.hasOwn(script.models, id) ? script.models[id] : undefined;
  const settings: { contextWindow?: number; variant?: MockVariant } = {};
  const window = model?.contextWindow ?? script.contextWindow;
  if (window !== undefined) settings.contextWindow = window;
  if (model?.variant !== undefined) settings.variant = model.variant;
  return settings;
}

/**
 * The provider's real answer to `request` when it is too long for `window` (status, headers and
 * body as the provider sends them), or `undefined` when it fits. `variant` picks the
 * `openai-completions` server whose error to send.
 */
export function contextOverflow(
  request: MockRequest,
  window: number,
  variant?: MockVariant,
): MockHttpError | undefined {
  return encoderFor(request.api).contextOverflow?.(measureRequest(request), window, variant);
}
