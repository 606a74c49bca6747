/**
 * Tracing of agent runs: one `invoke_agent` span per run, the parent of
 * each turn's `chat {model}` span and of an `execute_tool {name}` span per
 * tool call, with the run's usage summed. The tracer is a plain object
 * recording in memory.
 */
import { describe, expect, test } from 'vitest';
import { z } from 'zod';
import { Agent } from '../../src/agent/agent.js';
import { agentLoop } from '../../src/agent/agent-loop.js';
import type { Model } from '../../src/ai/types.js';
import { defineTool } from '../../src/tools/define-tool.js';
import type { MockTurn } from '../../testing/script.js';
import { mockSession } from '../support/mock.js';
import { dump, type RecordedSpan, recordingTracer } from '../support/recording-tracer.js';

const KEY = 'sk-agent-tracing-secret-key';

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

const broken = defineTool({
  name: 'broken',
  description: 'Always fails',
  parameters: z.object({}),
  execute: async () => {
    throw new Error('the disk at /private/diary is unreadable');
  },
});

const callThenAnswer = (name: string, args: Record<string, unknown>): MockTurn[] => [
  {
    content: [{ type: 'toolCall', id: 'call_1', name, arguments: args }],
    stopReason: 'toolUse',
    usage: { input: 100, output: 20, cacheRead: 10 },
  },
  { content: [{ type: 'text', text: 'It is sunny in Paris.' }], usage: { input: 150, output: 8 } },
];

function named(spans: RecordedSpan[], name: string): RecordedSpan[] {
  return spans.filter((span) => span.name === name);
}

