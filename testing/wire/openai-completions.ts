/**
 * Encodes mock replies as OpenAI Chat Completions streams them, in the
 * flavour of one compatible server (`reply.variant`):
 * - a first chunk with `role: 'assistant'` and empty content;
 * - thinking in `delta.reasoning_content` (OpenRouter: `delta.reasoning`);
 * - text in `delta.content`;
 * - a tool call opened by a delta with its id and name and empty arguments,
 *   then argument-only deltas (Qwen repeats `id: ""` and `type` in them);
 * - a chunk with the finish reason, then usage: in a chunk with empty
 *   `choices` when the request asked for it (OpenAI, Qwen, OpenRouter), at
 *   the top of the finish chunk (DeepSeek), or inside its choice (Kimi);
 * - `data: [DONE]`.
 * `llama.cpp` streams as `openai`. Over a context window, each flavour answers with its own
 * server's error body.
 * A structured-output request is checked as OpenAI checks it (`refuse`): a malformed
 * `response_format` gets OpenAI's own 400, whatever the flavour (the check does not see the
 * session's model settings, so DeepSeek's refusal of any `json_schema` is not modelled).
 * Faults and write sizes are the server's business.
 */
import {
  type MockHttpError,
  type MockReply,
  type MockRequest,
  type MockRequestMeasure,
  type MockUsage,
  splitText,
  sseEvent,
  type WireEncoder,
} from '../script.js';

const DEFAULT_DELTA_SIZE = 16;
const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

type Variant = NonNullable<MockReply['variant']>;

function randomId(prefix: string, length: number): string {
  let id = prefix;
  for (let i = 0; i < length; i++) id += ID_ALPHABET[Math.floor(Math.random() * ID_ALPHABET.length)];
  return id;
}

function bodyField(request: MockRequest, name: string): unknown {
  const body = request.body;
  if (typeof body === 'object' && body !== null && name in body) return (body as Record<string, unknown>)[name];
  return undefined;
}

function modelOf(request: MockRequest): string {
  const model = bodyField(request, 'model');
  return typeof model === 'string' ? model : 'gpt-mock';
}

function wantsUsage(request: MockRequest): boolean {
  const options = bodyField(request, 'stream_options');
  return (
    typeof options === 'object' && options !== null && (options as { include_usage?: unknown }).include_usage === true
  );
}

function wireFinishReason(reply: MockReply): string {
  const reason = reply.stopReason ?? (reply.content.some((block) => block.type === 'toolCall') ? 'toolUse' : 'stop');
  if (reason === 'toolUse') return 'tool_calls';
  return reason;
}

function wireUsage(usage: MockUsage, variant: Variant): Record<string, unknown> {
  const cacheRead = usage.cacheRead ?? 0;
  const prompt = usage.input + cacheRead;
  const wire: Record<string, unknown> = {
    prompt_tokens: prompt,
    completion_tokens: usage.output,
    total_tokens: prompt + usage.output,
  };
  if (variant === 'kimi') {
    // Moonshot puts the cache count at the top of usage.
    wire.cached_tokens = cacheRead;
    return wire;
  }
  wire.prompt_tokens_details = { cached_tokens: cacheRead };
  wire.completion_tokens_details = { reasoning_tokens: usage.reasoning ?? 0 };
  if (variant === 'deepseek') {
    wire.prompt_cache_hit_tokens = cacheRead;
    wire.prompt_cache_miss_tokens = usage.input;
  }
  return wire;
}

