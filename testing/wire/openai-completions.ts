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
 * Faults and write sizes are the server's business.
 */
import {
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
};

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
