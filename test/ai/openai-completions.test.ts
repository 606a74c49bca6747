import { describe, expect, test } from 'vitest';
import { streamOpenAICompletions } from '../../src/ai/providers/openai-completions.js';
import type {
  AssistantMessage,
  AssistantMessageEvent,
  Context,
  Model,
  OpenAICompletionsCompat,
  StreamOptions,
  ToolCall,
  ToolResultMessage,
} from '../../src/ai/types.js';
import {
  type MockRawReply,
  type MockReply,
  type MockRequest,
  type MockTurn,
  splitText,
  sseEvent,
} from '../../testing/script.js';
import { alibabaToolCall, azureModelRouter, xaiToolCall } from '../fixtures/openai-recorded.js';
import { mockSession } from '../support/mock.js';

const KEY = 'sk-test-secret-key';

type Variant = 'openai' | 'qwen' | 'kimi' | 'deepseek' | 'openrouter' | 'local';

interface ModelSpec {
  id: string;
  provider: string;
  reasoning: boolean;
  cost: Model['cost'];
  compat: OpenAICompletionsCompat;
}

const SPECS: Record<Variant, ModelSpec> = {
  openai: {
    id: 'gpt-5-mini',
    provider: 'openai',
    reasoning: true,
    cost: { input: 0.25, output: 2, cacheRead: 0.025, cacheWrite: 0 },
    compat: { supportsDeveloperRole: true },
  },
  qwen: {
    id: 'qwen3-max',
    provider: 'qwen',
    reasoning: true,
    cost: { input: 1.2, output: 6, cacheRead: 0.24, cacheWrite: 0 },
    compat: { maxTokensField: 'max_tokens', thinkingFormat: 'enable_thinking' },
  },
  kimi: {
    id: 'kimi-k2-thinking',
    provider: 'kimi',
    reasoning: true,
    cost: { input: 0.6, output: 2.5, cacheRead: 0.15, cacheWrite: 0 },
    compat: { maxTokensField: 'max_tokens', sendReasoningContent: true, thinkingFormat: 'none' },
  },
  deepseek: {
    id: 'deepseek-reasoner',
    provider: 'deepseek',
    reasoning: true,
    cost: { input: 0.28, output: 0.42, cacheRead: 0.028, cacheWrite: 0 },
    compat: { maxTokensField: 'max_tokens', sendReasoningContent: true, thinkingFormat: 'none' },
  },
  openrouter: {
    id: 'openai/gpt-oss-120b',
    provider: 'openrouter',
    reasoning: true,
    cost: { input: 0.1, output: 0.5, cacheRead: 0, cacheWrite: 0 },
    compat: { maxTokensField: 'max_tokens' },
  },
  local: {
    id: 'llama3.2',
    provider: 'ollama',
    reasoning: false,
    cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
    compat: { maxTokensField: 'max_tokens', supportsUsageInStreaming: true, supportsToolChoice: false },
  },
};

function makeModel(variant: Variant, origin: string, compat?: OpenAICompletionsCompat): Model {
  const spec = SPECS[variant];
  return {
    id: spec.id,
    name: spec.id,
    api: 'openai-completions',
    provider: spec.provider,
    baseUrl: `${origin}/v1`,
    reasoning: spec.reasoning,
    input: ['text', 'image'],
    cost: spec.cost,
    contextWindow: 128_000,
    maxTokens: 16_384,
    compat: { ...spec.compat, ...compat },
  };
}

const userContext = (text = 'Hi'): Context => ({
  systemPrompt: 'You are terse.',
  messages: [{ role: 'user', content: text, timestamp: 1 }],
});

interface Run {
  events: AssistantMessageEvent[];
  message: AssistantMessage;
}

async function run(model: Model, context: Context, options: StreamOptions = {}): Promise<Run> {
  const events: AssistantMessageEvent[] = [];
  const stream = streamOpenAICompletions(model, context, { apiKey: KEY, ...options });
  for await (const event of stream) events.push(event);
  return { events, message: await stream.result() };
}

/** One session, one model, one request; returns the run and the requests the server saw. */
async function runTurns(
  variant: Variant,
  turns: MockTurn[],
  options: StreamOptions = {},
  context: Context = userContext(),
  compat?: OpenAICompletionsCompat,
): Promise<Run & { requests: MockRequest[]; model: Model }> {
  const session = await mockSession({ turns });
  const model = makeModel(variant, session.baseUrl, compat);
  const result = await run(model, context, options);
  return { ...result, requests: await session.requests(), model };
}

