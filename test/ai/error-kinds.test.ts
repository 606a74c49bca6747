import { describe, expect, test } from 'vitest';
import { streamAnthropic } from '../../src/ai/providers/anthropic-messages.js';
import { streamBedrock } from '../../src/ai/providers/bedrock/bedrock-converse-stream.js';
import { streamGoogle } from '../../src/ai/providers/google/google-generative-ai.js';
import { streamOpenAICompletions } from '../../src/ai/providers/openai-completions.js';
import { streamOpenAIResponses } from '../../src/ai/providers/openai-responses.js';
import { ProviderError } from '../../src/ai/request.js';
import type { AssistantMessage, ErrorKind, Model, StreamOptions } from '../../src/ai/types.js';
import type { MockTurn } from '../../testing/script.js';
import { mockSession } from '../support/mock.js';

type Api = 'anthropic' | 'completions' | 'responses' | 'google' | 'bedrock';

const credentials = { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret-test-key', region: 'us-west-2' };

function model(api: Api, base: string, provider?: string): Model {
  const wire = {
    anthropic: ['anthropic-messages', 'anthropic', base],
    completions: ['openai-completions', 'openai', `${base}/v1`],
    responses: ['openai-responses', 'openai', `${base}/v1`],
    google: ['google-generative-ai', 'google', base],
    bedrock: ['bedrock-converse-stream', 'amazon-bedrock', base],
  }[api];
  return {
    id: api === 'bedrock' ? 'us.anthropic.claude-test-v1:0' : 'm',
    name: 'm',
    api: wire[0] as string,
    provider: provider ?? (wire[1] as string),
    baseUrl: wire[2] as string,
    reasoning: false,
    input: ['text'],
    cost: { input: 1, output: 1, cacheRead: 0, cacheWrite: 0 },
    contextWindow: 1000,
    maxTokens: 100,
  };
}

const fns = {
  anthropic: streamAnthropic,
  completions: streamOpenAICompletions,
  responses: streamOpenAIResponses,
  google: streamGoogle,
  bedrock: streamBedrock,
};

const context = { messages: [{ role: 'user' as const, content: 'x', timestamp: 0 }] };

async function run(
  api: Api,
  turns: MockTurn[],
  options: StreamOptions = {},
  provider?: string,
): Promise<{ message: AssistantMessage; requests: number }> {
  const session = await mockSession({ turns });
  const fn = fns[api] as (
    m: Model,
    c: typeof context,
    o: StreamOptions & { credentials?: unknown },
  ) => {
    result(): Promise<AssistantMessage>;
  };
  const message = await fn(model(api, session.baseUrl, provider), context, {
    apiKey: 'sk-kinds-test',
    credentials,
    maxRetries: 0,
    ...options,
  }).result();
  return { message, requests: (await session.requests()).length };
}

const http = (status: number, body: unknown, headers?: Record<string, string>): MockTurn => ({
  type: 'http',
  status,
  body,
  headers,
});
const anthropicError = (type: string, message: string) => ({ type: 'error', error: { type, message } });
const openaiError = (message: string, type: string, code: string | null = null) => ({
  error: { message, type, param: null, code },
});
const googleError = (code: number, status: string, message: string, details?: unknown[]) => ({
  error: { code, message, status, ...(details ? { details } : {}) },
});
const awsType = (name: string) => ({
  'x-amzn-errortype': `${name}:http://internal.amazon.com/coral/com.amazon.bedrock/`,
});

/** Real error bodies, as each provider documents them, with the kind they must get. */
const httpCases: [string, Api, string | undefined, number, unknown, Record<string, string> | undefined, ErrorKind][] = [
  [
    'Anthropic prompt is too long',
    'anthropic',
    undefined,
    400,
    anthropicError('invalid_request_error', 'prompt is too long: 208310 tokens > 200000 maximum'),
    undefined,
    'context_overflow',
  ],
  [
    'Anthropic request_too_large',
    'anthropic',
    undefined,
    413,
    anthropicError('request_too_large', 'Request exceeds the maximum allowed number of bytes.'),
    undefined,
    'context_overflow',
  ],
  [
    'Anthropic bad max_tokens',
    'anthropic',
    undefined,
    400,
    anthropicError('invalid_request_error', 'max_tokens: 100000 > 64000, the maximum allowed for this model'),
    undefined,
    'invalid_request',
  ],
  [
    'Anthropic bad key',
    'anthropic',
    undefined,
    401,
    anthropicError('authentication_error', 'invalid x-api-key'),
    undefined,
    'auth',
  ],
  [
    'Anthropic permission',
    'anthropic',
    undefined,
    403,
    anthropicError('permission_error', 'Your API key does not have permission to use the specified resource.'),
    undefined,
    'permission',
  ],
  [
    'Anthropic unknown model',
    'anthropic',
    undefined,
    404,
    anthropicError('not_found_error', 'model: claude-x'),
    undefined,
    'not_found',
  ],
  [
    'Anthropic overloaded',
    'anthropic',
    undefined,
    529,
    anthropicError('overloaded_error', 'Overloaded'),
    undefined,
    'overloaded',
  ],
  [
    'Anthropic api_error',
    'anthropic',
    undefined,
    500,
    anthropicError('api_error', 'Internal server error'),
    undefined,
    'server',
  ],
  [
    'OpenAI context_length_exceeded',
    'completions',
    undefined,
    400,
    openaiError(
      "This model's maximum context length is 128000 tokens. However, your messages resulted in 130532 tokens. Please reduce the length of the messages.",
      'invalid_request_error',
      'context_length_exceeded',
    ),
    undefined,
    'context_overflow',
  ],
  [
    'OpenAI insufficient_quota (billing, not a wait)',
    'completions',
    undefined,
    429,
    openaiError(
      'You exceeded your current quota, please check your plan and billing details.',
      'insufficient_quota',
      'insufficient_quota',
    ),
    undefined,
    'permission',
  ],
  [
    'OpenAI invalid key',
    'completions',
    undefined,
    401,
    openaiError('Incorrect API key provided: sk-kinds-****.', 'invalid_request_error', 'invalid_api_key'),
    undefined,
    'auth',
  ],
  [
    'OpenAI unprocessable',
    'completions',
    undefined,
    422,
    openaiError('Invalid schema for function', 'invalid_request_error'),
    undefined,
    'invalid_request',
  ],
  [
    'OpenAI request timeout',
    'completions',
    undefined,
    408,
    openaiError('Request timed out', 'timeout'),
    undefined,
    'timeout',
  ],
  [
    'Qwen Range of input length',
    'completions',
    'qwen',
    400,
    {
      error: {
        code: 'invalid_parameter_error',
        param: null,
        message: '<400> InternalError.Algo.InvalidParameter: Range of input length should be [1, 129024]',
        type: 'invalid_request_error',
      },
    },
    undefined,
    'context_overflow',
  ],
  [
    'Qwen Arrearage',
    'completions',
    'qwen',
    400,
    openaiError('Access denied, please make sure your account is in good standing.', 'Arrearage', 'Arrearage'),
    undefined,
    'permission',
  ],
  [
    'Kimi exceeded model token limit',
    'completions',
    'kimi',
    400,
    {
      error: {
        message: 'Invalid request: Your request exceeded model token limit: 262144',
        type: 'invalid_request_error',
      },
    },
    undefined,
    'context_overflow',
  ],
  [
    'DeepSeek maximum context length',
    'completions',
    'deepseek',
    400,
    openaiError(
      "This model's maximum context length is 131072 tokens. However, you requested 140000 tokens (139000 in the messages, 1000 in the completion). Please reduce the length of the messages or completion.",
      'invalid_request_error',
      'invalid_request_error',
    ),
    undefined,
    'context_overflow',
  ],
  [
    'DeepSeek Insufficient Balance',
    'completions',
    'deepseek',
    402,
    openaiError('Insufficient Balance', 'unknown_error', 'invalid_request_error'),
    undefined,
    'permission',
  ],
  [
    'llama.cpp exceed_context_size_error',
    'completions',
    'llama.cpp',
    400,
    {
      error: {
        code: 400,
        message: 'request (4476 tokens) exceeds the available context size (4096 tokens), try increasing it',
        type: 'exceed_context_size_error',
        n_prompt_tokens: 4476,
        n_ctx: 4096,
      },
    },
    undefined,
    'context_overflow',
  ],
  [
    'Responses context_length_exceeded',
    'responses',
    undefined,
    400,
    openaiError(
      'Your input exceeds the context window of this model. Please adjust your input and try again.',
      'invalid_request_error',
      'context_length_exceeded',
    ),
    undefined,
    'context_overflow',
  ],
  [
    'Gemini input token count exceeds',
    'google',
    undefined,
    400,
    googleError(
      400,
      'INVALID_ARGUMENT',
      'The input token count (1200293) exceeds the maximum number of tokens allowed (1048576).',
    ),
    undefined,
    'context_overflow',
  ],
  [
    'Gemini API_KEY_INVALID (a 400)',
    'google',
    undefined,
    400,
    googleError(400, 'INVALID_ARGUMENT', 'API key not valid. Please pass a valid API key.', [
      { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com' },
    ]),
    undefined,
    'auth',
  ],
  [
    'Gemini bad argument',
    'google',
    undefined,
    400,
    googleError(400, 'INVALID_ARGUMENT', 'Invalid JSON payload received.'),
    undefined,
    'invalid_request',
  ],
  [
    'Gemini PERMISSION_DENIED',
    'google',
    undefined,
    403,
    googleError(403, 'PERMISSION_DENIED', 'Method doesn\u2019t allow unregistered callers.'),
    undefined,
    'permission',
  ],
  [
    'Gemini RESOURCE_EXHAUSTED',
    'google',
    undefined,
    429,
    googleError(
      429,
      'RESOURCE_EXHAUSTED',
      'You exceeded your current quota, please check your plan and billing details.',
    ),
    undefined,
    'rate_limit',
  ],
  [
    'Gemini UNAVAILABLE',
    'google',
    undefined,
    503,
    googleError(503, 'UNAVAILABLE', 'The model is overloaded. Please try again later.'),
    undefined,
    'overloaded',
  ],
  [
    'Gemini DEADLINE_EXCEEDED',
    'google',
    undefined,
    504,
    googleError(504, 'DEADLINE_EXCEEDED', 'Deadline expired before operation could complete.'),
    undefined,
    'timeout',
  ],
  [
    'Bedrock Input is too long',
    'bedrock',
    undefined,
    400,
    { message: 'Input is too long for requested model.' },
    awsType('ValidationException'),
    'context_overflow',
  ],
  [
    'Bedrock too many input tokens',
    'bedrock',
    undefined,
    400,
    { message: 'Too many input tokens. Max input tokens: 8192, request input token count: 9000' },
    awsType('ValidationException'),
    'context_overflow',
  ],
  [
    'Bedrock other ValidationException',
    'bedrock',
    undefined,
    400,
    { message: 'The provided model identifier is invalid.' },
    awsType('ValidationException'),
    'invalid_request',
  ],
  [
    'Bedrock UnrecognizedClientException (a 403)',
    'bedrock',
    undefined,
    403,
    { message: 'The security token included in the request is invalid.' },
    awsType('UnrecognizedClientException'),
    'auth',
  ],
  [
    'Bedrock AccessDeniedException',
    'bedrock',
    undefined,
    403,
    { message: "You don't have access to the model with the specified model ID." },
    awsType('AccessDeniedException'),
    'permission',
  ],
  [
    'Bedrock ThrottlingException',
    'bedrock',
    undefined,
    429,
    { message: 'Too many requests, please wait before trying again.' },
    awsType('ThrottlingException'),
    'rate_limit',
  ],
];

describe('HTTP errors get a kind from the provider’s real body and status', () => {
  test.each(httpCases)('%s', async (_name, api, provider, status, body, headers, kind) => {
    // Two turns: Chromium resends a request answered 408 once on its own.
    const turn = http(status, body, headers);
    const { message } = await run(api, [turn, turn], {}, provider);
    expect(message.stopReason).toBe('error');
    expect(message.errorKind).toBe(kind);
    expect(message.errorStatus).toBe(status);
    expect(message.errorMessage).toMatch(new RegExp(`^HTTP ${status}`));
  });

  test('AWS names the error in a header; the message still leads with it', async () => {
    const { message } = await run('bedrock', [
      http(400, { message: 'Input is too long for requested model.' }, awsType('ValidationException')),
    ]);
    expect(message.errorMessage).toMatch(/^HTTP 400[^:]*: ValidationException: Input is too long/);
  });

  test('Google names the error in error.status; the message still leads with it', async () => {
    const { message } = await run('google', [http(400, googleError(400, 'INVALID_ARGUMENT', 'Bad value.'))]);
    expect(message.errorMessage).toMatch(/^HTTP 400[^:]*: INVALID_ARGUMENT: Bad value\.$/);
  });

  test('retry-after is carried on a rate-limited reply', async () => {
    const { message } = await run('anthropic', [
      http(429, anthropicError('rate_limit_error', 'Number of requests has exceeded your rate limit'), {
        'retry-after': '7',
      }),
    ]);
    expect(message.errorKind).toBe('rate_limit');
    expect(message.retryAfterMs).toBe(7000);
  });

  test('insufficient_quota is not retried; a plain 429 is', async () => {
    const quota = http(
      429,
      openaiError('You exceeded your current quota.', 'insufficient_quota', 'insufficient_quota'),
      { 'retry-after-ms': '1' },
    );
    const once = await run('completions', [quota, quota], { maxRetries: 1 });
    expect(once.message.errorKind).toBe('permission');
    expect(once.requests).toBe(1);
    const limited = http(429, openaiError('Rate limit reached', 'requests', 'rate_limit_exceeded'), {
      'retry-after-ms': '1',
    });
    const twice = await run('completions', [limited, limited], { maxRetries: 1 });
    expect(twice.message.errorKind).toBe('rate_limit');
    expect(twice.requests).toBe(2);
  });

  test('a context overflow is never retried', async () => {
    const overflow = http(400, anthropicError('invalid_request_error', 'prompt is too long: 3 tokens > 2 maximum'));
    const { message, requests } = await run('anthropic', [overflow, overflow], { maxRetries: 2 });
    expect(message.errorKind).toBe('context_overflow');
    expect(requests).toBe(1);
  });
});

describe('mid-stream errors and refusals get a kind', () => {
  const text = [{ type: 'text' as const, text: 'partial answer' }];

  test.each([
    ['anthropic', 'overloaded'],
    ['completions', 'overloaded'],
    ['responses', 'overloaded'],
    ['google', 'overloaded'],
    ['bedrock', 'overloaded'],
  ] as [Api, ErrorKind][])('%s: the protocol’s overloaded event after content', async (api, kind) => {
    const { message, requests } = await run(api, [{ content: text, fault: { type: 'overloaded', afterEvents: 3 } }], {
      maxRetries: 2,
    });
    expect(message.stopReason).toBe('error');
    expect(message.errorKind).toBe(kind);
    expect(message.errorStatus).toBeUndefined();
    expect(requests).toBe(1);
  });

  test('Responses response.failed with context_length_exceeded', async () => {
    const { message } = await run('responses', [
      {
        type: 'raw',
        events: [
          `event: response.failed\ndata: ${JSON.stringify({
            type: 'response.failed',
            response: {
              id: 'resp_1',
              status: 'failed',
              error: {
                code: 'context_length_exceeded',
                message: 'Your input exceeds the context window of this model. Please adjust your input and try again.',
              },
            },
          })}\n\n`,
        ],
      },
    ]);
    expect(message.errorKind).toBe('context_overflow');
  });

  test('Bedrock: an overloaded exception frame before content is retried', async () => {
    const { message } = await run(
      'bedrock',
      [{ content: text, fault: { type: 'overloaded', afterEvents: 0 } }, { content: text }],
      { maxRetries: 1 },
    );
    // The overloaded frame is retryable: it was retried and the second turn answered.
    expect(message.stopReason).toBe('stop');
  });

  test.each([
    ['anthropic', 'refusal'],
    ['completions', 'content_filter'],
    ['bedrock', 'guardrail_intervened'],
    ['bedrock', 'content_filtered'],
    ['google', 'SAFETY'],
    ['google', 'PROHIBITED_CONTENT'],
  ] as [Api, string][])('%s: stop reason %s is a refusal', async (api, stopReason) => {
    const { message } = await run(api, [{ content: text, stopReason }]);
    expect(message.stopReason).toBe('error');
    expect(message.errorKind).toBe('refusal');
  });

  test('Responses: an incomplete reply for content_filter is a refusal', async () => {
    const { message } = await run('responses', [
      {
        type: 'raw',
        events: [
          `event: response.incomplete\ndata: ${JSON.stringify({
            type: 'response.incomplete',
            response: { id: 'resp_1', status: 'incomplete', incomplete_details: { reason: 'content_filter' } },
          })}\n\n`,
        ],
      },
    ]);
    expect(message.errorKind).toBe('refusal');
  });

  test('Gemini: a blocked prompt is a refusal', async () => {
    const { message } = await run('google', [
      {
        type: 'raw',
        events: [`data: ${JSON.stringify({ promptFeedback: { blockReason: 'PROHIBITED_CONTENT' } })}\n\n`],
      },
    ]);
    expect(message.errorKind).toBe('refusal');
  });

  test('Gemini: a malformed function call is invalid output', async () => {
    const { message } = await run('google', [{ content: text, stopReason: 'MALFORMED_FUNCTION_CALL' }]);
    expect(message.errorKind).toBe('invalid_output');
  });

  test('malformed JSON in the stream is invalid output', async () => {
    const { message } = await run('anthropic', [{ content: text, fault: { type: 'malformed', afterEvents: 2 } }]);
    expect(message.errorKind).toBe('invalid_output');
  });
});

describe('failures of the transport get a kind', () => {
  test('a refused connection is network, and the cause code stays in the message', async () => {
    // Not port 9: fetch refuses that one itself ("bad port") before any connection.
    const message = await streamAnthropic(model('anthropic', 'http://127.0.0.1:65534'), context, {
      apiKey: 'sk-kinds-test',
      maxRetries: 0,
    }).result();
    expect(message.errorKind).toBe('network');
    expect(message.errorStatus).toBeUndefined();
    // Node's fetch says only "fetch failed"; the system's code comes from its cause.
    if (/fetch failed/.test(message.errorMessage ?? '')) expect(message.errorMessage).toMatch(/ECONNREFUSED/);
  });

  test('a connection cut mid-stream is network', async () => {
    const { message } = await run('completions', [
      { content: [{ type: 'text', text: 'hello world, more' }], deltaSize: 4, fault: { type: 'cut', afterEvents: 4 } },
    ]);
    expect(message.errorKind).toBe('network');
  });

  test('a stall is a timeout', async () => {
    const { message } = await run('anthropic', [{ content: [], fault: { type: 'stall', afterEvents: 0 } }], {
      timeoutMs: 200,
    });
    expect(message.errorKind).toBe('timeout');
  });

  test('an abort is aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    const { message } = await run('anthropic', [{ content: [] }], { signal: controller.signal });
    expect(message.stopReason).toBe('aborted');
    expect(message.errorKind).toBe('aborted');
  });

  test('no API key is auth', async () => {
    const message = await streamOpenAICompletions(model('completions', 'http://127.0.0.1:9', 'deepseek'), context, {
      maxRetries: 0,
      headers: {},
    }).result();
    if (message.errorMessage?.startsWith('No API key')) expect(message.errorKind).toBe('auth');
  });

  test('missing AWS credentials are auth', async () => {
    const message = await streamBedrock(model('bedrock', 'http://127.0.0.1:9'), context, {
      credentials: { accessKeyId: '', secretAccessKey: '' },
    }).result();
    expect(message.errorKind).toBe('auth');
  });
});

describe('ProviderError', () => {
  test('carries its kind, and retryability follows from it', () => {
    const error = new ProviderError('slow down', 'rate_limit', 1000, 429);
    expect(error.kind).toBe('rate_limit');
    expect(error.retryable).toBe(true);
    expect(error.status).toBe(429);
    expect(new ProviderError('too long', 'context_overflow').retryable).toBe(false);
  });

  test('the older boolean form still works, of unknown kind', () => {
    const error = new ProviderError('busy', true);
    expect(error.kind).toBe('unknown');
    expect(error.retryable).toBe(true);
  });
});
