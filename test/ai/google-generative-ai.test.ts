import { describe, expect, test } from 'vitest';
import { z } from 'zod';
import { streamAnthropic } from '../../src/ai/providers/anthropic-messages.js';
import { toGeminiSchema } from '../../src/ai/providers/google/gemini-schema.js';
import { streamGoogle } from '../../src/ai/providers/google/google-generative-ai.js';
import type {
  AssistantMessage,
  AssistantMessageEvent,
  AssistantMessageStream,
  Context,
  FetchFunction,
  Model,
  StreamOptions,
  ToolCall,
  ToolResultMessage,
} from '../../src/ai/types.js';
import { emptyUsage } from '../../src/ai/usage.js';
import { defineTool } from '../../src/tools/define-tool.js';
import type { MockRawReply, MockRequest, MockTurn } from '../../testing/script.js';
import { fakeThoughtSignature } from '../../testing/wire/google-generative-ai.js';
import { googleText, googleToolCall } from '../fixtures/google-recorded.js';
import { mockSession } from '../support/mock.js';

const KEY = 'AIza-test-secret-key';
const cost = { input: 0.75, output: 3.75, cacheRead: 0.075, cacheWrite: 0 };

function gemini(baseUrl: string, overrides: Partial<Model> = {}): Model {
  return {
    id: 'gemini-3.8-flash',
    name: 'Gemini 3.8 Flash',
    api: 'google-generative-ai',
    provider: 'google',
    baseUrl,
    reasoning: true,
    input: ['text', 'image'],
    cost,
    contextWindow: 1_048_576,
    maxTokens: 65_536,
    ...overrides,
  };
}

function claude(baseUrl: string): Model {
  return {
    id: 'claude-test',
    name: 'Claude',
    api: 'anthropic-messages',
    provider: 'anthropic',
    baseUrl,
    reasoning: true,
    input: ['text', 'image'],
    cost: { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 },
    contextWindow: 200_000,
    maxTokens: 8192,
  };
}

const hello: Context = { messages: [{ role: 'user', content: 'Hello', timestamp: 1 }] };