function reply(fields: MockReply): MockReply {
  return fields;
}

function raw(lines: readonly string[], done = true): MockRawReply {
  const events = lines.map((line) => sseEvent(line));
  if (done) events.push(sseEvent('[DONE]'));
  return { type: 'raw', events };
}

function types(events: AssistantMessageEvent[]): string[] {
  return events.map((event) => event.type);
}

function body(request: MockRequest | undefined): Record<string, unknown> {
  return request?.body as Record<string, unknown>;
}

function wireMessages(request: MockRequest | undefined): Record<string, unknown>[] {
  return body(request).messages as Record<string, unknown>[];
}

function toolCalls(message: AssistantMessage): ToolCall[] {
  return message.content.filter((part): part is ToolCall => part.type === 'toolCall');
}

const chunk = (delta: Record<string, unknown>, finish: string | null = null, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    id: 'chatcmpl-raw',
    object: 'chat.completion.chunk',
    choices: [{ index: 0, delta, finish_reason: finish }],
    ...extra,
  });

describe('openai-completions: events', () => {
  test('thinking, text and a tool call arrive as events in order', async () => {
    const { events, message } = await runTurns('openai', [
      reply({
        id: 'chatcmpl-order',
        deltaSize: 5,
        content: [
          { type: 'thinking', thinking: 'Let me think' },
          { type: 'text', text: 'Hello world' },
          { type: 'toolCall', id: 'call_1', name: 'get_weather', arguments: { city: 'Paris' } },
        ],
        usage: { input: 10, output: 20 },
      }),
    ]);
    expect(types(events)).toEqual([
      'start',
      'thinking_start',
      'thinking_delta',
      'thinking_delta',
      'thinking_delta',
      'thinking_end',
      'text_start',
      'text_delta',
      'text_delta',
      'text_delta',
      'text_end',
      'toolcall_start',
      'toolcall_delta',
      'toolcall_delta',
      'toolcall_delta',
      'toolcall_delta',
      'toolcall_end',
      'done',
    ]);
    expect(message.content).toEqual([
      { type: 'thinking', thinking: 'Let me think' },
      { type: 'text', text: 'Hello world' },
      { type: 'toolCall', id: 'call_1', name: 'get_weather', arguments: { city: 'Paris' } },
    ]);
    expect(message.stopReason).toBe('toolUse');
    expect(message.responseId).toBe('chatcmpl-order');
    expect(message.api).toBe('openai-completions');
    expect(message.model).toBe('gpt-5-mini');
    const end = events.find((event) => event.type === 'text_end');
    expect(end?.type === 'text_end' && end.content).toBe('Hello world');
  });

  test.each([
    ['openai', 'reasoning_content'],
    ['openrouter', 'reasoning'],
    ['kimi', 'reasoning_content'],
    ['deepseek', 'reasoning_content'],
    ['qwen', 'reasoning_content'],
  ] as const)('%s: reasoning deltas (%s) become a thinking block', async (variant, _field) => {
    const { message } = await runTurns(variant, [
      reply({
        variant,
        deltaSize: 4,
        content: [
          { type: 'thinking', thinking: 'The user greets me.' },
          { type: 'text', text: 'Hello!' },
        ],
      }),
    ]);
    expect(message.content).toEqual([
      { type: 'thinking', thinking: 'The user greets me.' },
      { type: 'text', text: 'Hello!' },
    ]);
    expect(message.stopReason).toBe('stop');
  });

  test('reasoning_content wins over a duplicate reasoning field', async () => {
    const { message } = await runTurns('openai', [
      raw([
        chunk({ role: 'assistant', reasoning_content: 'Think', reasoning: 'Think' }),
        chunk({ reasoning_content: 'ing.', reasoning: 'ing.' }),
        chunk({ content: 'Done.', reasoning_content: null }),
        chunk({}, 'stop'),
      ]),
    ]);
    expect(message.content).toEqual([
      { type: 'thinking', thinking: 'Thinking.' },
      { type: 'text', text: 'Done.' },
    ]);
  });

  test('a refusal is shown as text', async () => {
    const { message } = await runTurns('openai', [
      raw([
        chunk({ role: 'assistant', content: null, refusal: "I can't" }),
        chunk({ refusal: ' help.' }),
        chunk({}, 'stop'),
      ]),
    ]);
    expect(message.content).toEqual([{ type: 'text', text: "I can't help." }]);
  });

  test('text after a tool call opens a new text block and the tool call stays whole', async () => {
    const { message, events } = await runTurns('openai', [
      raw([
        chunk({ role: 'assistant', content: 'Let me check. ' }),
        chunk({
          tool_calls: [{ index: 0, id: 'call_a', type: 'function', function: { name: 'ls', arguments: '{"p' } }],
        }),
        chunk({ content: 'Still here.' }),
        chunk({ tool_calls: [{ index: 0, function: { arguments: 'ath":"/"}' } }] }),
        chunk({}, 'tool_calls'),
      ]),
    ]);
    expect(message.content).toEqual([
      { type: 'text', text: 'Let me check. ' },
      { type: 'toolCall', id: 'call_a', name: 'ls', arguments: { path: '/' } },
      { type: 'text', text: 'Still here.' },
    ]);
    // The first text block closes when the tool call opens.
    expect(types(events).indexOf('text_end')).toBeLessThan(types(events).indexOf('toolcall_start'));
    expect(message.stopReason).toBe('toolUse');
  });
});

