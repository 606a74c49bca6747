import { describe, expect, test } from 'vitest';
import { streamAnthropic } from '../../src/ai/providers/anthropic-messages.js';
import type {
  AssistantMessage,
  AssistantMessageEvent,
  AssistantMessageStream,
  Context,
  Model,
  StreamOptions,
} from '../../src/ai/types.js';
import { emptyUsage } from '../../src/ai/usage.js';
import { type MockTurn, sseEvent } from '../../testing/script.js';
import { anthropicClearThinking, anthropicJsonTool, anthropicText } from '../fixtures/anthropic-recorded.js';
import { mockSession } from '../support/mock.js';

const KEY = 'sk-test-secret-key';

function claude(baseUrl: string, overrides: Partial<Model> = {}): Model {
  return {
    id: 'claude-test',
    name: 't',
    api: 'anthropic-messages',
    provider: 'anthropic',
    baseUrl,
    reasoning: true,
    input: ['text', 'image'],
    cost: { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 },
    contextWindow: 200000,
    maxTokens: 8192,
    ...overrides,
  };
}

const hello: Context = { messages: [{ role: 'user', content: 'Hello', timestamp: 1 }] };

async function run(
  turns: MockTurn[],
  context: Context = hello,
  options: StreamOptions = {},
  modelOverrides: Partial<Model> = {},
) {
  const session = await mockSession({ turns });
  const stream = streamAnthropic(claude(session.baseUrl, modelOverrides), context, { apiKey: KEY, ...options });
  const events = await collect(stream);
  const message = await stream.result();
  return { session, events, message, requests: () => session.requests() };
}