async function collect(stream: AssistantMessageStream): Promise<AssistantMessageEvent[]> {
  const events: AssistantMessageEvent[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

async function run(
  turns: MockTurn[],
  context: Context = hello,
  options: StreamOptions = {},
  modelOverrides: Partial<Model> = {},
) {
  const session = await mockSession({ turns });
  const stream = streamGoogle(gemini(session.baseUrl, modelOverrides), context, { apiKey: KEY, ...options });
  const events = await collect(stream);
  const message = await stream.result();
  return { events, message, requests: () => session.requests() };
}

/** Event types with runs of the same type collapsed. */
function shape(events: AssistantMessageEvent[]): string[] {
  const out: string[] = [];
  for (const event of events) if (out[out.length - 1] !== event.type) out.push(event.type);
  return out;
}

function last(events: AssistantMessageEvent[]): AssistantMessageEvent {
  const event = events[events.length - 1];
  if (!event) throw new Error('no events');
  return event;
}

type Json = Record<string, unknown>;

function bodyOf(request: MockRequest | undefined): Json {
  const body = request?.body;
  if (typeof body !== 'object' || body === null) throw new Error('request has no JSON body');
  return body as Json;
}

function raw(payloads: readonly (string | Json)[], writeSize?: number): MockRawReply {
  const events = payloads.map((p) => `data: ${typeof p === 'string' ? p : JSON.stringify(p)}\r\n\r\n`);
  return writeSize ? { type: 'raw', events, writeSize } : { type: 'raw', events };
}

/** One streamed response with the given parts; `finishReason` on it when given. */
function chunk(parts: Json[], finishReason?: string, extra: Json = {}): Json {
  const candidate: Json = { content: { parts, role: 'model' }, index: 0 };
  if (finishReason) candidate.finishReason = finishReason;
  return { candidates: [candidate], responseId: 'resp-raw', ...extra };
}

function assistant(
  content: AssistantMessage['content'],
  stopReason: AssistantMessage['stopReason'] = 'stop',
  origin: Partial<AssistantMessage> = {},
): AssistantMessage {
  return {
    role: 'assistant',
    content,
    api: 'google-generative-ai',
    provider: 'google',
    model: 'gemini-3.8-flash',
    usage: emptyUsage(),
    stopReason,
    timestamp: 2,
    ...origin,
  };
}

function result(toolCallId: string, toolName: string, text: string, isError = false): ToolResultMessage {
  return { role: 'toolResult', toolCallId, toolName, content: [{ type: 'text', text }], isError, timestamp: 3 };
}

describe('google-generative-ai: streaming', () => {
  test('emits every event type in order, with usage, cost, signatures and response id', async () => {
    const { events, message } = await run([
      {
        id: 'resp-1',
        deltaSize: 4,
        usage: { input: 100, output: 50, cacheRead: 20, reasoning: 10 },
        content: [
          { type: 'thinking', thinking: 'Let me think', signature: 'sig-think' },
          { type: 'text', text: 'Hello world' },
          { type: 'toolCall', name: 'get_weather', arguments: { city: 'Paris' } },
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
    // The call arrives whole: exactly one delta with the JSON.
    const deltas = events.filter((e) => e.type === 'toolcall_delta');
    expect(deltas.map((e) => (e.type === 'toolcall_delta' ? e.delta : ''))).toEqual(['{"city":"Paris"}']);
    const call = message.content[2] as ToolCall;
    expect(call.id).toMatch(/^call_[0-9a-f]{24}$/);
    expect(message.content).toEqual([
      { type: 'thinking', thinking: 'Let me think', providerData: { thoughtSignature: 'sig-think' } },
      { type: 'text', text: 'Hello world' },
      {
        type: 'toolCall',
        id: call.id,
        name: 'get_weather',
        arguments: { city: 'Paris' },
        providerData: { thoughtSignature: fakeThoughtSignature('get_weather{"city":"Paris"}') },
      },
    ]);
    expect(message.stopReason).toBe('toolUse');
    expect(message.responseId).toBe('resp-1');
    expect(message.api).toBe('google-generative-ai');
    expect(message.provider).toBe('google');
    expect(message.usage).toMatchObject({ input: 100, output: 50, cacheRead: 20, cacheWrite: 0, totalTokens: 170 });
    expect(message.usage.cost.input).toBeCloseTo(0.000075, 12);
    expect(message.usage.cost.output).toBeCloseTo(0.0001875, 12);
    expect(message.usage.cost.cacheRead).toBeCloseTo(0.0000015, 12);
    expect(message.usage.cost.total).toBeCloseTo(0.000264, 12);
    const done = last(events);
    expect(done.type === 'done' && done.reason).toBe('toolUse');
  });

  test('usage: cached tokens are taken out of the prompt count, thoughts added to the output', async () => {
    const { message } = await run([
      raw([
        chunk([{ text: 'Hi' }], undefined, {
          usageMetadata: { promptTokenCount: 5000, candidatesTokenCount: 1, totalTokenCount: 5001 },
        }),
        chunk([{ text: '' }], 'STOP', {
          usageMetadata: {
            promptTokenCount: 5000,
            cachedContentTokenCount: 4000,
            candidatesTokenCount: 7,
            thoughtsTokenCount: 93,
            totalTokenCount: 5100,
          },
        }),
      ]),
    ]);
    expect(message.usage).toMatchObject({ input: 1000, output: 100, cacheRead: 4000, totalTokens: 5100 });
    expect(message.usage.cost.total).toBeCloseTo((1000 * 0.75 + 100 * 3.75 + 4000 * 0.075) / 1e6, 12);
  });

  test('text after thinking and a tool call opens new blocks; empty parts without a signature are skipped', async () => {
    const { message } = await run([
      raw([
        chunk([{ text: 'Plan', thought: true }]),
        chunk([{ text: '' }, { text: 'Checking. ' }]),
        chunk([{ functionCall: { name: 'ls', args: { path: '/' } } }, { text: 'Still here.' }]),
        chunk([{ text: '' }], 'STOP'),
      ]),
    ]);
    expect(message.content.map((part) => part.type)).toEqual(['thinking', 'text', 'toolCall', 'text']);
    expect(message.content[3]).toEqual({ type: 'text', text: 'Still here.' });
    expect(message.stopReason).toBe('toolUse');
  });
});

describe('google-generative-ai: finish reasons', () => {
  test('MAX_TOKENS ends as length; an unknown reason ends as stop', async () => {
    const length = await run([{ content: [{ type: 'text', text: 'cut' }], stopReason: 'length' }]);
    expect(length.message.stopReason).toBe('length');
    expect(last(length.events).type === 'done' && (last(length.events) as { reason: string }).reason).toBe('length');
    const unknown = await run([{ content: [{ type: 'text', text: 'new' }], stopReason: 'SOME_FUTURE_REASON' }]);
    expect(unknown.message.stopReason).toBe('stop');
    expect(last(unknown.events).type).toBe('done');
  });

  test.each([
    ['SAFETY', 'safety filters'],
    ['RECITATION', 'reciting'],
    ['BLOCKLIST', 'blocked term'],
    ['PROHIBITED_CONTENT', 'prohibited content'],
    ['SPII', 'personal information'],
    ['MALFORMED_FUNCTION_CALL', 'malformed function call'],
  ])('%s ends in an error that names it, keeping the partial text', async (reason, words) => {
    const { message, events } = await run([{ content: [{ type: 'text', text: 'Some text' }], stopReason: reason }]);
    expect(last(events).type).toBe('error');
    expect(message.stopReason).toBe('error');
    expect(message.errorMessage).toContain(words);
    expect(message.errorMessage).toContain(`finishReason ${reason}`);
    expect(message.content).toEqual([{ type: 'text', text: 'Some text' }]);
  });

  test('a blocked prompt (promptFeedback.blockReason) ends in an error', async () => {
    const { message, events } = await run([
      raw([{ promptFeedback: { blockReason: 'PROHIBITED_CONTENT' }, usageMetadata: { promptTokenCount: 8 } }]),
    ]);
    expect(shape(events)).toEqual(['start', 'error']);
    expect(message.errorMessage).toBe('Gemini blocked the prompt (PROHIBITED_CONTENT)');
  });

  test('usage after the finish reason is still counted', async () => {
    const { message } = await run([
      raw([chunk([{ text: 'x' }], 'STOP'), { usageMetadata: { promptTokenCount: 7, candidatesTokenCount: 1 } }]),
    ]);
    expect(message.stopReason).toBe('stop');
    expect(message.usage).toMatchObject({ input: 7, output: 1 });
  });
});

describe('google-generative-ai: tool calls', () => {
  test('missing and empty ids get generated ids, unique within the message', async () => {
    const { message } = await run([
      raw([
        chunk([
          { functionCall: { name: 'a', args: {} } },
          { functionCall: { name: 'b', args: { n: 1 }, id: '' } },
          { functionCall: { name: 'c', args: { n: 2 }, id: 'fc_given' } },
          { functionCall: { name: 'd' } },
        ]),
        chunk([{ text: '' }], 'STOP'),
      ]),
    ]);
    const calls = message.content as ToolCall[];
    expect(calls.map((c) => c.name)).toEqual(['a', 'b', 'c', 'd']);
    for (const call of [calls[0], calls[1], calls[3]]) expect(call?.id).toMatch(/^call_[0-9a-f]{24}$/);
    expect(new Set(calls.map((c) => c.id)).size).toBe(4);
    expect(calls[2]).toEqual({
      type: 'toolCall',
      id: 'fc_given',
      name: 'c',
      arguments: { n: 2 },
      providerData: { id: 'fc_given' },
    });
    expect(calls[0]?.providerData).toBeUndefined();
    expect(calls[3]?.arguments).toEqual({});
  });
});

describe('google-generative-ai: requests', () => {
  test('URL, headers and body; the key is sent in a header and never in the URL', async () => {
    const session = await mockSession({ turns: [{ content: [{ type: 'text', text: 'ok' }] }] });
    const urls: string[] = [];
    const recordingFetch: FetchFunction = (input, init) => {
      urls.push(input);
      return fetch(input, init);
    };
    const context: Context = {
      systemPrompt: 'You are terse.',
      messages: [{ role: 'user', content: 'What is the weather?', timestamp: 1 }],
      tools: [
        {
          name: 'weather',
          description: 'Looks up the weather',
          parameters: {
            $schema: 'http://json-schema.org/draft-07/schema#',
            type: 'object',
            properties: { city: { type: 'string' } },
            required: ['city'],
            additionalProperties: false,
          },
        },
        { name: 'now', description: 'The time', parameters: { type: 'object', properties: {} } },
      ],
    };
    const stream = streamGoogle(gemini(`${session.baseUrl}/`), context, {
      apiKey: KEY,
      temperature: 0.5,
      maxTokens: 1000,
      reasoning: 'medium',
      toolChoice: { type: 'tool', name: 'weather' },
      fetch: recordingFetch,
    });
    const events = await collect(stream);
    expect(last(events).type).toBe('done');
    expect(urls).toEqual([`${session.baseUrl}/models/gemini-3.8-flash:streamGenerateContent?alt=sse`]);
    const [request] = await session.requests();
    expect(request?.path).toBe('/models/gemini-3.8-flash:streamGenerateContent');
    expect(request?.headers['x-goog-api-key']).toBe(KEY);
    expect(request?.headers['content-type']).toBe('application/json');
    expect(request?.headers.accept).toBe('text/event-stream');
    expect(bodyOf(request)).toEqual({
      contents: [{ role: 'user', parts: [{ text: 'What is the weather?' }] }],
      systemInstruction: { parts: [{ text: 'You are terse.' }] },
      tools: [
        {
          functionDeclarations: [
            {
              name: 'weather',
              description: 'Looks up the weather',
              parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
            },
            // Gemini rejects an object with no properties: a tool without arguments has no parameters.
            { name: 'now', description: 'The time' },
          ],
        },
      ],
      toolConfig: { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['weather'] } },
      generationConfig: {
        maxOutputTokens: 1000,
        temperature: 0.5,
        thinkingConfig: { includeThoughts: true, thinkingLevel: 'medium' },
      },
    });
    for (const url of urls) expect(url).not.toContain(KEY);
    expect(JSON.stringify(events)).not.toContain(KEY);
  });

  test('tool choices map to AUTO, ANY and NONE; no tools means no toolConfig', async () => {
    const turns: MockTurn[] = [0, 1, 2, 3].map(() => ({ content: [{ type: 'text', text: 'ok' }] }));
    const session = await mockSession({ turns });
    const model = gemini(session.baseUrl, { reasoning: false });
    const context: Context = { ...hello, tools: [{ name: 't', description: 'd', parameters: { type: 'object' } }] };
    await streamGoogle(model, context, { apiKey: KEY, toolChoice: 'auto' }).result();
    await streamGoogle(model, context, { apiKey: KEY, toolChoice: 'required' }).result();
    await streamGoogle(model, context, { apiKey: KEY, toolChoice: 'none' }).result();
    await streamGoogle(model, hello, { apiKey: KEY, toolChoice: 'required' }).result();
    const [auto, required, none, noTools] = await session.requests();
    expect(bodyOf(auto).toolConfig).toEqual({ functionCallingConfig: { mode: 'AUTO' } });
    expect(bodyOf(required).toolConfig).toEqual({ functionCallingConfig: { mode: 'ANY' } });
    expect(bodyOf(none).toolConfig).toEqual({ functionCallingConfig: { mode: 'NONE' } });
    expect(bodyOf(noTools)).toEqual({ contents: [{ role: 'user', parts: [{ text: 'Hello' }] }] });
  });

  test('thinking: levels or budgets as model.compat says, thoughts hidden when off', async () => {
    const cases: [Partial<Model>, StreamOptions['reasoning'], unknown][] = [
      [{}, undefined, { includeThoughts: true }],
      [{}, 'high', { includeThoughts: true, thinkingLevel: 'high' }],
      [{}, 'minimal', { includeThoughts: true, thinkingLevel: 'low' }],
      [{}, 'off', { includeThoughts: false, thinkingLevel: 'low' }],
      [
        { id: 'gemini-3.5-flash-lite', compat: { minThinkingLevel: 'minimal' } },
        'off',
        { includeThoughts: false, thinkingLevel: 'minimal' },
      ],
      [{ id: 'gemini-4-carbon' }, 'low', { includeThoughts: true, thinkingLevel: 'low' }],
      [
        { id: 'gemini-2.5-flash', compat: { thinkingControl: 'budget' } },
        'medium',
        { includeThoughts: true, thinkingBudget: 8192 },
      ],
      [
        { id: 'gemini-2.5-flash', compat: { thinkingControl: 'budget' } },
        'off',
        { includeThoughts: false, thinkingBudget: 0 },
      ],
      [
        { id: 'gemini-2.5-pro', compat: { thinkingControl: 'budget', offThinkingBudget: 128 } },
        'off',
        { includeThoughts: false, thinkingBudget: 128 },
      ],
    ];
    const session = await mockSession({ turns: cases.map(() => ({ content: [{ type: 'text', text: 'ok' }] })) });
    for (const [overrides, reasoning] of cases) {
      await streamGoogle(gemini(session.baseUrl, overrides), hello, { apiKey: KEY, reasoning }).result();
    }
    const requests = await session.requests();
    expect(requests.map((r) => (bodyOf(r).generationConfig as Json).thinkingConfig)).toEqual(cases.map((c) => c[2]));
    expect(requests[6]?.path).toBe('/models/gemini-2.5-flash:streamGenerateContent');
  });

  test('a model without reasoning gets no thinkingConfig', async () => {
    const { requests } = await run(
      [{ content: [{ type: 'text', text: 'ok' }] }],
      hello,
      { reasoning: 'high' },
      {
        reasoning: false,
      },
    );
    expect(bodyOf((await requests())[0])).not.toHaveProperty('generationConfig');
  });

  test('user images become inlineData; text-only models get a note instead', async () => {
    const context: Context = {
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is this?' },
            { type: 'text', text: '  ' },
            { type: 'image', data: 'iVBORw0KGgo=', mimeType: 'image/png' },
          ],
          timestamp: 1,
        },
      ],
    };
    const withImages = await run([{ content: [{ type: 'text', text: 'a cat' }] }], context);
    expect(bodyOf((await withImages.requests())[0]).contents).toEqual([
      {
        role: 'user',
        parts: [{ text: 'What is this?' }, { inlineData: { mimeType: 'image/png', data: 'iVBORw0KGgo=' } }],
      },
    ]);
    const textOnly = await run([{ content: [{ type: 'text', text: '?' }] }], context, {}, { input: ['text'] });
    expect(bodyOf((await textOnly.requests())[0]).contents).toEqual([
      {
        role: 'user',
        parts: [{ text: 'What is this?' }, { text: '(image omitted: this model does not accept images)' }],
      },
    ]);
  });
});

describe('google-generative-ai: tool schemas', () => {
  test('a zod schema with enums, optional fields, defaults, unions and nested objects converts exactly', () => {
    const tool = defineTool({
      name: 'search',
      description: 'Search',
      parameters: z.object({
        query: z.string().describe('What to look for'),
        unit: z.enum(['c', 'f']).default('c'),
        days: z.number().int().min(1).max(7).optional(),
        when: z.union([z.string(), z.number()]),
        note: z.string().nullable(),
        mode: z.literal('strict'),
        kind: z.union([z.literal('a'), z.literal('b')]),
        email: z.email(),
        filters: z.object({ tags: z.array(z.string()).min(1), exact: z.boolean() }).optional(),
        shape: z.discriminatedUnion('type', [
          z.object({ type: z.literal('circle'), r: z.number().positive() }),
          z.object({ type: z.literal('square'), side: z.number() }),
        ]),
      }),
      execute: () => ({ content: [] }),
    });
    const email = (tool.parameters.properties as { email: { pattern: string } }).email.pattern;
    expect(toGeminiSchema(tool.parameters)).toEqual({
      type: 'object',
      properties: {
        query: { type: 'string', description: 'What to look for' },
        unit: { type: 'string', enum: ['c', 'f'], default: 'c' },
        days: { type: 'integer', minimum: 1, maximum: 7 },
        when: { anyOf: [{ type: 'string' }, { type: 'number' }] },
        note: { type: 'string', nullable: true },
        mode: { type: 'string', enum: ['strict'] },
        kind: { type: 'string', enum: ['a', 'b'] },
        // `format: email` is not one Gemini knows; the pattern stays.
        email: { type: 'string', pattern: email },
        filters: {
          type: 'object',
          properties: {
            tags: { type: 'array', items: { type: 'string' }, minItems: 1 },
            exact: { type: 'boolean' },
          },
          required: ['tags', 'exact'],
        },
        shape: {
          anyOf: [
            {
              type: 'object',
              properties: { type: { type: 'string', enum: ['circle'] }, r: { type: 'number', minimum: 0 } },
              required: ['type', 'r'],
            },
            {
              type: 'object',
              properties: { type: { type: 'string', enum: ['square'] }, side: { type: 'number' } },
              required: ['type', 'side'],
            },
          ],
        },
      },
      required: ['query', 'when', 'note', 'mode', 'kind', 'email', 'shape'],
    });
  });

  test('references are inlined and recursion is cut; other unsupported keywords are rewritten or dropped', () => {
    const schema = {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      additionalProperties: false,
      properties: {
        tree: { $ref: '#/$defs/node', description: 'The root' },
        size: { type: ['integer', 'null'], format: 'int64', exclusiveMaximum: 10, multipleOf: 2 },
        level: { enum: [1, 2, 3] },
        flag: { enum: ['on', 'off', null] },
        at: { type: 'string', format: 'date-time' },
        id: { type: 'string', format: 'uuid' },
        both: { allOf: [{ $ref: '#/definitions/named' }, { properties: { age: { type: 'number' } } }] },
        maybe: { anyOf: [{ type: 'number' }, { type: 'null' }], default: null },
        pair: { type: 'array', prefixItems: [{ type: 'string' }, { type: 'number' }] },
      },
      $defs: {
        node: {
          type: 'object',
          properties: { name: { type: 'string' }, children: { type: 'array', items: { $ref: '#/$defs/node' } } },
          required: ['name', 'missing'],
        },
      },
      definitions: {
        named: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
      },
    };
    expect(toGeminiSchema(schema)).toEqual({
      type: 'object',
      properties: {
        tree: {
          type: 'object',
          description: 'The root',
          properties: { name: { type: 'string' }, children: { type: 'array', items: { type: 'object' } } },
          required: ['name'],
        },
        size: { type: 'integer', format: 'int64', nullable: true, maximum: 10 },
        level: { type: 'number', description: 'One of: 1, 2, 3' },
        flag: { type: 'string', enum: ['on', 'off'], nullable: true },
        at: { type: 'string', format: 'date-time' },
        id: { type: 'string' },
        both: {
          type: 'object',
          properties: { name: { type: 'string' }, age: { type: 'number' } },
          required: ['name'],
        },
        maybe: { type: 'number', nullable: true, default: null },
        pair: { type: 'array', items: { anyOf: [{ type: 'string' }, { type: 'number' }] } },
      },
    });
    expect(toGeminiSchema({ type: 'object', additionalProperties: false })).toBeUndefined();
  });
});

describe('google-generative-ai: multi-turn', () => {
  test('a thinking signature and a text signature come back on the same parts next turn', async () => {
    const session = await mockSession({
      turns: [
        raw([
          chunk([{ text: 'Two plus two', thought: true }]),
          chunk([{ text: ' is four.', thought: true, thoughtSignature: 'sig-thought' }]),
          chunk([{ text: '4' }]),
          chunk([{ text: '', thoughtSignature: 'sig-text' }], 'STOP'),
        ]),
        { content: [{ type: 'text', text: 'You are welcome' }] },
      ],
    });
    const model = gemini(session.baseUrl);
    const first = await streamGoogle(model, hello, { apiKey: KEY }).result();
    expect(first.content).toEqual([
      { type: 'thinking', thinking: 'Two plus two is four.', providerData: { thoughtSignature: 'sig-thought' } },
      { type: 'text', text: '4', providerData: { thoughtSignature: 'sig-text' } },
    ]);
    const next: Context = { messages: [...hello.messages, first, { role: 'user', content: 'Thanks', timestamp: 3 }] };
    const second = await streamGoogle(model, next, { apiKey: KEY }).result();
    expect(second.content).toEqual([{ type: 'text', text: 'You are welcome' }]);
    expect(bodyOf((await session.requests())[1]).contents).toEqual([
      { role: 'user', parts: [{ text: 'Hello' }] },
      {
        role: 'model',
        parts: [
          { text: 'Two plus two is four.', thought: true, thoughtSignature: 'sig-thought' },
          { text: '4', thoughtSignature: 'sig-text' },
        ],
      },
      { role: 'user', parts: [{ text: 'Thanks' }] },
    ]);
  });

  test('signatures go back only to the same model: another Gemini gets plain text', async () => {
    const session = await mockSession({ turns: [{ content: [{ type: 'text', text: 'ok' }] }] });
    const previous = assistant(
      [
        { type: 'thinking', thinking: 'Hmm.', providerData: { thoughtSignature: 'sig-a' } },
        { type: 'text', text: 'Answer', providerData: { thoughtSignature: 'sig-b' } },
      ],
      'stop',
      { model: 'gemini-3.1-pro-preview' },
    );
    const context: Context = {
      messages: [...hello.messages, previous, { role: 'user', content: 'More', timestamp: 3 }],
    };
    await streamGoogle(gemini(session.baseUrl), context, { apiKey: KEY }).result();
    const contents = bodyOf((await session.requests())[0]).contents as Json[];
    expect(contents[1]).toEqual({ role: 'model', parts: [{ text: 'Hmm.' }, { text: 'Answer' }] });
  });

  test('tool results go back in one user content with matching ids, errors as error, images inline', async () => {
    const session = await mockSession({
      turns: [
        {
          content: [
            { type: 'text', text: 'Checking.' },
            { type: 'toolCall', id: 'fc_1', name: 'weather', arguments: { city: 'Paris' } },
            { type: 'toolCall', name: 'look', arguments: {} },
          ],
        },
        { content: [{ type: 'text', text: 'Sunny and a cat.' }] },
      ],
    });
    const model = gemini(session.baseUrl);
    const context: Context = { messages: [{ role: 'user', content: 'Weather, and what is this?', timestamp: 1 }] };
    const first = await streamGoogle(model, context, { apiKey: KEY }).result();
    expect(first.stopReason).toBe('toolUse');
    const [, weather, look] = first.content as ToolCall[];
    expect(weather?.id).toBe('fc_1');
    expect(look?.id).toMatch(/^call_/);
    context.messages.push(first, result('fc_1', 'weather', 'Sunny'), {
      role: 'toolResult',
      toolCallId: look?.id as string,
      toolName: 'look',
      content: [
        { type: 'text', text: 'No camera' },
        { type: 'image', data: 'R0lGODlh', mimeType: 'image/gif' },
      ],
      isError: true,
      timestamp: 4,
    });
    const second = await streamGoogle(model, context, { apiKey: KEY }).result();
    expect(second.content).toEqual([{ type: 'text', text: 'Sunny and a cat.' }]);
    expect(bodyOf((await session.requests())[1]).contents).toEqual([
      { role: 'user', parts: [{ text: 'Weather, and what is this?' }] },
      {
        role: 'model',
        parts: [
          { text: 'Checking.' },
          {
            functionCall: { name: 'weather', args: { city: 'Paris' }, id: 'fc_1' },
            thoughtSignature: fakeThoughtSignature('weather{"city":"Paris"}'),
          },
          // A generated id stays on this side: Gemini never saw it.
          { functionCall: { name: 'look', args: {} } },
        ],
      },
      {
        role: 'user',
        parts: [
          { functionResponse: { name: 'weather', response: { output: 'Sunny' }, id: 'fc_1' } },
          { functionResponse: { name: 'look', response: { error: 'No camera' } } },
          { inlineData: { mimeType: 'image/gif', data: 'R0lGODlh' } },
        ],
      },
    ]);
  });

  test('results of separate model turns stay in separate user contents', async () => {
    const context: Context = {
      messages: [
        { role: 'user', content: 'Go', timestamp: 1 },
        assistant(
          [
            {
              type: 'toolCall',
              id: 'a',
              name: 'step',
              arguments: { n: 1 },
              providerData: { id: 'a', thoughtSignature: 's1' },
            },
          ],
          'toolUse',
        ),
        result('a', 'step', 'one'),
        assistant(
          [{ type: 'toolCall', id: 'b', name: 'step', arguments: { n: 2 }, providerData: { thoughtSignature: 's2' } }],
          'toolUse',
        ),
        result('b', 'step', 'two'),
      ],
    };
    const { requests } = await run([{ content: [{ type: 'text', text: 'done' }] }], context);
    expect(bodyOf((await requests())[0]).contents).toEqual([
      { role: 'user', parts: [{ text: 'Go' }] },
      { role: 'model', parts: [{ functionCall: { name: 'step', args: { n: 1 }, id: 'a' }, thoughtSignature: 's1' }] },
      { role: 'user', parts: [{ functionResponse: { name: 'step', response: { output: 'one' }, id: 'a' } }] },
      { role: 'model', parts: [{ functionCall: { name: 'step', args: { n: 2 } }, thoughtSignature: 's2' }] },
      { role: 'user', parts: [{ functionResponse: { name: 'step', response: { output: 'two' } } }] },
    ]);
  });
});

describe('google-generative-ai: handoff', () => {
  test('Claude → Gemini → Claude: thinking as text, ids paired, no foreign provider data sent', async () => {
    const session = await mockSession({
      turns: [
        {
          content: [
            { type: 'thinking', thinking: 'I should list files.', signature: 'sig-claude-1' },
            { type: 'toolCall', id: 'toolu_01', name: 'ls', arguments: { path: '.' } },
          ],
        },
        {
          content: [
            { type: 'thinking', thinking: 'Two files.', signature: 'sig-gemini-1' },
            { type: 'toolCall', name: 'read', arguments: { path: 'a.txt' } },
          ],
        },
        { content: [{ type: 'text', text: 'Done.' }] },
      ],
    });
    const tools: Context['tools'] = [
      { name: 'ls', description: 'List', parameters: { type: 'object', properties: { path: { type: 'string' } } } },
      { name: 'read', description: 'Read', parameters: { type: 'object', properties: { path: { type: 'string' } } } },
    ];
    const context: Context = { messages: [{ role: 'user', content: 'What is here?', timestamp: 1 }], tools };
    const options = { apiKey: KEY };

    const first = await streamAnthropic(claude(session.baseUrl), context, options).result();
    expect(first.stopReason).toBe('toolUse');
    context.messages.push(first, result('toolu_01', 'ls', 'a.txt b.txt'));

    const second = await streamGoogle(gemini(session.baseUrl), context, options).result();
    expect(second.stopReason).toBe('toolUse');
    const geminiCall = second.content[1] as ToolCall;
    expect(geminiCall.providerData?.thoughtSignature).toEqual(expect.any(String));
    context.messages.push(second, result(geminiCall.id, 'read', 'hello'));

    const third = await streamAnthropic(claude(session.baseUrl), context, options).result();
    expect(third.content).toEqual([{ type: 'text', text: 'Done.' }]);

    const requests = await session.requests();
    // To Gemini: Claude's thinking is text, its call has no id and the documented stand-in signature.
    const toGemini = bodyOf(requests[1]);
    expect(toGemini.contents).toEqual([
      { role: 'user', parts: [{ text: 'What is here?' }] },
      {
        role: 'model',
        parts: [
          { text: 'I should list files.' },
          { functionCall: { name: 'ls', args: { path: '.' } }, thoughtSignature: 'skip_thought_signature_validator' },
        ],
      },
      { role: 'user', parts: [{ functionResponse: { name: 'ls', response: { output: 'a.txt b.txt' } } }] },
    ]);
    expect(JSON.stringify(toGemini)).not.toContain('sig-claude-1');

    // Back to Claude: its own signature returns, Gemini's thinking is text, Gemini's signature stays home.
    const toClaude = bodyOf(requests[2]);
    const text = JSON.stringify(toClaude);
    expect(text).not.toContain('sig-gemini-1');
    expect(text).not.toContain('thoughtSignature');
    const blocks = (toClaude.messages as { content: Json[] | string }[]).flatMap((m) =>
      Array.isArray(m.content) ? m.content : [],
    );
    expect(blocks).toContainEqual(expect.objectContaining({ type: 'thinking', signature: 'sig-claude-1' }));
    expect(blocks.some((b) => b.type === 'text' && b.text === 'Two files.')).toBe(true);
    const uses = blocks.filter((b) => b.type === 'tool_use').map((b) => b.id);
    const results = blocks.filter((b) => b.type === 'tool_result').map((b) => b.tool_use_id);
    expect(uses).toEqual(['toolu_01', geminiCall.id]);
    expect(results).toEqual(uses);
  });
});

describe('google-generative-ai: recorded streams', () => {
  test('replays a recorded text reply whose signature comes on a last empty part', async () => {
    const { events, message } = await run([raw(googleText)]);
    expect(shape(events)).toEqual(['start', 'text_start', 'text_delta', 'text_end', 'done']);
    const signature = (JSON.parse(googleText[2] as string) as { candidates: { content: { parts: Json[] } }[] })
      .candidates[0]?.content.parts[0]?.thoughtSignature;
    expect(signature).toMatch(/^EqsFCqgF/);
    expect(message.content).toEqual([
      {
        type: 'text',
        text: 'There are **3** "r"s in strawberry.\n\nst**r**awbe**rr**y',
        providerData: { thoughtSignature: signature as string },
      },
    ]);
    expect(message.responseId).toBe('bH6LaZW8Fp_3nsEPqtaSwQ4');
    expect(message.usage).toMatchObject({ input: 9, output: 208, cacheRead: 0, totalTokens: 217 });
    expect(message.stopReason).toBe('stop');
  });

  test('replays a recorded tool call without an id, split into 7-byte writes', async () => {
    const { message } = await run([raw(googleToolCall, 7)]);
    const call = message.content[0] as ToolCall;
    expect(call.id).toMatch(/^call_[0-9a-f]{24}$/);
    expect(message.content).toEqual([
      {
        type: 'toolCall',
        id: call.id,
        name: 'weather',
        arguments: { location: 'San Francisco' },
        providerData: { thoughtSignature: expect.stringMatching(/^EqUCCqIC/) },
      },
    ]);
    expect(message.stopReason).toBe('toolUse');
    expect(message.responseId).toBe('b36LacjwM668nsEP2tbsgQQ');
    expect(message.usage).toMatchObject({ input: 29, output: 60, totalTokens: 89 });
  });
});
