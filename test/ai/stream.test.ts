import { describe, expect, test } from 'vitest';
import { registerApi } from '../../src/ai/api-registry.js';
import { MessageAssembler } from '../../src/ai/assembler.js';
import { AssistantMessageEventStream } from '../../src/ai/event-stream.js';
import { complete, stream } from '../../src/ai/stream.js';
import type { AssistantMessageEvent, Model, StreamFunction } from '../../src/ai/types.js';

const echoApi = 'test-echo';

/** A user-registered protocol that needs no network: it echoes the last user text. */
const echo: StreamFunction = (model, context) => {
  const out = new AssistantMessageEventStream();
  const asm = new MessageAssembler(model, out);
  queueMicrotask(async () => {
    const last = context.messages.at(-1);
    const text = last?.role === 'user' && typeof last.content === 'string' ? last.content : '';
    const thinking = asm.startThinking();
    asm.thinkingDelta(thinking, 'hmm');
    asm.endBlock(thinking);
    const index = asm.startText();
    for (const char of text) asm.textDelta(index, char);
    const call = asm.startToolCall('call_1', 'say');
    // Let the consumer catch up between fragments, as it would over a network.
    for (const fragment of ['{"text":', JSON.stringify(text), '}']) {
      await new Promise((resolve) => setTimeout(resolve, 1));
      asm.toolCallDelta(call, fragment);
    }
    asm.setUsage({ input: 1_000_000, output: 500_000, cacheRead: 2_000_000 });
    asm.finish('stop');
  });
  return out;
};
registerApi(echoApi, echo);

const model: Model = {
  id: 'echo-1',
  name: 'Echo',
  api: echoApi,
  provider: 'local',
  baseUrl: 'http://127.0.0.1:9',
  reasoning: false,
  input: ['text'],
  cost: { input: 2, output: 10, cacheRead: 0.5, cacheWrite: 0 },
  contextWindow: 1000,
  maxTokens: 100,
};

describe('stream', () => {
  test('dispatches on model.api to a registered protocol and emits events in order', async () => {
    const events: AssistantMessageEvent[] = [];
    const s = stream(model, { messages: [{ role: 'user', content: 'hi', timestamp: 0 }] });
    for await (const event of s) events.push(event);
    expect(events.map((e) => e.type)).toEqual([
      'start',
      'thinking_start',
      'thinking_delta',
      'thinking_end',
      'text_start',
      'text_delta',
      'text_delta',
      'text_end',
      'toolcall_start',
      'toolcall_delta',
      'toolcall_delta',
      'toolcall_delta',
      'toolcall_end',
      'done',
    ]);
    const message = await s.result();
    // A reply with a tool call ends in toolUse even when the wire said stop.
    expect(message.stopReason).toBe('toolUse');
    expect(message.content).toEqual([
      { type: 'thinking', thinking: 'hmm' },
      { type: 'text', text: 'hi' },
      { type: 'toolCall', id: 'call_1', name: 'say', arguments: { text: 'hi' } },
    ]);
    expect(message.usage).toEqual({
      input: 1_000_000,
      output: 500_000,
      cacheRead: 2_000_000,
      cacheWrite: 0,
      totalTokens: 3_500_000,
      cost: { input: 2, output: 5, cacheRead: 1, cacheWrite: 0, total: 8 },
    });
  });

  test('every event carries the same live partial message, never a copy', async () => {
    const partials = new Set<unknown>();
    const s = stream(model, { messages: [{ role: 'user', content: 'abc', timestamp: 0 }] });
    for await (const event of s) {
      if ('partial' in event) partials.add(event.partial);
    }
    expect(partials.size).toBe(1);
    expect([...partials][0]).toBe(await s.result());
  });

  test('partial tool arguments are readable mid-stream', async () => {
    const seen: unknown[] = [];
    for await (const event of stream(model, { messages: [{ role: 'user', content: 'xyz', timestamp: 0 }] })) {
      if (event.type === 'toolcall_delta') {
        const part = event.partial.content[event.contentIndex];
        seen.push(part?.type === 'toolCall' ? JSON.stringify(part.arguments) : undefined);
      }
    }
    expect(seen).toEqual(['{}', '{"text":"xyz"}', '{"text":"xyz"}']);
  });

  test('an unknown api ends with an error event instead of throwing', async () => {
    const message = await complete({ ...model, api: 'nope' }, { messages: [] });
    expect(message.stopReason).toBe('error');
    expect(message.errorMessage).toBe('No stream function registered for api "nope"');
  });

  test('the result resolves even if nobody iterates', async () => {
    const message = await complete(model, { messages: [{ role: 'user', content: 'q', timestamp: 0 }] });
    expect(message.content[1]).toEqual({ type: 'text', text: 'q' });
  });
});
