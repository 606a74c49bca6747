/**
 * `agent.prompt(input, { output })`: the run ends with a typed answer. A
 * native model gets `output` on every call and may call tools first; a tool-
 * mode model is offered the output tool beside its other tools, or forced to
 * it in one more turn when it stops without calling it. A failed check ends
 * the run as `invalid_output` unless `repair` wins. The answer rides on
 * `agent_end` across the wire, and object_delta events are rebuilt there.
 */
import { describe, expect, expectTypeOf, test } from 'vitest';
import { z } from 'zod';
import { Agent } from '../../src/agent/agent.js';
import { AgentEventDecoder, AgentEventEncoder } from '../../src/agent/agent-event-wire.js';
import type { AgentEvent, AgentRunResult } from '../../src/agent/types.js';
import { PartialJsonParser } from '../../src/ai/partial-json.js';
import { stream } from '../../src/ai/stream.js';
import type { AssistantMessage, Model, StreamOptions, ToolResultMessage } from '../../src/ai/types.js';
import { defineTool } from '../../src/tools/define-tool.js';
import type { MockTurn } from '../../testing/script.js';
import { mockSession } from '../support/mock.js';

const Forecast = z.object({ city: z.string(), sky: z.enum(['sunny', 'cloudy', 'rain']), celsius: z.number() });
const answer = { city: 'Paris', sky: 'sunny', celsius: 21 } as const;

const base = {
  name: 'mock',
  reasoning: false,
  input: ['text' as const],
  cost: { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 },
  contextWindow: 200_000,
  maxTokens: 4_096,
};
/** openai-completions asks natively (response_format); anthropic-messages with a tool, by default. */
const nativeModel = (baseUrl: string): Model => ({
  ...base,
  id: 'gpt-mock',
  api: 'openai-completions',
  provider: 'openai',
  baseUrl: `${baseUrl}/v1`,
});
const toolModel = (baseUrl: string): Model => ({
  ...base,
  id: 'claude-mock',
  api: 'anthropic-messages',
  provider: 'anthropic',
  baseUrl,
});

const weather = defineTool({
  name: 'weather',
  description: 'Current weather for a city',
  parameters: z.object({ city: z.string() }),
  execute: async ({ city }) => ({ content: [{ type: 'text', text: `Sunny, 21 °C in ${city}` }] }),
});

const weatherCall: MockTurn = {
  content: [{ type: 'toolCall', id: 'call_w1', name: 'weather', arguments: { city: 'Paris' } }],
  stopReason: 'toolUse',
};
const jsonText = (value: unknown): MockTurn => ({
  content: [{ type: 'text', text: JSON.stringify(value) }],
  deltaSize: 5,
});
const outputCall = (value: unknown, id = 'call_out'): MockTurn => ({
  content: [{ type: 'toolCall', id, name: 'output', arguments: JSON.stringify(value) }],
  stopReason: 'toolUse',
  deltaSize: 5,
});

async function agentOn(model: (baseUrl: string) => Model, turns: MockTurn[], tools = [weather]) {
  const session = await mockSession({ turns });
  /** The options of each model call, as the agent made them. */
  const calls: StreamOptions[] = [];
  const agent = new Agent({
    model: model(session.baseUrl),
    systemPrompt: 'Be brief.',
    tools,
    streamOptions: { apiKey: 'sk-agent' },
    streamFn: (m, context, options) => {
      calls.push({ ...options });
      return stream(m, context, options);
    },
  });
  const events: AgentEvent[] = [];
  agent.subscribe((event) => events.push(event));
  return { agent, events, calls, requests: () => session.requests() };
}

const endOf = (events: AgentEvent[]) => events.at(-1) as Extract<AgentEvent, { type: 'agent_end' }>;
const objectDeltas = (events: AgentEvent[]) =>
  events.filter((e) => e.type === 'message_update' && e.assistantMessageEvent.type === 'object_delta');

