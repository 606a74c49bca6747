import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { streamAnthropic } from '../../src/ai/providers/anthropic-messages.js';
import type { Model } from '../../src/ai/types.js';
import { createMockSession } from '../../testing/client.js';
import {
  contextOverflow,
  countReplyTokens,
  countRequestTokens,
  countTextTokens,
  type MockApi,
  type MockRequest,
  type MockScript,
  type MockServer,
  type MockVariant,
  measureRequest,
  modelOfRequest,
  startMockServer,
} from '../../testing/index.js';

let server: MockServer;
beforeAll(async () => {
  server = await startMockServer();
});
afterAll(() => server.close());

/** A prompt of exactly `tokens` mock tokens in `messages`: `[{"role":"user","content":"…"}]` is 30 bytes plus the text. */
const messagesOf = (tokens: number) => [{ role: 'user', content: 'x'.repeat(tokens * 4 - 30) }];

const ROUTES: Record<MockApi, (model: string) => string> = {
  'anthropic-messages': () => '/v1/messages',
  'openai-completions': () => '/v1/chat/completions',
  'openai-responses': () => '/v1/responses',
  'google-generative-ai': (model) => `/v1beta/models/${encodeURIComponent(model)}:streamGenerateContent?alt=sse`,
  'bedrock-converse-stream': (model) => `/model/${encodeURIComponent(model)}/converse-stream`,
};

/** A request body of `tokens` prompt tokens in each protocol's own field. */
function bodyOf(api: MockApi, model: string, tokens: number, extra: Record<string, unknown> = {}) {
  const messages = messagesOf(tokens);
  switch (api) {
    case 'anthropic-messages':
    case 'openai-completions':
      return { model, messages, ...extra };
    case 'openai-responses':
      return { model, input: messages, ...extra };
    case 'google-generative-ai':
      return { contents: messages, ...extra };
    case 'bedrock-converse-stream':
      return { messages, ...extra };
  }
}

