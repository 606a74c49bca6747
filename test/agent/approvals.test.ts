/**
 * The approval primitive: `beforeToolCall` returning `{ ask: true }` holds a
 * call, the run ends `awaiting_approval`, `approve`/`deny` answer, and
 * `continue()` settles the held calls before the model is called again.
 */
import { describe, expect, test } from 'vitest';
import { Agent } from '../../src/agent/agent.js';
import { AgentEventDecoder, AgentEventEncoder } from '../../src/agent/agent-event-wire.js';
import type { AgentEvent, AgentTool, BeforeToolCallContext } from '../../src/agent/types.js';
import type { ToolResultMessage } from '../../src/ai/types.js';
import { scriptedStream, testModel } from '../support/scripted-stream.js';

const ran: string[] = [];
const tool = (name: string): AgentTool => ({
  name,
  description: name,
  parameters: { type: 'object', properties: { x: { type: 'string' } } },
  execute: async (args) => {
    ran.push(`${name}:${String(args.x)}`);
    return { content: [{ type: 'text', text: `${name} did ${String(args.x)}` }] };
  },
});

function setup(hookCalls: string[] = []) {
  ran.length = 0;
  const streamFn = scriptedStream([
    {
      toolCalls: [
        { id: 'r1', name: 'read', args: { x: 'a' } },
        { id: 'b1', name: 'bash', args: { x: 'rm -rf build' } },
        { id: 'b2', name: 'bash', args: { x: 'ls' } },
      ],
    },
    { text: 'Done.' },
    { text: 'After the prompt.' },
  ]);
  const agent = new Agent({
    model: testModel,
    tools: [tool('read'), tool('bash')],
    streamFn,
    beforeToolCall: ({ toolCall }: BeforeToolCallContext) => {
      hookCalls.push(toolCall.id);
      return toolCall.name === 'bash' ? { ask: true, reason: 'bash runs commands' } : undefined;
    },
  });
  const events: AgentEvent[] = [];
  agent.subscribe((event) => events.push(event));
  return { agent, streamFn, events };
}

const results = (agent: Agent) => agent.state.messages.filter((m): m is ToolResultMessage => m.role === 'toolResult');
const text = (result: ToolResultMessage | undefined) => (result?.content[0] as { text: string } | undefined)?.text;

describe('approvals', () => {
  test('a held call ends the run awaiting approval; the other calls of the reply run; the model is not called again', async () => {
    const { agent, streamFn, events } = setup();
    const result = await agent.prompt('clean up');
    expect(result.stopReason).toBe('awaiting_approval');
    expect(result.pendingApprovals).toEqual([
      { toolCallId: 'b1', toolName: 'bash', args: { x: 'rm -rf build' }, reason: 'bash runs commands' },
      { toolCallId: 'b2', toolName: 'bash', args: { x: 'ls' }, reason: 'bash runs commands' },
    ]);
    expect(events.at(-1)).toMatchObject({ type: 'agent_end', stopReason: 'awaiting_approval' });
    expect(agent.pendingApprovals().map((p) => p.toolCallId)).toEqual(['b1', 'b2']);
    expect(ran).toEqual(['read:a']);
    expect(streamFn.contexts).toHaveLength(1);
    // Held calls get no tool events until they are answered.
    const started = events.filter((e) => e.type === 'tool_execution_start').map((e) => e.toolCallId);
    expect(started).toEqual(['r1']);
    expect(agent.state.error).toBeUndefined();
  });

  test('approve and deny, then continue(): the calls settle before the model is called, without asking again', async () => {
    const hookCalls: string[] = [];
    const { agent, streamFn } = setup(hookCalls);
    await agent.prompt('clean up');
    await expect(agent.continue()).rejects.toThrow(
      'Agent.continue() needs an answer for every held tool call first: approve() or deny() b1, b2',
    );
    expect(() => agent.approve('nope')).toThrow(
      'Agent.approve(): no tool call "nope" awaits approval; waiting: b1, b2',
    );
    agent.deny('b1', 'not the build directory');
    agent.approve('b2');
    expect(agent.pendingApprovals()).toMatchObject([
      { toolCallId: 'b1', decision: { approved: false, reason: 'not the build directory' } },
      { toolCallId: 'b2', decision: { approved: true } },
    ]);
    const result = await agent.continue();
    expect(result.stopReason).toBe('stop');
    expect(ran).toEqual(['read:a', 'bash:ls']);
    expect(hookCalls).toEqual(['r1', 'b1', 'b2']);
    const [read, denied, approved] = results(agent);
    expect(read?.toolCallId).toBe('r1');
    expect(denied).toMatchObject({ toolCallId: 'b1', isError: true });
    expect(text(denied)).toBe('Not run: the user denied this call: not the build directory');
    expect(approved).toMatchObject({ toolCallId: 'b2', isError: false });
    // The next request carries every result, in call order.
    expect(streamFn.contexts).toHaveLength(2);
    const sent = streamFn.contexts[1]?.messages.filter((m) => m.role === 'toolResult').map((m) => m.toolCallId);
    expect(sent).toEqual(['r1', 'b1', 'b2']);
    expect(agent.pendingApprovals()).toEqual([]);
  });

  test('a new prompt instead of an answer refuses the unanswered calls, then goes on', async () => {
    const { agent, streamFn } = setup();
    await agent.prompt('clean up');
    agent.approve('b2');
    const result = await agent.prompt('never mind');
    expect(result.stopReason).toBe('stop');
    const held = results(agent).filter((r) => r.toolCallId.startsWith('b'));
    expect(text(held[0])).toBe('Not run: the user denied this call: the user sent a new message instead of answering');
    expect(held[1]?.isError).toBe(false);
    const roles = agent.state.messages.map((m) => m.role);
    expect(roles).toEqual(['user', 'assistant', 'toolResult', 'toolResult', 'toolResult', 'user', 'assistant']);
    expect(streamFn.contexts).toHaveLength(2);
  });

  test('the stored form: an agent rebuilt from the history and agent_end’s pendingApprovals takes them up', async () => {
    const { agent } = setup();
    const first = await agent.prompt('clean up');
    const rebuilt = new Agent({
      model: testModel,
      tools: [tool('read'), tool('bash')],
      streamFn: scriptedStream([{ text: 'Resumed.' }]),
      messages: [...agent.state.messages],
      pendingApprovals: first.pendingApprovals ?? [],
    });
    rebuilt.approve('b1');
    rebuilt.deny('b2');
    const result = await rebuilt.continue();
    expect(result.stopReason).toBe('stop');
    expect(ran).toEqual(['read:a', 'bash:rm -rf build']);
    expect(text(results(rebuilt).at(-1))).toBe('Not run: the user denied this call.');
    expect(() => new Agent({ model: testModel, pendingApprovals: first.pendingApprovals ?? [] })).toThrow(
      'pendingApprovals name tool calls that no reply in the history made',
    );
  });

  test('agent_end carries pendingApprovals over the wire', async () => {
    const { agent, events } = setup();
    await agent.prompt('clean up');
    const encoder = new AgentEventEncoder();
    const decoder = new AgentEventDecoder();
    const decoded = events.map((event) => decoder.decode(event.type, encoder.data(event)));
    expect(decoded.at(-1)).toMatchObject({
      type: 'agent_end',
      stopReason: 'awaiting_approval',
      pendingApprovals: [{ toolCallId: 'b1' }, { toolCallId: 'b2' }],
    });
  });

  test('reset() forgets held calls', async () => {
    const { agent } = setup();
    await agent.prompt('clean up');
    agent.reset();
    expect(agent.pendingApprovals()).toEqual([]);
  });
});
