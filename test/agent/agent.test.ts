import { describe, expect, test, vi } from 'vitest';
import { z } from 'zod';
import { Agent } from '../../src/agent/agent.js';
import { agentLoop } from '../../src/agent/agent-loop.js';
import type { AgentEvent, AgentTool, AgentToolResult } from '../../src/agent/types.js';
import type { AssistantMessage, ToolResultMessage } from '../../src/ai/types.js';
import { defineTool } from '../../src/tools/define-tool.js';
import { type ScriptedTurn, scriptedStream, testModel } from '../support/scripted-stream.js';

const text = (value: string): AgentToolResult => ({ content: [{ type: 'text', text: value }] });

function makeAgent(
  turns: ScriptedTurn[],
  tools: AgentTool[] = [],
  extra: Partial<ConstructorParameters<typeof Agent>[0]> = {},
) {
  const streamFn = scriptedStream(turns);
  const agent = new Agent({ model: testModel, systemPrompt: 'sys', tools, streamFn, ...extra });
  const events: AgentEvent[] = [];
  agent.subscribe((event) => events.push(event));
  return { agent, events, streamFn };
}

function resultText(message: ToolResultMessage | undefined): string {
  const part = message?.content[0];
  return part?.type === 'text' ? part.text : '';
}

const echoTool = defineTool({
  name: 'echo',
  description: 'Echo a value',
  parameters: z.object({ value: z.string(), times: z.number().int().default(1) }),
  execute: async ({ value, times }) => text(value.repeat(times)),
});

