import { createParser } from 'eventsource-parser';
import { describe, expect, test } from 'vitest';
import { AgentEventDecoder, AgentEventEncoder, AgentWireError } from '../../src/agent/agent-event-wire.js';
import type { AgentEvent } from '../../src/agent/types.js';
import { MessageAssembler } from '../../src/ai/assembler.js';
import { AssistantMessageEventStream } from '../../src/ai/event-stream.js';
import type { AssistantMessage, AssistantMessageEvent } from '../../src/ai/types.js';
import { emptyUsage } from '../../src/ai/usage.js';
import { testModel } from '../support/scripted-stream.js';

/** Sees each provider event the moment it is pushed, as an agent listener sees the live partial. */
class TapStream extends AssistantMessageEventStream {
  constructor(private readonly tap: (event: AssistantMessageEvent) => void) {
    super();
  }

  override push(event: AssistantMessageEvent): void {
    super.push(event);
    this.tap(event);
  }
}

function asAgentEvent(event: AssistantMessageEvent): AgentEvent {
  if (event.type === 'start') return { type: 'message_start', message: event.partial };
  if (event.type === 'done') return { type: 'message_end', message: event.message };
  if (event.type === 'error') return { type: 'message_end', message: event.error };
  return { type: 'message_update', message: event.partial, assistantMessageEvent: event };
}

function parseSse(text: string): { type: string; data: string }[] {
  const events: { type: string; data: string }[] = [];
  const parser = createParser({ onEvent: (event) => events.push({ type: event.event ?? '', data: event.data }) });
  parser.feed(text);
  return events;
}

/** Plays a reply through the real assembler, encoding and decoding each event as it is emitted. */
function roundTrip(play: (asm: MessageAssembler) => void, snapshots = true) {
  const encoder = new AgentEventEncoder();
  const decoder = new AgentEventDecoder();
  const local: unknown[] = [];
  const rebuilt: unknown[] = [];
  const decoded: AgentEvent[] = [];
  let wire = '';
  const asm = new MessageAssembler(
    testModel,
    new TapStream((event) => {
      const agentEvent = asAgentEvent(event);
      if (snapshots) local.push(JSON.parse(JSON.stringify(agentEvent)));
      const text = encoder.encode(agentEvent);
      wire += text;
      const [sse, ...rest] = parseSse(text);
      expect(rest).toEqual([]);
      const back = decoder.decode(sse?.type ?? '', sse?.data ?? '');
      decoded.push(back);
      if (snapshots) rebuilt.push(JSON.parse(JSON.stringify(back)));
    }),
  );
  play(asm);
  return { local, rebuilt, decoded, wire, decoder };
}

