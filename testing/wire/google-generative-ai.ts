/**
 * Encodes mock replies as the Gemini API streams them with
 * `streamGenerateContent?alt=sse`: one `GenerateContentResponse` per event,
 * each with `candidates[0].content.parts`, `usageMetadata` (running counts,
 * exact on the last event), `modelVersion` and `responseId`.
 * - thinking: `{text, thought: true}` parts, the signature on the last one;
 * - text: `{text}` parts;
 * - a tool call: one whole `functionCall` part with `args` as an object, the
 *   first call of a reply carrying a `thoughtSignature` as Gemini 3 does;
 *   the `id` only when the script names one, as Gemini mostly sends none;
 * - a last event with an empty text part and the `finishReason`.
 * `generationConfig` is read as the API reads it (`refuse`): a field it does not know, or a
 * structured-output request that breaks its rules, gets Gemini's own 400.
 * Faults and write sizes are the server's business.
 */
import {
  type MockBlock,
  type MockHttpError,
  type MockReply,
  type MockRequest,
  splitText,
  type WireEncoder,
} from '../script.js';

const DEFAULT_DELTA_SIZE = 16;
const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Gemini frames events with CRLF line ends. */
function event(payload: unknown): string {
  return `data: ${JSON.stringify(payload)}\r\n\r\n`;
}

function randomId(): string {
  let id = '';
  for (let i = 0; i < 22; i++) id += ID_ALPHABET[Math.floor(Math.random() * ID_ALPHABET.length)];
  return id;
}

function modelOf(request: MockRequest): string {
  const match = /\/models\/([^/:]+):streamGenerateContent$/.exec(request.path);
  return match ? (match[1] as string) : 'gemini-mock';
}

/** A plausible signature: real ones are opaque base64. Deterministic, so tests can predict it. */
export function fakeThoughtSignature(seed: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < seed.length; i++) {
    h ^= seed.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return `CiQB${(h >>> 0).toString(36)}mockThoughtSignature==`;
}

function wireFinishReason(reply: MockReply): string {
  const reason = reply.stopReason ?? 'stop';
  if (reason === 'stop' || reason === 'toolUse') return 'STOP';
  if (reason === 'length') return 'MAX_TOKENS';
  return reason;
}

/** The wire arguments: Gemini sends an object; a script's invalid JSON is sent as a bare string. */
function wireArgs(args: Record<string, unknown> | string): unknown {
  if (typeof args !== 'string') return args;
  try {
    return JSON.parse(args) as unknown;
  } catch {
    return args;
  }
}

function blockParts(block: MockBlock, size: number, firstCall: boolean): Record<string, unknown>[] {
  switch (block.type) {
    case 'text':
      return splitText(block.text, size).map((text) => ({ text }));
    case 'thinking': {
      const parts: Record<string, unknown>[] = splitText(block.thinking, size).map((text) => ({ text, thought: true }));
      // An empty signature stands for one that never came.
      const signature = block.signature ?? fakeThoughtSignature(block.thinking);
      if (signature) {
        const last = parts[parts.length - 1];
        if (last) last.thoughtSignature = signature;
        else parts.push({ text: '', thought: true, thoughtSignature: signature });
      }
      return parts;
    }
    case 'redactedThinking':
      // Gemini has no encrypted reasoning blocks.
      return [];
    case 'toolCall': {
      const call: Record<string, unknown> = { name: block.name, args: wireArgs(block.arguments) };
      if (block.id !== undefined) call.id = block.id;
      const part: Record<string, unknown> = { functionCall: call };
      if (firstCall) part.thoughtSignature = fakeThoughtSignature(`${block.name}${JSON.stringify(block.arguments)}`);
      return [part];
    }
  }
}

const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ABORTED',
  429: 'RESOURCE_EXHAUSTED',
  499: 'CANCELLED',
  500: 'INTERNAL',
  501: 'NOT_IMPLEMENTED',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