describe('openai-completions: usage and cost', () => {
  test.each(['openai', 'qwen', 'kimi', 'deepseek', 'openrouter'] as const)(
    '%s: cached tokens become cacheRead and cost follows the model prices',
    async (variant) => {
      const { message, model } = await runTurns(variant, [
        reply({
          variant,
          content: [{ type: 'text', text: 'ok' }],
          usage: { input: 1000, output: 200, cacheRead: 3000, reasoning: 50 },
        }),
      ]);
      expect(message.usage).toMatchObject({
        input: 1000,
        output: 200,
        cacheRead: 3000,
        cacheWrite: 0,
        totalTokens: 4200,
      });
      const price = model.cost;
      expect(message.usage.cost.input).toBeCloseTo((1000 * price.input) / 1e6, 12);
      expect(message.usage.cost.output).toBeCloseTo((200 * price.output) / 1e6, 12);
      expect(message.usage.cost.cacheRead).toBeCloseTo((3000 * price.cacheRead) / 1e6, 12);
      expect(message.usage.cost.total).toBeCloseTo(
        (1000 * price.input + 200 * price.output + 3000 * price.cacheRead) / 1e6,
        12,
      );
      expect(message.usage.cost.total).toBeGreaterThan(0);
    },
  );

  test('local server without a key: usage from the final chunk', async () => {
    const { message, requests } = await runTurns(
      'local',
      [reply({ content: [{ type: 'text', text: 'local' }], usage: { input: 12, output: 3 } })],
      { apiKey: undefined },
    );
    expect(message.usage).toMatchObject({ input: 12, output: 3, cacheRead: 0, totalTokens: 15 });
    expect(message.usage.cost.total).toBe(0);
    expect(requests[0]?.headers.authorization).toBeUndefined();
    expect(body(requests[0]).stream_options).toEqual({ include_usage: true });
  });

  test('Kimi: usage inside the last choice, with a top-level cached_tokens', async () => {
    const { message } = await runTurns('kimi', [
      raw([
        chunk({ role: 'assistant', content: 'Hi' }),
        JSON.stringify({
          id: 'chatcmpl-kimi',
          object: 'chat.completion.chunk',
          choices: [
            {
              index: 0,
              delta: {},
              finish_reason: 'stop',
              usage: { prompt_tokens: 120, completion_tokens: 40, total_tokens: 160, cached_tokens: 100 },
            },
          ],
        }),
      ]),
    ]);
    expect(message.usage).toMatchObject({ input: 20, output: 40, cacheRead: 100, totalTokens: 160 });
    expect(message.usage.cost.cacheRead).toBeCloseTo((100 * 0.15) / 1e6, 12);
  });

  test('DeepSeek: prompt_cache_hit_tokens become cacheRead', async () => {
    const { message } = await runTurns('deepseek', [
      raw([
        chunk({ role: 'assistant', content: 'Hi' }),
        chunk({ content: '' }, 'stop', {
          usage: {
            prompt_tokens: 200,
            completion_tokens: 10,
            total_tokens: 210,
            prompt_cache_hit_tokens: 150,
            prompt_cache_miss_tokens: 50,
          },
        }),
      ]),
    ]);
    expect(message.usage).toMatchObject({ input: 50, output: 10, cacheRead: 150, totalTokens: 210 });
  });
});

