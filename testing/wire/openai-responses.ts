/**
 * Encodes mock replies as the OpenAI Responses API streams them, each event
 * framed as `event: <type>` plus `data: <json>` with a rising
 * `sequence_number`:
 * - `response.created`, `response.in_progress`;
 * - per block one output item, `response.output_item.added` ... `.done`:
 *   - thinking: a `reasoning` item whose summary parts (the thinking split at
 *     blank lines) stream as `response.reasoning_summary_part.added`,
 *     `response.reasoning_summary_text.delta`..., `.done`, `part.done`;
 *   - redacted thinking: a `reasoning` item with an empty summary;
 *   - text: a `message` item with one `output_text` part
 *     (`response.content_part.added`, `response.output_text.delta`...,
 *     `.done`, `response.content_part.done`);
 *   - tool call: a `function_call` item with `call_id` and name, then
 *     `response.function_call_arguments.delta`... and `.done`;
 *   reasoning items carry `encrypted_content` in `output_item.done` when
 *   the request included `reasoning.encrypted_content`;
 * - `response.completed` with the output and usage, or
 *   `response.incomplete` for `length` (reason `max_output_tokens`) and for
 *   any other stop reason (sent as the reason).
 * A structured-output request is checked as OpenAI checks it (`refuse`): a malformed
 * `text.format` gets OpenAI's own 400.
 * Faults and write sizes are the server's business.
 */
import { type MockBlock, type MockReply, type MockRequest, splitText, sseEvent, type WireEncoder } from '../script.js';
import {
  badRequest,
  invalidType,
  isObject,
  jsonSchemaFormatError,
  type OpenAIRequestError,
  requestError,
} from './openai-completions.js';

const DEFAULT_DELTA_SIZE = 16;
const HEX = '0123456789abcdef';

function randomHex(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += HEX[Math.floor(Math.random() * 16)];
  return out;
}

function bodyField(request: MockRequest, name: string): unknown {
  const body = request.body;
  if (typeof body === 'object' && body !== null && name in body) return (body as Record<string, unknown>)[name];
  return undefined;
}

function wantsEncryptedReasoning(request: MockRequest): boolean {
  const include = bodyField(request, 'include');
  return Array.isArray(include) && include.includes('reasoning.encrypted_content');
}

/** A plausible encrypted blob: real ones are opaque base64 tied to the organisation. */
function fakeEncrypted(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return `gAAAAABmock${(h >>> 0).toString(36)}${randomHex(16)}==`;
}

type Json = Record<string, unknown>;

class Writer {
  readonly events: string[] = [];
  private sequence = 0;

  emit(type: string, fields: Json): void {
    this.events.push(sseEvent(JSON.stringify({ type, sequence_number: this.sequence++, ...fields }), type));
  }
}

function wireUsage(reply: MockReply): Json {
  const usage = reply.usage ?? { input: 0, output: 0 };
  const cacheRead = usage.cacheRead ?? 0;
  const cacheWrite = usage.cacheWrite ?? 0;
  const input = usage.input + cacheRead + cacheWrite;
  const details: Json = { cached_tokens: cacheRead };
  // Only models that bill cache writes (GPT-5.6 and later) report them.
  if (cacheWrite > 0) details.cache_write_tokens = cacheWrite;
  return {
    input_tokens: input,
    input_tokens_details: details,
    output_tokens: usage.output,
    output_tokens_details: { reasoning_tokens: usage.reasoning ?? 0 },
    total_tokens: input + usage.output,
  };
}

