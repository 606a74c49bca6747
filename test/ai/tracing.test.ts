/**
 * Tracing of `stream()` over every protocol: one `chat {model}` span per
 * call, with OpenTelemetry's GenAI attribute names (checked against
 * `@opentelemetry/semantic-conventions` in test/node/otel.test.ts), an
 * errored span for a failed reply, content only when asked, and no key in
 * any span. The tracer is a plain object recording in memory.
 */
import { describe, expect, test } from 'vitest';
import { registerBuiltinApis } from '../../src/ai/providers/register-all.js';
import { stream } from '../../src/ai/stream.js';
import { outputMode } from '../../src/ai/structured-output.js';
import type { AssistantMessage, Context, Model, StreamOptions } from '../../src/ai/types.js';
import type { MockTurn } from '../../testing/script.js';
import { mockSession } from '../support/mock.js';
import { completionsVariants, type Protocol, protocols } from '../support/protocols.js';
import { dump, type RecordedSpan, recordingTracer } from '../support/recording-tracer.js';

const ask: Context = {
  systemPrompt: 'Be brief.',
  messages: [{ role: 'user', content: 'Weather in Paris?', timestamp: 1 }],
};

/** `gen_ai.provider.name` for each protocol's test model (its `provider`). */
const PROVIDER_NAMES: Record<string, string> = {
  'anthropic-messages': 'anthropic',
  'openai-completions': 'openai',
  'openai-responses': 'openai',
  'google-generative-ai': 'gcp.gemini',
  'bedrock-converse-stream': 'aws.bedrock',
};

const CONTENT = ['gen_ai.system_instructions', 'gen_ai.input.messages', 'gen_ai.output.messages'];

async function traced(p: Protocol, turns: MockTurn[], options: Partial<StreamOptions> = {}, model?: Model) {
  const session = await mockSession({ turns });
  const { tracer, spans } = recordingTracer();
  const used = model ?? p.model(session.baseUrl);
  const s = stream(used, ask, { ...p.auth, ...options, tracing: { ...options.tracing, tracer } });
  let deltas = 0;
  for await (const event of s) if (event.type === 'text_delta') deltas++;
  const message = await s.result();
  return { spans, message, deltas, baseUrl: session.baseUrl, model: used };
}

function only(spans: RecordedSpan[]): RecordedSpan {
  expect(spans).toHaveLength(1);
  return spans[0] as RecordedSpan;
}