describe('openai-completions: recorded streams', () => {
  test('Qwen (alibaba-tool-call): continuation deltas with an empty id extend the one call', async () => {
    const { message, events } = await runTurns('qwen', [raw(alibabaToolCall)]);
    expect(toolCalls(message)).toEqual([
      {
        type: 'toolCall',
        id: 'call_eee11723464a4b9eb8cee71d',
        name: 'weather',
        arguments: { location: 'San Francisco' },
      },
    ]);
    expect(types(events).filter((type) => type === 'toolcall_start')).toHaveLength(1);
    expect(message.stopReason).toBe('toolUse');
    expect(message.usage).toMatchObject({ input: 295, output: 22, cacheRead: 0, totalTokens: 317 });
    expect(message.responseId).toBe('chatcmpl-8e243c57-23b3-9db2-a02e-e3c53929c368');
  });

  test('xAI (xai-tool-call): reasoning_content, a whole tool call, cached tokens', async () => {
    const { message } = await runTurns('openai', [raw(xaiToolCall)]);
    expect(message.content).toEqual([
      { type: 'thinking', thinking: 'First, the user is' },
      { type: 'toolCall', id: 'call_55117580', name: 'weather', arguments: { location: 'San Francisco' } },
    ]);
    expect(message.stopReason).toBe('toolUse');
    // xAI counts its 196 reasoning tokens outside completion_tokens (total 513 = 291 + 26 + 196).
    expect(message.usage).toMatchObject({ input: 1, cacheRead: 290, output: 222, totalTokens: 513 });
  });

  test('Azure (azure-model-router.1): the prompt_filter_results chunk is ignored', async () => {
    const { message, events } = await runTurns('openai', [raw(azureModelRouter)]);
    expect(types(events)).toEqual([
      'start',
      'text_start',
      'text_delta',
      'text_delta',
      'text_delta',
      'text_delta',
      'text_end',
      'done',
    ]);
    expect(message.content).toEqual([{ type: 'text', text: 'Capital of Denmark.' }]);
    expect(message.stopReason).toBe('stop');
    expect(message.responseId).toBe('chatcmpl-CYPS1lijGoK8gd9lYzY3r9Sx50nbt');
    expect(message.usage).toMatchObject({ input: 15, output: 78, cacheRead: 0, totalTokens: 93 });
  });

  test('recorded stream split into 7-byte writes gives the same result', async () => {
    const { message } = await runTurns('openai', [{ ...raw(xaiToolCall), writeSize: 7 }]);
    expect(toolCalls(message)[0]?.arguments).toEqual({ location: 'San Francisco' });
    expect(message.content[0]).toEqual({ type: 'thinking', thinking: 'First, the user is' });
  });
});

