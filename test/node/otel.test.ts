/**
 * `qcore/otel` with the real OpenTelemetry SDK: qcore's spans exported to an
 * in-memory exporter, with their names, kinds, parents, attributes and
 * status. The attribute names are checked against
 * `@opentelemetry/semantic-conventions`, which the core never imports.
 */
import { readFileSync } from 'node:fs';
import { context, type Span as OtelSpan, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { ATTR_ERROR_TYPE, ATTR_SERVER_ADDRESS, ATTR_SERVER_PORT } from '@opentelemetry/semantic-conventions';
import * as semconv from '@opentelemetry/semantic-conventions/incubating';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { z } from 'zod';
import { Agent } from '../../src/agent/agent.js';
import { stream } from '../../src/ai/stream.js';
import type { Model } from '../../src/ai/types.js';
import { otelTracer } from '../../src/otel/index.js';
import { defineTool } from '../../src/tools/define-tool.js';
import { mockSession } from '../support/mock.js';

const KEY = 'sk-otel-secret-key-0123456789';
const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const contextManager = new AsyncLocalStorageContextManager();

beforeAll(() => {
  context.setGlobalContextManager(contextManager.enable());
  trace.setGlobalTracerProvider(provider);
});
afterEach(() => exporter.reset());
afterAll(async () => {
  await provider.shutdown();
  trace.disable();
  context.disable();
});

function model(baseUrl: string): Model {
  return {
    id: 'claude-mock',
    name: 'mock',
    api: 'anthropic-messages',
    provider: 'anthropic',
    baseUrl,
    reasoning: false,
    input: ['text'],
    cost: { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 },
    contextWindow: 200_000,
    maxTokens: 4_096,
  };
}

const weather = defineTool({
  name: 'weather',
  description: 'Current weather for a city',
  parameters: z.object({ city: z.string() }),
  execute: async ({ city }) => ({ content: [{ type: 'text', text: `Sunny in ${city}` }] }),
});

function byName(spans: ReadableSpan[], name: string): ReadableSpan[] {
  return spans.filter((span) => span.name === name);
}

function parentOf(span: ReadableSpan): string | undefined {
  return span.parentSpanContext?.spanId;
}

describe('qcore/otel', () => {
  test('an agent run exports invoke_agent, chat and execute_tool spans, linked and with their attributes', async () => {
    const session = await mockSession({
      turns: [
        {
          content: [{ type: 'toolCall', id: 'call_1', name: 'weather', arguments: { city: 'Paris' } }],
          stopReason: 'toolUse',
          usage: { input: 100, output: 20 },
        },
        { content: [{ type: 'text', text: 'Sunny.' }], usage: { input: 150, output: 8 } },
      ],
    });
    const agent = new Agent({
      model: model(session.baseUrl),
      tools: [weather],
      streamOptions: { apiKey: KEY },
      tracing: { tracer: otelTracer(), agentName: 'Weather Bot' },
    });
    // The app's own span is the active one: the run goes under it, with no parent given.
    const app = provider.getTracer('app');
    await app.startActiveSpan('handle request', async (request: OtelSpan) => {
      await agent.prompt('Weather in Paris?');
      request.end();
    });

    const spans = exporter.getFinishedSpans();
    expect(spans.map((span) => span.name).sort()).toEqual([
      'chat claude-mock',
      'chat claude-mock',
      'execute_tool weather',
      'handle request',
      'invoke_agent Weather Bot',
    ]);
    const [request] = byName(spans, 'handle request') as [ReadableSpan];
    const [run] = byName(spans, 'invoke_agent Weather Bot') as [ReadableSpan];
    const chats = byName(spans, 'chat claude-mock');
    const [tool] = byName(spans, 'execute_tool weather') as [ReadableSpan];

    expect(parentOf(run)).toBe(request.spanContext().spanId);
    for (const child of [...chats, tool]) {
      expect(parentOf(child)).toBe(run.spanContext().spanId);
      expect(child.spanContext().traceId).toBe(request.spanContext().traceId);
    }
    expect(run.kind).toBe(SpanKind.INTERNAL);
    expect(tool.kind).toBe(SpanKind.INTERNAL);
    for (const chat of chats) expect(chat.kind).toBe(SpanKind.CLIENT);
    for (const span of [run, tool, ...chats]) {
      expect(span.status.code).toBe(SpanStatusCode.UNSET);
      expect(span.instrumentationScope).toEqual({ name: 'qcore', version: packageVersion() });
    }

    const [first, second] = chats as [ReadableSpan, ReadableSpan];
    expect(first.attributes).toMatchObject({
      [semconv.ATTR_GEN_AI_OPERATION_NAME]: semconv.GEN_AI_OPERATION_NAME_VALUE_CHAT,
      [semconv.ATTR_GEN_AI_PROVIDER_NAME]: semconv.GEN_AI_PROVIDER_NAME_VALUE_ANTHROPIC,
      [semconv.ATTR_GEN_AI_REQUEST_MODEL]: 'claude-mock',
      [semconv.ATTR_GEN_AI_RESPONSE_MODEL]: 'claude-mock',
      [semconv.ATTR_GEN_AI_RESPONSE_FINISH_REASONS]: ['tool_call'],
      [semconv.ATTR_GEN_AI_USAGE_INPUT_TOKENS]: 100,
      [semconv.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]: 20,
      [semconv.ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS]: 0,
      [semconv.ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS]: 0,
      [ATTR_SERVER_ADDRESS]: new URL(session.baseUrl).hostname,
      [ATTR_SERVER_PORT]: Number(new URL(session.baseUrl).port),
      'qcore.requests': 1,
    });
    expect(second.attributes[semconv.ATTR_GEN_AI_RESPONSE_FINISH_REASONS]).toEqual(['stop']);
    expect(first.attributes['qcore.ttft_ms']).toBeGreaterThanOrEqual(0);
    expect(first.attributes['qcore.cost.usd']).toBeGreaterThan(0);
    expect(first.attributes[semconv.ATTR_GEN_AI_SYSTEM]).toBeUndefined();
    expect(tool.attributes).toEqual({
      [semconv.ATTR_GEN_AI_OPERATION_NAME]: semconv.GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL,
      [semconv.ATTR_GEN_AI_TOOL_NAME]: 'weather',
      [semconv.ATTR_GEN_AI_TOOL_CALL_ID]: 'call_1',
      [semconv.ATTR_GEN_AI_TOOL_TYPE]: 'function',
      [semconv.ATTR_GEN_AI_TOOL_DESCRIPTION]: 'Current weather for a city',
    });
    expect(run.attributes).toMatchObject({
      [semconv.ATTR_GEN_AI_OPERATION_NAME]: semconv.GEN_AI_OPERATION_NAME_VALUE_INVOKE_AGENT,
      [semconv.ATTR_GEN_AI_AGENT_NAME]: 'Weather Bot',
      [semconv.ATTR_GEN_AI_PROVIDER_NAME]: 'anthropic',
      [semconv.ATTR_GEN_AI_REQUEST_MODEL]: 'claude-mock',
      [semconv.ATTR_GEN_AI_USAGE_INPUT_TOKENS]: 250,
      [semconv.ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]: 28,
      'qcore.turns': 2,
      'qcore.stop_reason': 'stop',
    });
    expect(JSON.stringify(spans.map((span) => [span.attributes, span.events]))).not.toContain(KEY);
  });

  test('a failed stream: status ERROR, the exception recorded, error.type set, no key', async () => {
    const session = await mockSession({
      turns: [
        {
          type: 'http',
          status: 401,
          body: { type: 'error', error: { type: 'authentication_error', message: `bad key ${KEY}` } },
        },
      ],
    });
    const tracer = otelTracer(provider.getTracer('custom', '9.9.9'));
    const message = await stream(
      model(session.baseUrl),
      { messages: [] },
      { apiKey: KEY, tracing: { tracer } },
    ).result();
    expect(message.errorKind).toBe('auth');
    const [span] = exporter.getFinishedSpans() as [ReadableSpan];
    expect(span.name).toBe('chat claude-mock');
    expect(span.kind).toBe(SpanKind.CLIENT);
    expect(span.parentSpanContext).toBeUndefined();
    expect(span.instrumentationScope).toEqual({ name: 'custom', version: '9.9.9' });
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: message.errorMessage });
    expect(span.attributes[ATTR_ERROR_TYPE]).toBe('auth');
    const [exception] = span.events as [ReadableSpan['events'][number]];
    expect(exception.name).toBe('exception');
    expect(exception.attributes?.['exception.message']).toBe(message.errorMessage);
    expect(JSON.stringify([span.attributes, span.events, span.status])).not.toContain(KEY);
    expect(JSON.stringify(span.events)).toContain('[redacted]');
  });

  test('an OpenTelemetry span can be the parent itself', async () => {
    const session = await mockSession({ turns: [{ content: [{ type: 'text', text: 'hi' }] }] });
    const parent = provider.getTracer('app').startSpan('outer');
    await stream(
      model(session.baseUrl),
      { messages: [] },
      { apiKey: KEY, tracing: { tracer: otelTracer(), parent } },
    ).result();
    parent.end();
    const [chat] = byName(exporter.getFinishedSpans(), 'chat claude-mock') as [ReadableSpan];
    expect(parentOf(chat)).toBe(parent.spanContext().spanId);
  });

  test('undefined attributes are left out, not handed to OpenTelemetry', () => {
    const span = otelTracer().startSpan('probe', { kept: 1, dropped: undefined });
    span.setAttributes({ later: 'yes', none: undefined });
    span.end();
    const [probe] = exporter.getFinishedSpans() as [ReadableSpan];
    expect(probe.attributes).toEqual({ kept: 1, later: 'yes' });
  });
});

function packageVersion(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string })
    .version;
}
