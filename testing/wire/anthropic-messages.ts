/**
 * Encodes mock replies as the Anthropic Messages API streams them, event
 * for event: `message_start`, an early `ping`, one start/delta.../stop run
 * per content block, `message_delta` with the stop reason and usage, then
 * `message_stop`. Faults and write sizes are the server's business.
 */
import {
  type MockBlock,
  type MockHttpError,
  type MockReply,
  type MockRequest,
  splitText,
  sseEvent,
  type WireEncoder,
} from '../script.js';

const DEFAULT_DELTA_SIZE = 16;
const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function randomId(prefix: string): string {
  let id = `${prefix}01`;
  for (let i = 0; i < 22; i++) id += ID_ALPHABET[Math.floor(Math.random() * ID_ALPHABET.length)];
  return id;
}

function event(type: string, data: Record<string, unknown>): string {
  return sseEvent(JSON.stringify({ type, ...data }), type);
}

function wireStopReason(reply: MockReply): string {
  const reason = reply.stopReason ?? (reply.content.some((block) => block.type === 'toolCall') ? 'toolUse' : 'stop');
  if (reason === 'stop') return 'end_turn';
  if (reason === 'length') return 'max_tokens';
  if (reason === 'toolUse') return 'tool_use';
  return reason;
}

function modelOf(request: MockRequest): string {
  const body = request.body;
  if (typeof body === 'object' && body !== null && 'model' in body && typeof body.model === 'string') return body.model;
  return 'claude-mock';
}

/** A plausible signature: real ones are opaque base64. */
function fakeSignature(thinking: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < thinking.length; i++) {
    h ^= thinking.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return `EqMBCkYIBxgCKkB${(h >>> 0).toString(36)}mockSignature==`;
}