describe('agent event wire format', () => {
  test('rebuilds every partial, including fields the provider changes between events', () => {
    const { local, rebuilt, decoded, wire } = roundTrip((asm) => {
      asm.setResponseId('resp_1');
      asm.setUsage({ input: 12 });
      const redacted = asm.startThinking({ data: 'opaque' }, true);
      asm.endBlock(redacted);
      const thinking = asm.startThinking();
      asm.thinkingDelta(thinking, 'Need a ');
      asm.thinkingDelta(thinking, 'file.');
      asm.addProviderData(thinking, { signature: 'sig-1' });
      const text = asm.startText();
      asm.textDelta(text, 'Reading ');
      asm.textDelta(text, 'it.');
      // Two calls stream at once; one learns its id late, as OpenAI-compatible servers send it.
      const read = asm.startToolCall('', 'read');
      const write = asm.startToolCall('call_w', 'write');
      asm.toolCallDelta(read, '{"pa');
      asm.updateToolCall(read, { id: 'call_r' });
      asm.toolCallDelta(write, '{"path":"notes.md","content":"line one\\nli');
      asm.toolCallDelta(read, 'th":"READ');
      asm.toolCallDelta(read, 'ME.md"}');
      asm.setUsage({ output: 40 });
      asm.toolCallDelta(write, 'ne two"}');
      const broken = asm.startToolCall('call_b', 'edit');
      asm.toolCallDelta(broken, '{"path": tru');
      asm.finish('toolUse');
    });

    expect(rebuilt).toEqual(local);
    expect(local.length).toBe(24);
    // The partial never goes out; late fields do, once.
    expect(wire).not.toContain('"partial"');
    const count = (needle: string) => wire.split(needle).length - 1;
    expect(count('"signature":"sig-1"')).toBe(2); // the patch on the next event, and message_end
    expect(count('"id":"call_r"')).toBe(3); // the patch, toolcall_end, message_end
    expect(count('"head":')).toBe(1); // the usage that changed mid-stream
    const final = decoded.at(-1);
    expect(final?.type === 'message_end' && final.message).toMatchObject({
      stopReason: 'toolUse',
      responseId: 'resp_1',
      usage: { input: 12, output: 40 },
      content: [
        { type: 'thinking', thinking: '', redacted: true, providerData: { data: 'opaque' } },
        { type: 'thinking', thinking: 'Need a file.', providerData: { signature: 'sig-1' } },
        { type: 'text', text: 'Reading it.' },
        { type: 'toolCall', id: 'call_r', name: 'read', arguments: { path: 'README.md' } },
        {
          type: 'toolCall',
          id: 'call_w',
          name: 'write',
          arguments: { path: 'notes.md', content: 'line one\nline two' },
        },
        { type: 'toolCall', id: 'call_b', name: 'edit', invalidArguments: { raw: '{"path": tru' } },
      ],
    });
  });

  test('shows tool arguments as they stream, and keeps one live message object', () => {
    const { decoded, rebuilt } = roundTrip((asm) => {
      const call = asm.startToolCall('call_1', 'write');
      for (const piece of ['{"path":"a', '.md","content":"hel', 'lo"}']) asm.toolCallDelta(call, piece);
      asm.finish('toolUse');
    });
    const start = decoded[0];
    expect(start?.type).toBe('message_start');
    // message_start keeps the reply as it began (#10 item 15); the live object starts with the first update.
    const first = decoded.find((event) => event.type === 'message_update');
    const live = first?.type === 'message_update' ? first.message : undefined;
    expect(start?.type === 'message_start' && start.message).not.toBe(live);
    expect(start?.type === 'message_start' && start.message.role === 'assistant' && start.message.content).toEqual([]);
    const seen = (rebuilt as { assistantMessageEvent?: { type: string }; message: AssistantMessage }[])
      .filter((e) => e.assistantMessageEvent?.type === 'toolcall_delta')
      .map((e) => (e.message.content[0]?.type === 'toolCall' ? e.message.content[0].arguments : undefined));
    expect(seen).toEqual([{ path: 'a' }, { path: 'a.md', content: 'hel' }, { path: 'a.md', content: 'hello' }]);
    for (const event of decoded) {
      if (event.type === 'message_update') {
        expect(event.message).toBe(live);
        const inner = event.assistantMessageEvent;
        expect('partial' in inner ? inner.partial : undefined).toBe(live);
      }
      if (event.type === 'message_end') expect(event.message).toBe(live);
    }
  });

  test('a long reply costs linear bytes on the wire', () => {
    const piece = 'x'.repeat(50);
    const { wire } = roundTrip((asm) => {
      const text = asm.startText();
      for (let i = 0; i < 2000; i++) asm.textDelta(text, piece);
      asm.finish('stop');
    }, false);
    // The text appears in text_end and message_end; each delta adds a small constant.
    expect(wire.length).toBeGreaterThan(2 * 2000 * 50);
    expect(wire.length).toBeLessThan(2000 * (50 + 150) + 3 * 2000 * 50);
  });

  test('an error event and bad data throw AgentWireError; interrupt closes the open message', () => {
    const decoder = new AgentEventDecoder();
    expect(() => decoder.decode('error', '{"message":"boom"}')).toThrow(
      new AgentWireError('the server failed: boom', 'server'),
    );
    expect(() => decoder.decode('turn_start', 'not json')).toThrow(AgentWireError);
    expect(() => decoder.decode('turn_start', '{"type":"agent_start"}')).toThrow(AgentWireError);

    decoder.decode('agent_start', '{"type":"agent_start"}');
    const partial: AssistantMessage = {
      role: 'assistant',
      content: [],
      api: 'scripted',
      provider: 'scripted',
      model: 'scripted',
      usage: emptyUsage(),
      stopReason: 'stop',
      timestamp: 1,
    };
    decoder.decode('message_start', JSON.stringify({ type: 'message_start', message: partial }));
    decoder.decode(
      'message_update',
      JSON.stringify({ type: 'message_update', assistantMessageEvent: { type: 'text_start', contentIndex: 0 } }),
    );
    decoder.decode(
      'message_update',
      JSON.stringify({
        type: 'message_update',
        assistantMessageEvent: { type: 'text_delta', contentIndex: 0, delta: 'Hi' },
      }),
    );
    const [end, agentEnd, ...more] = decoder.interrupt('aborted', 'stopped');
    expect(more).toEqual([]);
    expect(end).toMatchObject({
      type: 'message_end',
      message: { stopReason: 'aborted', errorMessage: 'stopped', content: [{ type: 'text', text: 'Hi' }] },
    });
    expect(agentEnd).toMatchObject({ type: 'agent_end', stopReason: 'aborted', errorMessage: 'stopped' });
    expect(agentEnd?.type === 'agent_end' && agentEnd.messages).toHaveLength(1);
    expect(decoder.isEnded).toBe(true);
    expect(decoder.interrupt('error', 'again')).toEqual([]);
  });
});