export const openaiCompletionsEncoder: WireEncoder = {
  reply(reply, request) {
    const variant: Variant = reply.variant ?? 'openai';
    const size = Math.max(1, reply.deltaSize ?? DEFAULT_DELTA_SIZE);
    const id = reply.id ?? randomId('chatcmpl-', 29);
    const created = Math.floor(Date.now() / 1000);
    const model = modelOf(request);
    const chunk = (choices: unknown[], extra?: Record<string, unknown>): string => {
      const payload: Record<string, unknown> = {
        id,
        object: 'chat.completion.chunk',
        created,
        model,
        system_fingerprint: 'fp_mock',
        choices,
      };
      if (extra) Object.assign(payload, extra);
      return sseEvent(JSON.stringify(payload));
    };
    const delta = (fields: Record<string, unknown>): string =>
      chunk([{ index: 0, delta: fields, logprobs: null, finish_reason: null }]);

    const events: string[] = [delta({ role: 'assistant', content: '' })];
    const reasoningField = variant === 'openrouter' ? 'reasoning' : 'reasoning_content';
    let toolIndex = 0;
    for (const block of reply.content) {
      switch (block.type) {
        case 'text':
          for (const piece of splitText(block.text, size)) events.push(delta({ content: piece }));
          break;
        case 'thinking':
          for (const piece of splitText(block.thinking, size)) events.push(delta({ [reasoningField]: piece }));
          break;
        case 'redactedThinking':
          // Chat Completions has no encrypted reasoning.
          break;
        case 'toolCall': {
          const index = toolIndex++;
          const callId = block.id ?? randomId('call_', 24);
          events.push(
            delta({
              tool_calls: [{ index, id: callId, type: 'function', function: { name: block.name, arguments: '' } }],
            }),
          );
          const json = typeof block.arguments === 'string' ? block.arguments : JSON.stringify(block.arguments);
          for (const piece of splitText(json, size)) {
            const call =
              variant === 'qwen'
                ? { index, id: '', type: 'function', function: { arguments: piece } }
                : { index, function: { arguments: piece } };
            events.push(delta({ tool_calls: [call] }));
          }
          break;
        }
      }
    }

    const usage = wireUsage(reply.usage ?? { input: 0, output: 0 }, variant);
    const finish = { index: 0, delta: {}, logprobs: null, finish_reason: wireFinishReason(reply) };
    if (variant === 'kimi') {
      events.push(chunk([{ ...finish, usage }]));
    } else if (variant === 'deepseek') {
      events.push(chunk([finish], { usage }));
    } else {
      events.push(chunk([finish]));
      if (wantsUsage(request)) events.push(chunk([], { usage }));
    }
    events.push(sseEvent('[DONE]'));
    return events;
  },

  overloaded() {
    return sseEvent(
      JSON.stringify({
        error: {
          message: 'The server is overloaded, please try again later.',
          type: 'server_error',
          param: null,
          code: 'server_overloaded',
        },
      }),
    );
  },

  errorBody(status, message) {
    let type = 'invalid_request_error';
    let code: string | null = null;
    if (status === 401) code = 'invalid_api_key';
    else if (status === 404) code = 'model_not_found';
    else if (status === 429) {
      type = 'requests';
      code = 'rate_limit_exceeded';
    } else if (status >= 500) type = 'server_error';
    return { error: { message, type, param: null, code } };
  },

  contextOverflow(measure, window, variant = 'openai') {
    const error = overflowError(measure, window, variant);
    return error && { type: 'http', status: 400, body: { error } };
  },

  refuse(request) {
    const format = bodyField(request, 'response_format');
    if (format === undefined) return undefined;
    return badRequest(responseFormatError(format));
  },
};

// ---------------------------------------------------------------- structured output, as OpenAI checks it

/**
 * OpenAI's error for a request field it refuses, as both its APIs send it (status 400):
 * `{ error: { message, type: 'invalid_request_error', param, code } }`.
 */
export interface OpenAIRequestError {
  message: string;
  type: 'invalid_request_error';
  param: string | null;
  code: string | null;
}

export function badRequest(error: OpenAIRequestError | undefined): MockHttpError | undefined {
  return error && { type: 'http', status: 400, body: { error } };
}

export function requestError(param: string, code: string, message: string): OpenAIRequestError {
  return { message, type: 'invalid_request_error', param, code };
}

/** How OpenAI names a JSON value's type in `Invalid type` errors. */
function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'an integer' : 'a decimal number';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