describe('agent tracing', () => {
  test('a run with a tool call: invoke_agent over two chat spans and one execute_tool span', async () => {
    const session = await mockSession({ turns: callThenAnswer('weather', { city: 'Paris' }) });
    const { tracer, spans } = recordingTracer();
    const agent = new Agent({
      model: model(session.baseUrl),
      systemPrompt: 'Be brief.',
      tools: [weather],
      streamOptions: { apiKey: KEY, maxTokens: 500 },
      tracing: { tracer, agentName: 'Weather Bot' },
    });
    const result = await agent.prompt('Weather in Paris?');
    expect(result.stopReason).toBe('stop');

    expect(spans.map((span) => span.name)).toEqual([
      'invoke_agent Weather Bot',
      'chat claude-mock',
      'execute_tool weather',
      'chat claude-mock',
    ]);
    const [run, firstChat, tool, secondChat] = spans as [RecordedSpan, RecordedSpan, RecordedSpan, RecordedSpan];
    expect(run.parent).toBeUndefined();
    for (const child of [firstChat, tool, secondChat]) {
      expect(child.parent).toBe(run);
      expect(child.ended).toBe(true);
      expect(child.error).toBeUndefined();
      // Children end before their parent.
      expect(child.endOrder).toBeLessThan(run.endOrder);
    }
    expect(run.ended).toBe(true);
    expect(run.error).toBeUndefined();

    expect(firstChat.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'anthropic',
      'gen_ai.request.model': 'claude-mock',
      'gen_ai.request.max_tokens': 500,
      'gen_ai.response.finish_reasons': ['tool_call'],
      'gen_ai.usage.input_tokens': 110,
      'gen_ai.usage.output_tokens': 20,
    });
    expect(secondChat.attributes).toMatchObject({
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.usage.input_tokens': 150,
      'gen_ai.usage.output_tokens': 8,
    });
    expect(tool.attributes).toEqual({
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'weather',
      'gen_ai.tool.call.id': 'call_1',
      'gen_ai.tool.type': 'function',
      'gen_ai.tool.description': 'Current weather for a city',
    });
    const cost = [firstChat, secondChat].reduce((sum, span) => sum + (span.attributes['qcore.cost.usd'] as number), 0);
    expect(cost).toBeGreaterThan(0);
    expect(run.attributes).toMatchObject({
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.agent.name': 'Weather Bot',
      'gen_ai.provider.name': 'anthropic',
      'gen_ai.request.model': 'claude-mock',
      'gen_ai.request.max_tokens': 500,
      'gen_ai.usage.input_tokens': 260,
      'gen_ai.usage.output_tokens': 28,
      'gen_ai.usage.cache_read.input_tokens': 10,
      'gen_ai.usage.cache_creation.input_tokens': 0,
      'qcore.turns': 2,
      'qcore.stop_reason': 'stop',
    });
    expect(run.attributes['qcore.cost.usd']).toBeCloseTo(cost, 12);
    expect(run.attributes['error.type']).toBeUndefined();
    // No content without recordContent, and never the key.
    const all = dump(spans);
    expect(all).not.toContain('Weather in Paris?');
    expect(all).not.toContain('Sunny in Paris');
    expect(all).not.toContain(KEY);

    // The next run is a span of its own.
    const next = await mockSession({ turns: [{ content: [{ type: 'text', text: 'Again sunny.' }] }] });
    agent.setModel(model(next.baseUrl));
    await agent.prompt('And now?');
    expect(named(spans, 'invoke_agent Weather Bot')).toHaveLength(2);
  });

  test('a failed tool: its span has error.type and ends with an error that quotes nothing it said', async () => {
    const session = await mockSession({ turns: callThenAnswer('broken', {}) });
    const { tracer, spans } = recordingTracer();
    const agent = new Agent({
      model: model(session.baseUrl),
      tools: [broken],
      streamOptions: { apiKey: KEY },
      tracing: { tracer },
    });
    await agent.prompt('Read my diary');
    const [tool] = named(spans, 'execute_tool broken') as [RecordedSpan];
    expect(tool.attributes['error.type']).toBe('tool_error');
    expect(tool.error).toBeInstanceOf(Error);
    expect((tool.error as Error).message).toBe('Tool "broken" failed');
    expect(dump(spans)).not.toContain('/private/diary');
    // The run itself went on and succeeded; without a name its span is plain invoke_agent.
    const [run] = named(spans, 'invoke_agent') as [RecordedSpan];
    expect(run.error).toBeUndefined();
    expect(run.attributes['gen_ai.agent.name']).toBeUndefined();
  });

  test('recordContent: tool arguments and results, and the messages of each chat span', async () => {
    const session = await mockSession({ turns: callThenAnswer('weather', { city: 'Paris' }) });
    const { tracer, spans } = recordingTracer();
    const agent = new Agent({
      model: model(session.baseUrl),
      tools: [weather],
      streamOptions: { apiKey: KEY },
      tracing: { tracer, recordContent: true },
    });
    await agent.prompt('Weather in Paris?');
    const [tool] = named(spans, 'execute_tool weather') as [RecordedSpan];
    expect(JSON.parse(tool.attributes['gen_ai.tool.call.arguments'] as string)).toEqual({ city: 'Paris' });
    expect(JSON.parse(tool.attributes['gen_ai.tool.call.result'] as string)).toEqual([
      { type: 'text', text: 'Sunny in Paris' },
    ]);
    const [, second] = named(spans, 'chat claude-mock') as [RecordedSpan, RecordedSpan];
    expect(JSON.parse(second.attributes['gen_ai.input.messages'] as string)).toEqual([
      { role: 'user', parts: [{ type: 'text', content: 'Weather in Paris?' }] },
      {
        role: 'assistant',
        parts: [{ type: 'tool_call', id: 'call_1', name: 'weather', arguments: { city: 'Paris' } }],
      },
      { role: 'tool', parts: [{ type: 'tool_call_response', id: 'call_1', response: 'Sunny in Paris' }] },
    ]);
    expect(dump(spans)).not.toContain(KEY);
  });

  test('a run that fails: invoke_agent gets the error kind and ends with the error', async () => {
    const session = await mockSession({
      turns: [{ type: 'http', status: 500, body: { type: 'error', error: { type: 'api_error', message: 'down' } } }],
    });
    const { tracer, spans } = recordingTracer();
    const parent = tracer.startSpan('request', {});
    const agent = new Agent({
      model: model(session.baseUrl),
      streamOptions: { apiKey: KEY, maxRetries: 0 },
      tracing: { tracer, parent },
    });
    const result = await agent.prompt('hi');
    expect(result.stopReason).toBe('error');
    const [run] = named(spans, 'invoke_agent') as [RecordedSpan];
    expect(run.parent?.name).toBe('request');
    expect(run.attributes).toMatchObject({ 'error.type': 'server', 'qcore.stop_reason': 'error', 'qcore.turns': 1 });
    expect((run.error as Error).message).toBe(result.errorMessage);
    const [chat] = named(spans, 'chat claude-mock') as [RecordedSpan];
    expect(chat.parent).toBe(run);
    expect(chat.attributes['error.type']).toBe('server');
  });

  test('agentLoop() runs are traced too', async () => {
    const session = await mockSession({ turns: [{ content: [{ type: 'text', text: 'hello' }] }] });
    const { tracer, spans } = recordingTracer();
    const loop = agentLoop([{ role: 'user', content: 'hi', timestamp: 1 }], [], {
      model: model(session.baseUrl),
      streamOptions: { apiKey: KEY },
      tracing: { tracer },
    });
    for await (const _event of loop) {
      // drain
    }
    expect(spans.map((span) => [span.name, span.parent?.name, span.ended])).toEqual([
      ['invoke_agent', undefined, true],
      ['chat claude-mock', 'invoke_agent', true],
    ]);
  });
});