export const googleEncoder: WireEncoder = {
  reply(reply, request) {
    const size = Math.max(1, reply.deltaSize ?? DEFAULT_DELTA_SIZE);
    const responseId = reply.id ?? randomId();
    const modelVersion = modelOf(request);
    const usage = reply.usage ?? { input: 0, output: 0 };
    const cached = usage.cacheRead ?? 0;
    const thoughts = usage.reasoning ?? 0;
    const prompt = usage.input + cached;
    const candidates = Math.max(0, usage.output - thoughts);
    const usageMetadata = (candidatesSoFar: number): Record<string, unknown> => {
      const metadata: Record<string, unknown> = {
        promptTokenCount: prompt,
        candidatesTokenCount: candidatesSoFar,
        totalTokenCount: prompt + candidatesSoFar + thoughts,
        promptTokensDetails: [{ modality: 'TEXT', tokenCount: prompt }],
      };
      if (cached > 0) metadata.cachedContentTokenCount = cached;
      if (thoughts > 0) metadata.thoughtsTokenCount = thoughts;
      return metadata;
    };
    const response = (parts: Record<string, unknown>[], usageSoFar: number, finishReason?: string): string => {
      const candidate: Record<string, unknown> = { content: { parts, role: 'model' }, index: 0 };
      if (finishReason) candidate.finishReason = finishReason;
      return event({ candidates: [candidate], usageMetadata: usageMetadata(usageSoFar), modelVersion, responseId });
    };

    const parts: Record<string, unknown>[] = [];
    let firstCall = true;
    for (const block of reply.content) {
      parts.push(...blockParts(block, size, block.type === 'toolCall' && firstCall));
      if (block.type === 'toolCall') firstCall = false;
    }
    // Running counts grow with the parts sent; the last event has the exact ones.
    const events = parts.map((part, i) => response([part], Math.min(candidates, i + 1)));
    events.push(response([{ text: '' }], candidates, wireFinishReason(reply)));
    return events;
  },

  overloaded() {
    return event({
      error: { code: 503, message: 'The model is overloaded. Please try again later.', status: 'UNAVAILABLE' },
    });
  },

  errorBody(status, message) {
    const name = STATUS_NAMES[status] ?? (status >= 500 ? 'INTERNAL' : 'FAILED_PRECONDITION');
    return { error: { code: status, message, status: name } };
  },

  contextOverflow({ input }, window) {
    if (input <= window) return undefined;
    const message = `The input token count (${input}) exceeds the maximum number of tokens allowed (${window}).`;
    return { type: 'http', status: 400, body: { error: { code: 400, message, status: 'INVALID_ARGUMENT' } } };
  },

  refuse(request) {
    const body = request.body;
    const config = isObject(body) ? body.generationConfig : undefined;
    return isObject(config) ? generationConfigError(config) : undefined;
  },
};

// ---------------------------------------------------------------- generationConfig, as the API reads it

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `GenerationConfig`'s fields (https://ai.google.dev/api/generate-content#generationconfig), in JSON's lowerCamelCase. */
const GENERATION_CONFIG_FIELDS = new Set([
  'stopSequences',
  'responseMimeType',
  'responseSchema',
  'responseJsonSchema',
  'responseModalities',
  'candidateCount',
  'maxOutputTokens',
  'temperature',
  'topP',
  'topK',
  'seed',
  'presencePenalty',
  'frequencyPenalty',
  'responseLogprobs',
  'logprobs',
  'enableEnhancedCivicAnswers',
  'speechConfig',
  'thinkingConfig',
  'imageConfig',
  'mediaResolution',
]);

/** Gemini's 400: `{ error: { code: 400, message, status: 'INVALID_ARGUMENT', details? } }`. */
function invalidArgument(message: string, field?: string): MockHttpError {
  const error: Record<string, unknown> = { code: 400, message, status: 'INVALID_ARGUMENT' };
  if (field !== undefined) {
    error.details = [
      { '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: [{ field, description: message }] },
    ];
  }
  return { type: 'http', status: 400, body: { error } };
}

/**
 * The API's answer to a `generationConfig` it refuses: a field it does not know (its JSON reader
 * takes the proto's own snake_case names too), and the structured-output rules: `responseJsonSchema`
 * needs `responseMimeType` set to `application/json`, excludes `responseSchema`, and is a schema
 * object. The API words the last ones no better than "Request contains an invalid argument."
 */
function generationConfigError(config: Record<string, unknown>): MockHttpError | undefined {
  for (const key of Object.keys(config)) {
    const name = key.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());
    if (!GENERATION_CONFIG_FIELDS.has(name)) {
      return invalidArgument(
        `Invalid JSON payload received. Unknown name "${key}" at 'generation_config': Cannot find field.`,
        'generation_config',
      );
    }
  }
  const schema = config.responseJsonSchema ?? config.response_json_schema;
  if (schema === undefined) return undefined;
  const mimeType = config.responseMimeType ?? config.response_mime_type;
  if (mimeType === undefined)
    return invalidArgument('response_mime_type must be set when response_json_schema is set.');
  const subset = config.responseSchema ?? config.response_schema;
  if (mimeType !== 'application/json' || subset !== undefined || !isObject(schema)) {
    return invalidArgument('Request contains an invalid argument.');
  }
  return undefined;
}
