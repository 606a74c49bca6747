import { describe, expect, test } from 'vitest';
import { z } from 'zod';
import { Agent } from '../../src/agent/agent.js';
import type { AgentEvent } from '../../src/agent/types.js';
import type { AssistantMessage, Model } from '../../src/ai/types.js';
import { defineTool } from '../../src/tools/define-tool.js';
import { mockSession } from '../support/mock.js';

function models(baseUrl: string): Model[] {
  const base = {
    name: 'mock',
    reasoning: true,
    input: ['text' as const],
    cost: { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 },
    contextWindow: 200_000,
    maxTokens: 4_096,
  };
  return [
    { ...base, id: 'claude-mock', api: 'anthropic-messages', provider: 'anthropic', baseUrl },
    { ...base, id: 'qwen-mock', api: 'openai-completions', provider: 'qwen', baseUrl: `${baseUrl}/v1` },
  ];
}

const weather = defineTool({
  name: 'weather',
  description: 'Current weather for a city',
  parameters: z.object({ city: z.string() }),
  execute: async ({ city }) => ({ content: [{ type: 'text', text: `Sunny in ${city}` }], details: { city } }),
});

describe.each(['anthropic-messages', 'openai-completions'])('Agent over %s against the mock server', (api) => {
  test('runs a tool and sends its result back in the provider format', async () => {
    const session = await mockSession({
      turns: [
        {
          variant: 'qwen',
          content: [
            { type: 'thinking', thinking: 'Need the weather.', signature: 'sig' },
            { type: 'toolCall', id: 'call_w1', name: 'weather', arguments: { city: 'Paris' } },
          ],
          stopReason: 'toolUse',
          deltaSize: 3,
          usage: { input: 100, output: 20 },
        },
        {
          variant: 'qwen',
          content: [{ type: 'text', text: 'It is sunny in Paris.' }],
          usage: { input: 150, output: 8 },
        },
      ],
    });
    const model = models(session.baseUrl).find((m) => m.api === api) as Model;
    const agent = new Agent({
      model,
      systemPrompt: 'Be brief.',
      tools: [weather],
      streamOptions: { apiKey: 'sk-agent' },
    });
    const events: AgentEvent[] = [];
    agent.subscribe((e) => events.push(e));
    await agent.prompt('Weather in Paris?');

    expect(agent.state.error).toBeUndefined();
    const last = agent.state.messages.at(-1) as AssistantMessage;
    expect(last.content).toEqual([{ type: 'text', text: 'It is sunny in Paris.' }]);
    const updates = events.filter((e) => e.type === 'message_update');
    expect(updates.some((e) => e.type === 'message_update' && e.assistantMessageEvent.type === 'toolcall_delta')).toBe(
      true,
    );
    const end = events.find((e) => e.type === 'tool_execution_end');
    expect(end?.type === 'tool_execution_end' && end.result.details).toEqual({ city: 'Paris' });

    const requests = await session.requests();
    expect(requests).toHaveLength(2);
    const second = JSON.stringify(requests[1]?.body);
    expect(second).toContain('Sunny in Paris');
    expect(second).toContain('call_w1');
    // The tool schema went out as JSON Schema.
    expect(JSON.stringify(requests[0]?.body)).toContain('"city":{"type":"string"}');
  });

  test('abort while the provider stalls ends the run as aborted', async () => {
    const session = await mockSession({
      turns: [{ content: [{ type: 'text', text: 'never arrives in full' }], fault: { type: 'stall', afterEvents: 3 } }],
    });
    const model = models(session.baseUrl).find((m) => m.api === api) as Model;
    const agent = new Agent({ model, streamOptions: { apiKey: 'sk-agent' } });
    let ended: AgentEvent | undefined;
    agent.subscribe((e) => {
      if (e.type === 'agent_end') ended = e;
    });
    const run = agent.prompt('hello');
    await new Promise((resolve) => setTimeout(resolve, 150));
    agent.abort();
    await run;
    expect(ended?.type === 'agent_end' && ended.stopReason).toBe('aborted');
    expect((agent.state.messages.at(-1) as AssistantMessage).stopReason).toBe('aborted');
  });
});