async function post(baseUrl: string, api: MockApi, model: string, body: unknown) {
  const response = await fetch(`${baseUrl}${ROUTES[api](model)}`, { method: 'POST', body: JSON.stringify(body) });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

const request = (api: MockApi, body: unknown, path = ROUTES[api]('m').split('?')[0] as string): MockRequest => ({
  api,
  method: 'POST',
  path,
  headers: {},
  body,
});

const hello = { type: 'text', text: 'Hello there' } as const;

describe('the counting rule', () => {
  test('ceil(UTF-8 bytes / 4) of each prompt field’s JSON, summed', () => {
    expect(countTextTokens('')).toBe(0);
    expect(countTextTokens('abcd')).toBe(1);
    expect(countTextTokens('abcde')).toBe(2);
    // é is 2 bytes, 😀 4.
    expect(countTextTokens('é😀')).toBe(2);
    const body = {
      model: 'claude-x',
      max_tokens: 64,
      system: 'Be brief.', // "Be brief." 11 bytes: 3
      messages: [{ role: 'user', content: 'hello' }], // 35 bytes: 9
      tools: [{ name: 'read', description: 'Read a file', input_schema: { type: 'object' } }], // 78 bytes: 20
      temperature: 0.5, // not prompt-bearing
    };
    expect(measureRequest(request('anthropic-messages', body))).toEqual({
      model: 'claude-x',
      parts: { system: 3, messages: 9, tools: 20 },
      input: 32,
      maxTokens: 64,
    });
    expect(countRequestTokens(request('anthropic-messages', body))).toBe(32);
    expect(
      countRequestTokens(request('anthropic-messages', { messages: [{ role: 'user', content: 'héllo 😀' }] })),
    ).toBe(11);
  });

  test('each protocol’s own prompt fields and output limit', () => {
    const m = messagesOf(10);
    expect(
      measureRequest(request('openai-completions', { model: 'g', messages: m, max_completion_tokens: 7 })),
    ).toEqual({ model: 'g', parts: { messages: 10 }, input: 10, maxTokens: 7 });
    expect(measureRequest(request('openai-completions', { messages: m, max_tokens: 5 })).maxTokens).toBe(5);
    expect(
      measureRequest(
        request('openai-responses', { model: 'r', instructions: 'abcd', input: m, max_output_tokens: 16 }),
      ),
    ).toEqual({ model: 'r', parts: { instructions: 2, input: 10 }, input: 12, maxTokens: 16 });
    const gemini = request(
      'google-generative-ai',
      { systemInstruction: { parts: [] }, contents: m, tools: [], generationConfig: { maxOutputTokens: 9 } },
      '/v1beta/models/gemini-x%2Dy:streamGenerateContent',
    );
    expect(measureRequest(gemini)).toEqual({
      model: 'gemini-x-y',
      parts: { systemInstruction: 3, contents: 10, tools: 1 },
      input: 14,
      maxTokens: 9,
    });
    const bedrock = request(
      'bedrock-converse-stream',
      { messages: m, system: [], toolConfig: { tools: [] }, inferenceConfig: { maxTokens: 3 } },
      '/model/us.anthropic.claude-test-v1%3A0/converse-stream',
    );
    expect(measureRequest(bedrock)).toEqual({
      model: 'us.anthropic.claude-test-v1:0',
      parts: { messages: 10, system: 1, toolConfig: 3 },
      input: 14,
      maxTokens: 3,
    });
    expect(modelOfRequest(request('anthropic-messages', {}))).toBeUndefined();
  });

  test('a reply’s output is ceil(characters of text, thinking and arguments / 4)', () => {
    expect(countReplyTokens({ content: [] })).toBe(0);
    expect(
      countReplyTokens({
        content: [
          { type: 'thinking', thinking: 'abc' }, // 3
          { type: 'text', text: 'hello' }, // 5
          { type: 'redactedThinking', data: 'not counted' },
          { type: 'toolCall', name: 'read', arguments: { path: 'a' } }, // {"path":"a"}: 12
          { type: 'toolCall', name: 'read', arguments: '{"x' }, // 3
        ],
      }),
    ).toBe(6);
  });
});

describe('over the window, each provider’s real error', () => {
  const jsonBody = (status: number, body: unknown, headers?: Record<string, string>) => ({ status, body, headers });
  const cases: {
    name: string;
    api: MockApi;
    model: string;
    variant?: MockVariant;
    /** Tokens of a request that still fits a window of 100 (some servers count the output limit too). */
    fits?: number;
    maxTokens?: Record<string, unknown>;
    expected: { status: number; body: unknown; headers?: Record<string, string> };
  }[] = [
    {
      name: 'Anthropic',
      api: 'anthropic-messages',
      model: 'claude-test',
      expected: jsonBody(400, {
        type: 'error',
        error: { type: 'invalid_request_error', message: 'prompt is too long: 120 tokens > 100 maximum' },
      }),
    },
    {
      name: 'OpenAI Chat Completions',
      api: 'openai-completions',
      model: 'gpt-test',
      expected: jsonBody(400, {
        error: {
          message:
            "This model's maximum context length is 100 tokens. However, your messages resulted in 120 tokens. Please reduce the length of the messages.",
          type: 'invalid_request_error',
          param: 'messages',
          code: 'context_length_exceeded',
        },
      }),
    },
    {
      name: 'Qwen',
      api: 'openai-completions',
      model: 'qwen3-coder-plus',
      variant: 'qwen',
      expected: jsonBody(400, {
        error: {
          code: 'invalid_parameter_error',
          param: null,
          message: '<400> InternalError.Algo.InvalidParameter: Range of input length should be [1, 100]',
          type: 'invalid_request_error',
        },
      }),
    },
    {
      name: 'Kimi',
      api: 'openai-completions',
      model: 'kimi-k2',
      variant: 'kimi',
      maxTokens: { max_tokens: 10 },
      fits: 90,
      expected: jsonBody(400, {
        error: {
          message: 'Invalid request: Your request exceeded model token limit: 100',
          type: 'invalid_request_error',
        },
      }),
    },
    {
      name: 'DeepSeek',
      api: 'openai-completions',
      model: 'deepseek-chat',
      variant: 'deepseek',
      maxTokens: { max_tokens: 10 },
      fits: 90,
      expected: jsonBody(400, {
        error: {
          message:
            "This model's maximum context length is 100 tokens. However, you requested 130 tokens (120 in the messages, 10 in the completion). Please reduce the length of the messages or completion.",
          type: 'invalid_request_error',
          param: null,
          code: 'invalid_request_error',
        },
      }),
    },
    {
      name: 'OpenRouter',
      api: 'openai-completions',
      model: 'vendor/model',
      variant: 'openrouter',
      maxTokens: { max_tokens: 10 },
      fits: 90,
      expected: jsonBody(400, {
        error: {
          message:
            'This endpoint\'s maximum context length is 100 tokens. However, you requested about 130 tokens (120 of text input, 0 of tool input, 10 in the output). Please reduce the length of either one, or use the "middle-out" transform to compress your prompt automatically.',
          code: 400,
          metadata: { provider_name: null },
        },
      }),
    },
    {
      name: 'llama.cpp',
      api: 'openai-completions',
      model: 'local',
      variant: 'llama.cpp',
      expected: jsonBody(400, {
        error: {
          code: 400,
          message: 'request (120 tokens) exceeds the available context size (100 tokens), try increasing it',
          type: 'exceed_context_size_error',
          n_prompt_tokens: 120,
          n_ctx: 100,
        },
      }),
    },
    {
      name: 'OpenAI Responses',
      api: 'openai-responses',
      model: 'gpt-test',
      expected: jsonBody(400, {
        error: {
          message: 'Your input exceeds the context window of this model. Please adjust your input and try again.',
          type: 'invalid_request_error',
          param: 'input',
          code: 'context_length_exceeded',
        },
      }),
    },
    {
      name: 'Gemini',
      api: 'google-generative-ai',
      model: 'gemini-test',
      expected: jsonBody(400, {
        error: {
          code: 400,
          message: 'The input token count (120) exceeds the maximum number of tokens allowed (100).',
          status: 'INVALID_ARGUMENT',
        },
      }),
    },
    {
      name: 'Bedrock',
      api: 'bedrock-converse-stream',
      model: 'us.anthropic.claude-test-v1:0',
      expected: jsonBody(
        400,
        { message: 'Input is too long for requested model.' },
        { 'x-amzn-errortype': 'ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/' },
      ),
    },
  ];

  test.each(cases)('$name', async ({ api, model, variant, maxTokens, fits = 100, expected }) => {
    const session = server.session({
      turns: [{ content: [hello] }],
      models: { [model]: variant ? { contextWindow: 100, variant } : { contextWindow: 100 } },
    });
    const over = await post(session.baseUrl, api, model, bodyOf(api, model, 120, maxTokens));
    expect(over.status).toBe(expected.status);
    expect(over.headers.get('content-type')).toBe('application/json');
    expect(over.json).toEqual(expected.body);
    for (const [name, value] of Object.entries(expected.headers ?? {})) expect(over.headers.get(name)).toBe(value);
    // Recorded, and no turn consumed: the request that fits gets the scripted reply.
    expect(session.requests).toHaveLength(1);
    const ok = await post(session.baseUrl, api, model, bodyOf(api, model, fits, maxTokens));
    expect(ok.status).toBe(200);
    expect(session.requests).toHaveLength(2);
    // The same answer, computed without a server.
    const recorded = session.requests[0] as MockRequest;
    expect(contextOverflow(recorded, 100, variant)).toEqual({
      type: 'http',
      status: expected.status,
      body: expected.body,
      ...(expected.headers ? { headers: expected.headers } : {}),
    });
  });

  test('OpenAI names the tools’ share when the request has tools', async () => {
    const session = server.session({ turns: [], contextWindow: 50 });
    const tools = [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }];
    const over = await post(
      session.baseUrl,
      'openai-completions',
      'gpt',
      bodyOf('openai-completions', 'gpt', 60, { tools }),
    );
    const tokens = countTextTokens(JSON.stringify(tools));
    expect((over.json as { error: { message: string } }).error.message).toBe(
      `This model's maximum context length is 50 tokens. However, your messages resulted in ${60 + tokens} tokens (60 in the messages, ${tokens} in the functions). Please reduce the length of the messages or functions.`,
    );
  });

  test('Anthropic: a prompt that fits but not with its max_tokens gets the max_tokens error', async () => {
    const session = server.session({ turns: [{ content: [hello] }], contextWindow: 100 });
    const over = await post(
      session.baseUrl,
      'anthropic-messages',
      'c',
      bodyOf('anthropic-messages', 'c', 90, { max_tokens: 20 }),
    );
    expect(over.status).toBe(400);
    expect(over.json).toEqual({
      type: 'error',
      error: {
        type: 'invalid_request_error',
        message:
          'input length and `max_tokens` exceed context limit: 90 + 20 > 100, decrease input length or `max_tokens` and try again',
      },
    });
    const exact = await post(
      session.baseUrl,
      'anthropic-messages',
      'c',
      bodyOf('anthropic-messages', 'c', 90, { max_tokens: 10 }),
    );
    expect(exact.status).toBe(200);
  });

  test('a model’s own window overrides the session’s; a window applies only to the models it names', async () => {
    const session = server.session({
      turns: [{ content: [hello] }, { content: [hello] }],
      contextWindow: 10,
      models: { big: { contextWindow: 1000 }, plain: { variant: 'kimi' } },
    });
    expect(
      (await post(session.baseUrl, 'openai-completions', 'big', bodyOf('openai-completions', 'big', 500))).status,
    ).toBe(200);
    // A model without its own window has the session's.
    const plain = await post(session.baseUrl, 'openai-completions', 'plain', bodyOf('openai-completions', 'plain', 20));
    expect(plain.json).toEqual({
      error: { message: 'Invalid request: Your request exceeded model token limit: 10', type: 'invalid_request_error' },
    });
    const other = server.session({ turns: [{ content: [hello] }], models: { small: { contextWindow: 10 } } });
    expect(
      (await post(other.baseUrl, 'openai-completions', 'big', bodyOf('openai-completions', 'big', 500))).status,
    ).toBe(200);
    expect(
      (await post(other.baseUrl, 'openai-completions', 'small', bodyOf('openai-completions', 'small', 11))).status,
    ).toBe(400);
  });

  test('Gemini and Bedrock model ids come from the URL, decoded', async () => {
    const session = server.session({
      turns: [],
      models: { 'gemini-a': { contextWindow: 10 }, 'us.meta.llama:0': { contextWindow: 10 } },
    });
    expect(
      (await post(session.baseUrl, 'google-generative-ai', 'gemini-a', bodyOf('google-generative-ai', 'x', 11))).status,
    ).toBe(400);
    expect(
      (
        await post(
          session.baseUrl,
          'bedrock-converse-stream',
          'us.meta.llama:0',
          bodyOf('bedrock-converse-stream', 'x', 11),
        )
      ).status,
    ).toBe(400);
  });

  test('the script is checked where it is given', async () => {
    expect(() => server.session({ turns: [], contextWindow: -1 })).toThrow(/contextWindow must be a number/);
    const response = await fetch(`${server.url}/__mock/sessions`, {
      method: 'POST',
      body: JSON.stringify({ turns: [], models: { m: { contextWindow: 'big' } } }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error: { message: 'mock server: models["m"].contextWindow must be a number of tokens, not "big"' },
    });
  });
});

describe('usage by the counting rule', () => {
  const claude = (baseUrl: string, id = 'claude-test'): Model => ({
    id,
    name: id,
    api: 'anthropic-messages',
    provider: 'anthropic',
    baseUrl,
    reasoning: false,
    input: ['text'],
    cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
    contextWindow: 1000,
    maxTokens: 100,
  });
  const context = { messages: [{ role: 'user' as const, content: 'How long is this?', timestamp: 0 }] };

  test('with a window, a reply without usage reports the counted input and output', async () => {
    const reply = { content: [{ type: 'thinking' as const, thinking: 'Count.' }, hello] };
    const session = server.session({ turns: [reply], contextWindow: 1000 });
    const message = await streamAnthropic(claude(session.baseUrl), context, { apiKey: 'k' }).result();
    const input = countRequestTokens(session.requests[0] as MockRequest);
    expect(input).toBeGreaterThan(0);
    expect(message.usage).toMatchObject({ input, output: countReplyTokens(reply), totalTokens: input + 5 });
  });

  test('on the wire, in each format’s own usage fields', async () => {
    const session = server.session({
      turns: [{ content: [hello] }, { content: [hello] }],
      models: { kimi: { contextWindow: 1000, variant: 'kimi' } },
      contextWindow: 1000,
    });
    const anthropic = await post(session.baseUrl, 'anthropic-messages', 'c', bodyOf('anthropic-messages', 'c', 20));
    expect(anthropic.text).toContain(
      '"usage":{"input_tokens":20,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":3}',
    );
    // A model's variant is its replies' default: Kimi's usage sits in the choice.
    const kimi = await post(session.baseUrl, 'openai-completions', 'kimi', bodyOf('openai-completions', 'kimi', 20));
    expect(kimi.text).toMatch(
      /"finish_reason":"stop","usage":\{"prompt_tokens":20,"completion_tokens":3,"total_tokens":23/,
    );
  });

  test('a reply’s own usage wins', async () => {
    const session = server.session({
      turns: [{ content: [hello], usage: { input: 7, output: 1 } }],
      contextWindow: 1000,
    });
    const message = await streamAnthropic(claude(session.baseUrl), context, { apiKey: 'k' }).result();
    expect(message.usage).toMatchObject({ input: 7, output: 1 });
  });

  test('without a window nothing changes: no request is too long, usage is what the reply says', async () => {
    const session = server.session({ turns: [{ content: [hello] }], models: { other: { contextWindow: 1 } } });
    const huge = { messages: [{ role: 'user' as const, content: 'x'.repeat(100_000), timestamp: 0 }] };
    const message = await streamAnthropic(claude(session.baseUrl), huge, { apiKey: 'k' }).result();
    expect(message.stopReason).toBe('stop');
    expect(message.usage).toMatchObject({ input: 0, output: 0 });
  });
});

describe('responders', () => {
  const summary = { content: [{ type: 'text' as const, text: 'The summary.' }] };
  const script: MockScript = {
    turns: [{ content: [{ type: 'text', text: 'turn 1' }] }, { content: [{ type: 'text', text: 'turn 2' }] }],
    responders: [{ whenBodyIncludes: 'Summarize the conversation', reply: summary }],
  };
  const textOf = (sse: string) => [...sse.matchAll(/"text_delta","text":"([^"]*)"/g)].map((match) => match[1]).join('');

  test('answer a matching request without consuming a turn, as often as it comes', async () => {
    const session = server.session(script);
    const ask = (text: string) =>
      post(session.baseUrl, 'anthropic-messages', 'c', { model: 'c', messages: [{ role: 'user', content: text }] });
    expect(textOf((await ask('hello')).text)).toBe('turn 1');
    expect(textOf((await ask('Summarize the conversation so far')).text)).toBe('The summary.');
    expect(textOf((await ask('Please Summarize the conversation')).text)).toBe('The summary.');
    expect(textOf((await ask('hello again')).text)).toBe('turn 2');
    expect(session.requests).toHaveLength(4);
  });

  test('match the raw body text; the first match wins; responders can be added', async () => {
    const session = server.session({ turns: [] });
    session.respond(
      { whenBodyIncludes: '"content":"a\\nb"', reply: { content: [{ type: 'text', text: 'first' }] } },
      { whenBodyIncludes: 'a', reply: { content: [{ type: 'text', text: 'second' }] } },
    );
    const first = await post(session.baseUrl, 'anthropic-messages', 'c', {
      messages: [{ role: 'user', content: 'a\nb' }],
    });
    expect(textOf(first.text)).toBe('first');
    const second = await post(session.baseUrl, 'anthropic-messages', 'c', {
      messages: [{ role: 'user', content: 'a' }],
    });
    expect(textOf(second.text)).toBe('second');
  });

  test('the window is checked first', async () => {
    const session = server.session({ ...script, contextWindow: 10 });
    const over = await post(session.baseUrl, 'anthropic-messages', 'c', {
      messages: [{ role: 'user', content: `Summarize the conversation ${'x'.repeat(100)}` }],
    });
    expect(over.status).toBe(400);
  });

  test('travel over the control routes as plain data', async () => {
    const session = await createMockSession(server.url, { turns: [], contextWindow: 1000, responders: [] });
    await session.respond({ whenBodyIncludes: 'ping', reply: { content: [{ type: 'text', text: 'pong' }] } });
    const answer = await post(session.baseUrl, 'anthropic-messages', 'c', {
      messages: [{ role: 'user', content: 'ping' }],
    });
    expect(textOf(answer.text)).toBe('pong');
    // Usage by the rule: the window came over HTTP too.
    expect(answer.text).toContain('"output_tokens":1');
    const bad = await fetch(`${server.url}/__mock/sessions/${session.id}/responders`, {
      method: 'POST',
      body: JSON.stringify([{ reply: {} }]),
    });
    expect(bad.status).toBe(400);
    await session.close();
  });
});
