import { expect } from 'vitest';
import { streamAnthropic } from '../../src/ai/providers/anthropic-messages.js';
import { streamBedrock } from '../../src/ai/providers/bedrock/bedrock-converse-stream.js';
import { streamGoogle } from '../../src/ai/providers/google/google-generative-ai.js';
import { streamOpenAICompletions } from '../../src/ai/providers/openai-completions.js';
import { streamOpenAIResponses } from '../../src/ai/providers/openai-responses.js';
import type { Model, StreamFunction, StreamOptions, ToolCall } from '../../src/ai/types.js';
import {
  type MockApi,
  type MockHttpError,
  type MockRawReply,
  type MockVariant,
  sseEvent,
} from '../../testing/script.js';
import { bedrockEvent } from '../../testing/wire/bedrock-converse-stream.js';

/**
 * The five built-in protocols as data, for the conformance suite
 * (`test/ai/conformance.test.ts`): how to reach each through the mock, how
 * many wire events come before the first text delta, and where a shared
 * fault looks different on its wire. A difference between protocols belongs
 * here, never in a skipped test.
 */
export interface Protocol {
  name: MockApi;
  fn: StreamFunction;
  /** A model whose requests go to the mock server at `origin`. */
  model(origin: string): Model;
  /** How the caller authenticates; `secrets` lists what it holds. */
  auth: StreamOptions;
  /** Strings that must never appear in an event or an error. */
  secrets: string[];
  /** The name `Could not reach …` and `no data from …` use. */
  label: string;
  /** Wire events before the first text delta (deltaSize 4), so `prelude + n` means after n deltas. */
  prelude: number;
  /** Where the mock's overloaded fault is sent to come before any content. */
  overloadedBeforeContent: number;
  /** Extra headers a real 429 of this provider carries. */
  rateLimitHeaders?: Record<string, string>;
  /** A 500 with the provider's own JSON body, and the error it becomes. */
  serverError: { turn: MockHttpError; providerMessage: string; errorMessage: string };
  /** The error for a 400 with the mock encoder's default body. */
  defaultErrorMessage: string;
  /** An error answer whose body quotes every secret. */
  echoSecrets(secrets: string[]): MockHttpError;
  /** What the echoed error becomes, secrets replaced by `[redacted]`. */
  echoedErrorMessage: string;
  /** The error of the provider's own in-stream "overloaded" event. */
  overloadedMessage: string;
  /** The error for an event the client cannot decode (the mock's `malformed` fault). */
  malformedMessage: RegExp;
  /** Variables cleared to make the key missing, and the names the error must give. */
  keyEnv: { clear: string[]; named: string[] };
  /** A text part as it ends up in the message: Responses adds its item id and phase. */
  text(text: string): unknown;
  /**
   * A body that closes cleanly after the text `partial`, before the event that
   * ends a reply (`message_stop`, a `finish_reason`, `response.completed`, a
   * `finishReason`, `messageStop`), and the content it leaves.
   */
  truncated: { turn: MockRawReply; content: unknown[] };
  /** Wire events before the first argument delta of a reply that is one tool call. */
  toolPrelude: number;
  /**
   * Gemini sends each call whole, in one event, its `args` a JSON object: no
   * argument deltas to split, and arguments that are not an object rather
   * than JSON that does not parse.
   */
  wholeToolCalls: boolean;
  /** A tool call as it ends up in the message. */
  toolCall(call: ToolCall): unknown;
}

const KEY = 'sk-conformance-secret-key';
const SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY-conformance';
const SESSION_TOKEN = 'IQoJb3JpZ2luX2VjEXAMPLE-conformance-session-token';
const AWS_ENV = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_REGION',
  'AWS_DEFAULT_REGION',
  'AWS_BEARER_TOKEN_BEDROCK',
  'AWS_PROFILE',
];

function model(api: MockApi, provider: string, id: string, baseUrl: string): Model {
  return {
    id,
    name: id,
    api,
    provider,
    baseUrl,
    reasoning: false,
    input: ['text'],
    cost: { input: 1, output: 2, cacheRead: 0, cacheWrite: 0 },
    contextWindow: 100_000,
    maxTokens: 1_000,
  };
}

const exact = (text: string) => ({ type: 'text', text });

const sse = (payloads: Record<string, unknown>[], named = false): MockRawReply => ({
  type: 'raw',
  events: payloads.map((payload) => sseEvent(JSON.stringify(payload), named ? String(payload.type) : undefined)),
});

export function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i] as number);
  return btoa(binary);
}

const openaiError = (message: string, type: string): MockHttpError['body'] => ({ error: { message, type } });

