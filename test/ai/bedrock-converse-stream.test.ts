import { describe, expect, test } from 'vitest';
import { streamAnthropic } from '../../src/ai/providers/anthropic-messages.js';
import { type BedrockStreamOptions, streamBedrock } from '../../src/ai/providers/bedrock/bedrock-converse-stream.js';
import { signAwsRequest } from '../../src/ai/providers/bedrock/sigv4.js';
import type {
  AssistantMessage,
  AssistantMessageEvent,
  AssistantMessageStream,
  Context,
  Model,
} from '../../src/ai/types.js';
import { emptyUsage } from '../../src/ai/usage.js';
import type { MockRequest, MockTurn } from '../../testing/script.js';
import { bedrockEncoder, bedrockEvent, bedrockException } from '../../testing/wire/bedrock-converse-stream.js';
import {
  bedrockModelStreamErrorFrame,
  bedrockReasoning,
  bedrockRedactedToolCall,
  bedrockText,
  bedrockToolCall,
} from '../fixtures/bedrock-recorded.js';
import { mockSession } from '../support/mock.js';
import { toBase64, withEnv } from '../support/protocols.js';

const SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY-test-secret';
const SESSION_TOKEN = 'IQoJb3JpZ2luX2VjEXAMPLE-session-token';
const BEARER = 'ABSKQmVkcm9ja0FQSUtleS1leGFtcGxl-bearer-secret';
const MODEL_ID = 'us.anthropic.claude-test-v1:0';
const EVENTSTREAM = 'application/vnd.amazon.eventstream';

const credentials = {
  accessKeyId: 'AKIDTEST',
  secretAccessKey: SECRET,
  sessionToken: SESSION_TOKEN,
  region: 'us-west-2',
};

function bedrockModel(baseUrl: string, overrides: Partial<Model> = {}): Model {
  return {
    id: MODEL_ID,
    name: 'Claude on Bedrock (test)',
    api: 'bedrock-converse-stream',
    provider: 'amazon-bedrock',
    baseUrl,
    reasoning: true,
    input: ['text', 'image'],
    cost: { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 },
    contextWindow: 200_000,
    maxTokens: 8192,
    compat: { supportsCacheControl: true },
    ...overrides,
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
  options: BedrockStreamOptions = {},
  modelOverrides: Partial<Model> = {},
) {
  const session = await mockSession({ turns });
  const stream = streamBedrock(bedrockModel(session.baseUrl, modelOverrides), context, { credentials, ...options });
  const events = await collect(stream);
  const message = await stream.result();
  return { session, events, message, requests: () => session.requests() };
}

/** Event types with runs of the same type collapsed. */
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

function bodyOf(request: MockRequest | undefined): Record<string, unknown> {
  const body = request?.body;
  if (typeof body !== 'object' || body === null) throw new Error('request has no JSON body');
  return body as Record<string, unknown>;
}

function assistant(
  content: AssistantMessage['content'],
  stopReason: AssistantMessage['stopReason'] = 'stop',
  origin: Pick<AssistantMessage, 'api' | 'provider' | 'model'> = {
    api: 'bedrock-converse-stream',
    provider: 'amazon-bedrock',
    model: MODEL_ID,
  },
): AssistantMessage {
  return { role: 'assistant', content, ...origin, usage: emptyUsage(), stopReason, timestamp: 2 };
}

/** A recorded line `{ "<event type>": payload }` replayed as the binary frame Bedrock sent. */
function recorded(lines: readonly string[], writeSize?: number): MockTurn {
  const events = lines.map((line) => {
    const [entry] = Object.entries(JSON.parse(line) as Record<string, Record<string, unknown>>);
    if (!entry) throw new Error(`empty recorded line: ${line}`);
    return { base64: toBase64(bedrockEvent(entry[0], entry[1], false)) };
  });
  return writeSize
    ? { type: 'raw', events, writeSize, contentType: EVENTSTREAM }
    : { type: 'raw', events, contentType: EVENTSTREAM };
}

function frames(...parts: Uint8Array[]): MockTurn {
  return { type: 'raw', events: parts.map((part) => ({ base64: toBase64(part) })), contentType: EVENTSTREAM };
}

async function sha256Hex(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
  return [...digest].map((byte) => byte.toString(16).padStart(2, '0')).join('');
}

function amzDate(value: string | undefined): Date {
  const match = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value ?? '');
  if (!match) throw new Error(`not an x-amz-date: ${value}`);
  return new Date(`${match[1]}-${match[2]}-${match[3]}T${match[4]}:${match[5]}:${match[6]}Z`);
}

const NO_AWS_ENV = {
  AWS_ACCESS_KEY_ID: undefined,
  AWS_SECRET_ACCESS_KEY: undefined,
  AWS_SESSION_TOKEN: undefined,
  AWS_REGION: undefined,
  AWS_DEFAULT_REGION: undefined,
  AWS_BEARER_TOKEN_BEDROCK: undefined,
};

