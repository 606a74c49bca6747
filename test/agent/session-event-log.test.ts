/**
 * The durable session's event log, on its own: ids, replay after an id,
 * resync when the id is unknown, the buffer's bound, and the running message
 * replayed from its start. Web standards only, so it runs in all three runtimes.
 */
import { describe, expect, test } from 'vitest';
import type { AgentEvent } from '../../src/agent/types.js';
import { SessionEventLog } from '../../src/agent/wire/session-event-log.js';
import type { AssistantMessage } from '../../src/ai/types.js';

const assistant: AssistantMessage = {
  role: 'assistant',
  content: [],
  api: 'anthropic-messages',
  provider: 'anthropic',
  model: 'm',
  usage: {
    input: 0,
    output: 0,
    cacheRead: 0,
    cacheWrite: 0,
    totalTokens: 0,
    cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, total: 0 },
  },
  stopReason: 'stop',
  timestamp: 0,
};

const user = { role: 'user' as const, content: 'hi', timestamp: 0 };

/** Reads what the stream has queued so far, without waiting for more. */
async function drain(response: Response): Promise<{ id?: string; event: string; data: string }[]> {
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  let text = '';
  const decoder = new TextDecoder();
  for (;;) {
    const next = await Promise.race([
      reader.read(),
      new Promise<null>((resolve) => setTimeout(() => resolve(null), 20)),
    ]);
    if (next === null || next.done) break;
    text += decoder.decode(next.value, { stream: true });
  }
  await reader.cancel();
  return text
    .split('\n\n')
    .filter((block) => block.includes('data: '))
    .map((block) => {
      const lines = block.split('\n');
      const field = (name: string) => lines.find((line) => line.startsWith(`${name}: `))?.slice(name.length + 2);
      return { id: field('id'), event: field('event') ?? 'message', data: field('data') ?? '' };
    });
}

function run(log: SessionEventLog): void {
  const events: AgentEvent[] = [
    { type: 'agent_start' },
    { type: 'message_start', message: user },
    { type: 'message_end', message: user },
  ];
  for (const event of events) {
    if (event.type === 'message_end') log.stored++;
    log.push(event);
  }
}

const noResync = () => ({ messages: [], status: 'idle' as const, pendingApprovals: [] });

describe('SessionEventLog', () => {
  test('frames carry <epoch>.<seq>.<stored>; a known id gets the frames after it, nothing else', async () => {
    const log = new SessionEventLog({ epoch: 3, stored: 0, heartbeatMs: 0 });
    run(log);
    expect(log.lastEventId).toBe('3.3.1');
    const all = await drain(log.connect('3.0.0', noResync));
    expect(all.map((frame) => [frame.id, frame.event])).toEqual([
      ['3.1.0', 'agent_start'],
      ['3.2.0', 'message_start'],
      ['3.3.1', 'message_end'],
    ]);
    const rest = await drain(log.connect('3.2.0', noResync));
    expect(rest.map((frame) => frame.id)).toEqual(['3.3.1']);
  });

  test('an id from another epoch, or none, gets a resync from its stored count', async () => {
    const log = new SessionEventLog({ epoch: 2, stored: 5, heartbeatMs: 0 });
    const asked: number[] = [];
    const resync = (fromIndex: number) => {
      asked.push(fromIndex);
      return { messages: [user], status: 'idle' as const, pendingApprovals: [] };
    };
    const frames = await drain(log.connect('1.40.4', resync));
    expect(frames).toHaveLength(1);
    expect(frames[0]?.event).toBe('resync');
    expect(JSON.parse(frames[0]?.data ?? '')).toEqual({
      type: 'resync',
      fromIndex: 4,
      messages: [user],
      status: 'idle',
      pendingApprovals: [],
    });
    await drain(log.connect(null, resync));
    await drain(log.connect('not an id', resync));
    expect(asked).toEqual([4, 0, 0]);
  });

  test('a joiner mid-message gets the running message from its message_start', async () => {
    const log = new SessionEventLog({ epoch: 1, stored: 0, heartbeatMs: 0 });
    run(log);
    log.push({ type: 'message_start', message: { ...assistant } });
    const frames = await drain(log.connect(null, noResync));
    expect(frames.map((frame) => frame.event)).toEqual(['resync', 'message_start']);
    // The resync's id is just before the replayed start, so a reconnect from it replays the same.
    expect(frames[0]?.id).toBe('1.3.1');
    expect(frames[1]?.id).toBe('1.4.1');
  });

  test('the buffer keeps only maxBufferBytes; an id older than it gets a resync', async () => {
    const log = new SessionEventLog({ epoch: 1, stored: 0, maxBufferBytes: 200, heartbeatMs: 0 });
    for (let i = 0; i < 50; i++) log.push({ type: 'agent_start' });
    const frames = await drain(log.connect('1.1.0', noResync));
    expect(frames[0]?.event).toBe('resync');
    const recent = await drain(log.connect('1.49.0', noResync));
    expect(recent.map((frame) => frame.id)).toEqual(['1.50.0']);
  });

  test('live frames reach every watcher; a cancelled one is dropped', async () => {
    const log = new SessionEventLog({ epoch: 1, stored: 0, heartbeatMs: 0 });
    const a = log.connect(log.lastEventId, noResync);
    const b = log.connect(log.lastEventId, noResync);
    expect(log.watchers).toBe(2);
    log.push({ type: 'agent_start' });
    expect((await drain(a)).map((frame) => frame.event)).toEqual(['agent_start']);
    expect(log.watchers).toBe(1);
    expect((await drain(b)).map((frame) => frame.event)).toEqual(['agent_start']);
    expect(log.watchers).toBe(0);
  });
});