describe.each(protocols)('$name: tracing', (p) => {
  test('one chat span per stream: the request, then the reply, its usage, cost and time to the first delta', async () => {
    const { spans, message, deltas, baseUrl, model } = await traced(
      p,
      [
        {
          id: 'resp_traced',
          content: [{ type: 'text', text: 'Sunny, 21 degrees.' }],
          usage: { input: 120, output: 9, cacheRead: 30, cacheWrite: 12 },
          deltaSize: 4,
        },
      ],
      { maxTokens: 300, temperature: 0.2 },
    );
    expect(message.stopReason).toBe('stop');
    expect(deltas).toBeGreaterThan(1);
    const span = only(spans);
    expect(span.name).toBe(`chat ${model.id}`);
    expect(span.ended).toBe(true);
    expect(span.error).toBeUndefined();
    expect(span.parent).toBeUndefined();
    const url = new URL(baseUrl);
    const usage = message.usage;
    expect(span.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': PROVIDER_NAMES[p.name],
      'gen_ai.request.model': model.id,
      'gen_ai.request.max_tokens': 300,
      'gen_ai.request.temperature': 0.2,
      'server.address': url.hostname,
      'server.port': Number(url.port),
      'gen_ai.response.model': model.id,
      'gen_ai.response.finish_reasons': ['stop'],
      // Cached input counts in input_tokens, as the conventions define it; qcore's `input` leaves it out.
      'gen_ai.usage.input_tokens': usage.input + usage.cacheRead + usage.cacheWrite,
      'gen_ai.usage.output_tokens': 9,
      'gen_ai.usage.cache_read.input_tokens': usage.cacheRead,
      'gen_ai.usage.cache_creation.input_tokens': usage.cacheWrite,
      'qcore.cost.usd': usage.cost.total,
      'qcore.requests': 1,
    });
    expect(usage.input + usage.cacheRead + usage.cacheWrite).toBeGreaterThanOrEqual(150);
    expect(usage.cost.total).toBeGreaterThan(0);
    expect(span.attributes['gen_ai.response.id']).toBe(message.responseId);
    const ttft = span.attributes['qcore.ttft_ms'];
    expect(typeof ttft).toBe('number');
    expect(ttft).toBeGreaterThanOrEqual(0);
    expect(span.attributes['gen_ai.system']).toBeUndefined();
    expect(span.attributes['gen_ai.output.type']).toBeUndefined();
    for (const key of CONTENT) expect(span.attributes[key], key).toBeUndefined();
    // Nothing without a value is handed to the tracer.
    expect(Object.values(span.attributes)).not.toContain(undefined);
  });

  test('a reply that calls a tool finishes with tool_call', async () => {
    const { spans, message } = await traced(p, [
      {
        content: [{ type: 'toolCall', id: 'call_1', name: 'weather', arguments: { city: 'Paris' } }],
        stopReason: 'toolUse',
      },
    ]);
    expect(message.stopReason).toBe('toolUse');
    expect(only(spans).attributes['gen_ai.response.finish_reasons']).toEqual(['tool_call']);
  });

  test('a failed reply sets error.type to its kind and ends the span with its error', async () => {
    const { spans, message } = await traced(p, [p.serverError.turn], { maxRetries: 0 });
    expect(message).toMatchObject({ stopReason: 'error', errorKind: 'server' });
    const span = only(spans);
    expect(span.ended).toBe(true);
    expect(span.attributes).toMatchObject({
      'error.type': 'server',
      'gen_ai.response.finish_reasons': ['error'],
      'qcore.requests': 1,
    });
    expect(span.error).toBeInstanceOf(Error);
    expect((span.error as Error).message).toBe(message.errorMessage);
  });

  test('retries are counted in qcore.requests', async () => {
    const { spans, message } = await traced(p, [
      { type: 'http', status: 429, headers: { 'retry-after': '0', ...p.rateLimitHeaders } },
      { content: [{ type: 'text', text: 'ok' }] },
    ]);
    expect(message.stopReason).toBe('stop');
    expect(only(spans).attributes['qcore.requests']).toBe(2);
    expect(only(spans).error).toBeUndefined();
  });

  test('no key, header or credential reaches a span, even when the provider echoes them', async () => {
    const header = 'hdr-secret-0123456789-tracing';
    const { spans, message } = await traced(p, [p.echoSecrets([...p.secrets, header])], {
      maxRetries: 0,
      headers: { 'x-gateway-key': header },
      tracing: { tracer: undefined as never, recordContent: true },
    });
    expect(message.stopReason).toBe('error');
    const all = dump(spans);
    expect(all).toContain('error.type');
    expect(all).toContain('[redacted]');
    for (const secret of [...p.secrets, header]) expect(all).not.toContain(secret);
  });

  test('content is recorded only with recordContent, as the conventions shape it', async () => {
    const reply: MockTurn = { content: [{ type: 'text', text: 'Sunny.' }] };
    const { spans, message } = await traced(p, [reply], {
      tracing: { tracer: undefined as never, recordContent: true },
    });
    const attributes = only(spans).attributes;
    expect(JSON.parse(attributes['gen_ai.system_instructions'] as string)).toEqual([
      { type: 'text', content: 'Be brief.' },
    ]);
    expect(JSON.parse(attributes['gen_ai.input.messages'] as string)).toEqual([
      { role: 'user', parts: [{ type: 'text', content: 'Weather in Paris?' }] },
    ]);
    expect(JSON.parse(attributes['gen_ai.output.messages'] as string)).toEqual([
      { role: 'assistant', parts: [{ type: 'text', content: 'Sunny.' }], finish_reason: 'stop' },
    ]);
    expect(message.stopReason).toBe('stop');
  });

  test('with output: one span around structured output, its repair included', async () => {
    const schema = {
      type: 'object',
      properties: { city: { type: 'string' } },
      required: ['city'],
      additionalProperties: false,
    };
    const probe = p.model('http://127.0.0.1:1');
    const answer = (value: unknown): MockTurn =>
      outputMode(probe) === 'native'
        ? { content: [{ type: 'text', text: JSON.stringify(value) }] }
        : {
            content: [{ type: 'toolCall', id: 'call_out', name: 'output', arguments: JSON.stringify(value) }],
            stopReason: 'toolUse',
          };
    const { spans, message } = await traced(p, [answer({ town: 'Paris' }), answer({ city: 'Paris' })], {
      output: schema,
      repair: true,
    });
    expect(message.output).toEqual({ city: 'Paris' });
    const span = only(spans);
    expect(span.attributes).toMatchObject({
      'gen_ai.output.type': 'json',
      'gen_ai.response.finish_reasons': ['stop'],
      'qcore.requests': 2,
    });
    expect(span.error).toBeUndefined();
  });
});