describe('openai-completions: tool calls', () => {
  const awkward = {
    text: 'naïve "quotes" \\ back\nslash \t tab 😀 日本語 \u2028',
    list: [1, 2.5e3, -7, true, null],
    nested: { empty: {}, arr: [], s: '}{][,:' },
  };

  // The plain OpenAI flavour is in the conformance suite; Qwen repeats `id: ""` in continuation deltas.
  test.each(['qwen'] as const)('%s: arguments split one character per delta and 3 bytes per write', async (variant) => {
    const { message, events } = await runTurns(variant, [
      reply({
        variant,
        deltaSize: 1,
        writeSize: 3,
        content: [
          { type: 'text', text: 'Ünïcödé 😀 text' },
          { type: 'toolCall', id: 'call_awkward', name: 'write', arguments: awkward },
        ],
      }),
    ]);
    expect(message.content).toEqual([
      { type: 'text', text: 'Ünïcödé 😀 text' },
      { type: 'toolCall', id: 'call_awkward', name: 'write', arguments: awkward },
    ]);
    expect(types(events).filter((type) => type === 'toolcall_start')).toHaveLength(1);
    expect(types(events).filter((type) => type === 'toolcall_delta').length).toBe(
      // One delta per character; an emoji's surrogate pair stays together.
      splitText(JSON.stringify(awkward), 1).length,
    );
    expect(message.stopReason).toBe('toolUse');
  });

  test('interleaved deltas are keyed by index', async () => {
    const call = (index: number, fields: Record<string, unknown>) => chunk({ tool_calls: [{ index, ...fields }] });
    const { message } = await runTurns('openai', [
      raw([
        chunk({ role: 'assistant', content: null }),
        call(0, { id: 'call_x', type: 'function', function: { name: 'read', arguments: '{"pa' } }),
        call(1, { id: 'call_y', type: 'function', function: { name: 'grep', arguments: '{"q":' } }),
        call(0, { function: { arguments: 'th":"x"}' } }),
        call(1, { function: { arguments: '"y"}' } }),
        chunk({}, 'tool_calls'),
      ]),
    ]);
    expect(toolCalls(message).map((c) => [c.id, c.name, c.arguments])).toEqual([
      ['call_x', 'read', { path: 'x' }],
      ['call_y', 'grep', { q: 'y' }],
    ]);
  });

  test('servers that number every call 0 still get separate calls by id', async () => {
    const { message } = await runTurns('openai', [
      raw([
        chunk({ tool_calls: [{ index: 0, id: 'call_1', function: { name: 'a', arguments: '{"n":1}' } }] }),
        chunk({ tool_calls: [{ index: 0, id: 'call_2', function: { name: 'b', arguments: '{"n":2}' } }] }),
        chunk({}, 'tool_calls'),
      ]),
    ]);
    expect(toolCalls(message).map((c) => [c.id, c.name, c.arguments])).toEqual([
      ['call_1', 'a', { n: 1 }],
      ['call_2', 'b', { n: 2 }],
    ]);
  });

  test('a call without an id gets a generated one; a late id replaces it', async () => {
    const { message } = await runTurns('openai', [
      raw([
        chunk({ tool_calls: [{ index: 0, function: { name: 'a', arguments: '{}' } }] }),
        chunk({ tool_calls: [{ index: 1, id: '', function: { name: 'b', arguments: '{' } }] }),
        chunk({ tool_calls: [{ index: 1, id: 'call_late', function: { arguments: '}' } }] }),
        chunk({}, 'tool_calls'),
      ]),
    ]);
    const calls = toolCalls(message);
    expect(calls).toHaveLength(2);
    expect(calls[0]?.id).toMatch(/^call_[0-9a-f]{24}$/);
    expect(calls[1]?.id).toBe('call_late');
    expect(calls[1]?.arguments).toEqual({});
  });

  test("finish_reason 'stop' with tool calls ends as toolUse", async () => {
    const { events, message } = await runTurns('openai', [
      reply({
        stopReason: 'stop',
        content: [{ type: 'toolCall', id: 'call_s', name: 'ls', arguments: { dir: '.' } }],
      }),
    ]);
    const done = events.at(-1);
    expect(done?.type === 'done' && done.reason).toBe('toolUse');
    expect(message.stopReason).toBe('toolUse');
  });
});

describe('openai-completions: finish reasons', () => {
  test("an unknown finish_reason ends as 'stop'", async () => {
    const { message } = await runTurns('openai', [
      reply({ stopReason: 'weird_reason', content: [{ type: 'text', text: 'odd' }] }),
    ]);
    expect(message.stopReason).toBe('stop');
    expect(message.content).toEqual([{ type: 'text', text: 'odd' }]);
  });

  test("'length' ends as length", async () => {
    const { message, events } = await runTurns('openai', [
      reply({ stopReason: 'length', content: [{ type: 'text', text: 'cut sho' }] }),
    ]);
    expect(message.stopReason).toBe('length');
    expect(events.at(-1)?.type === 'done' && (events.at(-1) as { reason: string }).reason).toBe('length');
  });

  test("'content_filter' ends with an error that names it, keeping the text", async () => {
    const { message } = await runTurns('openai', [
      reply({ stopReason: 'content_filter', content: [{ type: 'text', text: 'Some' }] }),
    ]);
    expect(message.stopReason).toBe('error');
    expect(message.errorMessage).toBe('The provider stopped the reply: content_filter');
    expect(message.content).toEqual([{ type: 'text', text: 'Some' }]);
  });

  test('usage after the finish chunk is still counted', async () => {
    const { message } = await runTurns('openai', [
      reply({ content: [{ type: 'text', text: 'x' }], usage: { input: 7, output: 1 } }),
    ]);
    expect(message.usage.input).toBe(7);
    expect(message.stopReason).toBe('stop');
  });

  test('a body that ends after a finish_reason without [DONE] is complete', async () => {
    const { message } = await runTurns('local', [raw([chunk({ content: 'ok' }), chunk({}, 'stop')], false)], {
      apiKey: undefined,
    });
    expect(message.stopReason).toBe('stop');
    expect(message.content).toEqual([{ type: 'text', text: 'ok' }]);
  });
});

