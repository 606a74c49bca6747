import { describe, expect, test } from 'vitest';
import { streamAnthropic } from '../../src/ai/providers/anthropic-messages.js';
import { streamOpenAICompletions } from '../../src/ai/providers/openai-completions.js';
import { streamOpenAIResponses } from '../../src/ai/providers/openai-responses.js';
import type {
  AssistantMessage,
  AssistantMessageEvent,
  Context,
  Model,
  StreamFunction,
  StreamOptions,
  ToolCall,
  ToolResultMessage,
} from '../../src/ai/types.js';
import { emptyUsage } from '../../src/ai/usage.js';
import { type MockRawReply, type MockReply, type MockRequest, type MockTurn, sseEvent } from '../../testing/script.js';
import { azureText, azureToolCall } from '../fixtures/openai-responses-recorded.js';
import { mockSession } from '../support/mock.js';

const KEY = 'sk-test-secret-key';
const COST = { input: 1, output: 5, cacheRead: 0.05, cacheWrite: 1.25 };

type Json = Record<string, unknown>;

function gpt(baseUrl: string, overrides: Partial<Model> = {}): Model {
  return {
    id: 'gpt-6.1-terra',
    name: 'GPT-6.1 Terra',
    api: 'openai-responses',
    provider: 'openai',
    baseUrl: `${baseUrl}/v1`,
    reasoning: true,
    input: ['text', 'image'],
    cost: COST,
    contextWindow: 1_050_000,
    maxTokens: 128_000,
    ...overrides,
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

async function runWith(fn: StreamFunction, model: Model, context: Context, options: StreamOptions = {}): Promise<Run> {
  const events: AssistantMessageEvent[] = [];
  const stream = fn(model, context, { apiKey: KEY, ...options });
  for await (const event of stream) events.push(event);
  return { events, message: await stream.result() };
}

const run = (model: Model, context: Context, options: StreamOptions = {}) =>
  runWith(streamOpenAIResponses, model, context, options);

/** One session, one request; returns the run and the requests the server saw. */
async function runTurns(
  turns: MockTurn[],
  options: StreamOptions = {},
  context: Context = userContext(),
  overrides: Partial<Model> = {},
): Promise<Run & { requests: MockRequest[]; model: Model }> {
  const session = await mockSession({ turns });
  const model = gpt(session.baseUrl, overrides);
  const result = await run(model, context, options);
  return { ...result, requests: await session.requests(), model };
}

function reply(fields: MockReply): MockReply {
  return fields;
}

/** Payloads framed as the API frames them: an `event:` line named after the payload's type. */
function raw(payloads: readonly (string | Json)[], writeSize?: number): MockRawReply {
  const events = payloads.map((payload) => {
    const text = typeof payload === 'string' ? payload : JSON.stringify(payload);
    return sseEvent(text, (JSON.parse(text) as { type: string }).type);
  });
  return writeSize ? { type: 'raw', events, writeSize } : { type: 'raw', events };
}

function types(events: AssistantMessageEvent[]): string[] {
  return events.map((event) => event.type);
}

function body(request: MockRequest | undefined): Json {
  return request?.body as Json;
}

function input(request: MockRequest | undefined): Json[] {
  return body(request).input as Json[];
}

function toolCalls(message: AssistantMessage): ToolCall[] {
  return message.content.filter((part): part is ToolCall => part.type === 'toolCall');
}

function assistant(content: AssistantMessage['content'], fields: Partial<AssistantMessage> = {}): AssistantMessage {
  return {
    role: 'assistant',
    content,
    api: 'openai-responses',
    provider: 'openai',
    model: 'gpt-6.1-terra',
    usage: emptyUsage(),
    stopReason: 'stop',
    timestamp: 2,
    ...fields,
  };
}

function toolResult(toolCallId: string, text: string, toolName = 'get_weather'): ToolResultMessage {
  return { role: 'toolResult', toolCallId, toolName, content: [{ type: 'text', text }], isError: false, timestamp: 3 };
}

/**
 * The rule the API enforces: a reasoning item is followed by the item it
 * produced, carrying its id; an id-less item is never preceded by reasoning.
 */
function expectReasoningPaired(items: Json[]): void {
  items.forEach((item, i) => {
    if (item.type !== 'reasoning') return;
    const next = items[i + 1];
    expect(['message', 'function_call'], `item after ${String(item.id)}`).toContain(next?.type);
    expect(next?.id, `item after ${String(item.id)}`).toEqual(expect.stringMatching(/^(msg|fc)_/));
  });
}

const response = (extra: Json = {}) => ({ id: 'resp_raw', object: 'response', status: 'in_progress', ...extra });
const created = { type: 'response.created', sequence_number: 0, response: response() };
const usage = (input: number, output: number, cached = 0) => ({
  input_tokens: input,
  input_tokens_details: { cached_tokens: cached },
  output_tokens: output,
  output_tokens_details: { reasoning_tokens: 0 },
  total_tokens: input + output,
});
const completed = (u = usage(5, 2)) => ({
  type: 'response.completed',
  response: response({ status: 'completed', usage: u }),
});
const messageAdded = (index: number, id: string) => ({
  type: 'response.output_item.added',
  output_index: index,
  item: { id, type: 'message', status: 'in_progress', content: [], role: 'assistant' },
});
const textDelta = (index: number, id: string, delta: string) => ({
  type: 'response.output_text.delta',
  item_id: id,
  output_index: index,
  content_index: 0,
  delta,
});
const callAdded = (index: number, id: string, callId: string, name: string) => ({
  type: 'response.output_item.added',
  output_index: index,
  item: { id, type: 'function_call', status: 'in_progress', arguments: '', call_id: callId, name },
});
const argsDelta = (index: number, id: string, delta: string) => ({
  type: 'response.function_call_arguments.delta',
  item_id: id,
  output_index: index,
  delta,
});
const itemDone = (index: number, item: Json) => ({ type: 'response.output_item.done', output_index: index, item });

describe('openai-responses: events', () => {
  test('reasoning, text and a tool call arrive as events in order, with provider data', async () => {
    const { events, message } = await runTurns(
      [
        reply({
          id: 'resp_order',
          deltaSize: 5,
          content: [
            { type: 'thinking', thinking: 'Let me think', signature: 'enc-1' },
            { type: 'text', text: 'Hello world' },
            { type: 'toolCall', id: 'call_1', name: 'get_weather', arguments: { city: 'Paris' } },
          ],
          usage: { input: 10, output: 20 },
        }),
      ],
      { reasoning: 'low' },
    );
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
    const [thinking, text, call] = message.content;
    expect(thinking).toEqual({
      type: 'thinking',
      thinking: 'Let me think',
      providerData: {
        itemId: expect.stringMatching(/^rs_[0-9a-f]{48}$/),
        summary: ['Let me think'],
        encryptedContent: 'enc-1',
      },
    });
    expect(text).toEqual({
      type: 'text',
      text: 'Hello world',
      providerData: { itemId: expect.stringMatching(/^msg_[0-9a-f]{48}$/) },
    });
    expect(call).toEqual({
      type: 'toolCall',
      id: 'call_1',
      name: 'get_weather',
      arguments: { city: 'Paris' },
      providerData: { itemId: expect.stringMatching(/^fc_[0-9a-f]{48}$/) },
    });
    expect(message.stopReason).toBe('toolUse');
    expect(message.responseId).toBe('resp_order');
    expect(message.api).toBe('openai-responses');
    expect(message.model).toBe('gpt-6.1-terra');
    const end = events.find((event) => event.type === 'text_end');
    expect(end?.type === 'text_end' && end.content).toBe('Hello world');
  });

  test('summary parts stream into one thinking block, joined by a blank line', async () => {
    const { message, events } = await runTurns([
      reply({
        deltaSize: 3,
        content: [
          { type: 'thinking', thinking: '**Plan**\n\nRead the file.\n\nThen answer.', signature: 'enc-2' },
          { type: 'text', text: 'Done.' },
        ],
      }),
    ]);
    expect(message.content[0]).toMatchObject({
      type: 'thinking',
      thinking: '**Plan**\n\nRead the file.\n\nThen answer.',
      providerData: { summary: ['**Plan**', 'Read the file.', 'Then answer.'], encryptedContent: 'enc-2' },
    });
    expect(types(events).filter((type) => type === 'thinking_start')).toHaveLength(1);
    const end = events.find((event) => event.type === 'thinking_end');
    expect(end?.type === 'thinking_end' && end.content).toBe('**Plan**\n\nRead the file.\n\nThen answer.');
  });

  test('a reasoning item without a summary becomes a redacted thinking block holding the encrypted content', async () => {
    const { message, events } = await runTurns([
      reply({
        content: [
          { type: 'redactedThinking', data: 'enc-hidden' },
          { type: 'text', text: '42' },
        ],
      }),
    ]);
    expect(message.content[0]).toEqual({
      type: 'thinking',
      thinking: '',
      redacted: true,
      providerData: { itemId: expect.stringMatching(/^rs_/), summary: [], encryptedContent: 'enc-hidden' },
    });
    expect(types(events).slice(0, 3)).toEqual(['start', 'thinking_start', 'thinking_end']);
  });

  test('a model that cannot reason is not asked for encrypted reasoning, and its reasoning items carry none', async () => {
    const { message, requests } = await runTurns(
      [
        reply({
          content: [
            { type: 'thinking', thinking: 'hm' },
            { type: 'text', text: 'ok' },
          ],
        }),
      ],
      { reasoning: 'high', temperature: 0.2 },
      userContext(),
      { reasoning: false },
    );
    const sent = body(requests[0]);
    expect(sent).not.toHaveProperty('include');
    expect(sent).not.toHaveProperty('reasoning');
    expect(sent.temperature).toBe(0.2);
    expect(message.content[0]).toEqual({
      type: 'thinking',
      thinking: 'hm',
      providerData: { itemId: expect.stringMatching(/^rs_/), summary: ['hm'] },
    });
  });

  test('a refusal is shown as text', async () => {
    const { message } = await runTurns([
      raw([
        created,
        messageAdded(0, 'msg_r'),
        {
          type: 'response.content_part.added',
          item_id: 'msg_r',
          output_index: 0,
          content_index: 0,
          part: { type: 'refusal', refusal: '' },
        },
        { type: 'response.refusal.delta', item_id: 'msg_r', output_index: 0, content_index: 0, delta: "I can't" },
        { type: 'response.refusal.delta', item_id: 'msg_r', output_index: 0, content_index: 0, delta: ' help.' },
        itemDone(0, { id: 'msg_r', type: 'message', content: [{ type: 'refusal', refusal: "I can't help." }] }),
        completed(),
      ]),
    ]);
    expect(message.content).toEqual([{ type: 'text', text: "I can't help.", providerData: { itemId: 'msg_r' } }]);
    expect(message.stopReason).toBe('stop');
  });

  test('a message with two output_text parts gives two text blocks of the same item, sent back as one item', async () => {
    const turn1 = raw([
      created,
      messageAdded(0, 'msg_two'),
      textDelta(0, 'msg_two', 'First.'),
      {
        type: 'response.content_part.added',
        item_id: 'msg_two',
        output_index: 0,
        content_index: 1,
        part: { type: 'output_text', text: '' },
      },
      { ...textDelta(0, 'msg_two', 'Second.'), content_index: 1 },
      itemDone(0, { id: 'msg_two', type: 'message', phase: 'final_answer', content: [] }),
      completed(),
    ]);
    const session = await mockSession({ turns: [turn1, reply({ content: [{ type: 'text', text: 'ok' }] })] });
    const model = gpt(session.baseUrl);
    const context = userContext();
    const first = await run(model, context);
    expect(first.message.content).toEqual([
      { type: 'text', text: 'First.', providerData: { itemId: 'msg_two', phase: 'final_answer' } },
      { type: 'text', text: 'Second.', providerData: { itemId: 'msg_two', phase: 'final_answer' } },
    ]);
    context.messages.push(first.message, { role: 'user', content: 'More', timestamp: 3 });
    await run(model, context);
    expect(input((await session.requests())[1])[1]).toEqual({
      type: 'message',
      role: 'assistant',
      content: [
        { type: 'output_text', text: 'First.' },
        { type: 'output_text', text: 'Second.' },
      ],
      id: 'msg_two',
      phase: 'final_answer',
    });
  });

  test('a server that streams no deltas still gives the whole text, arguments and summary from the done events', async () => {
    const { message } = await runTurns([
      raw([
        created,
        { type: 'response.output_item.added', output_index: 0, item: { id: 'rs_x', type: 'reasoning', summary: [] } },
        itemDone(0, {
          id: 'rs_x',
          type: 'reasoning',
          summary: [
            { type: 'summary_text', text: 'A' },
            { type: 'summary_text', text: 'B' },
          ],
          encrypted_content: 'enc-x',
        }),
        messageAdded(1, 'msg_x'),
        itemDone(1, { id: 'msg_x', type: 'message', content: [{ type: 'output_text', text: 'Whole text.' }] }),
        callAdded(2, 'fc_x', 'call_x', 'ls'),
        itemDone(2, { id: 'fc_x', type: 'function_call', call_id: 'call_x', name: 'ls', arguments: '{"dir":"."}' }),
        completed(),
      ]),
    ]);
    expect(message.content).toEqual([
      {
        type: 'thinking',
        thinking: 'A\n\nB',
        providerData: { itemId: 'rs_x', summary: ['A', 'B'], encryptedContent: 'enc-x' },
      },
      { type: 'text', text: 'Whole text.', providerData: { itemId: 'msg_x' } },
      { type: 'toolCall', id: 'call_x', name: 'ls', arguments: { dir: '.' }, providerData: { itemId: 'fc_x' } },
    ]);
    expect(message.stopReason).toBe('toolUse');
  });

  test('raw reasoning text (reasoning_text deltas) becomes thinking', async () => {
    const { message } = await runTurns([
      raw([
        created,
        { type: 'response.output_item.added', output_index: 0, item: { id: 'rs_oss', type: 'reasoning', summary: [] } },
        { type: 'response.reasoning_text.delta', item_id: 'rs_oss', output_index: 0, content_index: 0, delta: 'Think' },
        { type: 'response.reasoning_text.delta', item_id: 'rs_oss', output_index: 0, content_index: 0, delta: 'ing.' },
        itemDone(0, {
          id: 'rs_oss',
          type: 'reasoning',
          summary: [],
          content: [{ type: 'reasoning_text', text: 'Thinking.' }],
        }),
        messageAdded(1, 'msg_oss'),
        textDelta(1, 'msg_oss', 'Hi'),
        itemDone(1, { id: 'msg_oss', type: 'message', content: [{ type: 'output_text', text: 'Hi' }] }),
        completed(),
      ]),
    ]);
    expect(message.content).toEqual([
      { type: 'thinking', thinking: 'Thinking.', providerData: { itemId: 'rs_oss', summary: [] } },
      { type: 'text', text: 'Hi', providerData: { itemId: 'msg_oss' } },
    ]);
  });
});

describe('openai-responses: usage and cost', () => {
  test('cached tokens become cacheRead, reasoning stays in output, cost follows the model prices', async () => {
    const { message, model } = await runTurns([
      reply({
        content: [{ type: 'text', text: 'ok' }],
        usage: { input: 1000, output: 200, cacheRead: 3000, reasoning: 150 },
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
    expect(message.usage.cost.total).toBeCloseTo((1000 * 1 + 200 * 5 + 3000 * 0.05) / 1e6, 12);
  });

  test('cache_write_tokens (GPT-5.6 and later) become cacheWrite and leave input', async () => {
    const { message } = await runTurns([
      reply({
        content: [{ type: 'text', text: 'ok' }],
        usage: { input: 100, output: 10, cacheRead: 50, cacheWrite: 2000 },
      }),
    ]);
    expect(message.usage).toMatchObject({ input: 100, output: 10, cacheRead: 50, cacheWrite: 2000, totalTokens: 2160 });
    expect(message.usage.cost.cacheWrite).toBeCloseTo((2000 * 1.25) / 1e6, 12);
  });
});

describe('openai-responses: recorded streams', () => {
  test('azure-text.1: one message item, usage from response.completed', async () => {
    const { events, message } = await runTurns([raw(azureText)]);
    expect(types(events)).toEqual(['start', 'text_start', 'text_delta', 'text_end', 'done']);
    expect(message.content).toEqual([
      {
        type: 'text',
        text: 'Hello',
        providerData: { itemId: 'msg_02ce8deeb6197db200698c5198ca0c81979bedbe6c98a8ab93' },
      },
    ]);
    expect(message.stopReason).toBe('stop');
    expect(message.responseId).toBe('resp_02ce8deeb6197db200698c5196e9588197a572bbea62d38cd1');
    expect(message.usage).toMatchObject({ input: 11, output: 11, cacheRead: 0, cacheWrite: 0, totalTokens: 22 });
  });

  test.each([undefined, 7])('azure-tool-call.1 (write size %s): one function call in six deltas', async (writeSize) => {
    const { events, message } = await runTurns([raw(azureToolCall, writeSize)]);
    expect(toolCalls(message)).toEqual([
      {
        type: 'toolCall',
        id: 'call_H5DxLSFnsGhiROnUiDHmgyc8',
        name: 'weather',
        arguments: { location: 'San Francisco' },
        providerData: { itemId: 'fc_04041325ab8ae30400698c51c5468c8197a395f18875a5339f' },
      },
    ]);
    expect(types(events).filter((type) => type === 'toolcall_delta')).toHaveLength(6);
    expect(message.stopReason).toBe('toolUse');
    expect(message.usage).toMatchObject({ input: 45, output: 24, totalTokens: 69 });
    expect(message.responseId).toBe('resp_04041325ab8ae30400698c519fb7fc81979972618138fc336d');
  });

  test('the recorded tool call goes back with its ids and the result pairs with its call_id', async () => {
    const session = await mockSession({
      turns: [raw(azureToolCall), reply({ content: [{ type: 'text', text: 'Foggy.' }] })],
    });
    const model = gpt(session.baseUrl, { id: 'gpt-5.1' });
    const context = userContext('Weather in SF?');
    const first = await run(model, context);
    context.messages.push(first.message, toolResult('call_H5DxLSFnsGhiROnUiDHmgyc8', '15°C, fog', 'weather'));
    const second = await run(model, context);
    expect(second.message.content).toEqual([expect.objectContaining({ type: 'text', text: 'Foggy.' })]);
    expect(input((await session.requests())[1])).toEqual([
      { role: 'user', content: [{ type: 'input_text', text: 'Weather in SF?' }] },
      {
        type: 'function_call',
        call_id: 'call_H5DxLSFnsGhiROnUiDHmgyc8',
        name: 'weather',
        arguments: '{"location":"San Francisco"}',
        id: 'fc_04041325ab8ae30400698c51c5468c8197a395f18875a5339f',
      },
      { type: 'function_call_output', call_id: 'call_H5DxLSFnsGhiROnUiDHmgyc8', output: '15°C, fog' },
    ]);
  });
});

describe('openai-responses: tool calls', () => {
  test('interleaved argument deltas are keyed by output_index, or by item_id when the index is missing', async () => {
    const { message } = await runTurns([
      raw([
        created,
        callAdded(0, 'fc_x', 'call_x', 'read'),
        callAdded(1, 'fc_y', 'call_y', 'grep'),
        argsDelta(0, 'fc_x', '{"pa'),
        argsDelta(1, 'fc_y', '{"q":'),
        { type: 'response.function_call_arguments.delta', item_id: 'fc_x', delta: 'th":"x"}' },
        argsDelta(1, 'fc_y', '"y"}'),
        itemDone(0, { id: 'fc_x', type: 'function_call', call_id: 'call_x', name: 'read', arguments: '{"path":"x"}' }),
        itemDone(1, { id: 'fc_y', type: 'function_call', call_id: 'call_y', name: 'grep', arguments: '{"q":"y"}' }),
        completed(),
      ]),
    ]);
    expect(toolCalls(message).map((call) => [call.id, call.name, call.arguments, call.providerData])).toEqual([
      ['call_x', 'read', { path: 'x' }, { itemId: 'fc_x' }],
      ['call_y', 'grep', { q: 'y' }, { itemId: 'fc_y' }],
    ]);
  });
});

describe('openai-responses: terminal events', () => {
  test('response.incomplete for max_output_tokens ends as length, keeping the text', async () => {
    const { message, events } = await runTurns([
      reply({ stopReason: 'length', content: [{ type: 'text', text: 'cut sho' }], usage: { input: 3, output: 16 } }),
    ]);
    expect(message.stopReason).toBe('length');
    const last = events.at(-1);
    expect(last?.type === 'done' && last.reason).toBe('length');
    expect(message.content).toEqual([expect.objectContaining({ type: 'text', text: 'cut sho' })]);
    expect(message.usage).toMatchObject({ input: 3, output: 16 });
  });

  test('response.incomplete for content_filter ends with an error that names it, keeping the text', async () => {
    const { message } = await runTurns([
      reply({ stopReason: 'content_filter', content: [{ type: 'text', text: 'Some' }] }),
    ]);
    expect(message.stopReason).toBe('error');
    expect(message.errorMessage).toBe('The provider stopped the reply: content_filter');
    expect(message.content).toEqual([expect.objectContaining({ type: 'text', text: 'Some' })]);
  });

  test('response.failed after content ends with an error carrying its code and message', async () => {
    const { message, requests } = await runTurns([
      raw([
        created,
        messageAdded(0, 'msg_f'),
        textDelta(0, 'msg_f', 'Half'),
        {
          type: 'response.failed',
          response: response({
            status: 'failed',
            error: { code: 'server_error', message: 'The model produced invalid content.' },
            usage: usage(9, 1),
          }),
        },
      ]),
      reply({ content: [{ type: 'text', text: 'never' }] }),
    ]);
    expect(message.stopReason).toBe('error');
    expect(message.errorMessage).toBe(
      'The provider reported an error: server_error: The model produced invalid content.',
    );
    expect(message.content).toEqual([{ type: 'text', text: 'Half', providerData: { itemId: 'msg_f' } }]);
    expect(message.usage).toMatchObject({ input: 9, output: 1 });
    expect(requests).toHaveLength(1);
  });

  test('response.failed for an overloaded server before any content is retried', async () => {
    const { message, requests } = await runTurns([
      raw([
        created,
        {
          type: 'response.failed',
          response: response({
            status: 'failed',
            error: { code: 'server_is_overloaded', message: 'Selected model is at capacity.' },
          }),
        },
      ]),
      reply({ content: [{ type: 'text', text: 'Recovered.' }] }),
    ]);
    expect(message.stopReason).toBe('stop');
    expect(message.content).toEqual([expect.objectContaining({ text: 'Recovered.' })]);
    expect(requests).toHaveLength(2);
  });

  test('a non-retryable response.failed before content is not retried', async () => {
    const { message, requests } = await runTurns([
      raw([
        created,
        {
          type: 'response.failed',
          response: response({ status: 'failed', error: { code: 'invalid_prompt', message: 'Prompt flagged.' } }),
        },
      ]),
      reply({ content: [{ type: 'text', text: 'never' }] }),
    ]);
    expect(message.errorMessage).toBe('The provider reported an error: invalid_prompt: Prompt flagged.');
    expect(requests).toHaveLength(1);
  });

  test.each([
    [{ code: 'context_length_exceeded', message: 'Your input exceeds the context window.', param: 'input' }],
    [
      {
        error: {
          type: 'invalid_request_error',
          code: 'context_length_exceeded',
          message: 'Your input exceeds the context window.',
        },
      },
    ],
  ])('a top-level error event is reported with its code (%#)', async (fields) => {
    const { message, requests } = await runTurns([
      raw([created, { type: 'error', sequence_number: 1, ...fields }]),
      reply({ content: [{ type: 'text', text: 'never' }] }),
    ]);
    expect(message.stopReason).toBe('error');
    expect(message.errorMessage).toBe(
      'The provider reported an error: context_length_exceeded: Your input exceeds the context window.',
    );
    expect(requests).toHaveLength(1);
  });
});

describe('openai-responses: request body', () => {
  const tools = [
    {
      name: 'get_weather',
      description: 'Weather for a city',
      parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    },
  ];

  test('POST /v1/responses with instructions, input, tools, tool choice, limits, reasoning and encrypted reasoning', async () => {
    const { requests } = await runTurns(
      [reply({ content: [{ type: 'text', text: 'ok' }] })],
      { maxTokens: 1000, reasoning: 'high', temperature: 0.5, toolChoice: { type: 'tool', name: 'get_weather' } },
      { ...userContext('Weather?'), tools },
    );
    const request = requests[0];
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe('/v1/responses');
    expect(request?.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(request?.headers.accept).toBe('text/event-stream');
    expect(request?.headers['content-type']).toBe('application/json');
    expect(body(request)).toEqual({
      model: 'gpt-6.1-terra',
      input: [{ role: 'user', content: [{ type: 'input_text', text: 'Weather?' }] }],
      stream: true,
      store: false,
      instructions: 'You are terse.',
      include: ['reasoning.encrypted_content'],
      tools: [{ type: 'function', ...tools[0], strict: false }],
      tool_choice: { type: 'function', name: 'get_weather' },
      max_output_tokens: 1000,
      // Reasoning models take no temperature while they reason.
      reasoning: { effort: 'high', summary: 'auto' },
    });
  });

  test("reasoning 'off' sends no reasoning; tool choices map; a tiny limit is raised to 16; a trailing slash is dropped", async () => {
    const session = await mockSession({
      turns: [reply({ content: [{ type: 'text', text: 'ok' }] }), reply({ content: [{ type: 'text', text: 'ok' }] })],
    });
    const model = gpt(session.baseUrl);
    model.baseUrl += '/';
    await run(model, { ...userContext(), tools }, { reasoning: 'off', toolChoice: 'required', maxTokens: 5 });
    await run(model, userContext(), { toolChoice: 'none', temperature: 0.3 });
    const [first, second] = await session.requests();
    expect(first?.path).toBe('/v1/responses');
    expect(body(first)).not.toHaveProperty('reasoning');
    expect(body(first).include).toEqual(['reasoning.encrypted_content']);
    expect(body(first).tool_choice).toBe('required');
    expect(body(first).max_output_tokens).toBe(16);
    // No tools, no tool choice.
    expect(body(second)).not.toHaveProperty('tool_choice');
    expect(body(second)).not.toHaveProperty('tools');
    expect(body(second)).not.toHaveProperty('max_output_tokens');
    expect(body(second).temperature).toBe(0.3);
  });

  test('user images become input_image data URLs; a text-only model gets a note instead', async () => {
    const context: Context = {
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
    };
    const withImages = await runTurns([reply({ content: [{ type: 'text', text: 'a cat' }] })], {}, context);
    expect(input(withImages.requests[0])).toEqual([
      {
        role: 'user',
        content: [
          { type: 'input_text', text: 'What is this?' },
          { type: 'input_image', image_url: 'data:image/png;base64,aGVsbG8=', detail: 'auto' },
        ],
      },
    ]);
    expect(body(withImages.requests[0])).not.toHaveProperty('instructions');
    const textOnly = await runTurns([reply({ content: [{ type: 'text', text: '?' }] })], {}, context, {
      input: ['text'],
    });
    expect(input(textOnly.requests[0])).toEqual([
      {
        role: 'user',
        content: [
          { type: 'input_text', text: 'What is this?' },
          { type: 'input_text', text: '(image omitted: this model does not accept images)' },
        ],
      },
    ]);
  });
});

describe('openai-responses: multi-turn', () => {
  test('encrypted reasoning goes back before the function call it produced, and the result pairs by call_id', async () => {
    const session = await mockSession({
      turns: [
        reply({
          content: [
            { type: 'thinking', thinking: 'Plan.\n\nCall the tool.', signature: 'enc-blob-1' },
            { type: 'toolCall', id: 'call_w1', name: 'get_weather', arguments: { city: 'Paris' } },
          ],
        }),
        reply({ content: [{ type: 'text', text: 'Sunny.' }] }),
      ],
    });
    const model = gpt(session.baseUrl);
    const context = userContext('Weather in Paris?');
    const turn1 = await run(model, context, { reasoning: 'medium' });
    expect(turn1.message.stopReason).toBe('toolUse');
    const [thinking, call] = turn1.message.content;
    context.messages.push(turn1.message, toolResult('call_w1', '22°C, sunny'));
    const turn2 = await run(model, context, { reasoning: 'medium' });
    expect(turn2.message.content).toEqual([expect.objectContaining({ type: 'text', text: 'Sunny.' })]);

    const sent = input((await session.requests())[1]);
    expect(sent).toEqual([
      { role: 'user', content: [{ type: 'input_text', text: 'Weather in Paris?' }] },
      {
        type: 'reasoning',
        id: thinking?.providerData?.itemId,
        encrypted_content: 'enc-blob-1',
        summary: [
          { type: 'summary_text', text: 'Plan.' },
          { type: 'summary_text', text: 'Call the tool.' },
        ],
      },
      {
        type: 'function_call',
        call_id: 'call_w1',
        name: 'get_weather',
        arguments: '{"city":"Paris"}',
        id: call?.providerData?.itemId,
      },
      { type: 'function_call_output', call_id: 'call_w1', output: '22°C, sunny' },
    ]);
    expect(sent[1]?.id).toMatch(/^rs_/);
    expect(sent[2]?.id).toMatch(/^fc_/);
    expectReasoningPaired(sent);
  });

  test('a text turn goes back as a message item with its id and phase; redacted reasoning goes back too', async () => {
    const context = userContext('Q1');
    context.messages.push(
      assistant([
        {
          type: 'thinking',
          thinking: '',
          redacted: true,
          providerData: { itemId: 'rs_1', summary: [], encryptedContent: 'enc-r' },
        },
        { type: 'text', text: 'A1', providerData: { itemId: 'msg_1', phase: 'final_answer' } },
      ]),
      { role: 'user', content: 'Q2', timestamp: 4 },
    );
    const { requests } = await runTurns([reply({ content: [{ type: 'text', text: 'A2' }] })], {}, context);
    expect(input(requests[0])).toEqual([
      { role: 'user', content: [{ type: 'input_text', text: 'Q1' }] },
      { type: 'reasoning', id: 'rs_1', encrypted_content: 'enc-r', summary: [] },
      {
        type: 'message',
        role: 'assistant',
        content: [{ type: 'output_text', text: 'A1' }],
        id: 'msg_1',
        phase: 'final_answer',
      },
      { role: 'user', content: [{ type: 'input_text', text: 'Q2' }] },
    ]);
  });

  test('tool results with images send an input_image output; long foreign ids are shortened the same way in call and result', async () => {
    const longId = `toolu_${'x'.repeat(70)}|weird`;
    const context: Context = {
      messages: [
        { role: 'user', content: 'Look at a.png', timestamp: 1 },
        assistant([{ type: 'toolCall', id: longId, name: 'read', arguments: { path: 'a.png' } }], {
          api: 'anthropic-messages',
          provider: 'anthropic',
          model: 'claude-x',
          stopReason: 'toolUse',
        }),
        {
          role: 'toolResult',
          toolCallId: longId,
          toolName: 'read',
          content: [
            { type: 'text', text: 'a.png:' },
            { type: 'image', data: 'iVBORw0=', mimeType: 'image/png' },
          ],
          isError: false,
          timestamp: 3,
        },
      ],
    };
    const { requests } = await runTurns([reply({ content: [{ type: 'text', text: 'A cat.' }] })], {}, context);
    const sent = input(requests[0]);
    const call = sent[1] as { call_id: string };
    expect(call.call_id.length).toBeLessThanOrEqual(64);
    expect(call.call_id).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(call.call_id).not.toBe(longId);
    expect(sent.slice(1)).toEqual([
      { type: 'function_call', call_id: call.call_id, name: 'read', arguments: '{"path":"a.png"}' },
      {
        type: 'function_call_output',
        call_id: call.call_id,
        output: [
          { type: 'input_text', text: 'a.png:' },
          { type: 'input_image', image_url: 'data:image/png;base64,iVBORw0=', detail: 'auto' },
        ],
      },
    ]);
  });

  test('another OpenAI model: reasoning becomes text, and no item ids or encrypted content are sent', async () => {
    const context = userContext('Q');
    context.messages.push(
      assistant(
        [
          {
            type: 'thinking',
            thinking: 'Summary of my plan.',
            providerData: { itemId: 'rs_o', summary: ['Summary of my plan.'], encryptedContent: 'enc-other' },
          },
          { type: 'toolCall', id: 'call_o', name: 'ls', arguments: {}, providerData: { itemId: 'fc_o' } },
        ],
        { model: 'gpt-6.2-sol', stopReason: 'toolUse' },
      ),
      toolResult('call_o', 'a.txt', 'ls'),
    );
    const { requests } = await runTurns([reply({ content: [{ type: 'text', text: 'ok' }] })], {}, context);
    const sent = input(requests[0]);
    expect(sent.slice(1)).toEqual([
      { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Summary of my plan.' }] },
      { type: 'function_call', call_id: 'call_o', name: 'ls', arguments: '{}' },
      { type: 'function_call_output', call_id: 'call_o', output: 'a.txt' },
    ]);
    expect(JSON.stringify(sent)).not.toContain('enc-other');
  });
});

describe('openai-responses: reasoning items keep their pair', () => {
  // "Item 'rs_…' of type 'reasoning' was provided without its required following item" must never happen.

  test('reasoning followed by an empty message: the reasoning is not sent', async () => {
    const session = await mockSession({
      turns: [
        reply({
          content: [
            { type: 'thinking', thinking: 'Nothing to say.' },
            { type: 'text', text: '' },
          ],
        }),
        reply({ content: [{ type: 'text', text: 'ok' }] }),
      ],
    });
    const model = gpt(session.baseUrl);
    const context = userContext('Q1');
    const first = await run(model, context, { reasoning: 'low' });
    // The empty message still holds its place after its reasoning item.
    expect(first.message.content).toEqual([
      expect.objectContaining({ type: 'thinking', thinking: 'Nothing to say.' }),
      { type: 'text', text: '', providerData: { itemId: expect.stringMatching(/^msg_/) } },
    ]);
    context.messages.push(first.message, { role: 'user', content: 'Q2', timestamp: 4 });
    await run(model, context, { reasoning: 'low' });
    const sent = input((await session.requests())[1]);
    expect(sent).toEqual([
      { role: 'user', content: [{ type: 'input_text', text: 'Q1' }] },
      { role: 'user', content: [{ type: 'input_text', text: 'Q2' }] },
    ]);
  });

  test('reasoning, an empty message, then a call: the reasoning is dropped and the call loses its id', async () => {
    const session = await mockSession({
      turns: [
        reply({
          content: [
            { type: 'thinking', thinking: 'Need ls.' },
            { type: 'text', text: '' },
            { type: 'toolCall', id: 'call_ls', name: 'ls', arguments: {} },
            { type: 'thinking', thinking: 'And cat.' },
            { type: 'toolCall', id: 'call_cat', name: 'cat', arguments: { path: 'a' } },
          ],
        }),
        reply({ content: [{ type: 'text', text: 'ok' }] }),
      ],
    });
    const model = gpt(session.baseUrl);
    const context = userContext('Go');
    const first = await run(model, context, { reasoning: 'low' });
    const catItem = first.message.content[4]?.providerData?.itemId;
    const secondReasoning = first.message.content[3]?.providerData?.itemId;
    context.messages.push(first.message, toolResult('call_ls', 'a', 'ls'), toolResult('call_cat', 'hi', 'cat'));
    await run(model, context, { reasoning: 'low' });
    const sent = input((await session.requests())[1]);
    expect(sent.map((item) => [item.type ?? item.role, item.id ?? null])).toEqual([
      ['user', null],
      ['function_call', null],
      ['reasoning', secondReasoning],
      ['function_call', catItem],
      ['function_call_output', null],
      ['function_call_output', null],
    ]);
    expectReasoningPaired(sent);
  });

  test('an aborted turn whose reasoning finished is not sent at all', async () => {
    const session = await mockSession({
      turns: [
        reply({
          deltaSize: 4,
          content: [
            { type: 'thinking', thinking: 'Working it out.' },
            { type: 'text', text: 'The answer is' },
          ],
          // created, in_progress, reasoning (added, part, 4 deltas, text.done, part.done, done), message added, part added, 1 delta.
          fault: { type: 'stall', afterEvents: 14 },
        }),
        reply({ content: [{ type: 'text', text: 'ok' }] }),
      ],
    });
    const model = gpt(session.baseUrl);
    const context = userContext('Q1');
    const controller = new AbortController();
    const stream = streamOpenAIResponses(model, context, { apiKey: KEY, reasoning: 'low', signal: controller.signal });
    for await (const event of stream) if (event.type === 'text_delta') controller.abort();
    const aborted = await stream.result();
    expect(aborted.stopReason).toBe('aborted');
    expect(aborted.content[0]).toMatchObject({
      type: 'thinking',
      providerData: { encryptedContent: expect.any(String) },
    });
    context.messages.push(aborted, { role: 'user', content: 'Q2', timestamp: 4 });
    await run(model, context, { reasoning: 'low' });
    const sent = input((await session.requests())[1]);
    expect(sent.map((item) => item.type ?? item.role)).toEqual(['user', 'user']);
  });

  test('a turn cut by max_output_tokens during reasoning: the reasoning has no following item and is not sent', async () => {
    const session = await mockSession({
      turns: [
        reply({ stopReason: 'length', content: [{ type: 'thinking', thinking: 'Long thoughts' }] }),
        reply({ content: [{ type: 'text', text: 'ok' }] }),
      ],
    });
    const model = gpt(session.baseUrl);
    const context = userContext('Q1');
    const first = await run(model, context, { reasoning: 'high' });
    expect(first.message.stopReason).toBe('length');
    context.messages.push(first.message, { role: 'user', content: 'continue', timestamp: 4 });
    await run(model, context, { reasoning: 'high' });
    const sent = input((await session.requests())[1]);
    expect(sent.some((item) => item.type === 'reasoning')).toBe(false);
  });

  test('hand-built history: unsendable, doubled and dangling reasoning never arrive unpaired', async () => {
    const context = userContext('Q1');
    context.messages.push(
      assistant([
        // No encrypted content: cannot go back, so the message after it goes without its id.
        { type: 'thinking', thinking: 'a', providerData: { itemId: 'rs_a', summary: ['a'] } },
        { type: 'text', text: 'A', providerData: { itemId: 'msg_a' } },
        // Two reasoning items in a row: only the second has its following item.
        {
          type: 'thinking',
          thinking: 'b',
          providerData: { itemId: 'rs_b', summary: ['b'], encryptedContent: 'enc-b' },
        },
        {
          type: 'thinking',
          thinking: 'c',
          providerData: { itemId: 'rs_c', summary: ['c'], encryptedContent: 'enc-c' },
        },
        { type: 'toolCall', id: 'call_c', name: 'ls', arguments: {}, providerData: { itemId: 'fc_c' } },
        { type: 'text', text: 'after the call', providerData: { itemId: 'msg_c' } },
        // Dangling at the end of the turn.
        {
          type: 'thinking',
          thinking: 'd',
          providerData: { itemId: 'rs_d', summary: ['d'], encryptedContent: 'enc-d' },
        },
      ]),
      toolResult('call_c', 'files', 'ls'),
      { role: 'user', content: 'Q2', timestamp: 5 },
    );
    const { requests } = await runTurns([reply({ content: [{ type: 'text', text: 'ok' }] })], {}, context);
    const sent = input(requests[0]);
    expect(sent.map((item) => [item.type ?? item.role, item.id ?? null])).toEqual([
      ['user', null],
      ['message', null],
      ['reasoning', 'rs_c'],
      ['function_call', 'fc_c'],
      ['message', 'msg_c'],
      ['function_call_output', null],
      ['user', null],
    ]);
    expectReasoningPaired(sent);
  });
});

describe('openai-responses: handoff', () => {
  const tools = [
    { name: 'ls', description: 'List', parameters: { type: 'object', properties: { path: { type: 'string' } } } },
    { name: 'read', description: 'Read', parameters: { type: 'object', properties: { path: { type: 'string' } } } },
  ];

  test('Claude → GPT (Responses) → Claude: ids paired, other-model thinking as text, no foreign provider data', async () => {
    const claudeId = 'toolu_01A09q90qw90lq917835lq9';
    const session = await mockSession({
      turns: [
        {
          content: [
            { type: 'thinking', thinking: 'I should list files.', signature: 'sig-claude-1' },
            { type: 'toolCall', id: claudeId, name: 'ls', arguments: { path: '.' } },
          ],
        },
        {
          content: [
            { type: 'thinking', thinking: 'Two files.', signature: 'enc-gpt-1' },
            { type: 'toolCall', id: 'call_g1', name: 'read', arguments: { path: 'a.txt' } },
          ],
        },
        { content: [{ type: 'text', text: 'Done.' }] },
      ],
    });
    const claude: Model = {
      id: 'claude-handoff',
      name: 'Claude',
      api: 'anthropic-messages',
      provider: 'anthropic',
      baseUrl: session.baseUrl,
      reasoning: true,
      input: ['text', 'image'],
      cost: COST,
      contextWindow: 200_000,
      maxTokens: 8_192,
    };
    const model = gpt(session.baseUrl);
    const context: Context = {
      systemPrompt: 'Agent.',
      messages: [{ role: 'user', content: 'What is here?', timestamp: 1 }],
      tools,
    };

    const first = await runWith(streamAnthropic, claude, context, { reasoning: 'low' });
    expect(first.message.stopReason).toBe('toolUse');
    context.messages.push(first.message, toolResult(claudeId, 'a.txt b.txt', 'ls'));
    const second = await run(model, context, { reasoning: 'low' });
    expect(second.message.stopReason).toBe('toolUse');
    context.messages.push(second.message, toolResult('call_g1', 'hello', 'read'));
    const third = await runWith(streamAnthropic, claude, context, { reasoning: 'low' });
    expect(third.message.content).toEqual([{ type: 'text', text: 'Done.' }]);

    const requests = await session.requests();
    expect(requests.map((request) => request.path)).toEqual(['/v1/messages', '/v1/responses', '/v1/messages']);

    // To GPT: Claude's thinking is text, the signature stays home, Claude's call id pairs call and output.
    const toGpt = input(requests[1]);
    expect(JSON.stringify(toGpt)).not.toContain('sig-claude-1');
    expect(toGpt.some((item) => item.type === 'reasoning')).toBe(false);
    const call = toGpt.find((item) => item.type === 'function_call') as { call_id: string; id?: string };
    const output = toGpt.find((item) => item.type === 'function_call_output') as { call_id: string };
    expect(call.call_id).toBe(claudeId);
    expect(output.call_id).toBe(claudeId);
    expect(call).not.toHaveProperty('id');
    expect(toGpt[1]).toEqual({
      type: 'message',
      role: 'assistant',
      content: [{ type: 'output_text', text: 'I should list files.' }],
    });

    // Back to Claude: its own thinking keeps its signature; GPT's summary is text; nothing encrypted leaks.
    const claudeBody = body(requests[2]);
    expect(JSON.stringify(claudeBody)).not.toContain('enc-gpt-1');
    expect(JSON.stringify(claudeBody)).not.toMatch(/"(rs|fc)_[0-9a-f]{48}"/);
    const blocks = (claudeBody.messages as { content: Json[] | string }[]).flatMap((m) =>
      Array.isArray(m.content) ? m.content : [],
    );
    expect(blocks).toContainEqual(expect.objectContaining({ type: 'thinking', signature: 'sig-claude-1' }));
    expect(blocks).toContainEqual({ type: 'text', text: 'Two files.' });
    const uses = blocks.filter((block) => block.type === 'tool_use').map((block) => block.id);
    const results = blocks.filter((block) => block.type === 'tool_result').map((block) => block.tool_use_id);
    expect(uses).toEqual([claudeId, 'call_g1']);
    expect(results).toEqual(uses);
  });

  test('Kimi (Chat Completions) → GPT (Responses): reasoning_content becomes text and the call pairs', async () => {
    const session = await mockSession({
      turns: [
        {
          variant: 'kimi',
          content: [
            { type: 'thinking', thinking: 'Kimi thinks.' },
            { type: 'toolCall', id: 'functions.ls:0', name: 'ls', arguments: { path: '.' } },
          ],
        },
        { content: [{ type: 'text', text: 'ok' }] },
      ],
    });
    const kimi: Model = {
      id: 'kimi-k3',
      name: 'Kimi',
      api: 'openai-completions',
      provider: 'kimi',
      baseUrl: `${session.baseUrl}/v1`,
      reasoning: true,
      input: ['text'],
      cost: COST,
      contextWindow: 256_000,
      maxTokens: 8_192,
      compat: { maxTokensField: 'max_tokens', sendReasoningContent: true, thinkingFormat: 'none' },
    };
    const context: Context = { messages: [{ role: 'user', content: 'ls', timestamp: 1 }], tools };
    const first = await runWith(streamOpenAICompletions, kimi, context);
    context.messages.push(first.message, toolResult('functions.ls:0', 'a.txt', 'ls'));
    await run(gpt(session.baseUrl), context);
    const sent = input((await session.requests())[1]);
    expect(sent.slice(1)).toEqual([
      { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Kimi thinks.' }] },
      { type: 'function_call', call_id: 'functions_ls_0', name: 'ls', arguments: '{"path":"."}' },
      { type: 'function_call_output', call_id: 'functions_ls_0', output: 'a.txt' },
    ]);
  });
});

describe('openai-responses: secrets', () => {
  test('the key goes in Authorization: Bearer; a keyless custom provider sends no Authorization', async () => {
    const { requests } = await runTurns([reply({ content: [{ type: 'text', text: 'hi' }] })]);
    expect(requests[0]?.headers.authorization).toBe(`Bearer ${KEY}`);
    const local = await runTurns(
      [reply({ content: [{ type: 'text', text: 'hi' }] })],
      { apiKey: undefined },
      userContext(),
      {
        provider: 'local-vllm',
      },
    );
    expect(local.message.stopReason).toBe('stop');
    expect(local.requests[0]?.headers).not.toHaveProperty('authorization');
  });
});
