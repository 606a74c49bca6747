/**
 * Encodes mock replies as Bedrock's ConverseStream sends them: binary AWS
 * event-stream messages, each with `:event-type`, `:content-type` and
 * `:message-type` string headers, a JSON payload padded with a random `p`
 * field, and both CRC-32 checksums. The order is `messageStart`; per content
 * block a `contentBlockStart` (tool calls only), `contentBlockDelta`s and a
 * `contentBlockStop`; `messageStop` with the stop reason; then `metadata`
 * with the usage. Text and reasoning blocks have no start event.
 *
 * The CRC here is computed bit by bit, on purpose independent of the
 * client's table-driven one, so each checks the other.
 */
import {
  type MockBlock,
  type MockHttpError,
  type MockReply,
  type MockUsage,
  splitText,
  type WireEncoder,
} from '../script.js';
import { openObject } from './anthropic-messages.js';

const DEFAULT_DELTA_SIZE = 16;
const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const PADDING = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const encoder = new TextEncoder();

function randomId(prefix: string, length: number): string {
  let id = prefix;
  for (let i = 0; i < length; i++) id += ID_ALPHABET[Math.floor(Math.random() * ID_ALPHABET.length)];
  return id;
}

function crc32(bytes: Uint8Array, start: number, end: number): number {
  let crc = 0xffffffff;
  for (let i = start; i < end; i++) {
    crc ^= bytes[i] as number;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** One event-stream message with string headers (type 7). */
export function eventStreamMessage(headers: Record<string, string>, payload: Uint8Array): Uint8Array {
  const encoded = Object.entries(headers).map(([name, value]) => [encoder.encode(name), encoder.encode(value)]);
  const headersLength = encoded.reduce(
    (sum, [name, value]) => sum + 1 + (name?.length ?? 0) + 3 + (value?.length ?? 0),
    0,
  );
  const total = 12 + headersLength + payload.length + 4;
  const bytes = new Uint8Array(total);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, total);
  view.setUint32(4, headersLength);
  view.setUint32(8, crc32(bytes, 0, 8));
  let at = 12;
  for (const [name = new Uint8Array(), value = new Uint8Array()] of encoded) {
    bytes[at++] = name.length;
    bytes.set(name, at);
    at += name.length;
    bytes[at++] = 7;
    view.setUint16(at, value.length);
    at += 2;
    bytes.set(value, at);
    at += value.length;
  }
  bytes.set(payload, at);
  view.setUint32(total - 4, crc32(bytes, 0, total - 4));
  return bytes;
}

/** An event as Bedrock frames it; `pad` adds the random-length `p` field real responses carry. */
export function bedrockEvent(type: string, payload: Record<string, unknown>, pad = true): Uint8Array {
  const body = pad ? { ...payload, p: PADDING.slice(0, 1 + Math.floor(Math.random() * PADDING.length)) } : payload;
  return eventStreamMessage(
    { ':event-type': type, ':content-type': 'application/json', ':message-type': 'event' },
    encoder.encode(JSON.stringify(body)),
  );
}

/** An exception frame, as Bedrock sends one mid-stream. */
export function bedrockException(type: string, message: string): Uint8Array {
  return eventStreamMessage(
    { ':exception-type': type, ':content-type': 'application/json', ':message-type': 'exception' },
    encoder.encode(JSON.stringify({ message })),
  );
}

function wireStopReason(reply: MockReply): string {
  const reason = reply.stopReason ?? (reply.content.some((block) => block.type === 'toolCall') ? 'toolUse' : 'stop');
  if (reason === 'stop') return 'end_turn';
  if (reason === 'length') return 'max_tokens';
  if (reason === 'toolUse') return 'tool_use';
  return reason;
}

/** A plausible signature: real ones are opaque base64. */
function fakeSignature(thinking: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < thinking.length; i++) {
    h ^= thinking.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return `EqQBCkgIBxABGAIqQ${(h >>> 0).toString(36)}bedrockMockSignature==`;
}

function blockEvents(block: MockBlock, contentBlockIndex: number, size: number): Uint8Array[] {
  const events: Uint8Array[] = [];
  const delta = (value: Record<string, unknown>) =>
    bedrockEvent('contentBlockDelta', { contentBlockIndex, delta: value });
  switch (block.type) {
    case 'text':
      for (const text of splitText(block.text, size)) events.push(delta({ text }));
      break;
    case 'thinking': {
      for (const text of splitText(block.thinking, size)) events.push(delta({ reasoningContent: { text } }));
      // An empty signature stands for one that never came, as when a stream is cut.
      const signature = block.signature ?? fakeSignature(block.thinking);
      if (signature) events.push(delta({ reasoningContent: { signature } }));
      break;
    }
    case 'redactedThinking':
      events.push(delta({ reasoningContent: { redactedContent: block.data } }));
      break;
    case 'toolCall': {
      const toolUseId = block.id ?? randomId('tooluse_', 22);
      events.push(
        bedrockEvent('contentBlockStart', { contentBlockIndex, start: { toolUse: { toolUseId, name: block.name } } }),
      );
      const json = typeof block.arguments === 'string' ? block.arguments : JSON.stringify(block.arguments);
      for (const input of splitText(json, size)) events.push(delta({ toolUse: { input } }));
      break;
    }
  }
  events.push(bedrockEvent('contentBlockStop', { contentBlockIndex }));
  return events;
}

function wireUsage(usage: MockUsage): Record<string, number> {
  const cacheRead = usage.cacheRead ?? 0;
  const cacheWrite = usage.cacheWrite ?? 0;
  const wire: Record<string, number> = {
    inputTokens: usage.input,
    outputTokens: usage.output,
    totalTokens: usage.input + usage.output + cacheRead + cacheWrite,
  };
  if (usage.cacheRead !== undefined) wire.cacheReadInputTokens = cacheRead;
  if (usage.cacheWrite !== undefined) wire.cacheWriteInputTokens = cacheWrite;
  return wire;
}

const VALIDATION = 'ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/';

/** Bedrock's 400: the error type in `x-amzn-errortype`, the message in the body. */
function badRequest(message: string, type = VALIDATION): MockHttpError {
  return { type: 'http', status: 400, headers: { 'x-amzn-errortype': type }, body: { message } };
}

/** AWS's wording for a member that fails its shape's constraint. */
const constraint = (value: unknown, path: string, rule: string) =>
  badRequest(
    `1 validation error detected: Value ${value === undefined ? 'null' : `'${String(value)}'`} at '${path}' failed to satisfy constraint: Member must ${rule}`,
  );

/**
 * What ConverseStream refuses with a 400 before it streams:
 * - a malformed `outputConfig.textFormat`, checked against its shapes in the API reference
 *   (OutputFormat https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_OutputFormat.html:
 *   `type` required, `json_schema` its one value, `structure` required; JsonSchemaDefinition
 *   https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_JsonSchemaDefinition.html:
 *   `schema` a required string, `name` and `description` optional) in AWS's validation wording; a
 *   schema that is not a string does not deserialize (SerializationException), one that is not JSON
 *   is refused (the wording of these two unverified);
 * - for Claude, what the model refuses, passed on as Bedrock does ("The model returned the following
 *   errors: …"): an object schema without `additionalProperties: false`, and thinking together with
 *   a tool choice that forces a tool.
 */
function refusal(path: string, body: Record<string, unknown>): MockHttpError | undefined {
  const claude = path.includes('anthropic.claude');
  const model = (message: string) => badRequest(`The model returned the following errors: ${message}`);
  const choice = (body.toolConfig as { toolChoice?: Record<string, unknown> } | undefined)?.toolChoice;
  const fields = body.additionalModelRequestFields as { thinking?: { type?: string } } | undefined;
  const thinking = fields?.thinking?.type;
  if (
    claude &&
    choice &&
    ('any' in choice || 'tool' in choice) &&
    (thinking === 'enabled' || thinking === 'adaptive')
  ) {
    return model('Thinking may not be enabled when tool_choice forces tool use.');
  }
  const format = (body.outputConfig as { textFormat?: Record<string, unknown> } | undefined)?.textFormat;
  if (format === undefined) return undefined;
  if (format.type !== 'json_schema') {
    return format.type === undefined
      ? constraint(undefined, 'outputConfig.textFormat.type', 'not be null')
      : constraint(format.type, 'outputConfig.textFormat.type', 'satisfy enum value set: [json_schema]');
  }
  const structure = format.structure as { jsonSchema?: { schema?: unknown } } | undefined;
  if (structure?.jsonSchema === undefined) {
    return constraint(undefined, 'outputConfig.textFormat.structure.jsonSchema', 'not be null');
  }
  const schema = structure.jsonSchema.schema;
  if (schema === undefined)
    return constraint(undefined, 'outputConfig.textFormat.structure.jsonSchema.schema', 'not be null');
  if (typeof schema !== 'string') {
    return badRequest(
      'Unexpected value type in payload: outputConfig.textFormat.structure.jsonSchema.schema must be a string',
      'SerializationException',
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(schema);
  } catch {
    return badRequest('The provided JSON schema is not valid JSON.');
  }
  if (claude && openObject(parsed)) {
    return model(
      "output_config.format.schema: For 'object' type, 'additionalProperties' must be explicitly set to false",
    );
  }
  return undefined;
}

export const bedrockEncoder: WireEncoder = {
  contentType: 'application/vnd.amazon.eventstream',

  reply(reply) {
    const size = Math.max(1, reply.deltaSize ?? DEFAULT_DELTA_SIZE);
    const events: Uint8Array[] = [bedrockEvent('messageStart', { role: 'assistant' })];
    reply.content.forEach((block, index) => {
      events.push(...blockEvents(block, index, size));
    });
    events.push(
      bedrockEvent('messageStop', { stopReason: wireStopReason(reply) }),
      bedrockEvent(
        'metadata',
        { usage: wireUsage(reply.usage ?? { input: 0, output: 0 }), metrics: { latencyMs: 42 } },
        false,
      ),
    );
    return events;
  },

  overloaded() {
    return bedrockException(
      'serviceUnavailableException',
      'Bedrock is unable to process your request. Please try again later.',
    );
  },

  malformed() {
    const frame = bedrockEvent('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'corrupt' } });
    const last = frame.length - 1;
    frame[last] = (frame[last] as number) ^ 0xff;
    return frame;
  },

  // Bedrock names the error type in an `x-amzn-errortype` header; the body carries only the message.
  errorBody(_status, message) {
    return { message };
  },

  refuse(request) {
    const body = request.body;
    return typeof body === 'object' && body !== null
      ? refusal(request.path, body as Record<string, unknown>)
      : undefined;
  },

  contextOverflow({ input }, window) {
    if (input <= window) return undefined;
    return {
      type: 'http',
      status: 400,
      headers: { 'x-amzn-errortype': 'ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/' },
      body: { message: 'Input is too long for requested model.' },
    };
  },
};