async function collect(stream: AssistantMessageStream): Promise<AssistantMessageEvent[]> {
  const events: AssistantMessageEvent[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

/** Event types with runs of the same type collapsed: `text_delta` x5 becomes one. */
function shape(events: AssistantMessageEvent[]): string[] {
  const out: string[] = [];
  for (const event of events) if (out[out.length - 1] !== event.type) out.push(event.type);
  return out;
}

function lastEvent(events: AssistantMessageEvent[]): AssistantMessageEvent {
  const last = events[events.length - 1];
  if (!last) throw new Error('no events');
  return last;
}

function bodyOf(request: { body: unknown } | undefined): Record<string, unknown> {
  const body = request?.body;
  if (typeof body !== 'object' || body === null) throw new Error('request has no JSON body');
  return body as Record<string, unknown>;
}

function assistant(
  content: AssistantMessage['content'],
  stopReason: AssistantMessage['stopReason'] = 'stop',
): AssistantMessage {
  return {
    role: 'assistant',
    content,
    api: 'anthropic-messages',
    provider: 'anthropic',
    model: 'claude-test',
    usage: emptyUsage(),
    stopReason,
    timestamp: 2,
  };
}

function recorded(lines: readonly string[], writeSize?: number): MockTurn {
  const events = lines.map((line) => sseEvent(line, (JSON.parse(line) as { type: string }).type));
  return writeSize ? { type: 'raw', events, writeSize } : { type: 'raw', events };
}

describe('anthropic-messages: streaming', () => {
  test('emits every event type in order, with usage, cost and response id', async () => {
    const { events, message } = await run([
      {
        id: 'msg_test_1',
        deltaSize: 4,
        usage: { input: 100, output: 50, cacheRead: 20, cacheWrite: 10 },
        content: [
          { type: 'thinking', thinking: 'Let me think about it', signature: 'sig-abc' },
          { type: 'text', text: 'Hello world' },
          { type: 'toolCall', id: 'toolu_abc', name: 'get_weather', arguments: { city: 'Paris' } },
        ],
      },
    ]);
    expect(shape(events)).toEqual([
      'start',
      'thinking_start',
      'thinking_delta',
      'thinking_end',
      'text_start',
      'text_delta',
      'text_end',
      'toolcall_start',
      'toolcall_delta',
      'toolcall_end',
      'done',
    ]);
    expect(events.filter((e) => e.type === 'text_delta').map((e) => (e.type === 'text_delta' ? e.delta : ''))).toEqual([
      'Hell',
      'o wo',
      'rld',
    ]);
    const end = events.find((e) => e.type === 'toolcall_end');
    expect(end?.type === 'toolcall_end' && end.toolCall).toEqual({
      type: 'toolCall',
      id: 'toolu_abc',
      name: 'get_weather',
      arguments: { city: 'Paris' },
    });
    expect(message.content).toEqual([
      { type: 'thinking', thinking: 'Let me think about it', providerData: { signature: 'sig-abc' } },
      { type: 'text', text: 'Hello world' },
      { type: 'toolCall', id: 'toolu_abc', name: 'get_weather', arguments: { city: 'Paris' } },
    ]);
    expect(message.stopReason).toBe('toolUse');
    expect(message.responseId).toBe('msg_test_1');
    expect(message.usage.input).toBe(100);
    expect(message.usage.output).toBe(50);
    expect(message.usage.cacheRead).toBe(20);
    expect(message.usage.cacheWrite).toBe(10);
    expect(message.usage.totalTokens).toBe(180);
    expect(message.usage.cost.input).toBeCloseTo(0.0003, 10);
    expect(message.usage.cost.output).toBeCloseTo(0.00075, 10);
    expect(message.usage.cost.cacheRead).toBeCloseTo(0.000006, 10);
    expect(message.usage.cost.cacheWrite).toBeCloseTo(0.0000375, 10);
    expect(message.usage.cost.total).toBeCloseTo(0.0010935, 10);
    const done = lastEvent(events);
    expect(done.type === 'done' && done.reason).toBe('toolUse');
  });

  test('maps stop reasons: max_tokens to length, unknown to stop, refusal to error', async () => {
    const length = await run([{ content: [{ type: 'text', text: 'cut off' }], stopReason: 'length' }]);
    expect(length.message.stopReason).toBe('length');
    const window = await run([
      { content: [{ type: 'text', text: 'full' }], stopReason: 'model_context_window_exceeded' },
    ]);
    expect(window.message.stopReason).toBe('length');
    const unknown = await run([{ content: [{ type: 'text', text: 'new' }], stopReason: 'some_future_reason' }]);
    expect(unknown.message.stopReason).toBe('stop');
    expect(lastEvent(unknown.events).type).toBe('done');
    const pause = await run([{ content: [{ type: 'text', text: 'wait' }], stopReason: 'pause_turn' }]);
    expect(pause.message.stopReason).toBe('stop');
    const refusal = await run([{ content: [{ type: 'text', text: 'I cannot' }], stopReason: 'refusal' }]);
    expect(refusal.message.stopReason).toBe('error');
    expect(refusal.message.errorMessage).toMatch(/refus/);
    expect(refusal.message.content).toEqual([{ type: 'text', text: 'I cannot' }]);
  });

  test('redacted thinking becomes a redacted thinking block carrying its data', async () => {
    const { events, message } = await run([
      {
        content: [
          { type: 'redactedThinking', data: 'ENCRYPTED==' },
          { type: 'text', text: 'Answer' },
        ],
      },
    ]);
    expect(shape(events).slice(0, 3)).toEqual(['start', 'thinking_start', 'thinking_end']);
    expect(message.content).toEqual([
      { type: 'thinking', thinking: '', redacted: true, providerData: { data: 'ENCRYPTED==' } },
      { type: 'text', text: 'Answer' },
    ]);
  });

  test('takes a whole tool input sent with the block start, as some compatible servers do', async () => {
    const lines = [
      '{"type":"message_start","message":{"id":"msg_compat","usage":{"input_tokens":5,"output_tokens":1}}}',
      '{"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"call_1","name":"add","input":{"a":1,"b":2}}}',
      '{"type":"content_block_stop","index":0}',
      '{"type":"message_delta","delta":{"stop_reason":"tool_use"},"usage":{"output_tokens":9}}',
      '{"type":"message_stop"}',
    ];
    const { message } = await run([recorded(lines)]);
    expect(message.content).toEqual([{ type: 'toolCall', id: 'call_1', name: 'add', arguments: { a: 1, b: 2 } }]);
    expect(message.usage.input).toBe(5);
    expect(message.usage.output).toBe(9);
  });
});

describe('anthropic-messages: requests', () => {
  test('sends headers, body, system and last-message cache control; the key never leaks', async () => {
    const session = await mockSession({ turns: [{ content: [{ type: 'text', text: 'ok' }] }] });
    const context: Context = {
      systemPrompt: 'You are terse.',
      messages: [{ role: 'user', content: 'What is the weather?', timestamp: 1 }],
      tools: [
        {
          name: 'weather',
          description: 'Looks up the weather',
          parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
        },
      ],
    };
    const stream = streamAnthropic(claude(`${session.baseUrl}/`), context, {
      apiKey: KEY,
      temperature: 0.5,
      toolChoice: { type: 'tool', name: 'weather' },
    });
    const events = await collect(stream);
    expect(lastEvent(events).type).toBe('done');
    const [request] = await session.requests();
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe('/v1/messages');
    expect(request?.headers['x-api-key']).toBe(KEY);
    expect(request?.headers['anthropic-version']).toBe('2023-06-01');
    expect(request?.headers['content-type']).toBe('application/json');
    expect(request?.headers.accept).toBe('text/event-stream');
    expect(request?.headers['anthropic-dangerous-direct-browser-access']).toBe('true');
    expect(bodyOf(request)).toEqual({
      model: 'claude-test',
      max_tokens: 8192,
      stream: true,
      temperature: 0.5,
      system: [{ type: 'text', text: 'You are terse.', cache_control: { type: 'ephemeral' } }],
      messages: [
        {
          role: 'user',
          content: [{ type: 'text', text: 'What is the weather?', cache_control: { type: 'ephemeral' } }],
        },
      ],
      tools: [
        {
          name: 'weather',
          description: 'Looks up the weather',
          input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
        },
      ],
      tool_choice: { type: 'tool', name: 'weather' },
    });
    for (const event of events) expect(JSON.stringify(event)).not.toContain(KEY);
  });

  test('maps tool choices and leaves cache control off when the model says so', async () => {
    const session = await mockSession({
      turns: [{ content: [{ type: 'text', text: 'a' }] }, { content: [{ type: 'text', text: 'b' }] }],
    });
    const context: Context = {
      systemPrompt: 'sys',
      messages: [{ role: 'user', content: 'hi', timestamp: 1 }],
      tools: [{ name: 't', description: 'd', parameters: { type: 'object' } }],
    };
    const model = claude(session.baseUrl, { compat: { supportsCacheControl: false } });
    await streamAnthropic(model, context, { apiKey: KEY, toolChoice: 'required' }).result();
    await streamAnthropic(model, context, { apiKey: KEY, toolChoice: 'none', maxTokens: 100 }).result();
    const [first, second] = await session.requests();
    expect(bodyOf(first).tool_choice).toEqual({ type: 'any' });
    expect(bodyOf(first).system).toEqual([{ type: 'text', text: 'sys' }]);
    expect(bodyOf(first).messages).toEqual([{ role: 'user', content: 'hi' }]);
    expect(JSON.stringify(first?.body)).not.toContain('cache_control');
    expect(bodyOf(second).tool_choice).toEqual({ type: 'none' });
    expect(bodyOf(second).max_tokens).toBe(100);
  });

  test('enables thinking with a budget below max_tokens and drops temperature', async () => {
    const session = await mockSession({
      turns: [
        { content: [{ type: 'text', text: 'a' }] },
        { content: [{ type: 'text', text: 'b' }] },
        { content: [{ type: 'text', text: 'c' }] },
        { content: [{ type: 'text', text: 'd' }] },
      ],
    });
    const model = claude(session.baseUrl);
    await streamAnthropic(model, hello, { apiKey: KEY, reasoning: 'low', temperature: 0.2 }).result();
    await streamAnthropic(model, hello, { apiKey: KEY, reasoning: 'minimal', maxTokens: 1000 }).result();
    await streamAnthropic(claude(session.baseUrl, { maxTokens: 64000 }), hello, {
      apiKey: KEY,
      reasoning: 'high',
      maxTokens: 4000,
    }).result();
    await streamAnthropic(model, hello, { apiKey: KEY, reasoning: 'off', temperature: 0.2 }).result();
    const [low, minimal, high, off] = await session.requests();
    expect(bodyOf(low).thinking).toEqual({ type: 'enabled', budget_tokens: 2048 });
    expect(bodyOf(low).max_tokens).toBe(8192);
    expect(bodyOf(low).temperature).toBeUndefined();
    expect(bodyOf(minimal).thinking).toEqual({ type: 'enabled', budget_tokens: 1024 });
    expect(bodyOf(minimal).max_tokens).toBe(2048);
    expect(bodyOf(high).thinking).toEqual({ type: 'enabled', budget_tokens: 16384 });
    expect(bodyOf(high).max_tokens).toBe(16384 + 1024);
    expect(bodyOf(off).thinking).toBeUndefined();
    expect(bodyOf(off).temperature).toBe(0.2);
  });

  test('sends a thinking signature back on the next turn', async () => {
    const session = await mockSession({
      turns: [
        {
          content: [
            { type: 'thinking', thinking: 'Two plus two is four.', signature: 'sig-round-trip' },
            { type: 'text', text: '4' },
          ],
        },
        { content: [{ type: 'text', text: 'You are welcome' }] },
      ],
    });
    const model = claude(session.baseUrl);
    const first = await streamAnthropic(model, hello, { apiKey: KEY, reasoning: 'low' }).result();
    expect(first.content[0]).toEqual({
      type: 'thinking',
      thinking: 'Two plus two is four.',
      providerData: { signature: 'sig-round-trip' },
    });
    const next: Context = { messages: [...hello.messages, first, { role: 'user', content: 'Thanks', timestamp: 3 }] };
    const second = await streamAnthropic(model, next, { apiKey: KEY, reasoning: 'low' }).result();
    expect(second.stopReason).toBe('stop');
    const requests = await session.requests();
    expect(bodyOf(requests[1]).messages).toEqual([
      { role: 'user', content: 'Hello' },
      {
        role: 'assistant',
        content: [
          { type: 'thinking', thinking: 'Two plus two is four.', signature: 'sig-round-trip' },
          { type: 'text', text: '4' },
        ],
      },
      { role: 'user', content: [{ type: 'text', text: 'Thanks', cache_control: { type: 'ephemeral' } }] },
    ]);
  });

  test('sends redacted thinking data back, turns unsigned thinking into text and skips empty text', async () => {
    const session = await mockSession({
      turns: [
        {
          content: [
            { type: 'redactedThinking', data: 'ENCRYPTED==' },
            { type: 'thinking', thinking: 'unsigned thought', signature: '' },
            { type: 'text', text: 'Answer' },
          ],
        },
        { content: [{ type: 'text', text: 'ok' }] },
      ],
    });
    const model = claude(session.baseUrl);
    const first = await streamAnthropic(model, hello, { apiKey: KEY }).result();
    expect(first.content[1]).toEqual({ type: 'thinking', thinking: 'unsigned thought' });
    first.content.push({ type: 'text', text: '  ' });
    const next: Context = {
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: '' },
            { type: 'text', text: 'Hello' },
          ],
          timestamp: 1,
        },
        first,
        { role: 'user', content: 'More', timestamp: 3 },
      ],
    };
    await streamAnthropic(model, next, { apiKey: KEY }).result();
    const requests = await session.requests();
    expect(bodyOf(requests[1]).messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'Hello' }] },
      {
        role: 'assistant',
        content: [
          { type: 'redacted_thinking', data: 'ENCRYPTED==' },
          { type: 'text', text: 'unsigned thought' },
          { type: 'text', text: 'Answer' },
        ],
      },
      { role: 'user', content: [{ type: 'text', text: 'More', cache_control: { type: 'ephemeral' } }] },
    ]);
  });

  test('sends tool calls and merged tool results with images and matching ids', async () => {
    const session = await mockSession({ turns: [{ content: [{ type: 'text', text: 'Sunny and a cat.' }] }] });
    const context: Context = {
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Weather, and what is this?' },
            { type: 'image', data: 'iVBORw0KGgo=', mimeType: 'image/png' },
          ],
          timestamp: 1,
        },
        assistant(
          [
            { type: 'text', text: 'Checking.' },
            { type: 'toolCall', id: 'toolu_1', name: 'weather', arguments: { city: 'Paris' } },
            { type: 'toolCall', id: 'call|odd/id', name: 'look', arguments: {} },
          ],
          'toolUse',
        ),
        {
          role: 'toolResult',
          toolCallId: 'toolu_1',
          toolName: 'weather',
          content: [{ type: 'text', text: 'Sunny' }],
          isError: false,
          timestamp: 3,
        },
        {
          role: 'toolResult',
          toolCallId: 'call|odd/id',
          toolName: 'look',
          content: [
            { type: 'text', text: 'A photo' },
            { type: 'image', data: 'R0lGODlh', mimeType: 'image/gif' },
          ],
          isError: true,
          timestamp: 4,
        },
      ],
    };
    const message = await streamAnthropic(claude(session.baseUrl), context, { apiKey: KEY }).result();
    expect(message.content).toEqual([{ type: 'text', text: 'Sunny and a cat.' }]);
    const [request] = await session.requests();
    expect(bodyOf(request).messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Weather, and what is this?' },
          { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
        ],
      },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Checking.' },
          { type: 'tool_use', id: 'toolu_1', name: 'weather', input: { city: 'Paris' } },
          { type: 'tool_use', id: 'call_odd_id', name: 'look', input: {} },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: 'Sunny' }] },
          {
            type: 'tool_result',
            tool_use_id: 'call_odd_id',
            content: [
              { type: 'text', text: 'A photo' },
              { type: 'image', source: { type: 'base64', media_type: 'image/gif', data: 'R0lGODlh' } },
            ],
            is_error: true,
            cache_control: { type: 'ephemeral' },
          },
        ],
      },
    ]);
  });

  test('results of separate assistant turns stay in separate user messages; text-only models get no images', async () => {
    const session = await mockSession({ turns: [{ content: [{ type: 'text', text: 'done' }] }] });
    const result = (id: string, text: string): Context['messages'][number] => ({
      role: 'toolResult',
      toolCallId: id,
      toolName: 'step',
      content: [
        { type: 'text', text },
        { type: 'image', data: 'AAAA', mimeType: 'image/png' },
      ],
      isError: false,
      timestamp: 3,
    });
    const context: Context = {
      messages: [
        { role: 'user', content: 'Go', timestamp: 1 },
        assistant([{ type: 'toolCall', id: 'toolu_a', name: 'step', arguments: { n: 1 } }], 'toolUse'),
        result('toolu_a', 'one'),
        assistant([{ type: 'toolCall', id: 'toolu_b', name: 'step', arguments: { n: 2 } }], 'toolUse'),
        result('toolu_b', 'two'),
      ],
    };
    await streamAnthropic(claude(session.baseUrl, { input: ['text'] }), context, { apiKey: KEY }).result();
    const [request] = await session.requests();
    const omitted = { type: 'text', text: '(image omitted: this model does not accept images)' };
    expect(bodyOf(request).messages).toEqual([
      { role: 'user', content: 'Go' },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_a', name: 'step', input: { n: 1 } }] },
      {
        role: 'user',
        content: [{ type: 'tool_result', tool_use_id: 'toolu_a', content: [{ type: 'text', text: 'one' }, omitted] }],
      },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_b', name: 'step', input: { n: 2 } }] },
      {
        role: 'user',
        content: [
          {
            type: 'tool_result',
            tool_use_id: 'toolu_b',
            content: [{ type: 'text', text: 'two' }, omitted],
            cache_control: { type: 'ephemeral' },
          },
        ],
      },
    ]);
  });

  test('omits x-api-key for a custom provider with no key', async () => {
    const session = await mockSession({ turns: [{ content: [{ type: 'text', text: 'local' }] }] });
    const model = claude(session.baseUrl, { provider: 'my-local-proxy' });
    const message = await streamAnthropic(model, hello).result();
    expect(message.content).toEqual([{ type: 'text', text: 'local' }]);
    const [request] = await session.requests();
    expect(request?.headers['x-api-key']).toBeUndefined();
    expect(request?.headers['anthropic-version']).toBe('2023-06-01');
  });
});