describe('openai-completions: request body', () => {
  const tools = [
    {
      name: 'get_weather',
      description: 'Weather for a city',
      parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    },
  ];

  test('OpenAI reasoning model: developer role, max_completion_tokens, reasoning_effort, tools', async () => {
    const { requests } = await runTurns(
      'openai',
      [reply({ content: [{ type: 'text', text: 'ok' }] })],
      { maxTokens: 1000, reasoning: 'high', temperature: 0.5, toolChoice: { type: 'tool', name: 'get_weather' } },
      { ...userContext('Weather?'), tools },
    );
    const request = requests[0];
    expect(request?.path).toBe('/v1/chat/completions');
    expect(request?.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(request?.headers.accept).toBe('text/event-stream');
    expect(request?.headers['content-type']).toBe('application/json');
    expect(body(request)).toEqual({
      model: 'gpt-5-mini',
      messages: [
        { role: 'developer', content: 'You are terse.' },
        { role: 'user', content: 'Weather?' },
      ],
      stream: true,
      stream_options: { include_usage: true },
      tools: [{ type: 'function', function: tools[0] }],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
      temperature: 0.5,
      max_completion_tokens: 1000,
      reasoning_effort: 'high',
    });
  });

  test("reasoning 'off' sends no reasoning_effort; a trailing slash in baseUrl is dropped", async () => {
    const session = await mockSession({ turns: [reply({ content: [{ type: 'text', text: 'ok' }] })] });
    const model = makeModel('openai', session.baseUrl);
    model.baseUrl += '/';
    await run(model, userContext(), { reasoning: 'off', toolChoice: 'required' });
    const request = (await session.requests())[0];
    expect(request?.path).toBe('/v1/chat/completions');
    expect(body(request).reasoning_effort).toBeUndefined();
    expect(body(request).tool_choice).toBe('required');
    expect(body(request).max_completion_tokens).toBeUndefined();
  });

  test('Qwen: max_tokens, system role and enable_thinking with a budget', async () => {
    const { requests } = await runTurns('qwen', [reply({ variant: 'qwen', content: [{ type: 'text', text: 'ok' }] })], {
      maxTokens: 500,
      reasoning: 'medium',
    });
    const sent = body(requests[0]);
    expect(sent.max_tokens).toBe(500);
    expect(sent).not.toHaveProperty('max_completion_tokens');
    expect(sent.enable_thinking).toBe(true);
    expect(sent.thinking_budget).toBe(16384);
    expect(sent).not.toHaveProperty('reasoning_effort');
    expect(wireMessages(requests[0])[0]).toEqual({ role: 'system', content: 'You are terse.' });
  });

  test("Qwen: reasoning 'off' sends enable_thinking false", async () => {
    const { requests } = await runTurns('qwen', [reply({ variant: 'qwen', content: [{ type: 'text', text: 'ok' }] })], {
      reasoning: 'off',
    });
    expect(body(requests[0]).enable_thinking).toBe(false);
    expect(body(requests[0])).not.toHaveProperty('thinking_budget');
  });

  test.each([
    { reasoning: 'off', enabled: false },
    { reasoning: 'high', enabled: true },
  ] as const)(
    "llama.cpp: thinkingFormat 'chat_template_kwargs' sends enable_thinking $enabled for $reasoning",
    async ({ reasoning, enabled }) => {
      const { requests } = await runTurns(
        'qwen',
        [reply({ variant: 'llama.cpp', content: [{ type: 'text', text: 'ok' }] })],
        { reasoning },
        userContext(),
        { thinkingFormat: 'chat_template_kwargs' },
      );
      const sent = body(requests[0]);
      expect(sent.chat_template_kwargs).toEqual({ enable_thinking: enabled });
      for (const field of ['enable_thinking', 'thinking_budget', 'reasoning_effort'])
        expect(sent).not.toHaveProperty(field);
    },
  );

  test('no stream_options when the server does not support usage in streaming; no tool_choice when unsupported', async () => {
    const { requests, message } = await runTurns(
      'local',
      [reply({ content: [{ type: 'text', text: 'ok' }], usage: { input: 5, output: 1 } })],
      { apiKey: undefined, reasoning: 'high', toolChoice: 'auto', maxTokens: 64 },
      { ...userContext(), tools },
      { supportsUsageInStreaming: false },
    );
    const sent = body(requests[0]);
    expect(sent).not.toHaveProperty('stream_options');
    expect(sent).not.toHaveProperty('tool_choice');
    expect(sent).not.toHaveProperty('reasoning_effort');
    expect(sent.max_tokens).toBe(64);
    expect(sent.tools).toHaveLength(1);
    // The mock, like OpenAI, sends usage only when asked.
    expect(message.usage.input).toBe(0);
  });

  test('user images become image_url data URLs', async () => {
    const { requests } = await runTurns(
      'openai',
      [reply({ content: [{ type: 'text', text: 'a cat' }] })],
      {},
      {
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'What is this?' },
              { type: 'image', data: 'aGVsbG8=', mimeType: 'image/png' },
            ],
            timestamp: 1,
          },
        ],
      },
    );
    expect(wireMessages(requests[0])).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is this?' },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,aGVsbG8=' } },
        ],
      },
    ]);
  });

  test('a text-only model gets strings and a note instead of images', async () => {
    const session = await mockSession({ turns: [reply({ content: [{ type: 'text', text: 'ok' }] })] });
    const model = { ...makeModel('local', session.baseUrl), input: ['text' as const] };
    const context: Context = {
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Look:' },
            { type: 'image', data: 'aGVsbG8=', mimeType: 'image/png' },
          ],
          timestamp: 1,
        },
      ],
    };
    await run(model, context, { apiKey: undefined });
    expect(wireMessages((await session.requests())[0])).toEqual([
      { role: 'user', content: 'Look:\n(image omitted: this model does not accept images)' },
    ]);
  });
});