/** A fetch that answers from the encoder without a network, recording what it was asked. */
function offlineFetch(seen: { url: string; headers: Record<string, string> }[]) {
  return async (url: string, init: RequestInit): Promise<Response> => {
    seen.push({ url, headers: { ...(init.headers as Record<string, string>) } });
    const request: MockRequest = { api: 'bedrock-converse-stream', method: 'POST', path: '', headers: {}, body: {} };
    const parts = bedrockEncoder.reply({ content: [{ type: 'text', text: 'offline' }] }, request);
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const part of parts) controller.enqueue(typeof part === 'string' ? new TextEncoder().encode(part) : part);
        controller.close();
      },
    });
    return new Response(body, { status: 200, headers: { 'content-type': EVENTSTREAM } });
  };
}

describe('bedrock-converse-stream: streaming', () => {
  test('emits every event type in order, with usage, cache usage and cost', async () => {
    const { events, message } = await run([
      {
        deltaSize: 4,
        usage: { input: 100, output: 50, cacheRead: 20, cacheWrite: 10 },
        content: [
          { type: 'thinking', thinking: 'Let me think about it', signature: 'sig-abc' },
          { type: 'text', text: 'Hello world' },
          { type: 'toolCall', id: 'tooluse_abc', name: 'get_weather', arguments: { city: 'Paris' } },
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
      id: 'tooluse_abc',
      name: 'get_weather',
      arguments: { city: 'Paris' },
    });
    expect(message.content).toEqual([
      { type: 'thinking', thinking: 'Let me think about it', providerData: { signature: 'sig-abc' } },
      { type: 'text', text: 'Hello world' },
      { type: 'toolCall', id: 'tooluse_abc', name: 'get_weather', arguments: { city: 'Paris' } },
    ]);
    expect(message.stopReason).toBe('toolUse');
    expect(message.api).toBe('bedrock-converse-stream');
    expect(message.provider).toBe('amazon-bedrock');
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

  test('maps stop reasons; blocked replies end in an error that keeps the partial content', async () => {
    const reply = (stopReason: string): MockTurn => ({ content: [{ type: 'text', text: 'partial' }], stopReason });
    const cases: [string, AssistantMessage['stopReason']][] = [
      ['end_turn', 'stop'],
      ['stop_sequence', 'stop'],
      ['max_tokens', 'length'],
      ['model_context_window_exceeded', 'length'],
      ['some_future_reason', 'stop'],
      ['guardrail_intervened', 'error'],
      ['content_filtered', 'error'],
      ['malformed_tool_use', 'error'],
    ];
    const session = await mockSession({ turns: cases.map(([reason]) => reply(reason)) });
    for (const [reason, expected] of cases) {
      const message = await streamBedrock(bedrockModel(session.baseUrl), hello, { credentials }).result();
      expect(message.stopReason, reason).toBe(expected);
      expect(message.content).toEqual([{ type: 'text', text: 'partial' }]);
      if (expected === 'error') expect(message.errorMessage).toContain(`"${reason}"`);
    }
  });

  test('redacted reasoning becomes a redacted thinking block carrying its data', async () => {
    const { events, message } = await run([
      {
        content: [
          { type: 'redactedThinking', data: 'RU5DUllQVEVE' },
          { type: 'text', text: 'Answer' },
        ],
      },
    ]);
    expect(shape(events).slice(0, 3)).toEqual(['start', 'thinking_start', 'thinking_end']);
    expect(message.content).toEqual([
      { type: 'thinking', thinking: '', redacted: true, providerData: { redactedContent: 'RU5DUllQVEVE' } },
      { type: 'text', text: 'Answer' },
    ]);
  });

  test('joins redacted content and signatures that arrive in pieces', async () => {
    const delta = (reasoningContent: Record<string, string>, contentBlockIndex = 0) =>
      bedrockEvent('contentBlockDelta', { contentBlockIndex, delta: { reasoningContent } });
    const { message } = await run([
      frames(
        delta({ redactedContent: btoa('first half|') }),
        delta({ redactedContent: btoa('second half') }),
        bedrockEvent('contentBlockStop', { contentBlockIndex: 0 }),
        delta({ text: 'thought' }, 1),
        delta({ signature: 'sig-part-1/' }, 1),
        delta({ signature: 'sig-part-2' }, 1),
        bedrockEvent('contentBlockStop', { contentBlockIndex: 1 }),
        bedrockEvent('messageStop', { stopReason: 'end_turn' }),
        bedrockEvent('metadata', { usage: { inputTokens: 1, outputTokens: 2, totalTokens: 3 } }),
      ),
    ]);
    expect(message.content).toEqual([
      {
        type: 'thinking',
        thinking: '',
        redacted: true,
        providerData: { redactedContent: btoa('first half|second half') },
      },
      { type: 'thinking', thinking: 'thought', providerData: { signature: 'sig-part-1/sig-part-2' } },
    ]);
  });

  test('a reply that reaches messageStop is complete even when the metadata never comes', async () => {
    const { events, message } = await run([
      frames(
        bedrockEvent('messageStart', { role: 'assistant' }),
        bedrockEvent('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'no usage' } }),
        bedrockEvent('contentBlockStop', { contentBlockIndex: 0 }),
        bedrockEvent('messageStop', { stopReason: 'end_turn' }),
      ),
    ]);
    expect(lastEvent(events).type).toBe('done');
    expect(message.content).toEqual([{ type: 'text', text: 'no usage' }]);
    expect(message.usage.totalTokens).toBe(0);
  });
});

describe('bedrock-converse-stream: tool arguments', () => {
  test('a tool call without arguments gets an empty object', async () => {
    const { message } = await run([
      { content: [{ type: 'toolCall', id: 'tooluse_none', name: 'now', arguments: '' }] },
    ]);
    expect(message.content).toEqual([{ type: 'toolCall', id: 'tooluse_none', name: 'now', arguments: {} }]);
  });
});

describe('bedrock-converse-stream: requests', () => {
  const weather = {
    name: 'weather',
    description: 'Looks up the weather',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  };

  test('posts the documented body to /model/{id}/converse-stream with cache points', async () => {
    const session = await mockSession({ turns: [{ content: [{ type: 'text', text: 'ok' }] }] });
    const context: Context = {
      systemPrompt: 'You are terse.',
      messages: [{ role: 'user', content: 'What is the weather?', timestamp: 1 }],
      tools: [weather],
    };
    const stream = streamBedrock(bedrockModel(`${session.baseUrl}/`), context, {
      credentials,
      temperature: 0.5,
      toolChoice: { type: 'tool', name: 'weather' },
    });
    expect(lastEvent(await collect(stream)).type).toBe('done');
    const [request] = await session.requests();
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe('/model/us.anthropic.claude-test-v1%3A0/converse-stream');
    expect(request?.headers['content-type']).toBe('application/json');
    expect(bodyOf(request)).toEqual({
      messages: [{ role: 'user', content: [{ text: 'What is the weather?' }, { cachePoint: { type: 'default' } }] }],
      system: [{ text: 'You are terse.' }, { cachePoint: { type: 'default' } }],
      inferenceConfig: { maxTokens: 8192, temperature: 0.5 },
      toolConfig: {
        tools: [
          {
            toolSpec: {
              name: 'weather',
              description: 'Looks up the weather',
              inputSchema: {
                json: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
              },
            },
          },
        ],
        toolChoice: { tool: { name: 'weather' } },
      },
    });
  });

  test('signs with SigV4: the mock sees the credential scope, date, body hash and token, and the signature checks out', async () => {
    const session = await mockSession({ turns: [{ content: [{ type: 'text', text: 'signed' }] }] });
    const message = await streamBedrock(bedrockModel(session.baseUrl), hello, {
      credentials,
      extraBody: { performanceConfig: { latency: 'optimized' } },
    }).result();
    expect(message.content).toEqual([{ type: 'text', text: 'signed' }]);
    const [request] = await session.requests();
    const headers = request?.headers ?? {};
    expect(headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDTEST\/\d{8}\/us-west-2\/bedrock\/aws4_request, SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token, Signature=[0-9a-f]{64}$/,
    );
    expect(headers['x-amz-date']).toMatch(/^\d{8}T\d{6}Z$/);
    expect(headers.authorization).toContain(`/${headers['x-amz-date']?.slice(0, 8)}/`);
    expect(headers['x-amz-security-token']).toBe(SESSION_TOKEN);
    // The signature covers the body as sent, extraBody included.
    const body = JSON.stringify(request?.body);
    expect(bodyOf(request).performanceConfig).toEqual({ latency: 'optimized' });
    expect(headers['x-amz-content-sha256']).toBe(await sha256Hex(body));
    const expected = await signAwsRequest({
      method: 'POST',
      url: `${session.baseUrl}${request?.path}`,
      headers: { 'content-type': 'application/json' },
      body,
      credentials,
      region: 'us-west-2',
      service: 'bedrock',
      date: amzDate(headers['x-amz-date']),
      contentSha256: true,
    });
    expect(headers.authorization).toBe(expected.authorization);
    expect(JSON.stringify(request)).not.toContain(SECRET);
  });

  test('a bearer token (options.apiKey) is sent as Authorization: Bearer, unsigned', async () => {
    const session = await mockSession({ turns: [{ content: [{ type: 'text', text: 'bearer' }] }] });
    const message = await streamBedrock(bedrockModel(session.baseUrl), hello, { apiKey: BEARER, credentials }).result();
    expect(message.content).toEqual([{ type: 'text', text: 'bearer' }]);
    const [request] = await session.requests();
    expect(request?.headers.authorization).toBe(`Bearer ${BEARER}`);
    expect(request?.headers['x-amz-date']).toBeUndefined();
    expect(request?.headers['x-amz-security-token']).toBeUndefined();
  });

  test('reads AWS_BEARER_TOKEN_BEDROCK from the environment', async () => {
    const session = await mockSession({ turns: [{ content: [{ type: 'text', text: 'env bearer' }] }] });
    const stream = withEnv({ ...NO_AWS_ENV, AWS_BEARER_TOKEN_BEDROCK: BEARER }, () =>
      streamBedrock(bedrockModel(session.baseUrl), hello),
    );
    const events = await collect(stream);
    expect(lastEvent(events).type).toBe('done');
    const [request] = await session.requests();
    expect(request?.headers.authorization).toBe(`Bearer ${BEARER}`);
    for (const event of events) expect(JSON.stringify(event)).not.toContain(BEARER);
  });

  test('reads AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN and AWS_REGION from the environment', async () => {
    const session = await mockSession({ turns: [{ content: [{ type: 'text', text: 'env keys' }] }] });
    const stream = withEnv(
      {
        ...NO_AWS_ENV,
        AWS_ACCESS_KEY_ID: 'AKIDENV',
        AWS_SECRET_ACCESS_KEY: SECRET,
        AWS_SESSION_TOKEN: 'env-session-token',
        AWS_REGION: 'eu-central-1',
      },
      () => streamBedrock(bedrockModel(session.baseUrl), hello),
    );
    const events = await collect(stream);
    expect(lastEvent(events).type).toBe('done');
    const [request] = await session.requests();
    expect(request?.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDENV\/\d{8}\/eu-central-1\/bedrock\/aws4_request, /,
    );
    expect(request?.headers['x-amz-security-token']).toBe('env-session-token');
    for (const event of events) expect(JSON.stringify(event)).not.toContain(SECRET);
  });

  test('an AWS runtime host follows the configured region; a custom base URL is used as is', async () => {
    const seen: { url: string; headers: Record<string, string> }[] = [];
    const fetch = offlineFetch(seen);
    const aws = bedrockModel('https://bedrock-runtime.us-east-1.amazonaws.com');
    const fips = bedrockModel('https://bedrock-runtime-fips.us-east-1.amazonaws.com/');
    const proxy = bedrockModel('https://llm-proxy.example.com/bedrock');
    for (const [model, options] of [
      [aws, { credentials, fetch }],
      [fips, { credentials, region: 'us-east-2', fetch }],
      [aws, { credentials: { ...credentials, region: undefined }, fetch }],
      [proxy, { credentials, fetch }],
    ] as const) {
      const message = await withEnv(NO_AWS_ENV, () => streamBedrock(model, hello, options)).result();
      expect(message.content, message.errorMessage).toEqual([{ type: 'text', text: 'offline' }]);
    }
    const path = '/model/us.anthropic.claude-test-v1%3A0/converse-stream';
    expect(seen.map((s) => s.url)).toEqual([
      `https://bedrock-runtime.us-west-2.amazonaws.com${path}`,
      `https://bedrock-runtime-fips.us-east-2.amazonaws.com${path}`,
      `https://bedrock-runtime.us-east-1.amazonaws.com${path}`,
      `https://llm-proxy.example.com/bedrock${path}`,
    ]);
    expect(seen.map((s) => /Credential=AKIDTEST\/\d{8}\/([^/]+)\//.exec(s.headers.authorization ?? '')?.[1])).toEqual([
      'us-west-2',
      'us-east-2',
      'us-east-1',
      'us-west-2',
    ]);
  });

  test('leaves cache points off unless the model says it supports them', async () => {
    const session = await mockSession({ turns: [{ content: [{ type: 'text', text: 'a' }] }] });
    const context: Context = { systemPrompt: 'sys', messages: hello.messages };
    await streamBedrock(bedrockModel(session.baseUrl, { compat: {} }), context, { credentials }).result();
    const [request] = await session.requests();
    expect(bodyOf(request).system).toEqual([{ text: 'sys' }]);
    expect(bodyOf(request).messages).toEqual([{ role: 'user', content: [{ text: 'Hello' }] }]);
  });

  test('maps tool choices; "none" leaves the tools out unless the history needs them', async () => {
    const session = await mockSession({
      turns: ['a', 'b', 'c', 'd'].map((text) => ({ content: [{ type: 'text' as const, text }] })),
    });
    const model = bedrockModel(session.baseUrl);
    const context: Context = { messages: hello.messages, tools: [weather] };
    await streamBedrock(model, context, { credentials, toolChoice: 'required' }).result();
    await streamBedrock(model, context, { credentials, toolChoice: 'auto' }).result();
    await streamBedrock(model, context, { credentials, toolChoice: 'none' }).result();
    const withHistory: Context = {
      tools: [weather],
      messages: [
        ...hello.messages,
        assistant([{ type: 'toolCall', id: 'tooluse_1', name: 'weather', arguments: { city: 'Oslo' } }], 'toolUse'),
        {
          role: 'toolResult',
          toolCallId: 'tooluse_1',
          toolName: 'weather',
          content: [{ type: 'text', text: 'Cold' }],
          isError: false,
          timestamp: 3,
        },
      ],
    };
    await streamBedrock(model, withHistory, { credentials, toolChoice: 'none' }).result();
    const [required, auto, none, noneWithHistory] = await session.requests();
    expect((bodyOf(required).toolConfig as { toolChoice: unknown }).toolChoice).toEqual({ any: {} });
    expect((bodyOf(auto).toolConfig as { toolChoice: unknown }).toolChoice).toEqual({ auto: {} });
    expect(bodyOf(none).toolConfig).toBeUndefined();
    expect(bodyOf(noneWithHistory).toolConfig).toEqual({
      tools: [expect.objectContaining({ toolSpec: expect.objectContaining({ name: 'weather' }) })],
    });
  });

  test('reasoning: a thinking budget by default, adaptive effort or nothing as the model says', async () => {
    const session = await mockSession({
      turns: ['a', 'b', 'c', 'd', 'e', 'f'].map((text) => ({ content: [{ type: 'text' as const, text }] })),
    });
    const model = bedrockModel(session.baseUrl);
    await streamBedrock(model, hello, { credentials, reasoning: 'low', temperature: 0.3 }).result();
    await streamBedrock(model, hello, { credentials, reasoning: 'high', maxTokens: 4000 }).result();
    await streamBedrock(bedrockModel(session.baseUrl, { maxTokens: 64_000 }), hello, {
      credentials,
      reasoning: 'high',
      maxTokens: 4000,
    }).result();
    await streamBedrock(bedrockModel(session.baseUrl, { compat: { thinkingFormat: 'reasoning_effort' } }), hello, {
      credentials,
      reasoning: 'minimal',
    }).result();
    await streamBedrock(bedrockModel(session.baseUrl, { compat: { thinkingFormat: 'none' } }), hello, {
      credentials,
      reasoning: 'high',
    }).result();
    await streamBedrock(
      model,
      { ...hello, tools: [weather] },
      { credentials, reasoning: 'high', toolChoice: 'required' },
    ).result();
    const [low, clamped, raised, adaptive, none, forced] = await session.requests();
    expect(bodyOf(low).additionalModelRequestFields).toEqual({ thinking: { type: 'enabled', budget_tokens: 2048 } });
    expect(bodyOf(low).inferenceConfig).toEqual({ maxTokens: 8192 });
    // 16384 + 1024 does not fit the model's 8192: the budget shrinks to leave room for the answer.
    expect(bodyOf(clamped).additionalModelRequestFields).toEqual({
      thinking: { type: 'enabled', budget_tokens: 7168 },
    });
    expect(bodyOf(clamped).inferenceConfig).toEqual({ maxTokens: 8192 });
    expect(bodyOf(raised).additionalModelRequestFields).toEqual({
      thinking: { type: 'enabled', budget_tokens: 16384 },
    });
    expect(bodyOf(raised).inferenceConfig).toEqual({ maxTokens: 16384 + 1024 });
    expect(bodyOf(adaptive).additionalModelRequestFields).toEqual({
      thinking: { type: 'adaptive' },
      output_config: { effort: 'low' },
    });
    expect(bodyOf(none).additionalModelRequestFields).toBeUndefined();
    expect(bodyOf(forced).additionalModelRequestFields).toBeUndefined();
  });

  test('images: Bedrock formats for image models, a note for text-only models and unknown types', async () => {
    const session = await mockSession({
      turns: [{ content: [{ type: 'text', text: 'a' }] }, { content: [{ type: 'text', text: 'b' }] }],
    });
    const context: Context = {
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What are these?' },
            { type: 'image', data: 'iVBORw0KGgo=', mimeType: 'image/png' },
            { type: 'image', data: '/9j/4AAQ', mimeType: 'image/jpeg' },
            { type: 'image', data: 'Qk0=', mimeType: 'image/bmp' },
            { type: 'text', text: '   ' },
          ],
          timestamp: 1,
        },
      ],
    };
    await streamBedrock(bedrockModel(session.baseUrl, { compat: {} }), context, { credentials }).result();
    await streamBedrock(bedrockModel(session.baseUrl, { input: ['text'], compat: {} }), context, {
      credentials,
    }).result();
    const [images, textOnly] = await session.requests();
    expect(bodyOf(images).messages).toEqual([
      {
        role: 'user',
        content: [
          { text: 'What are these?' },
          { image: { format: 'png', source: { bytes: 'iVBORw0KGgo=' } } },
          { image: { format: 'jpeg', source: { bytes: '/9j/4AAQ' } } },
          { text: '(image omitted: image/bmp is not supported)' },
        ],
      },
    ]);
    const omitted = { text: '(image omitted: this model does not accept images)' };
    expect(bodyOf(textOnly).messages).toEqual([
      { role: 'user', content: [{ text: 'What are these?' }, omitted, omitted, omitted] },
    ]);
  });
});

describe('bedrock-converse-stream: multi-turn', () => {
  test('sends reasoning back with its signature, and redacted reasoning as is', async () => {
    const session = await mockSession({
      turns: [
        {
          content: [
            { type: 'redactedThinking', data: 'RU5DUllQVEVE' },
            { type: 'thinking', thinking: 'Two plus two is four.', signature: 'sig-round-trip' },
            { type: 'text', text: '4' },
          ],
        },
        { content: [{ type: 'text', text: 'You are welcome' }] },
      ],
    });
    const model = bedrockModel(session.baseUrl, { compat: {} });
    const first = await streamBedrock(model, hello, { credentials, reasoning: 'low' }).result();
    expect(first.content).toEqual([
      { type: 'thinking', thinking: '', redacted: true, providerData: { redactedContent: 'RU5DUllQVEVE' } },
      { type: 'thinking', thinking: 'Two plus two is four.', providerData: { signature: 'sig-round-trip' } },
      { type: 'text', text: '4' },
    ]);
    const next: Context = { messages: [...hello.messages, first, { role: 'user', content: 'Thanks', timestamp: 3 }] };
    const second = await streamBedrock(model, next, { credentials, reasoning: 'low' }).result();
    expect(second.stopReason).toBe('stop');
    const requests = await session.requests();
    expect(bodyOf(requests[1]).messages).toEqual([
      { role: 'user', content: [{ text: 'Hello' }] },
      {
        role: 'assistant',
        content: [
          { reasoningContent: { redactedContent: 'RU5DUllQVEVE' } },
          { reasoningContent: { reasoningText: { text: 'Two plus two is four.', signature: 'sig-round-trip' } } },
          { text: '4' },
        ],
      },
      { role: 'user', content: [{ text: 'Thanks' }] },
    ]);
  });

  test('tool results go back in one user message with matching ids and statuses; roles alternate', async () => {
    const session = await mockSession({
      turns: [
        {
          content: [
            { type: 'text', text: 'Checking both.' },
            { type: 'toolCall', id: 'tooluse_a', name: 'weather', arguments: { city: 'Paris' } },
            { type: 'toolCall', id: 'tooluse_b', name: 'look', arguments: {} },
          ],
        },
        { content: [{ type: 'text', text: 'Sunny, and a cat.' }] },
      ],
    });
    const model = bedrockModel(session.baseUrl, { compat: {} });
    const context: Context = {
      messages: [{ role: 'user', content: 'Weather, and what is this?', timestamp: 1 }],
      tools: [
        { name: 'weather', description: 'Weather', parameters: { type: 'object' } },
        { name: 'look', description: 'Look', parameters: { type: 'object' } },
      ],
    };
    const first = await streamBedrock(model, context, { credentials }).result();
    expect(first.stopReason).toBe('toolUse');
    context.messages.push(
      first,
      {
        role: 'toolResult',
        toolCallId: 'tooluse_a',
        toolName: 'weather',
        content: [{ type: 'text', text: 'Sunny' }],
        isError: false,
        timestamp: 3,
      },
      {
        role: 'toolResult',
        toolCallId: 'tooluse_b',
        toolName: 'look',
        content: [{ type: 'image', data: 'R0lGODlh', mimeType: 'image/gif' }],
        isError: true,
        timestamp: 4,
      },
      { role: 'user', content: 'Also: be brief.', timestamp: 5 },
    );
    const second = await streamBedrock(model, context, { credentials }).result();
    expect(second.content).toEqual([{ type: 'text', text: 'Sunny, and a cat.' }]);
    const requests = await session.requests();
    expect(bodyOf(requests[1]).messages).toEqual([
      { role: 'user', content: [{ text: 'Weather, and what is this?' }] },
      {
        role: 'assistant',
        content: [
          { text: 'Checking both.' },
          { toolUse: { toolUseId: 'tooluse_a', name: 'weather', input: { city: 'Paris' } } },
          { toolUse: { toolUseId: 'tooluse_b', name: 'look', input: {} } },
        ],
      },
      {
        role: 'user',
        content: [
          { toolResult: { toolUseId: 'tooluse_a', content: [{ text: 'Sunny' }], status: 'success' } },
          {
            toolResult: {
              toolUseId: 'tooluse_b',
              content: [{ image: { format: 'gif', source: { bytes: 'R0lGODlh' } } }],
              status: 'error',
            },
          },
          { text: 'Also: be brief.' },
        ],
      },
    ]);
  });

  test('an empty tool result still carries a content block, and a missing result is synthesised', async () => {
    const session = await mockSession({ turns: [{ content: [{ type: 'text', text: 'ok' }] }] });
    const context: Context = {
      messages: [
        ...hello.messages,
        assistant(
          [
            { type: 'toolCall', id: 'tooluse_empty', name: 'noop', arguments: {} },
            { type: 'toolCall', id: 'tooluse_lost', name: 'noop', arguments: {} },
          ],
          'toolUse',
        ),
        {
          role: 'toolResult',
          toolCallId: 'tooluse_empty',
          toolName: 'noop',
          content: [],
          isError: false,
          timestamp: 3,
        },
      ],
    };
    await streamBedrock(bedrockModel(session.baseUrl, { compat: {} }), context, { credentials }).result();
    const [request] = await session.requests();
    expect((bodyOf(request).messages as unknown[])[2]).toEqual({
      role: 'user',
      content: [
        { toolResult: { toolUseId: 'tooluse_empty', content: [{ text: '(no output)' }], status: 'success' } },
        {
          toolResult: {
            toolUseId: 'tooluse_lost',
            content: [{ text: 'No result was recorded for this tool call.' }],
            status: 'error',
          },
        },
      ],
    });
  });
});

describe('bedrock-converse-stream: handoff', () => {
  test('Claude (Anthropic API) → Bedrock → Claude: ids paired, foreign thinking as text, no foreign provider data', async () => {
    const longId = `toolu_${'x'.repeat(70)}`; // too long for Bedrock's 64 characters
    const session = await mockSession({
      turns: [
        {
          content: [
            { type: 'thinking', thinking: 'I should list files.', signature: 'sig-anthropic-1' },
            { type: 'toolCall', id: longId, name: 'ls', arguments: { path: '.' } },
          ],
        },
        {
          content: [
            { type: 'thinking', thinking: 'Two files.', signature: 'sig-bedrock-1' },
            { type: 'toolCall', id: 'tooluse_read', name: 'read', arguments: { path: 'a.txt' } },
          ],
        },
        { content: [{ type: 'text', text: 'Done.' }] },
      ],
    });
    const anthropicModel: Model = {
      ...bedrockModel(session.baseUrl),
      id: 'claude-direct',
      api: 'anthropic-messages',
      provider: 'anthropic',
      compat: {},
    };
    const model = bedrockModel(session.baseUrl, { compat: {} });
    const context: Context = {
      messages: [{ role: 'user', content: 'What is here?', timestamp: 1 }],
      tools: [
        { name: 'ls', description: 'List', parameters: { type: 'object' } },
        { name: 'read', description: 'Read', parameters: { type: 'object' } },
      ],
    };

    const first = await streamAnthropic(anthropicModel, context, { apiKey: 'sk-ant-test', reasoning: 'low' }).result();
    expect(first.stopReason).toBe('toolUse');
    context.messages.push(first, {
      role: 'toolResult',
      toolCallId: longId,
      toolName: 'ls',
      content: [{ type: 'text', text: 'a.txt b.txt' }],
      isError: false,
      timestamp: 3,
    });
    const second = await streamBedrock(model, context, { credentials, reasoning: 'low' }).result();
    expect(second.stopReason).toBe('toolUse');
    context.messages.push(second, {
      role: 'toolResult',
      toolCallId: 'tooluse_read',
      toolName: 'read',
      content: [{ type: 'text', text: 'hello' }],
      isError: false,
      timestamp: 5,
    });
    const third = await streamAnthropic(anthropicModel, context, { apiKey: 'sk-ant-test', reasoning: 'low' }).result();
    expect(third.content).toEqual([{ type: 'text', text: 'Done.' }]);

    const [, toBedrock, toAnthropic] = await session.requests();
    const bedrockMessages = bodyOf(toBedrock).messages as {
      role: string;
      content: Record<string, { toolUseId?: string }>[];
    }[];
    const useId = bedrockMessages[1]?.content[1]?.toolUse?.toolUseId ?? '';
    expect(useId.length).toBeLessThanOrEqual(64);
    expect(useId).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(bedrockMessages).toEqual([
      { role: 'user', content: [{ text: 'What is here?' }] },
      {
        role: 'assistant',
        content: [
          { text: 'I should list files.' },
          { toolUse: { toolUseId: useId, name: 'ls', input: { path: '.' } } },
        ],
      },
      {
        role: 'user',
        content: [{ toolResult: { toolUseId: useId, content: [{ text: 'a.txt b.txt' }], status: 'success' } }],
      },
    ]);
    expect(JSON.stringify(toBedrock?.body)).not.toContain('sig-anthropic-1');

    const anthropicMessages = bodyOf(toAnthropic).messages as { role: string; content: unknown }[];
    expect(anthropicMessages[3]).toEqual({
      role: 'assistant',
      content: [
        { type: 'text', text: 'Two files.' },
        { type: 'tool_use', id: 'tooluse_read', name: 'read', input: { path: 'a.txt' } },
      ],
    });
    expect(JSON.stringify(toAnthropic?.body)).not.toContain('sig-bedrock-1');
    expect(JSON.stringify(toAnthropic?.body)).toContain('sig-anthropic-1');
  });
});

describe('bedrock-converse-stream: faults', () => {
  test('the bearer token is redacted from an error that quotes it', async () => {
    const { message } = await run([{ type: 'http', status: 403, body: { message: `Bad token ${BEARER}` } }], hello, {
      apiKey: BEARER,
    });
    expect(message.errorMessage).toContain('HTTP 403');
    expect(message.errorMessage).not.toContain(BEARER);
  });

  test('a recorded modelStreamErrorException frame is retried', async () => {
    const { message, requests } = await run([
      { type: 'raw', events: [{ base64: bedrockModelStreamErrorFrame }], contentType: EVENTSTREAM },
      { content: [{ type: 'text', text: 'recovered' }] },
    ]);
    expect(message.content).toEqual([{ type: 'text', text: 'recovered' }]);
    expect(await requests()).toHaveLength(2);
  });

  test('a validationException frame is not retried', async () => {
    const { message, requests } = await run([
      frames(bedrockException('validationException', 'The model returned the following errors: bad input')),
      { content: [{ type: 'text', text: 'never' }] },
    ]);
    expect(message.stopReason).toBe('error');
    expect(message.errorMessage).toBe('validationException: The model returned the following errors: bad input');
    expect(await requests()).toHaveLength(1);
  });

  test('an event with broken JSON ends in an error', async () => {
    const broken = new TextEncoder().encode('{"contentBlockIndex":0,"delta":{"text":"x"');
    const { eventStreamMessage } = await import('../../testing/wire/bedrock-converse-stream.js');
    const { message } = await run([
      frames(
        eventStreamMessage(
          { ':event-type': 'contentBlockDelta', ':content-type': 'application/json', ':message-type': 'event' },
          broken,
        ),
      ),
    ]);
    expect(message.errorMessage).toContain('malformed JSON');
  });
});

describe('bedrock-converse-stream: recorded streams', () => {
  test('replays a recorded text reply', async () => {
    const { events, message } = await run([recorded(bedrockText)]);
    expect(shape(events)).toEqual(['start', 'text_start', 'text_delta', 'text_end', 'done']);
    expect(message.content).toEqual([
      {
        type: 'text',
        text: 'Let me count the "r"s in "strawberry":\n\ns-t-**r**-a-w-b-e-**r**-**r**-y\n\nThere are **3** r\'s in "strawberry."',
      },
    ]);
    expect(message.usage.input).toBe(22);
    expect(message.usage.output).toBe(55);
    expect(message.stopReason).toBe('stop');
  });

  test('replays recorded reasoning with its signature, split into 5-byte writes', async () => {
    const { message } = await run([recorded(bedrockReasoning, 5)]);
    const signature = (
      JSON.parse(bedrockReasoning[12] as string) as {
        contentBlockDelta: { delta: { reasoningContent: { signature: string } } };
      }
    ).contentBlockDelta.delta.reasoningContent.signature;
    expect(signature).toMatch(/^Ep0CCkgI/);
    expect(message.content).toEqual([
      {
        type: 'thinking',
        thinking:
          'Let me count the r\'s in "strawberry":\n\ns-t-r-a-w-b-e-r-r-y\n\nr appears at positions 3, 8, and 9.\n\nSo there are 3 r\'s.',
        providerData: { signature },
      },
      {
        type: 'text',
        text: 'There are **3** r\'s in "strawberry":\n\n1. st**r**awbe**r****r**y',
      },
    ]);
    expect(message.usage.input).toBe(51);
    expect(message.usage.output).toBe(94);
  });

  test('replays recorded redacted reasoning followed by a tool call', async () => {
    const { message } = await run([recorded(bedrockRedactedToolCall)]);
    const [thinking, call] = message.content;
    expect(thinking).toMatchObject({ type: 'thinking', thinking: '', redacted: true });
    expect(String(thinking?.providerData?.redactedContent)).toMatch(/^cnNuX3BVUGgxNnRv/);
    expect(call).toEqual({
      type: 'toolCall',
      id: 'call_61f8fcbe423a58699163c53e076f1a06',
      name: 'propose',
      arguments: {
        groups: [
          { name: 'Sales', parentGroupName: '' },
          { name: 'Team1', parentGroupName: 'Sales' },
        ],
      },
    });
    expect(message.stopReason).toBe('toolUse');
    expect(message.usage.input).toBe(67);
    expect(message.usage.output).toBe(70);
  });

  test('replays a recorded tool call whose metadata precedes messageStop', async () => {
    const { message } = await run([recorded(bedrockToolCall)]);
    expect(message.content).toEqual([
      { type: 'toolCall', id: 'tool-use-id', name: 'test-tool', arguments: { value: 'Sparkle Day' } },
    ]);
    expect(message.stopReason).toBe('toolUse');
    expect(message.usage.input).toBe(125);
    expect(message.usage.output).toBe(45);
  });
});