function blockEvents(block: MockBlock, index: number, size: number): string[] {
  const events: string[] = [];
  switch (block.type) {
    case 'text':
      events.push(event('content_block_start', { index, content_block: { type: 'text', text: '' } }));
      for (const text of splitText(block.text, size)) {
        events.push(event('content_block_delta', { index, delta: { type: 'text_delta', text } }));
      }
      break;
    case 'thinking': {
      events.push(
        event('content_block_start', { index, content_block: { type: 'thinking', thinking: '', signature: '' } }),
      );
      for (const thinking of splitText(block.thinking, size)) {
        events.push(event('content_block_delta', { index, delta: { type: 'thinking_delta', thinking } }));
      }
      // An empty signature stands for one that never came, as when a stream is cut.
      const signature = block.signature ?? fakeSignature(block.thinking);
      if (signature) {
        events.push(event('content_block_delta', { index, delta: { type: 'signature_delta', signature } }));
      }
      break;
    }
    case 'redactedThinking':
      events.push(
        event('content_block_start', { index, content_block: { type: 'redacted_thinking', data: block.data } }),
      );
      break;
    case 'toolCall': {
      const id = block.id ?? randomId('toolu_');
      events.push(
        event('content_block_start', { index, content_block: { type: 'tool_use', id, name: block.name, input: {} } }),
      );
      // The API opens every tool input with an empty fragment.
      events.push(event('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: '' } }));
      const json = typeof block.arguments === 'string' ? block.arguments : JSON.stringify(block.arguments);
      for (const partial_json of splitText(json, size)) {
        events.push(event('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json } }));
      }
      break;
    }
  }
  events.push(event('content_block_stop', { index }));
  return events;
}

/** An object schema in `schema` (walked whole) that does not say `additionalProperties: false`, if any. */
export function openObject(schema: unknown): boolean {
  if (typeof schema !== 'object' || schema === null) return false;
  const node = schema as Record<string, unknown>;
  if (node.type === 'object' && node.additionalProperties !== false) return true;
  return Object.values(node).some(openObject);
}

/**
 * What the Messages API refuses with a 400 `invalid_request_error` before it streams:
 * - `thinking` on (`enabled` or `adaptive`) with a `tool_choice` that forces a tool (`any` or `tool`),
 *   in the API's words ("Extended thinking", https://platform.claude.com/docs/en/build-with-claude/extended-thinking:
 *   thinking works only with `auto` and `none`);
 * - a malformed `output_config.format` ("Structured outputs",
 *   https://platform.claude.com/docs/en/build-with-claude/structured-outputs): a type other than
 *   `json_schema`, a schema that is not an object, or an object schema that does not say
 *   `additionalProperties: false` (that message is the API's; the first two follow its wording for
 *   a field of the wrong shape, unverified).
 */
function refusal(body: Record<string, unknown>): string | undefined {
  const choice = (body.tool_choice as { type?: string } | undefined)?.type;
  const thinking = (body.thinking as { type?: string } | undefined)?.type;
  if ((choice === 'any' || choice === 'tool') && (thinking === 'enabled' || thinking === 'adaptive')) {
    return 'Thinking may not be enabled when tool_choice forces tool use.';
  }
  const config = body.output_config as { format?: { type?: unknown; schema?: unknown } } | undefined;
  const format = config?.format;
  if (format === undefined) return undefined;
  if (format.type !== 'json_schema') return "output_config.format.type: Input should be 'json_schema'";
  const schema = format.schema;
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
    return 'output_config.format.schema: Input should be a valid dictionary';
  }
  if (openObject(schema)) {
    return "output_config.format.schema: For 'object' type, 'additionalProperties' must be explicitly set to false";
  }
  return undefined;
}

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  409: 'conflict_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  504: 'timeout_error',
  529: 'overloaded_error',
};

export const anthropicEncoder: WireEncoder = {
  reply(reply, request) {
    const size = Math.max(1, reply.deltaSize ?? DEFAULT_DELTA_SIZE);
    const usage = reply.usage ?? { input: 0, output: 0 };
    const input = {
      input_tokens: usage.input,
      cache_creation_input_tokens: usage.cacheWrite ?? 0,
      cache_read_input_tokens: usage.cacheRead ?? 0,
    };
    const events: string[] = [
      event('message_start', {
        message: {
          model: modelOf(request),
          id: reply.id ?? randomId('msg_'),
          type: 'message',
          role: 'assistant',
          content: [],
          stop_reason: null,
          stop_sequence: null,
          // Like the API: the output count here is a placeholder, the real one comes in message_delta.
          usage: { ...input, output_tokens: Math.min(1, usage.output), service_tier: 'standard' },
        },
      }),
    ];
    reply.content.forEach((block, index) => {
      const blockEventsList = blockEvents(block, index, size);
      // The API sends its first ping right after the first block opens.
      if (index === 0) blockEventsList.splice(1, 0, event('ping', {}));
      events.push(...blockEventsList);
    });
    if (reply.content.length === 0) events.push(event('ping', {}));
    events.push(
      event('message_delta', {
        delta: { stop_reason: wireStopReason(reply), stop_sequence: null },
        usage: { ...input, output_tokens: usage.output },
      }),
      event('message_stop', {}),
    );
    return events;
  },

  overloaded() {
    return event('error', { error: { type: 'overloaded_error', message: 'Overloaded' } });
  },

  errorBody(status, message) {
    const type = ERROR_TYPES[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
    return { type: 'error', error: { type, message } };
  },

  refuse(request): MockHttpError | undefined {
    const body = request.body;
    if (typeof body !== 'object' || body === null) return undefined;
    const message = refusal(body as Record<string, unknown>);
    if (message === undefined) return undefined;
    return { type: 'http', status: 400, body: { type: 'error', error: { type: 'invalid_request_error', message } } };
  },

  // Anthropic refuses a prompt over the window, and (Claude 3.7 and later) one whose
  // prompt plus `max_tokens` is over it, rather than truncating.
  contextOverflow({ input, maxTokens }, window) {
    let message: string | undefined;
    if (input > window) message = `prompt is too long: ${input} tokens > ${window} maximum`;
    else if (maxTokens !== undefined && input + maxTokens > window) {
      message = `input length and \`max_tokens\` exceed context limit: ${input} + ${maxTokens} > ${window}, decrease input length or \`max_tokens\` and try again`;
    }
    if (message === undefined) return undefined;
    return { type: 'http', status: 400, body: { type: 'error', error: { type: 'invalid_request_error', message } } };
  },
};