function encodeBlock(out: Writer, block: MockBlock, index: number, size: number, encrypt: boolean): Json {
  switch (block.type) {
    case 'thinking':
    case 'redactedThinking': {
      const id = `rs_${randomHex(48)}`;
      const texts = block.type === 'thinking' ? block.thinking.split('\n\n').filter((text) => text !== '') : [];
      out.emit('response.output_item.added', {
        output_index: index,
        item: { id, type: 'reasoning', summary: [] },
      });
      texts.forEach((text, summaryIndex) => {
        const ref = { item_id: id, output_index: index, summary_index: summaryIndex };
        out.emit('response.reasoning_summary_part.added', { ...ref, part: { type: 'summary_text', text: '' } });
        for (const delta of splitText(text, size)) {
          out.emit('response.reasoning_summary_text.delta', { ...ref, delta, obfuscation: 'mock' });
        }
        out.emit('response.reasoning_summary_text.done', { ...ref, text });
        out.emit('response.reasoning_summary_part.done', { ...ref, part: { type: 'summary_text', text } });
      });
      const item: Json = { id, type: 'reasoning', summary: texts.map((text) => ({ type: 'summary_text', text })) };
      // An empty signature stands for encrypted content that never came.
      const encrypted =
        block.type === 'redactedThinking' ? block.data : (block.signature ?? fakeEncrypted(block.thinking));
      if (encrypt && encrypted) item.encrypted_content = encrypted;
      out.emit('response.output_item.done', { output_index: index, item });
      return item;
    }
    case 'text': {
      const id = `msg_${randomHex(48)}`;
      const ref = { item_id: id, output_index: index, content_index: 0 };
      out.emit('response.output_item.added', {
        output_index: index,
        item: { id, type: 'message', status: 'in_progress', content: [], role: 'assistant' },
      });
      out.emit('response.content_part.added', {
        ...ref,
        part: { type: 'output_text', annotations: [], logprobs: [], text: '' },
      });
      for (const delta of splitText(block.text, size)) {
        out.emit('response.output_text.delta', { ...ref, delta, logprobs: [], obfuscation: 'mock' });
      }
      const part = { type: 'output_text', annotations: [], logprobs: [], text: block.text };
      out.emit('response.output_text.done', { ...ref, text: block.text, logprobs: [] });
      out.emit('response.content_part.done', { ...ref, part });
      const item = { id, type: 'message', status: 'completed', content: [part], role: 'assistant' };
      out.emit('response.output_item.done', { output_index: index, item });
      return item;
    }
    case 'toolCall': {
      const id = `fc_${randomHex(48)}`;
      const callId = block.id ?? `call_${randomHex(24)}`;
      const json = typeof block.arguments === 'string' ? block.arguments : JSON.stringify(block.arguments);
      const base = { id, type: 'function_call', call_id: callId, name: block.name };
      out.emit('response.output_item.added', {
        output_index: index,
        item: { ...base, status: 'in_progress', arguments: '' },
      });
      for (const delta of splitText(json, size)) {
        out.emit('response.function_call_arguments.delta', {
          item_id: id,
          output_index: index,
          delta,
          obfuscation: 'mock',
        });
      }
      out.emit('response.function_call_arguments.done', { item_id: id, output_index: index, arguments: json });
      const item = { ...base, status: 'completed', arguments: json };
      out.emit('response.output_item.done', { output_index: index, item });
      return item;
    }
  }
}

export const openaiResponsesEncoder: WireEncoder = {
  reply(reply, request) {
    const size = Math.max(1, reply.deltaSize ?? DEFAULT_DELTA_SIZE);
    const model = bodyField(request, 'model');
    const response: Json = {
      id: reply.id ?? `resp_${randomHex(50)}`,
      object: 'response',
      created_at: Math.floor(Date.now() / 1000),
      status: 'in_progress',
      error: null,
      incomplete_details: null,
      model: typeof model === 'string' ? model : 'gpt-mock',
      output: [],
      store: false,
      usage: null,
    };
    const out = new Writer();
    out.emit('response.created', { response });
    out.emit('response.in_progress', { response });
    const encrypt = wantsEncryptedReasoning(request);
    const output = reply.content.map((block, index) => encodeBlock(out, block, index, size, encrypt));

    const reason = reply.stopReason ?? 'stop';
    const final: Json = { ...response, output, usage: wireUsage(reply) };
    if (reason === 'stop' || reason === 'toolUse') {
      out.emit('response.completed', { response: { ...final, status: 'completed' } });
    } else {
      const incomplete = reason === 'length' ? 'max_output_tokens' : reason;
      out.emit('response.incomplete', {
        response: { ...final, status: 'incomplete', incomplete_details: { reason: incomplete } },
      });
    }
    return out.events;
  },

  overloaded() {
    return sseEvent(
      JSON.stringify({
        type: 'error',
        sequence_number: 0,
        code: 'server_is_overloaded',
        message: 'Our servers are currently overloaded. Please try again later.',
        param: null,
      }),
      'error',
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

  // The Responses API does not say by how much.
  contextOverflow({ input }, window) {
    if (input <= window) return undefined;
    const message = 'Your input exceeds the context window of this model. Please adjust your input and try again.';
    return {
      type: 'http',
      status: 400,
      body: { error: { message, type: 'invalid_request_error', param: 'input', code: 'context_length_exceeded' } },
    };
  },

  refuse(request) {
    const text = bodyField(request, 'text');
    if (text === undefined) return undefined;
    return badRequest(textError(text));
  },
};

/**
 * The Responses API's `text` (https://platform.openai.com/docs/api-reference/responses/create#responses-create-text):
 * `format` is `text`, `json_object`, or `json_schema` with its fields flat beside the type. The
 * nested Chat Completions form lacks the name where this API looks for it.
 */
function textError(text: unknown): OpenAIRequestError | undefined {
  if (!isObject(text)) return invalidType('text', 'an object', text);
  const format = text.format;
  if (format === undefined) return undefined;
  if (!isObject(format)) return invalidType('text.format', 'an object', format);
  const type = format.type;
  if (type === undefined) {
    return requestError(
      'text.format.type',
      'missing_required_parameter',
      "Missing required parameter: 'text.format.type'.",
    );
  }
  if (type === 'text' || type === 'json_object') return undefined;
  if (type !== 'json_schema') {
    return requestError(
      'text.format.type',
      'invalid_value',
      `Invalid value: '${String(type)}'. Supported values are: 'text', 'json_object', and 'json_schema'.`,
    );
  }
  return jsonSchemaFormatError(format, 'text.format', 'text.format.schema', true);
}