describe('anthropic-messages: recorded streams', () => {
  test('replays a recorded text reply', async () => {
    const { events, message } = await run([recorded(anthropicText)]);
    expect(shape(events)).toEqual(['start', 'text_start', 'text_delta', 'text_end', 'done']);
    expect(message.content).toEqual([
      {
        type: 'text',
        text: "Hello! I'm doing well, thank you for asking. How are you doing today? Is there anything I can help you with?",
      },
    ]);
    expect(message.responseId).toBe('msg_01QC4g3HwBThD4BaNtBckFDJ');
    expect(message.usage.input).toBe(12);
    expect(message.usage.output).toBe(30);
    expect(message.stopReason).toBe('stop');
  });

  test('replays a recorded thinking reply with its signature, split into 5-byte writes', async () => {
    const { message } = await run([recorded(anthropicClearThinking, 5)]);
    const signature = (JSON.parse(anthropicClearThinking[13] as string) as { delta: { signature: string } }).delta
      .signature;
    expect(signature).toMatch(/^EvQBCkYI/);
    expect(message.content).toEqual([
      {
        type: 'thinking',
        thinking: 'The previous result was 925. Now I need to divide that by 5.\n\n925 ÷ 5 = 185',
        providerData: { signature },
      },
      { type: 'text', text: '925 ÷ 5 = 185' },
    ]);
    expect(message.usage.input).toBe(69);
    expect(message.usage.output).toBe(53);
    expect(message.responseId).toBe('msg_01Y6V41gqPaKWEw7iPouH7iW');
  });

  test('replays a recorded tool call', async () => {
    const { message } = await run([recorded(anthropicJsonTool)]);
    expect(message.content).toEqual([
      {
        type: 'toolCall',
        id: 'toolu_01KFbKqPYSuAKujiL6mTfzYA',
        name: 'json',
        arguments: { elements: [{ location: 'San Francisco', temperature: 58, condition: 'sunny' }] },
      },
    ]);
    expect(message.stopReason).toBe('toolUse');
    expect(message.usage.input).toBe(849);
    expect(message.usage.output).toBe(47);
  });
});
