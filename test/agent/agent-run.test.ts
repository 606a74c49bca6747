import { describe, expect, test, vi } from 'vitest';
import { Agent } from '../../src/agent/agent.js';
import { AgentEventEncoder } from '../../src/agent/agent-event-wire.js';
import type { AgentEvent, AgentRunResult, AgentTool, StreamFn } from '../../src/agent/types.js';
import { MessageAssembler } from '../../src/ai/assembler.js';
import { AssistantMessageEventStream } from '../../src/ai/event-stream.js';
import type { AssistantMessage, StreamOptions, ToolResultMessage } from '../../src/ai/types.js';
import { type ScriptedTurn, scriptedStream, testModel } from '../support/scripted-stream.js';

function makeAgent(
  turns: ScriptedTurn[],
  tools: AgentTool[] = [],
  extra: Partial<ConstructorParameters<typeof Agent>[0]> = {},
) {
  const streamFn = scriptedStream(turns);
  const options: StreamOptions[] = [];
  const recording: StreamFn = (model, context, streamOptions) => {
    options.push({ ...streamOptions });
    return streamFn(model, context, streamOptions);
  };
  const agent = new Agent({ model: testModel, systemPrompt: 'sys', tools, streamFn: recording, ...extra });
  const events: AgentEvent[] = [];
  agent.subscribe((event) => events.push(event));
  return { agent, events, options, streamFn };
}

function tool(name: string, execute = vi.fn(async () => ({ content: [{ type: 'text' as const, text: 'ran' }] }))) {
  const t: AgentTool = {
    name,
    description: name,
    parameters: { type: 'object', properties: { value: { type: 'string' } } },
    execute,
  };
  return { tool: t, execute };
}

const roles = (messages: readonly unknown[]) => messages.map((m) => (m as { role: string }).role);

describe('a reply cut by the token limit', () => {
  test('a cut tool call is not run; the run ends with length and says to raise maxTokens', async () => {
    const echo = tool('echo');
    const { agent, events, streamFn } = makeAgent(
      [{ text: 'Writing it.', toolCalls: [{ id: 'c1', name: 'echo', args: '{"value":"a long va' }], length: true }],
      [echo.tool],
    );
    const result = await agent.prompt('go');
    expect(echo.execute).not.toHaveBeenCalled();
    expect(streamFn.contexts).toHaveLength(1);
    expect(result.stopReason).toBe('length');
    expect(result.errorMessage).toMatch(/token limit/);
    expect(result.errorMessage).toMatch(/maxTokens/);
    const end = events.at(-1);
    expect(end?.type === 'agent_end' && end.stopReason).toBe('length');
    expect(end?.type === 'agent_end' && end.errorMessage).toBe(result.errorMessage);
    expect(agent.state.error).toBe(result.errorMessage);
    // Every call of the cut reply gets a result, so the history stays valid for the next request.
    expect(roles(agent.state.messages)).toEqual(['user', 'assistant', 'toolResult']);
    const cut = agent.state.messages[2] as ToolResultMessage;
    expect(cut.toolCallId).toBe('c1');
    expect(cut.isError).toBe(true);
    expect(JSON.stringify(cut.content)).toMatch(/token limit/);
    const types = events.map((e) => e.type);
    expect(types.filter((t) => t === 'tool_execution_start')).toHaveLength(1);
    expect(types.filter((t) => t === 'tool_execution_end')).toHaveLength(1);
  });

  test('complete calls before the cut one are not run either', async () => {
    const echo = tool('echo');
    const { agent } = makeAgent(
      [
        {
          toolCalls: [
            { id: 'c1', name: 'echo', args: { value: 'whole' } },
            { id: 'c2', name: 'echo', args: '{"value":"cu' },
          ],
          length: true,
        },
      ],
      [echo.tool],
    );
    const result = await agent.prompt('go');
    expect(echo.execute).not.toHaveBeenCalled();
    expect(result.stopReason).toBe('length');
    expect(roles(result.messages)).toEqual(['user', 'assistant', 'toolResult', 'toolResult']);
  });

  test('a text reply cut by the token limit ends with length and no error', async () => {
    const { agent } = makeAgent([{ text: 'A long answer that', length: true }]);
    const result = await agent.prompt('go');
    expect(result.stopReason).toBe('length');
    expect(result.errorMessage).toBeUndefined();
    expect(agent.state.error).toBeUndefined();
  });
});

describe('prompt() and continue() resolve with the run', () => {
  test('the messages the run added, its stop reason and error', async () => {
    const { agent } = makeAgent([{ text: 'Hi.' }, { error: 'boom' }, { text: 'Back.' }]);
    const first: AgentRunResult = await agent.prompt('hello');
    expect(first.stopReason).toBe('stop');
    expect(roles(first.messages)).toEqual(['user', 'assistant']);
    expect('errorMessage' in first).toBe(false);
    const failed = await agent.prompt('again');
    expect(failed.stopReason).toBe('error');
    expect(failed.errorMessage).toBe('boom');
    const resumed = await agent.continue();
    expect(resumed.stopReason).toBe('stop');
    expect(roles(resumed.messages)).toEqual(['assistant']);
  });
});