describe('tracing, whatever the protocol', () => {
  const p = protocols[0] as Protocol;

  test('no tracing option, no span: the tracer is never called', async () => {
    const session = await mockSession({ turns: [{ content: [{ type: 'text', text: 'hi' }] }] });
    const { spans } = recordingTracer();
    const message = await stream(p.model(session.baseUrl), ask, { ...p.auth }).result();
    expect(message.stopReason).toBe('stop');
    expect(spans).toHaveLength(0);
  });

  test('the span goes under the parent given', async () => {
    const session = await mockSession({ turns: [{ content: [{ type: 'text', text: 'hi' }] }] });
    const { tracer, spans } = recordingTracer();
    const parent = tracer.startSpan('request', {});
    await stream(p.model(session.baseUrl), ask, { ...p.auth, tracing: { tracer, parent } }).result();
    expect(spans.map((span) => [span.name, span.parent?.name])).toEqual([
      ['request', undefined],
      ['chat claude-test', 'request'],
    ]);
  });

  test('a call that fails before any request still has its span', async () => {
    const { tracer, spans } = recordingTracer();
    const model = { ...p.model('http://127.0.0.1:1'), baseUrl: 'not a url' };
    const message = await stream(model, ask, { tracing: { tracer } }).result();
    expect(message.stopReason).toBe('error');
    const span = only(spans);
    expect(span.attributes['error.type']).toBe(message.errorKind ?? 'unknown');
    expect(span.attributes['server.address']).toBeUndefined();
    expect(span.attributes['qcore.requests']).toBe(0);
    expect((span.error as Error).message).toBe(message.errorMessage);
  });

  test('an aborted stream ends its span with error.type aborted', async () => {
    const session = await mockSession({
      turns: [
        {
          content: [{ type: 'text', text: 'a long reply' }],
          deltaSize: 2,
          fault: { type: 'stall', afterEvents: p.prelude + 2 },
        },
      ],
    });
    const { tracer, spans } = recordingTracer();
    const controller = new AbortController();
    const s = stream(p.model(session.baseUrl), ask, { ...p.auth, signal: controller.signal, tracing: { tracer } });
    for await (const event of s) if (event.type === 'text_delta') controller.abort();
    const message: AssistantMessage = await s.result();
    expect(message.stopReason).toBe('aborted');
    expect(only(spans).attributes['error.type']).toBe('aborted');
    expect(only(spans).ended).toBe(true);
  });

  test('a tracer that throws costs the trace, not the reply', async () => {
    const session = await mockSession({ turns: [{ content: [{ type: 'text', text: 'hi' }] }] });
    const tracer = {
      startSpan(): never {
        throw new Error('tracer down');
      },
    };
    const errors: unknown[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => errors.push(args);
    try {
      const message = await stream(p.model(session.baseUrl), ask, { ...p.auth, tracing: { tracer } }).result();
      expect(message.stopReason).toBe('stop');
    } finally {
      console.error = original;
    }
    expect(errors).toHaveLength(1);
  });

  test.each([
    ['qwen', 'qwen'],
    ['kimi', 'moonshot_ai'],
    ['deepseek', 'deepseek'],
  ])('an OpenAI-compatible %s model is traced as provider %s', async (variant, name) => {
    const { protocol } = completionsVariants.find((v) => v.variant === variant) as (typeof completionsVariants)[0];
    const session = await mockSession({ turns: [{ content: [{ type: 'text', text: 'hi' }] }] });
    const { tracer, spans } = recordingTracer();
    await stream(protocol.model(session.baseUrl), ask, { ...protocol.auth, tracing: { tracer } }).result();
    expect(only(spans).attributes['gen_ai.provider.name']).toBe(name);
  });

  // Last: the registry holds the static code from here on.
  test('registerBuiltinApis provides tracing too, for hosts without dynamic import', async () => {
    registerBuiltinApis();
    const session = await mockSession({ turns: [{ content: [{ type: 'text', text: 'hi' }] }] });
    const { tracer, spans } = recordingTracer();
    await stream(p.model(session.baseUrl), ask, { ...p.auth, tracing: { tracer } }).result();
    expect(only(spans).attributes['gen_ai.response.finish_reasons']).toEqual(['stop']);
  });
});