describe('Agent', () => {
  test('emits the documented event order for a turn with a tool call', async () => {
    const { agent, events } = makeAgent(
      [{ text: 'Let me echo.', toolCalls: [{ id: 'c1', name: 'echo', args: { value: 'hi' } }] }, { text: 'Done.' }],
      [echoTool],
    );
    await agent.prompt('please echo');
    const compact = events
      .filter((e) => e.type !== 'message_update')
      .map((e) =>
        e.type === 'message_start' || e.type === 'message_end'
          ? `${e.type}:${(e.message as { role: string }).role}`
          : e.type,
      );
    expect(compact).toEqual([
      'agent_start',
      'turn_start',
      'message_start:user',
      'message_end:user',
      'message_start:assistant',
      'message_end:assistant',
      'tool_execution_start',
      'tool_execution_end',
      'message_start:toolResult',
      'message_end:toolResult',
      'turn_end',
      'turn_start',
      'message_start:assistant',
      'message_end:assistant',
      'turn_end',
      'agent_end',
    ]);
    expect(events.some((e) => e.type === 'message_update')).toBe(true);
    const end = events.at(-1);
    expect(end?.type === 'agent_end' && end.stopReason).toBe('stop');
    expect(end?.type === 'agent_end' && end.messages.map((m) => (m as { role: string }).role)).toEqual([
      'user',
      'assistant',
      'toolResult',
      'assistant',
    ]);
    expect(agent.state.messages).toHaveLength(4);
    expect(resultText(agent.state.messages[2] as ToolResultMessage)).toBe('hi');
    expect(agent.state.isStreaming).toBe(false);
    // Defaults from the zod schema reach execute; the schema sent to the model has no $schema.
    expect(echoTool.parameters).not.toHaveProperty('$schema');
  });

  test('runs tool calls in parallel by default and appends results in call order', async () => {
    let running = 0;
    let peak = 0;
    const slow = defineTool({
      name: 'slow',
      description: 'waits',
      parameters: z.object({ ms: z.number(), label: z.string() }),
      execute: async ({ ms, label }) => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((resolve) => setTimeout(resolve, ms));
        running--;
        return text(label);
      },
    });
    const { agent, events } = makeAgent(
      [
        {
          toolCalls: [
            { id: 'a', name: 'slow', args: { ms: 40, label: 'first' } },
            { id: 'b', name: 'slow', args: { ms: 5, label: 'second' } },
          ],
        },
        { text: 'ok' },
      ],
      [slow],
    );
    await agent.prompt('go');
    expect(peak).toBe(2);
    const ends = events
      .filter((e) => e.type === 'tool_execution_end')
      .map((e) => e.type === 'tool_execution_end' && e.toolCallId);
    expect(ends).toEqual(['b', 'a']); // b finished first
    const results = agent.state.messages.filter(
      (m): m is ToolResultMessage => (m as { role: string }).role === 'toolResult',
    );
    expect(results.map((r) => r.toolCallId)).toEqual(['a', 'b']);
  });

  test('sequential mode runs one call at a time', async () => {
    const log: string[] = [];
    const step = defineTool({
      name: 'step',
      description: 'logs',
      parameters: z.object({ n: z.number() }),
      execute: async ({ n }) => {
        log.push(`start ${n}`);
        await new Promise((resolve) => setTimeout(resolve, 5));
        log.push(`end ${n}`);
        return text(String(n));
      },
    });
    const { agent } = makeAgent(
      [{ toolCalls: [1, 2, 3].map((n) => ({ name: 'step', args: { n } })) }, { text: 'ok' }],
      [step],
      { toolExecution: 'sequential' },
    );
    await agent.prompt('go');
    expect(log).toEqual(['start 1', 'end 1', 'start 2', 'end 2', 'start 3', 'end 3']);
  });

  test('calls that write the same path never overlap, even in parallel', async () => {
    const active = new Set<string>();
    const overlaps: string[] = [];
    const write = defineTool({
      name: 'write',
      description: 'writes',
      parameters: z.object({ path: z.string() }),
      writes: ({ path }) => path,
      execute: async ({ path }) => {
        const key = path.replace(/^\.\//, '');
        if (active.has(key)) overlaps.push(key);
        active.add(key);
        await new Promise((resolve) => setTimeout(resolve, 10));
        active.delete(key);
        return text('ok');
      },
    });
    const { agent } = makeAgent(
      [
        {
          toolCalls: [
            { name: 'write', args: { path: 'a.txt' } },
            { name: 'write', args: { path: './a.txt' } },
            { name: 'write', args: { path: 'b.txt' } },
          ],
        },
        { text: 'ok' },
      ],
      [write],
    );
    await agent.prompt('go');
    expect(overlaps).toEqual([]);
  });

  test('steering skips the calls not yet started and is delivered next turn', async () => {
    let agentRef: Agent | undefined;
    const calls: number[] = [];
    const step = defineTool({
      name: 'step',
      description: 'logs',
      parameters: z.object({ n: z.number() }),
      execute: async ({ n }) => {
        calls.push(n);
        if (n === 1) agentRef?.steer('Stop, do something else');
        return text(String(n));
      },
    });
    const { agent, streamFn } = makeAgent(
      [{ toolCalls: [1, 2, 3].map((n) => ({ id: `s${n}`, name: 'step', args: { n } })) }, { text: 'Changing course.' }],
      [step],
      { toolExecution: 'sequential' },
    );
    agentRef = agent;
    await agent.prompt('go');
    expect(calls).toEqual([1]);
    const results = agent.state.messages.filter(
      (m): m is ToolResultMessage => (m as { role: string }).role === 'toolResult',
    );
    expect(results.map((r) => [r.toolCallId, r.isError])).toEqual([
      ['s1', false],
      ['s2', true],
      ['s3', true],
    ]);
    expect(resultText(results[1])).toMatch(/^Skipped/);
    // The second model call sees the steering message after the tool results.
    const second = streamFn.contexts[1]?.messages ?? [];
    expect(second.at(-1)).toMatchObject({ role: 'user', content: 'Stop, do something else' });
  });

  test('in parallel mode steering waits for the whole running batch', async () => {
    let agentRef: Agent | undefined;
    const ran: number[] = [];
    const step = defineTool({
      name: 'step',
      description: 'logs',
      parameters: z.object({ n: z.number() }),
      execute: async ({ n }) => {
        if (n === 1) agentRef?.steer('steer');
        await new Promise((resolve) => setTimeout(resolve, 5));
        ran.push(n);
        return text(String(n));
      },
    });
    const { agent } = makeAgent(
      [{ toolCalls: [1, 2].map((n) => ({ name: 'step', args: { n } })) }, { text: 'ok' }],
      [step],
    );
    agentRef = agent;
    await agent.prompt('go');
    expect(ran.sort()).toEqual([1, 2]);
  });

  test('a follow-up waits until the agent would stop, then starts another round', async () => {
    const { agent, streamFn, events } = makeAgent([{ text: 'first answer' }, { text: 'second answer' }]);
    agent.followUp('and one more thing');
    await agent.prompt('question');
    expect(streamFn.contexts).toHaveLength(2);
    expect(streamFn.contexts[1]?.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
    expect(events.filter((e) => e.type === 'agent_end')).toHaveLength(1);
    expect(events.filter((e) => e.type === 'turn_start')).toHaveLength(2);
  });

  test('abort while streaming ends the run as aborted and keeps queued messages', async () => {
    const { agent, events } = makeAgent([{ hang: true }, { text: 'after' }, { text: 'follow-up answer' }]);
    const run = agent.prompt('wait forever');
    agent.followUp('queued follow-up');
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(agent.state.isStreaming).toBe(true);
    agent.abort();
    await run;
    const end = events.at(-1);
    expect(end?.type === 'agent_end' && end.stopReason).toBe('aborted');
    expect((agent.state.messages.at(-1) as AssistantMessage).stopReason).toBe('aborted');
    // The follow-up was not lost: the next prompt delivers it when it would stop.
    await agent.prompt('next');
    expect(agent.state.messages.map((m) => (m as { content?: unknown }).content)).toEqual([
      'wait forever',
      [],
      'next',
      [{ type: 'text', text: 'after' }],
      'queued follow-up',
      [{ type: 'text', text: 'follow-up answer' }],
    ]);
  });

  test('abort while tools run: every unfinished call gets an aborted result, each event once', async () => {
    let agentRef: Agent | undefined;
    const polite = defineTool({
      name: 'polite',
      description: 'stops on abort',
      parameters: z.object({}),
      execute: (_args, { signal }) =>
        new Promise<AgentToolResult>((_, reject) => {
          signal.addEventListener('abort', () => reject(new Error('stopped')));
          agentRef?.abort();
        }),
    });
    const stubborn = defineTool({
      name: 'stubborn',
      description: 'ignores abort',
      parameters: z.object({}),
      execute: () => new Promise<AgentToolResult>((resolve) => setTimeout(() => resolve(text('late')), 50)),
    });
    const { agent, events } = makeAgent(
      [
        {
          toolCalls: [
            { id: 'p', name: 'polite', args: {} },
            { id: 's', name: 'stubborn', args: {} },
          ],
        },
      ],
      [polite, stubborn],
    );
    agentRef = agent;
    await agent.prompt('go');
    await new Promise((resolve) => setTimeout(resolve, 80)); // let the stubborn tool finish late
    const ends = events.filter((e) => e.type === 'tool_execution_end');
    expect(ends.map((e) => e.type === 'tool_execution_end' && [e.toolCallId, e.isError])).toEqual([
      ['p', true],
      ['s', true],
    ]);
    const results = agent.state.messages.filter(
      (m): m is ToolResultMessage => (m as { role: string }).role === 'toolResult',
    );
    expect(results.map(resultText)).toEqual(['Tool execution was aborted.', 'Tool execution was aborted.']);
    const end = events.at(-1);
    expect(end?.type === 'agent_end' && end.stopReason).toBe('aborted');
    expect(events.filter((e) => e.type === 'agent_end')).toHaveLength(1);
  });

  test('bad arguments, unknown tools and throwing tools become error results and the run goes on', async () => {
    const boom = defineTool({
      name: 'boom',
      description: 'throws',
      parameters: z.object({}),
      execute: () => {
        throw new Error('kaboom');
      },
    });
    const { agent } = makeAgent(
      [
        {
          toolCalls: [
            { id: 'j', name: 'echo', args: '{"value": "unterminated' },
            { id: 'v', name: 'echo', args: { value: 42 } },
            { id: 'u', name: 'nope', args: {} },
            { id: 'b', name: 'boom', args: {} },
          ],
        },
        { text: 'I will retry.' },
      ],
      [echoTool, boom],
    );
    await agent.prompt('go');
    const results = agent.state.messages.filter(
      (m): m is ToolResultMessage => (m as { role: string }).role === 'toolResult',
    );
    expect(results.every((r) => r.isError)).toBe(true);
    expect(resultText(results[0])).toMatch(
      /not valid JSON: Unterminated string.*Arguments received: \{"value": "unterminated/s,
    );
    expect(resultText(results[1])).toMatch(/Invalid arguments for tool "echo":\n- value: .*string/);
    expect(resultText(results[2])).toBe('Tool "nope" does not exist. Available tools: echo, boom.');
    expect(resultText(results[3])).toBe('Tool "boom" failed: kaboom');
    expect((agent.state.messages.at(-1) as AssistantMessage).content).toEqual([
      { type: 'text', text: 'I will retry.' },
    ]);
  });

  test('beforeToolCall can block a call; afterToolCall can rewrite a result', async () => {
    const execute = vi.fn(async () => text('ran'));
    const guarded = defineTool({
      name: 'guarded',
      description: 'd',
      parameters: z.object({ danger: z.boolean() }),
      execute,
    });
    const { agent } = makeAgent(
      [
        {
          toolCalls: [
            { id: 'x', name: 'guarded', args: { danger: true } },
            { id: 'y', name: 'guarded', args: { danger: false } },
          ],
        },
        { text: 'ok' },
      ],
      [guarded],
      {
        beforeToolCall: async ({ args }) =>
          (args as { danger: boolean }).danger ? { block: true, reason: 'the user said no' } : undefined,
        afterToolCall: ({ result }) => ({ content: [...result.content, { type: 'text', text: '(checked)' }] }),
      },
    );
    await agent.prompt('go');
    expect(execute).toHaveBeenCalledTimes(1);
    const results = agent.state.messages.filter(
      (m): m is ToolResultMessage => (m as { role: string }).role === 'toolResult',
    );
    expect([results[0]?.isError, resultText(results[0])]).toEqual([true, 'Tool call blocked: the user said no']);
    expect(results[1]?.content).toEqual([
      { type: 'text', text: 'ran' },
      { type: 'text', text: '(checked)' },
    ]);
  });

  test('a provider error ends the run, sets state.error, keeps the message, and the agent stays usable', async () => {
    const { agent, events } = makeAgent([{ text: 'partial', error: 'HTTP 500: boom' }, { text: 'recovered' }]);
    await agent.prompt('first');
    expect(agent.state.error).toBe('HTTP 500: boom');
    const errored = agent.state.messages.at(-1) as AssistantMessage;
    expect([errored.stopReason, errored.content]).toEqual(['error', [{ type: 'text', text: 'partial' }]]);
    const end = events.at(-1);
    expect(end?.type === 'agent_end' && [end.stopReason, end.errorMessage]).toEqual(['error', 'HTTP 500: boom']);
    await agent.prompt('second');
    expect(agent.state.error).toBeUndefined();
    expect((agent.state.messages.at(-1) as AssistantMessage).content).toEqual([{ type: 'text', text: 'recovered' }]);
  });

  test('prompt during a run is a clear error, not a second run', async () => {
    const { agent } = makeAgent([{ hang: true }]);
    const run = agent.prompt('one');
    await expect(agent.prompt('two')).rejects.toThrow(/while a run is active: use steer\(\) or followUp\(\)/);
    agent.abort();
    await run;
    await agent.waitForIdle();
    expect(agent.state.isStreaming).toBe(false);
  });

  test('maxTurns ends the run with a clear reason', async () => {
    const loop: ScriptedTurn = { toolCalls: [{ name: 'echo', args: { value: 'again' } }] };
    const { agent, events } = makeAgent([loop, loop, loop, loop], [echoTool], { maxTurns: 3 });
    await agent.prompt('loop');
    const end = events.at(-1);
    expect(end?.type === 'agent_end' && end.stopReason).toBe('maxTurns');
    expect(end?.type === 'agent_end' && end.errorMessage).toMatch(/Stopped after 3 model calls \(maxTurns\)/);
    expect(events.filter((e) => e.type === 'turn_start')).toHaveLength(3);
  });

  test('a listener that throws breaks neither the run nor other listeners', async () => {
    const { agent, events } = makeAgent([{ text: 'fine' }]);
    const spy = vi.spyOn(console, 'error').mockImplementation(() => {});
    agent.subscribe(() => {
      throw new Error('bad listener');
    });
    await agent.prompt('hi');
    spy.mockRestore();
    expect(events.at(-1)?.type).toBe('agent_end');
    expect(agent.state.messages).toHaveLength(2);
  });

  test('unsubscribe stops events; reset forgets the conversation', async () => {
    const { agent, events } = makeAgent([{ text: 'a' }, { text: 'b' }]);
    const seen: string[] = [];
    const off = agent.subscribe((e) => seen.push(e.type));
    await agent.prompt('1');
    off();
    const before = seen.length;
    agent.reset();
    expect(agent.state.messages).toEqual([]);
    await agent.prompt('2');
    expect(seen.length).toBe(before);
    expect(events.filter((e) => e.type === 'agent_end')).toHaveLength(2);
    expect(agent.state.messages).toHaveLength(2);
  });

  test('state tracks the streaming message and pending tool calls live', async () => {
    const snapshots: string[] = [];
    let agentRef: Agent | undefined;
    const probe = defineTool({
      name: 'probe',
      description: 'd',
      parameters: z.object({}),
      execute: async (_args, { toolCallId }) => {
        snapshots.push(`pending:${[...(agentRef?.state.pendingToolCalls ?? [])].join(',')}:${toolCallId}`);
        return text('ok');
      },
    });
    const { agent } = makeAgent(
      [{ text: 'working on it', toolCalls: [{ id: 'p1', name: 'probe', args: {} }] }, { text: 'ok' }],
      [probe],
    );
    agentRef = agent;
    agent.subscribe((e) => {
      if (e.type === 'message_update') snapshots.push(`streaming:${agent.state.streamMessage === e.message}`);
    });
    await agent.prompt('go');
    expect(snapshots).toContain('streaming:true');
    expect(snapshots).toContain('pending:p1:p1');
    expect(agent.state.streamMessage).toBeUndefined();
    expect(agent.state.pendingToolCalls.size).toBe(0);
  });
});

test('tool progress becomes tool_execution_update events between start and end', async () => {
  const progress = defineTool({
    name: 'progress',
    description: 'reports progress',
    parameters: z.object({}),
    execute: async (_args, { onUpdate }) => {
      onUpdate(text('25%'));
      onUpdate(text('75%'));
      return text('done');
    },
  });
  const { agent, events } = makeAgent(
    [{ toolCalls: [{ id: 'p', name: 'progress', args: {} }] }, { text: 'ok' }],
    [progress],
  );
  await agent.prompt('go');
  const toolEvents = events.filter((e) => e.type.startsWith('tool_execution'));
  expect(
    toolEvents.map((e) =>
      e.type === 'tool_execution_update'
        ? `update:${resultText({ content: e.partialResult.content } as ToolResultMessage)}`
        : e.type,
    ),
  ).toEqual(['tool_execution_start', 'update:25%', 'update:75%', 'tool_execution_end']);
});

describe('agentLoop', () => {
  test('is the same loop as an async iterable, for callers who keep their own state', async () => {
    const streamFn = scriptedStream([
      { toolCalls: [{ name: 'echo', args: { value: 'x', times: 3 } }] },
      { text: 'bye' },
    ]);
    const history = [{ role: 'user' as const, content: 'earlier', timestamp: 0 }];
    const loop = agentLoop([{ role: 'user', content: 'now', timestamp: 1 }], history, {
      model: testModel,
      tools: [echoTool],
      streamFn,
    });
    const types: string[] = [];
    for await (const event of loop) types.push(event.type);
    const result = await loop.result();
    expect(types[0]).toBe('agent_start');
    expect(types.at(-1)).toBe('agent_end');
    expect(result.stopReason).toBe('stop');
    expect(result.messages.map((m) => (m as { role: string }).role)).toEqual([
      'user',
      'assistant',
      'toolResult',
      'assistant',
    ]);
    expect(resultText(result.messages[2] as ToolResultMessage)).toBe('xxx');
    expect(history).toHaveLength(1); // the caller's array is not touched
  });
});