describe('queues and stream options through the API', () => {
  test('queued() returns copies of what waits; clearQueues() empties both', async () => {
    const { agent } = makeAgent([{ text: 'ok' }]);
    agent.steer('now');
    agent.followUp('later');
    const waiting = agent.queued();
    expect(waiting.steering.map((m) => (m as { content: string }).content)).toEqual(['now']);
    expect(waiting.followUp.map((m) => (m as { content: string }).content)).toEqual(['later']);
    waiting.steering.length = 0;
    expect(agent.queued().steering).toHaveLength(1);
    agent.clearQueues();
    expect(agent.queued()).toEqual({ steering: [], followUp: [] });
    const result = await agent.prompt('go');
    expect(roles(result.messages)).toEqual(['user', 'assistant']);
  });

  test('setStreamOptions() applies from the next model call and never mutates the given object', async () => {
    const given = { maxTokens: 100, temperature: 0.5 };
    const echo = tool('echo');
    let agent!: Agent;
    echo.execute.mockImplementation(async () => {
      agent.setStreamOptions({ maxTokens: 300 });
      return { content: [{ type: 'text' as const, text: 'ran' }] };
    });
    const made = makeAgent(
      [{ toolCalls: [{ id: 'c1', name: 'echo', args: { value: 'x' } }] }, { text: 'done' }, { text: 'again' }],
      [echo.tool],
      { streamOptions: given },
    );
    agent = made.agent;
    await agent.prompt('go');
    expect(made.options.map((o) => o.maxTokens)).toEqual([100, 300]);
    expect(made.options[1]?.temperature).toBe(0.5);
    agent.setStreamOptions({ temperature: undefined, headers: { 'x-a': '1' } });
    expect(agent.streamOptions).toEqual({ maxTokens: 300, headers: { 'x-a': '1' } });
    await agent.prompt('more');
    expect(made.options[2]?.maxTokens).toBe(300);
    expect(made.options[2]?.temperature).toBeUndefined();
    expect(made.options[2]?.headers).toEqual({ 'x-a': '1' });
    expect(given).toEqual({ maxTokens: 100, temperature: 0.5 });
  });
});

describe('reset() during a run', () => {
  test('the abandoned run leaves nothing in the new history and emits nothing more', async () => {
    const { agent, events } = makeAgent([{ hang: true }, { text: 'Fresh.' }]);
    const old = agent.prompt('old');
    await vi.waitFor(() => expect(events.some((e) => e.type === 'turn_start')).toBe(true));
    agent.reset();
    const seen = events.length;
    expect(agent.state.isStreaming).toBe(false);
    const fresh = await agent.prompt('new');
    const oldResult = await old;
    expect(oldResult.stopReason).toBe('aborted');
    expect(roles(agent.state.messages)).toEqual(['user', 'assistant']);
    expect((agent.state.messages[0] as { content: string }).content).toBe('new');
    expect(fresh.stopReason).toBe('stop');
    const after = events.slice(seen);
    expect(after.filter((e) => e.type === 'agent_start')).toHaveLength(1);
    expect(after.filter((e) => e.type === 'agent_end')).toHaveLength(1);
    expect(after.some((e) => e.type === 'message_end' && (e.message as { content: unknown }).content === 'old')).toBe(
      false,
    );
    expect(agent.state.error).toBeUndefined();
  });

  test('queues filled after reset() are not taken by the abandoned run', async () => {
    const { agent } = makeAgent([{ hang: true }, { text: 'Fresh.' }]);
    const old = agent.prompt('old');
    await new Promise((resolve) => setTimeout(resolve, 5));
    agent.reset();
    agent.followUp('kept');
    await old;
    expect(agent.queued().followUp).toHaveLength(1);
  });
});

/** A provider that pushes the whole reply before the agent reads the first event, as one network chunk does. */
const burstStream: StreamFn = (model) => {
  const out = new AssistantMessageEventStream();
  const asm = new MessageAssembler(model, out);
  const index = asm.startText();
  asm.textDelta(index, 'Hello ');
  asm.textDelta(index, 'world');
  asm.setUsage({ input: 3, output: 2 });
  asm.finish('length');
  return out;
};

describe('events hold what was true when they were emitted', () => {
  test('message_start carries a copy of the reply as it began; message_update the live message', async () => {
    const agent = new Agent({ model: testModel, streamFn: burstStream });
    const starts: string[] = [];
    const events: AgentEvent[] = [];
    agent.subscribe((event) => {
      events.push(event);
      if (event.type === 'message_start') starts.push(JSON.stringify(event.message));
    });
    await agent.prompt('hi');
    const start = events.find((e) => e.type === 'message_start' && e.message.role === 'assistant');
    const update = events.find((e) => e.type === 'message_update');
    const end = events.findLast((e) => e.type === 'message_end');
    const final = (end as { message: AssistantMessage }).message;
    const begun = (start as { message: AssistantMessage }).message;
    expect(begun).not.toBe(final);
    expect(begun.content).toEqual([]);
    expect(begun.stopReason).not.toBe('length');
    expect(JSON.stringify(begun)).toBe(starts[1]);
    expect(update?.type === 'message_update' && update.message).toBe(final);
    expect(final.stopReason).toBe('length');
  });

  test('the wire encoding of message_start does not hold the final text; updates carry no partial', async () => {
    const agent = new Agent({ model: testModel, streamFn: burstStream });
    const encoder = new AgentEventEncoder();
    const payloads: { type: string; data: string }[] = [];
    agent.subscribe((event) => payloads.push({ type: event.type, data: encoder.data(event) }));
    await agent.prompt('hi');
    const start = payloads.filter((p) => p.type === 'message_start')[1];
    expect(start?.data).not.toContain('world');
    expect(start?.data).not.toContain('"length"');
    for (const update of payloads.filter((p) => p.type === 'message_update')) {
      const parsed = JSON.parse(update.data) as Record<string, unknown>;
      expect(parsed.type).toBe('message_update');
      expect(parsed).not.toHaveProperty('message');
      expect(parsed.assistantMessageEvent).not.toHaveProperty('partial');
    }
  });
});