export function invalidType(param: string, expected: string, value: unknown): OpenAIRequestError {
  return requestError(
    param,
    'invalid_type',
    `Invalid type for '${param}': expected ${expected}, but got ${typeOf(value)} instead.`,
  );
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Chat Completions' `response_format`
 * (https://platform.openai.com/docs/api-reference/chat/create#chat-create-response_format):
 * `text`, `json_object`, or `json_schema` with the format nested in `json_schema`.
 */
function responseFormatError(format: unknown): OpenAIRequestError | undefined {
  if (!isObject(format)) return invalidType('response_format', 'an object', format);
  const type = format.type;
  if (type === undefined) {
    return requestError(
      'response_format.type',
      'missing_required_parameter',
      "Missing required parameter: 'response_format.type'.",
    );
  }
  if (type === 'text' || type === 'json_object') return undefined;
  if (type !== 'json_schema') {
    return requestError(
      'response_format.type',
      'invalid_value',
      `Invalid value: '${String(type)}'. Supported values are: 'text', 'json_object', and 'json_schema'.`,
    );
  }
  const jsonSchema = format.json_schema;
  if (jsonSchema === undefined) {
    return requestError(
      'response_format.json_schema',
      'missing_required_parameter',
      "Missing required parameter: 'response_format.json_schema'.",
    );
  }
  if (!isObject(jsonSchema)) return invalidType('response_format.json_schema', 'an object', jsonSchema);
  // The schema may be left out here; the Responses API requires it.
  return jsonSchemaFormatError(jsonSchema, 'response_format.json_schema', 'response_format', false);
}

/** OpenAI's rule for a format's (and a tool's) name. */
const NAME_PATTERN = /^[a-zA-Z0-9_-]+$/;
const NAME_MAX = 64;

/**
 * The fields of a `json_schema` format, `{ name, schema, strict, description }`, nested in Chat
 * Completions' `response_format.json_schema` and flat in the Responses API's `text.format`: `at`
 * is where they sit, `schemaParam` what an invalid schema's error names.
 */
export function jsonSchemaFormatError(
  format: Record<string, unknown>,
  at: string,
  schemaParam: string,
  schemaRequired: boolean,
): OpenAIRequestError | undefined {
  const { name, schema, strict, description } = format;
  if (name === undefined) {
    return requestError(`${at}.name`, 'missing_required_parameter', `Missing required parameter: '${at}.name'.`);
  }
  if (typeof name !== 'string') return invalidType(`${at}.name`, 'a string', name);
  if (name.length > NAME_MAX) {
    return requestError(
      `${at}.name`,
      'string_above_max_length',
      `Invalid '${at}.name': string too long. Expected a string with maximum length ${NAME_MAX}, but got a string with length ${name.length} instead.`,
    );
  }
  if (!NAME_PATTERN.test(name)) {
    return requestError(
      `${at}.name`,
      'invalid_value',
      `Invalid '${at}.name': string does not match pattern. Expected a string that matches the pattern '${NAME_PATTERN.source}'.`,
    );
  }
  if (description !== undefined && typeof description !== 'string') {
    return invalidType(`${at}.description`, 'a string', description);
  }
  if (strict !== undefined && strict !== null && typeof strict !== 'boolean') {
    return invalidType(`${at}.strict`, 'a boolean', strict);
  }
  if (schema === undefined) {
    return schemaRequired
      ? requestError(`${at}.schema`, 'missing_required_parameter', `Missing required parameter: '${at}.schema'.`)
      : undefined;
  }
  if (!isObject(schema)) return invalidType(`${at}.schema`, 'an object', schema);
  const problem = schemaProblem(schema, strict === true);
  if (problem === undefined) return undefined;
  return requestError(schemaParam, 'invalid_json_schema', `Invalid schema for response_format '${name}': ${problem}`);
}

/**
 * What OpenAI refuses in a format's schema: a root that is not an object, strict or not; and in
 * strict mode (https://platform.openai.com/docs/guides/structured-outputs#supported-schemas) an
 * object that allows other properties or does not require all of its own. The first problem
 * found, worded as OpenAI words it, its place a Python tuple of keys (`('properties', 'tags',
 * 'items')`). Objects are found under `properties`, `items`, `anyOf`, `$defs` and `definitions`.
 */
function schemaProblem(root: Record<string, unknown>, strict: boolean): string | undefined {
  if (root.type !== 'object') {
    const type = typeof root.type === 'string' ? `"${root.type}"` : '"None"';
    return `schema must be a JSON Schema of 'type: "object"', got 'type: ${type}'.`;
  }
  return strict ? strictProblem(root, []) : undefined;
}

function strictProblem(node: Record<string, unknown>, path: (string | number)[]): string | undefined {
  const at = `In context=${pythonTuple(path)}, `;
  const properties = isObject(node.properties) ? node.properties : undefined;
  if (node.type === 'object' || properties) {
    if (node.additionalProperties !== false) {
      return `${at}'additionalProperties' is required to be supplied and to be false.`;
    }
    const required = Array.isArray(node.required) ? node.required : [];
    const missing = Object.keys(properties ?? {}).find((key) => !required.includes(key));
    if (missing !== undefined) {
      return `${at}'required' is required to be supplied and to be an array including every key in properties. Missing '${missing}'.`;
    }
  }
  for (const key of ['properties', '$defs', 'definitions']) {
    const children = node[key];
    if (!isObject(children)) continue;
    for (const [name, child] of Object.entries(children)) {
      const problem = isObject(child) ? strictProblem(child, [...path, key, name]) : undefined;
      if (problem) return problem;
    }
  }
  if (isObject(node.items)) {
    const problem = strictProblem(node.items, [...path, 'items']);
    if (problem) return problem;
  }
  if (Array.isArray(node.anyOf)) {
    for (const [index, child] of node.anyOf.entries()) {
      const problem = isObject(child) ? strictProblem(child, [...path, 'anyOf', index]) : undefined;
      if (problem) return problem;
    }
  }
  return undefined;
}

/** A path as Python prints a tuple: `()`, `('items',)`, `('properties', 'a')`, `('anyOf', 0)`. */
function pythonTuple(path: (string | number)[]): string {
  const items = path.map((part) => (typeof part === 'number' ? String(part) : `'${part}'`));
  return items.length === 1 ? `(${items[0]},)` : `(${items.join(', ')})`;
}

/**
 * Each server's own overflow error. OpenAI, Qwen and llama.cpp check the prompt; DeepSeek,
 * Kimi and OpenRouter the prompt plus the output limit the request asks for.
 */
function overflowError(
  { input, parts, maxTokens = 0 }: MockRequestMeasure,
  window: number,
  variant: Variant,
): Record<string, unknown> | undefined {
  const requested = input + maxTokens;
  switch (variant) {
    case 'qwen':
      // DashScope's compatible mode: the window is its maximum input length.
      if (input <= window) return undefined;
      return {
        code: 'invalid_parameter_error',
        param: null,
        message: `<400> InternalError.Algo.InvalidParameter: Range of input length should be [1, ${window}]`,
        type: 'invalid_request_error',
      };
    case 'kimi':
      if (requested <= window) return undefined;
      return {
        message: `Invalid request: Your request exceeded model token limit: ${window}`,
        type: 'invalid_request_error',
      };
    case 'deepseek':
      if (requested <= window) return undefined;
      return {
        message: `This model's maximum context length is ${window} tokens. However, you requested ${requested} tokens (${input} in the messages, ${maxTokens} in the completion). Please reduce the length of the messages or completion.`,
        type: 'invalid_request_error',
        param: null,
        code: 'invalid_request_error',
      };
    case 'llama.cpp':
      if (input <= window) return undefined;
      return {
        code: 400,
        message: `request (${input} tokens) exceeds the available context size (${window} tokens), try increasing it`,
        type: 'exceed_context_size_error',
        n_prompt_tokens: input,
        n_ctx: window,
      };
    case 'openrouter': {
      if (requested <= window) return undefined;
      const tools = parts.tools ?? 0;
      return {
        message: `This endpoint's maximum context length is ${window} tokens. However, you requested about ${requested} tokens (${input - tools} of text input, ${tools} of tool input, ${maxTokens} in the output). Please reduce the length of either one, or use the "middle-out" transform to compress your prompt automatically.`,
        code: 400,
        metadata: { provider_name: null },
      };
    }
    default: {
      if (input <= window) return undefined;
      const tools = parts.tools;
      const message =
        tools === undefined
          ? `This model's maximum context length is ${window} tokens. However, your messages resulted in ${input} tokens. Please reduce the length of the messages.`
          : `This model's maximum context length is ${window} tokens. However, your messages resulted in ${input} tokens (${input - tools} in the messages, ${tools} in the functions). Please reduce the length of the messages or functions.`;
      return { message, type: 'invalid_request_error', param: 'messages', code: 'context_length_exceeded' };
    }
  }
}