export const protocols: Protocol[] = [
  {
    name: 'anthropic-messages',
    fn: streamAnthropic,
    model: (origin) => model('anthropic-messages', 'anthropic', 'claude-test', origin),
    auth: { apiKey: KEY },
    secrets: [KEY],
    label: 'anthropic',
    // message_start, content_block_start, ping, the empty opening input_json_delta.
    toolPrelude: 4,
    wholeToolCalls: false,
    toolCall: (call) => call,
    // message_start, content_block_start, ping.
    prelude: 3,
    overloadedBeforeContent: 1,
    serverError: {
      turn: {
        type: 'http',
        status: 500,
        body: { type: 'error', error: { type: 'api_error', message: 'Internal trouble' } },
      },
      providerMessage: 'api_error: Internal trouble',
      errorMessage: 'HTTP 500 Internal Server Error: api_error: Internal trouble',
    },
    defaultErrorMessage: 'HTTP 400 Bad Request: invalid_request_error: mock error 400',
    echoSecrets: ([key]) => ({
      type: 'http',
      status: 401,
      body: { type: 'error', error: { type: 'authentication_error', message: `bad key ${key}` } },
    }),
    echoedErrorMessage: 'HTTP 401 Unauthorized: authentication_error: bad key [redacted]',
    // Anthropic's own error event, quoted without the 'The provider reported an error' prefix.
    overloadedMessage: 'overloaded_error: Overloaded',
    malformedMessage: /malformed JSON/,
    keyEnv: { clear: ['ANTHROPIC_API_KEY'], named: ['ANTHROPIC_API_KEY'] },
    text: exact,
    truncated: {
      turn: sse(
        [
          { type: 'message_start', message: { id: 'msg_cut', usage: { input_tokens: 5, output_tokens: 1 } } },
          { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
          { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'partial' } },
        ],
        true,
      ),
      content: [{ type: 'text', text: 'partial' }],
    },
  },
  {
    name: 'openai-completions',
    fn: streamOpenAICompletions,
    model: (origin) => model('openai-completions', 'openai', 'gpt-5-mini', `${origin}/v1`),
    auth: { apiKey: KEY },
    secrets: [KEY],
    label: 'openai',
    // The role chunk, the delta that opens the call with its id and name.
    toolPrelude: 2,
    wholeToolCalls: false,
    toolCall: (call) => call,
    // The role chunk.
    prelude: 1,
    overloadedBeforeContent: 1,
    serverError: {
      turn: { type: 'http', status: 500, body: openaiError('The engine is on fire', 'server_error') },
      providerMessage: 'The engine is on fire',
      errorMessage: 'HTTP 500 Internal Server Error: server_error: The engine is on fire',
    },
    defaultErrorMessage: 'HTTP 400 Bad Request: invalid_request_error: mock error 400',
    echoSecrets: ([key]) => ({
      type: 'http',
      status: 401,
      body: openaiError(`Incorrect API key provided: ${key}`, 'invalid_request_error'),
    }),
    echoedErrorMessage: 'HTTP 401 Unauthorized: invalid_request_error: Incorrect API key provided: [redacted]',
    overloadedMessage:
      'The provider reported an error: server_error: The server is overloaded, please try again later.',
    malformedMessage: /malformed JSON/,
    keyEnv: { clear: ['OPENAI_API_KEY'], named: ['OPENAI_API_KEY'] },
    text: exact,
    truncated: {
      // No finish_reason and no [DONE].
      turn: sse([
        {
          id: 'chatcmpl-raw',
          object: 'chat.completion.chunk',
          choices: [{ index: 0, delta: { content: 'partial' }, finish_reason: null }],
        },
      ]),
      content: [{ type: 'text', text: 'partial' }],
    },
  },
  {
    name: 'openai-responses',
    fn: streamOpenAIResponses,
    model: (origin) => model('openai-responses', 'openai', 'gpt-6.1-terra', `${origin}/v1`),
    auth: { apiKey: KEY },
    secrets: [KEY],
    label: 'openai',
    // created, in_progress, output_item.added (the function_call).
    toolPrelude: 3,
    wholeToolCalls: false,
    // Calls carry their item id.
    toolCall: (call) => expect.objectContaining(call),
    // created, in_progress, output_item.added, content_part.added.
    prelude: 4,
    overloadedBeforeContent: 2,
    serverError: {
      turn: { type: 'http', status: 500, body: openaiError('The engine is on fire', 'server_error') },
      providerMessage: 'The engine is on fire',
      errorMessage: 'HTTP 500 Internal Server Error: server_error: The engine is on fire',
    },
    defaultErrorMessage: 'HTTP 400 Bad Request: invalid_request_error: mock error 400',
    echoSecrets: ([key]) => ({
      type: 'http',
      status: 401,
      body: openaiError(`Incorrect API key provided: ${key}`, 'invalid_request_error'),
    }),
    echoedErrorMessage: 'HTTP 401 Unauthorized: invalid_request_error: Incorrect API key provided: [redacted]',
    overloadedMessage:
      'The provider reported an error: server_is_overloaded: Our servers are currently overloaded. Please try again later.',
    malformedMessage: /malformed JSON/,
    keyEnv: { clear: ['OPENAI_API_KEY'], named: ['OPENAI_API_KEY'] },
    // Text parts carry the message item's id and phase.
    text: (text) => expect.objectContaining({ type: 'text', text }),
    truncated: {
      turn: sse(
        [
          {
            type: 'response.created',
            sequence_number: 0,
            response: { id: 'resp_raw', object: 'response', status: 'in_progress' },
          },
          {
            type: 'response.output_item.added',
            output_index: 0,
            item: { id: 'msg_p', type: 'message', status: 'in_progress', content: [], role: 'assistant' },
          },
          { type: 'response.output_text.delta', item_id: 'msg_p', output_index: 0, content_index: 0, delta: 'partial' },
        ],
        true,
      ),
      content: [{ type: 'text', text: 'partial', providerData: { itemId: 'msg_p' } }],
    },
  },
  {
    name: 'google-generative-ai',
    fn: streamGoogle,
    model: (origin) => model('google-generative-ai', 'google', 'gemini-3.8-flash', origin),
    auth: { apiKey: KEY },
    secrets: [KEY],
    label: 'google',
    toolPrelude: 0,
    wholeToolCalls: true,
    // A call with an id keeps it as provider data, to send it back; a reply's first call also
    // carries the thought signature.
    toolCall: (call) => ({ ...call, providerData: expect.objectContaining({ id: call.id }) }),
    // Every event is a candidate chunk: the first already carries text.
    prelude: 0,
    overloadedBeforeContent: 0,
    serverError: {
      turn: {
        type: 'http',
        status: 500,
        body: { error: { code: 500, message: 'Internal trouble', status: 'INTERNAL' } },
      },
      providerMessage: 'INTERNAL: Internal trouble',
      errorMessage: 'HTTP 500 Internal Server Error: INTERNAL: Internal trouble',
    },
    defaultErrorMessage: 'HTTP 400 Bad Request: INVALID_ARGUMENT: mock error 400',
    echoSecrets: ([key]) => ({
      type: 'http',
      status: 400,
      body: { error: { code: 400, message: `API key not valid: ${key}`, status: 'INVALID_ARGUMENT' } },
    }),
    echoedErrorMessage: 'HTTP 400 Bad Request: INVALID_ARGUMENT: API key not valid: [redacted]',
    overloadedMessage: 'Gemini reported an error: UNAVAILABLE: The model is overloaded. Please try again later.',
    malformedMessage: /malformed JSON/,
    keyEnv: { clear: ['GEMINI_API_KEY', 'GOOGLE_API_KEY'], named: ['GEMINI_API_KEY or GOOGLE_API_KEY'] },
    text: exact,
    truncated: {
      turn: sse([
        {
          candidates: [{ content: { parts: [{ text: 'partial' }], role: 'model' }, index: 0 }],
          responseId: 'resp-raw',
        },
      ]),
      content: [{ type: 'text', text: 'partial' }],
    },
  },
  {
    name: 'bedrock-converse-stream',
    fn: streamBedrock,
    model: (origin) => model('bedrock-converse-stream', 'amazon-bedrock', 'us.anthropic.claude-test-v1:0', origin),
    // Bedrock signs with SigV4: no API key, but a secret key and a session token that must not leak.
    auth: {
      credentials: {
        accessKeyId: 'AKIDCONFORMANCE',
        secretAccessKey: SECRET,
        sessionToken: SESSION_TOKEN,
        region: 'us-west-2',
      },
    } as StreamOptions,
    secrets: [SECRET, SESSION_TOKEN],
    label: 'amazon-bedrock',
    // messageStart, contentBlockStart.
    toolPrelude: 2,
    wholeToolCalls: false,
    toolCall: (call) => call,
    // messageStart.
    prelude: 1,
    overloadedBeforeContent: 1,
    rateLimitHeaders: { 'x-amzn-errortype': 'ThrottlingException' },
    serverError: {
      turn: {
        type: 'http',
        status: 500,
        body: { message: 'Internal trouble' },
        headers: { 'x-amzn-errortype': 'InternalServerException:http://internal.amazon.com/coral/com.amazon.bedrock/' },
      },
      providerMessage: 'Internal trouble',
      errorMessage: 'HTTP 500 Internal Server Error: InternalServerException: Internal trouble',
    },
    defaultErrorMessage: 'HTTP 400 Bad Request: mock error 400',
    echoSecrets: (secrets) => ({
      type: 'http',
      status: 400,
      body: { message: `echoing ${secrets.join(' and ')}` },
      headers: { 'x-amzn-errortype': 'ValidationException:http://internal.amazon.com/' },
    }),
    echoedErrorMessage: 'HTTP 400 Bad Request: ValidationException: echoing [redacted] and [redacted]',
    // An exception frame, not an SSE event.
    overloadedMessage:
      'serviceUnavailableException: Bedrock is unable to process your request. Please try again later.',
    // Binary frames: what cannot be decoded is a frame whose checksum fails, not broken JSON.
    malformedMessage: /^Corrupt event stream: message checksum mismatch/,
    keyEnv: {
      clear: AWS_ENV,
      named: [
        'AWS_ACCESS_KEY_ID',
        'AWS_SECRET_ACCESS_KEY',
        'AWS_SESSION_TOKEN',
        'AWS_REGION',
        'AWS_BEARER_TOKEN_BEDROCK',
      ],
    },
    text: exact,
    truncated: {
      turn: {
        type: 'raw',
        contentType: 'application/vnd.amazon.eventstream',
        events: [
          bedrockEvent('messageStart', { role: 'assistant' }),
          bedrockEvent('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'partial' } }),
        ].map((frame) => ({ base64: toBase64(frame) })),
      },
      content: [{ type: 'text', text: 'partial' }],
    },
  },
];

/**
 * The OpenAI-compatible servers the mock can play (its `MockVariant`s), each as an
 * `openai-completions` protocol whose model has that server's provider name and a model id of
 * its own, so a session's `models[id].variant` can pick the server.
 */
export const completionsVariants: { variant: MockVariant; protocol: Protocol }[] = (
  [
    ['qwen', 'qwen', 'qwen3-coder-plus'],
    ['kimi', 'kimi', 'kimi-k2.7-code'],
    ['deepseek', 'deepseek', 'deepseek-flash'],
    ['openrouter', 'openrouter', 'vendor/model-x'],
    ['llama.cpp', 'llama.cpp', 'local-gguf'],
  ] as const
).map(([variant, provider, id]) => {
  const base = protocols.find((p) => p.name === 'openai-completions') as Protocol;
  return {
    variant,
    protocol: { ...base, model: (origin: string) => ({ ...base.model(origin), provider, id, name: id }) },
  };
});

/**
 * Each provider's context-overflow words, as its error message quotes them, for a prompt of
 * `input` mock tokens asking for `maxTokens` of output, over `window`. Keyed by protocol name
 * or `openai-completions` variant; the mock sends these bodies (`testing/wire/*.ts`).
 */
export const overflowWords: Record<string, (input: number, window: number, maxTokens: number) => string> = {
  'anthropic-messages': (input, window) => `prompt is too long: ${input} tokens > ${window} maximum`,
  'openai-completions': (input, window) =>
    `This model's maximum context length is ${window} tokens. However, your messages resulted in ${input} tokens.`,
  'openai-responses': () => 'Your input exceeds the context window of this model.',
  'google-generative-ai': (input, window) =>
    `The input token count (${input}) exceeds the maximum number of tokens allowed (${window}).`,
  'bedrock-converse-stream': () => 'ValidationException: Input is too long for requested model.',
  qwen: (_input, window) => `Range of input length should be [1, ${window}]`,
  kimi: (_input, window) => `Your request exceeded model token limit: ${window}`,
  deepseek: (input, window, maxTokens) =>
    `This model's maximum context length is ${window} tokens. However, you requested ${input + maxTokens} tokens (${input} in the messages, ${maxTokens} in the completion).`,
  openrouter: (input, window, maxTokens) =>
    `This endpoint's maximum context length is ${window} tokens. However, you requested about ${input + maxTokens} tokens`,
  'llama.cpp': (input, window) =>
    `request (${input} tokens) exceeds the available context size (${window} tokens), try increasing it`,
};

/** Runs `fn` with environment variables set (or removed), creating `process.env` where the runtime has none. */
export function withEnv<T>(vars: Record<string, string | undefined>, fn: () => T): T {
  const global = globalThis as { process?: { env?: Record<string, string | undefined> } };
  const created = global.process === undefined;
  if (created) global.process = { env: {} };
  const proc = global.process as { env?: Record<string, string | undefined> };
  const envCreated = proc.env === undefined;
  if (envCreated) proc.env = {};
  const env = proc.env as Record<string, string | undefined>;
  const saved: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(vars)) {
    saved[name] = env[name];
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  try {
    return fn();
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete env[name];
      else env[name] = value;
    }
    if (envCreated) delete proc.env;
    if (created) delete global.process;
  }
}