describe('agent.prompt(input, { output })', () => {
  test('native: the model calls a tool, then answers with JSON; the run ends with the typed output', async () => {
    const { agent, events, calls, requests } = await agentOn(nativeModel, [weatherCall, jsonText(answer)]);
    const result = await agent.prompt('Weather in Paris?', { output: Forecast });

    expect(result.stopReason).toBe('stop');
    expect(result.output).toEqual(answer);
    expect(endOf(events)).toMatchObject({ type: 'agent_end', stopReason: 'stop', output: answer });
    expect(result.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'toolResult', 'assistant']);
    expect((result.messages.at(-1) as AssistantMessage).output).toEqual(answer);
    // Every call asks for the output (natively: the protocol's own field), and the tools stay the agent's own.
    expect(calls.map((options) => options.output)).toEqual([Forecast, Forecast]);
    const sent = await requests();
    expect(sent).toHaveLength(2);
    for (const request of sent) {
      const tools = JSON.stringify((request.body as { tools: unknown }).tools);
      expect(tools).toContain('"weather"');
      expect(tools).not.toContain('"output"');
    }
    expect(JSON.stringify(sent[1]?.body)).toContain('Sunny, 21 °C in Paris');
    // The answer streamed as text with the object growing beside it.
    expect(objectDeltas(events).length).toBeGreaterThan(3);
  });

  test('tool: the output tool is offered beside the others; a tool call, then the output call, ends the run', async () => {
    const { agent, events, calls, requests } = await agentOn(toolModel, [weatherCall, outputCall(answer)]);
    const result = await agent.prompt('Weather in Paris?', { output: Forecast });

    expect(result.stopReason).toBe('stop');
    expect(result.output).toEqual(answer);
    expect(endOf(events).output).toEqual(answer);
    // The output call has a result like any call, so the history is valid for the next prompt.
    expect(result.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'toolResult', 'assistant', 'toolResult']);
    expect(result.messages.at(-1)).toMatchObject({ toolName: 'output', toolCallId: 'call_out', isError: false });
    const ends = events
      .filter((e) => e.type === 'tool_execution_end')
      .map((e) => e.type === 'tool_execution_end' && e.toolName);
    expect(ends).toEqual(['weather', 'output']);

    expect(calls.map((options) => options.output)).toEqual([undefined, undefined]);
    const sent = await requests();
    expect(sent).toHaveLength(2);
    for (const request of sent) {
      const body = request.body as { tools: { name: string; input_schema: unknown }[]; tool_choice?: { type: string } };
      expect(body.tools.map((tool) => tool.name)).toEqual(['weather', 'output']);
      expect(body.tools[1]?.input_schema).toMatchObject({ properties: { sky: { enum: ['sunny', 'cloudy', 'rain'] } } });
      // Not forced: the model chooses between its tools and the answer.
      expect(body.tool_choice?.type ?? 'auto').toBe('auto');
    }

    // The next prompt, with no output, goes on from that history.
    const next = await agentOn(toolModel, [{ content: [{ type: 'text', text: 'You are welcome.' }] }]);
    next.agent.state.messages.push(...agent.state.messages);
    const plain = await next.agent.prompt('Thanks!');
    expect(plain.stopReason).toBe('stop');
    expect(plain.output).toBeUndefined();
  });

  test('tool: a reply that stops without the output call gets one turn forcing it, with object_delta', async () => {
    const { agent, events, requests } = await agentOn(toolModel, [
      weatherCall,
      { content: [{ type: 'text', text: 'It is sunny and 21 °C in Paris.' }] },
      outputCall(answer),
    ]);
    const result = await agent.prompt('Weather in Paris?', { output: Forecast });

    expect(result.stopReason).toBe('stop');
    expect(result.output).toEqual(answer);
    const roles = result.messages.map((m) => m.role);
    expect(roles).toEqual(['user', 'assistant', 'toolResult', 'assistant', 'user', 'assistant']);
    expect(result.messages[4]).toMatchObject({ content: 'Give your final answer now by calling the output tool.' });
    // Structured output's own reply: the forced call becomes text JSON, with its value in `output`.
    const last = result.messages.at(-1) as AssistantMessage;
    expect(last.content).toEqual([{ type: 'text', text: JSON.stringify(answer) }]);
    expect(last.output).toEqual(answer);
    expect(objectDeltas(events).length).toBeGreaterThan(3);

    const sent = await requests();
    expect(sent).toHaveLength(3);
    const forced = sent[2]?.body as { tools: { name: string }[]; tool_choice: unknown; thinking?: unknown };
    expect(forced.tool_choice).toEqual({ type: 'tool', name: 'output' });
    expect(forced.tools.map((tool) => tool.name)).toEqual(['weather', 'output']);
  });

  test('tool with no tools of its own: every call forces the output tool, as stream() does', async () => {
    const { agent, events, requests } = await agentOn(toolModel, [outputCall(answer)], []);
    const result = await agent.prompt('Weather in Paris?', { output: Forecast });
    expect(result.output).toEqual(answer);
    expect(objectDeltas(events).length).toBeGreaterThan(3);
    const sent = await requests();
    expect((sent[0]?.body as { tool_choice?: unknown } | undefined)?.tool_choice).toEqual({
      type: 'tool',
      name: 'output',
    });
  });

  test('the result is typed by the schema; without one it is unknown', async () => {
    const { agent } = await agentOn(nativeModel, [jsonText(answer), { content: [{ type: 'text', text: 'ok' }] }]);
    const typed = await agent.prompt('Weather?', { output: Forecast });
    expectTypeOf(typed.output).toEqualTypeOf<z.infer<typeof Forecast> | undefined>();
    expect(typed.output?.celsius).toBe(21);
    const plain = await agent.prompt('Thanks');
    expectTypeOf(plain).toEqualTypeOf<AgentRunResult<unknown>>();
    expect(plain.output).toBeUndefined();
    // A plain JSON Schema works too, its value unknown.
    const { agent: second } = await agentOn(nativeModel, [jsonText({ n: 1 })]);
    const loose = await second.prompt('n?', {
      output: { type: 'object', properties: { n: { type: 'number' } }, required: ['n'] },
    });
    expectTypeOf(loose.output).toEqualTypeOf<unknown>();
    expect(loose.output).toEqual({ n: 1 });
  });

  test('native: an answer that does not match ends the run as invalid_output, with its issues', async () => {
    const { agent, events } = await agentOn(nativeModel, [jsonText({ ...answer, celsius: 'warm' })]);
    const result = await agent.prompt('Weather?', { output: Forecast });
    expect(result).toMatchObject({ stopReason: 'error', errorKind: 'invalid_output' });
    expect(result.output).toBeUndefined();
    expect(result.outputIssues?.[0]).toMatchObject({ path: ['celsius'] });
    expect(result.errorMessage).toMatch(/celsius/);
    expect(endOf(events)).toMatchObject({ errorKind: 'invalid_output', outputIssues: result.outputIssues });
    expect(agent.state.error).toMatch(/does not match the schema/);
  });

  test('tool: an output call that does not match ends the run as invalid_output, its call answered', async () => {
    const { agent, requests } = await agentOn(toolModel, [outputCall({ ...answer, sky: 'purple' })]);
    const result = await agent.prompt('Weather?', { output: Forecast });
    expect(result).toMatchObject({ stopReason: 'error', errorKind: 'invalid_output' });
    expect(result.outputIssues?.[0]).toMatchObject({ path: ['sky'] });
    expect(result.errorMessage).toMatch(/^The output does not match the schema: sky/);
    expect(result.messages.at(-1)).toMatchObject({ role: 'toolResult', toolName: 'output', isError: true });
    expect(await requests()).toHaveLength(1);
  });

  test('tool with repair: the failed check goes back to the model once, and its second answer ends the run', async () => {
    const { agent, requests } = await agentOn(toolModel, [
      outputCall({ ...answer, sky: 'purple' }, 'call_bad'),
      outputCall(answer),
    ]);
    const result = await agent.prompt('Weather?', { output: Forecast, repair: true });
    expect(result.stopReason).toBe('stop');
    expect(result.output).toEqual(answer);
    expect(result.outputIssues).toBeUndefined();
    const sent = await requests();
    expect(sent).toHaveLength(2);
    expect(JSON.stringify(sent[1]?.body)).toContain('The answer does not match the schema: sky');

    // A second failure ends it: repair allows one.
    const twice = await agentOn(toolModel, [outputCall({ sky: 'purple' }, 'a'), outputCall({ sky: 'green' }, 'b')]);
    const failed = await twice.agent.prompt('Weather?', { output: Forecast, repair: true });
    expect(failed).toMatchObject({ stopReason: 'error', errorKind: 'invalid_output' });
  });

  test('tool: an output call beside another call is not taken; the other runs and the model answers alone', async () => {
    const { agent } = await agentOn(toolModel, [
      {
        content: [
          { type: 'toolCall', id: 'call_w1', name: 'weather', arguments: { city: 'Paris' } },
          { type: 'toolCall', id: 'call_early', name: 'output', arguments: answer },
        ],
        stopReason: 'toolUse',
      },
      outputCall(answer),
    ]);
    const result = await agent.prompt('Weather?', { output: Forecast });
    expect(result.output).toEqual(answer);
    const results = result.messages.filter((m): m is ToolResultMessage => m.role === 'toolResult');
    expect(results.map((m) => [m.toolCallId, m.isError])).toEqual([
      ['call_w1', false],
      ['call_early', true],
      ['call_out', false],
    ]);
    expect(results[1]?.content[0]).toMatchObject({ text: expect.stringMatching(/^Not taken: call output on its own/) });
  });

  test('an outputName that one of the tools has fails the run before any request', async () => {
    const { agent, requests } = await agentOn(toolModel, []);
    const result = await agent.prompt('Weather?', { output: Forecast, outputName: 'weather' });
    expect(result).toMatchObject({ stopReason: 'error', errorKind: 'invalid_request' });
    expect(result.errorMessage).toMatch(/outputName "weather"/);
    expect(result.messages.map((m) => m.role)).toEqual(['user']);
    expect(await requests()).toHaveLength(0);
  });

  test.each([
    ['native', nativeModel, [weatherCall, jsonText(answer)]],
    [
      'tool, forced turn',
      toolModel,
      [weatherCall, { content: [{ type: 'text', text: 'Sunny.' }] }, outputCall(answer)],
    ],
  ] as [string, (baseUrl: string) => Model, MockTurn[]][])(
    'across the wire (%s): object_delta objects are rebuilt, agent_end carries the output',
    async (_, model, turns) => {
      const { agent } = await agentOn(model, turns);
      const encoder = new AgentEventEncoder();
      const decoder = new AgentEventDecoder();
      /** The object after each text delta of the answer, as the sender's parser had it then. */
      const expected: string[] = [];
      let oracle = new PartialJsonParser();
      let text = '';
      const remote: string[] = [];
      let decodedEnd: AgentEvent | undefined;
      agent.subscribe((event) => {
        // Encoded and decoded as each event is emitted, as a server and its client would.
        const decoded = decoder.decode(event.type, encoder.data(event));
        if (event.type === 'message_start') oracle = new PartialJsonParser();
        if (event.type === 'message_update') {
          const inner = event.assistantMessageEvent;
          // The local object is the parser's live tree, maybe ahead of this event: the deltas say what it was.
          if (inner.type === 'text_delta') text = inner.delta;
          if (inner.type === 'object_delta') {
            oracle.feed(text);
            expected.push(JSON.stringify(oracle.value));
          }
        }
        if (decoded.type === 'message_update' && decoded.assistantMessageEvent.type === 'object_delta') {
          remote.push(JSON.stringify(decoded.assistantMessageEvent.object));
        }
        if (decoded.type === 'agent_end') decodedEnd = decoded;
      });
      await agent.prompt('Weather in Paris?', { output: Forecast });
      expect(expected.length).toBeGreaterThan(3);
      expect(remote).toEqual(expected);
      expect(remote.at(-1)).toBe(JSON.stringify(answer));
      expect(decodedEnd).toMatchObject({ type: 'agent_end', stopReason: 'stop', output: answer });
    },
  );
});