describe('openai-completions: multi-turn', () => {
  const longId = `toolu_${'x'.repeat(50)}|weird`;

  test('tool results become tool messages with matching, normalised ids; images follow in a user message', async () => {
    const foreign: AssistantMessage = {
      role: 'assistant',
      content: [
        { type: 'thinking', thinking: 'Need both files.', providerData: { signature: 'sig' } },
        { type: 'text', text: 'Reading.' },
        { type: 'toolCall', id: longId, name: 'read', arguments: { path: 'a.png' } },
        { type: 'toolCall', id: 'call_short', name: 'read', arguments: { path: 'b.txt' } },
      ],
      api: 'anthropic-messages',
      provider: 'anthropic',
      model: 'claude-sonnet-4-5',
      usage: {
        input: 0,
        output: 0,
        cacheRead: 0,
        cacheWrite: 0,
        totalTokens: 0,
        cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, total: 0 },
      },
      stopReason: 'toolUse',
      timestamp: 2,
    };
    const results: ToolResultMessage[] = [
      {
        role: 'toolResult',
        toolCallId: longId,
        toolName: 'read',
        content: [{ type: 'image', data: 'iVBORw0=', mimeType: 'image/png' }],
        isError: false,
        timestamp: 3,
      },
      {
        role: 'toolResult',
        toolCallId: 'call_short',
        toolName: 'read',
        content: [{ type: 'text', text: 'contents of b' }],
        isError: false,
        timestamp: 4,
      },
    ];
    const context: Context = {
      messages: [{ role: 'user', content: 'Read a.png and b.txt', timestamp: 1 }, foreign, ...results],
    };
    const { requests, message } = await runTurns(
      'openai',
      [reply({ content: [{ type: 'text', text: 'Done.' }] })],
      {},
      context,
    );
    expect(message.stopReason).toBe('stop');
    const messages = wireMessages(requests[0]);
    const assistant = messages[1] as { tool_calls: { id: string }[] };
    const normalised = assistant.tool_calls[0]?.id ?? '';
    expect(normalised.length).toBeLessThanOrEqual(40);
    expect(normalised).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(normalised).not.toBe(longId);
    expect(messages).toEqual([
      { role: 'user', content: 'Read a.png and b.txt' },
      {
        role: 'assistant',
        // Another model's thinking becomes text.
        content: 'Need both files.\n\nReading.',
        tool_calls: [
          { id: normalised, type: 'function', function: { name: 'read', arguments: '{"path":"a.png"}' } },
          { id: 'call_short', type: 'function', function: { name: 'read', arguments: '{"path":"b.txt"}' } },
        ],
      },
      { role: 'tool', tool_call_id: normalised, content: '(see the attached image)' },
      { role: 'tool', tool_call_id: 'call_short', content: 'contents of b' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Attached image(s) from tool result:' },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0=' } },
        ],
      },
    ]);
  });

  async function toolRoundTrip(variant: Variant, thinking: string | undefined) {
    const first = reply({
      variant: variant === 'local' ? 'openai' : variant,
      content: [
        ...(thinking ? [{ type: 'thinking' as const, thinking }] : []),
        { type: 'toolCall', id: 'call_w1', name: 'get_weather', arguments: { city: 'Paris' } },
      ],
    });
    const second = reply({
      variant: variant === 'local' ? 'openai' : variant,
      content: [{ type: 'text', text: 'Sunny.' }],
    });
    const session = await mockSession({ turns: [first, second] });
    const model = makeModel(variant, session.baseUrl);
    const context = userContext('Weather in Paris?');
    const turn1 = await run(model, context);
    expect(turn1.message.stopReason).toBe('toolUse');
    context.messages.push(turn1.message, {
      role: 'toolResult',
      toolCallId: 'call_w1',
      toolName: 'get_weather',
      content: [{ type: 'text', text: '22°C, sunny' }],
      isError: false,
      timestamp: 5,
    });
    const turn2 = await run(model, context);
    expect(turn2.message.content).toEqual([{ type: 'text', text: 'Sunny.' }]);
    const messages = wireMessages((await session.requests())[1]);
    return { assistant: messages[2] as Record<string, unknown>, tool: messages[3] };
  }

  test.each(['kimi', 'deepseek'] as const)(
    '%s: sendReasoningContent sends the thinking back with the tool calls',
    async (variant) => {
      const { assistant, tool } = await toolRoundTrip(variant, 'I should call the weather tool.');
      expect(assistant).toEqual({
        role: 'assistant',
        content: null,
        reasoning_content: 'I should call the weather tool.',
        tool_calls: [
          { id: 'call_w1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
        ],
      });
      expect(tool).toEqual({ role: 'tool', tool_call_id: 'call_w1', content: '22°C, sunny' });
    },
  );

  test('kimi: a tool-call turn without thinking still carries a non-empty reasoning_content', async () => {
    const { assistant } = await toolRoundTrip('kimi', undefined);
    expect(assistant.reasoning_content).toBe(' ');
  });

  test('without sendReasoningContent the thinking is not sent back', async () => {
    const { assistant } = await toolRoundTrip('openai', 'I should call the weather tool.');
    expect(assistant).not.toHaveProperty('reasoning_content');
    expect(assistant.content).toBeNull();
    expect(assistant.tool_calls).toEqual([
      { id: 'call_w1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
    ]);
  });
});

describe('openai-completions: faults', () => {
  test('a vLLM-style flat error chunk is reported', async () => {
    const { message } = await runTurns(
      'local',
      [raw([JSON.stringify({ object: 'error', message: 'context too long', type: 'BadRequestError', code: 400 })])],
      { apiKey: undefined },
    );
    expect(message.stopReason).toBe('error');
    expect(message.errorMessage).toContain('BadRequestError: context too long');
  });
});

describe('openai-completions: secrets', () => {
  test('the key goes in Authorization: Bearer', async () => {
    const { requests } = await runTurns('openai', [reply({ content: [{ type: 'text', text: 'hi' }] })]);
    expect(requests[0]?.headers.authorization).toBe(`Bearer ${KEY}`);
  });

  test('a local model without a key sends no Authorization header', async () => {
    const { requests, message } = await runTurns('local', [reply({ content: [{ type: 'text', text: 'hi' }] })], {
      apiKey: undefined,
    });
    expect(message.stopReason).toBe('stop');
    expect(requests[0]?.headers).not.toHaveProperty('authorization');
  });
});
