/**
 * Durable sessions across an eviction, in workerd through miniflare: the
 * Durable Object's process ends (`mf.dispose()`, so its memory, its runs and
 * its streams are gone) and a new instance starts on the same persisted
 * storage, where the object's SQLite and its alarm survive. An approval
 * answered after it, a run cut in the middle and taken up by the watchdog
 * alarm alone, and a client that reconnects with an id from before it.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import type { AgentSessionResync, AgentSessionState } from '../../src/agent/session-protocol.js';
import { type MockServer, startMockServer } from '../../testing/mock-server.js';
import type { MockReply, MockRequest, MockTurn } from '../../testing/script.js';
import { DurableHarness, type EventReader, type Frame, parseId } from './durable-support.js';

const INTERRUPTED = 'The session was interrupted (its Durable Object was restarted) before this tool call finished';

let mock: MockServer;
let harness: DurableHarness;

beforeAll(async () => {
  mock = await startMockServer();
  harness = await DurableHarness.start(mock.url);
}, 60_000);

// What workerd printed (the objects' console.error among it) goes with a failure.
beforeEach(({ onTestFailed }) => {
  const from = harness.logs.length;
  onTestFailed(() => console.error(`workerd said:\n${harness.logs.slice(from).join('\n')}`));
});

afterAll(async () => {
  await harness?.close();
  await mock?.close();
});

const text = (value: string, extra: Partial<MockReply> = {}): MockReply => ({
  content: [{ type: 'text', text: value }],
  ...extra,
});

const toolCall = (id: string, name: string, args: Record<string, unknown>): MockTurn => ({
  content: [{ type: 'toolCall', id, name, arguments: args }],
  stopReason: 'toolUse',
});

/** The Anthropic request's messages, as the mock received them. */
function sent(request: MockRequest | undefined): { role: string; content: Record<string, unknown>[] }[] {
  if (!request) throw new Error('the model got no such request');
  return (request.body as { messages: { role: string; content: Record<string, unknown>[] }[] }).messages;
}

async function state(sessionPath: string): Promise<AgentSessionState> {
  return harness.worker.json<AgentSessionState>('alice', 'GET', sessionPath, undefined, 200);
}

async function until<T>(read: () => Promise<T> | T, done: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out; last: ${JSON.stringify(value).slice(0, 2_000)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Seqs strictly one apart, all in one epoch. */
function expectContiguous(frames: Frame[]): void {
  const ids = frames.map((frame) => parseId(frame.id));
  expect(new Set(ids.map((id) => id.epoch)).size).toBe(1);
  const seqs = ids.map((id) => id.seq);
  expect(seqs).toEqual(seqs.map((_, i) => (seqs[0] as number) + i));
}

describe('a durable session across an eviction (miniflare: dispose, then a new instance on the same storage)', () => {
  test('an approval asked before the eviction is answered after it, and the run goes on', async () => {
    const session = mock.session({
      turns: [toolCall('call_write', 'write', { path: 'notes.txt', content: 'kept' }), text('Wrote notes.txt.')],
    });
    const path = `/sessions/${session.id}`;
    await harness.worker.json('alice', 'POST', `${path}/prompt`, { prompt: 'Write notes' }, 202);
    const waiting = await until(
      () => state(path),
      (value) => value.status !== 'running',
    );
    expect(waiting.status).toBe('awaiting_approval');
    expect(waiting.pendingApprovals).toEqual([
      expect.objectContaining({ toolCallId: 'call_write', toolName: 'write', reason: 'writes a file' }),
    ]);

    await harness.evict();

    const after = await state(path);
    expect(after.status).toBe('awaiting_approval');
    expect(after.pendingApprovals.map((call) => call.toolCallId)).toEqual(['call_write']);
    const answer = await harness.worker.json('alice', 'POST', `${path}/approve`, { toolCallId: 'call_write' }, 202);
    expect(answer).toEqual({ status: 'running' });
    const done = await until(
      () => state(path),
      (value) => value.status !== 'running',
    );
    expect(done.status).toBe('idle');
    expect(done.pendingApprovals).toEqual([]);
    expect(done.messages.map((message) => message.role)).toEqual(['user', 'assistant', 'toolResult', 'assistant']);
    const result = done.messages[2] as { toolCallId: string; isError: boolean; content: { text: string }[] };
    expect(result).toMatchObject({ toolCallId: 'call_write', isError: false });
    expect(done.messages[3]).toMatchObject({ content: [{ type: 'text', text: 'Wrote notes.txt.' }] });

    // The model's second request carried the tool's own result.
    expect(session.requests).toHaveLength(2);
    const toolResult = sent(session.requests[1])
      .at(-1)
      ?.content.find((part) => part.type === 'tool_result');
    expect(toolResult).toMatchObject({ tool_use_id: 'call_write' });
    expect(toolResult?.is_error).not.toBe(true);
  }, 30_000);

  test('a denial after the eviction reaches the model with its reason', async () => {
    const session = mock.session({
      turns: [toolCall('call_deny', 'write', { path: 'secrets.txt', content: 'no' }), text('Understood.')],
    });
    const path = `/sessions/${session.id}`;
    await harness.worker.json('alice', 'POST', `${path}/prompt`, { prompt: 'Write secrets' }, 202);
    await until(
      () => state(path),
      (value) => value.status === 'awaiting_approval',
    );

    await harness.evict();

    const reason = 'not in this repository, please';
    await harness.worker.json('alice', 'POST', `${path}/deny`, { toolCallId: 'call_deny', reason }, 202);
    const done = await until(
      () => state(path),
      (value) => value.status !== 'running',
    );
    expect(done.status).toBe('idle');
    expect(done.messages.map((message) => message.role)).toEqual(['user', 'assistant', 'toolResult', 'assistant']);
    expect(done.messages[2]).toMatchObject({ toolCallId: 'call_deny', isError: true });
    expect(JSON.stringify(done.messages[2])).toContain(reason);

    expect(session.requests).toHaveLength(2);
    const toolResult = sent(session.requests[1])
      .at(-1)
      ?.content.find((part) => part.type === 'tool_result');
    expect(toolResult).toMatchObject({ tool_use_id: 'call_deny', is_error: true });
    expect(JSON.stringify(toolResult)).toContain(reason);
  }, 30_000);

  test('answers split across the eviction: one call approved before it, the other denied after', async () => {
    const session = mock.session({
      turns: [
        {
          content: [
            { type: 'toolCall', id: 'call_a', name: 'write', arguments: { path: 'a.txt', content: 'A' } },
            { type: 'toolCall', id: 'call_b', name: 'write', arguments: { path: 'b.txt', content: 'B' } },
          ],
          stopReason: 'toolUse',
        },
        text('One written, one refused.'),
      ],
    });
    const path = `/sessions/${session.id}`;
    await harness.worker.json('alice', 'POST', `${path}/prompt`, { prompt: 'Write both' }, 202);
    const waiting = await until(
      () => state(path),
      (value) => value.status !== 'running',
    );
    expect(waiting.pendingApprovals.map((call) => call.toolCallId)).toEqual(['call_a', 'call_b']);
    const first = await harness.worker.json('alice', 'POST', `${path}/approve`, { toolCallId: 'call_a' }, 202);
    expect(first).toEqual({ status: 'awaiting_approval' });

    await harness.evict();

    // The approval given before the eviction is kept: answering the other call is enough to go on.
    const reason = 'b.txt stays as it is';
    const second = await harness.worker.json('alice', 'POST', `${path}/deny`, { toolCallId: 'call_b', reason }, 202);
    expect(second).toEqual({ status: 'running' });
    const done = await until(
      () => state(path),
      (value) => value.status !== 'running',
    );
    expect(done.status).toBe('idle');
    expect(done.messages.map((message) => message.role)).toEqual([
      'user',
      'assistant',
      'toolResult',
      'toolResult',
      'assistant',
    ]);
    expect(done.messages[2]).toMatchObject({ toolCallId: 'call_a', isError: false });
    expect(done.messages[3]).toMatchObject({ toolCallId: 'call_b', isError: true });
    expect(JSON.stringify(done.messages[3])).toContain(reason);
    expect(session.requests).toHaveLength(2);
  }, 30_000);

  test('a reply cut by the eviction is taken up by the alarm, with no request to the session', async () => {
    const session = mock.session({
      turns: [text('A slow reply. '.repeat(30), { deltaSize: 4, paceMs: 20 }), text('Resumed after the cut.')],
    });
    const path = `/sessions/${session.id}`;
    const events = await harness.worker.events('alice', `${path}/events`);
    await harness.worker.json('alice', 'POST', `${path}/prompt`, { prompt: 'Take your time' }, 202);
    await events.waitFor((frame) => frame.event === 'message_update');
    expect((await state(path)).status).toBe('running');

    await harness.evict();
    expect(events.ended).toBe(true);

    // Nothing is sent to the session: only its alarm can make the model's second request.
    await until(
      () => session.requests.length,
      (count) => count >= 2,
    );
    // On resume the model got the history up to the cut: the prompt, and nothing of the cut reply.
    expect(sent(session.requests[1])).toEqual([
      { role: 'user', content: [expect.objectContaining({ type: 'text', text: 'Take your time' })] },
    ]);

    const done = await until(
      () => state(path),
      (value) => value.status !== 'running',
    );
    expect(done.status).toBe('idle');
    expect(done.messages.map((message) => message.role)).toEqual(['user', 'assistant']);
    expect(done.messages[1]).toMatchObject({ content: [{ type: 'text', text: 'Resumed after the cut.' }] });
    expect(session.requests).toHaveLength(2);
  }, 30_000);

  test('a tool call cut by the eviction gets an error result saying so, and the alarm goes on with the run', async () => {
    const session = mock.session({ turns: [toolCall('call_slow', 'slow', {}), text('Carrying on without it.')] });
    const path = `/slow/sessions/${session.id}`;
    const events = await harness.worker.events('alice', `${path}/events`);
    await harness.worker.json('alice', 'POST', `${path}/prompt`, { prompt: 'Run the slow tool' }, 202);
    await events.waitFor((frame) => frame.event === 'tool_execution_start');
    const cut = await state(path);
    expect(cut.status).toBe('running');
    expect(cut.messages.map((message) => message.role)).toEqual(['user', 'assistant']);

    await harness.evict();
    expect(events.ended).toBe(true);

    await until(
      () => session.requests.length,
      (count) => count >= 2,
    );
    const resumed = sent(session.requests[1]);
    expect(resumed.map((message) => message.role)).toEqual(['user', 'assistant', 'user']);
    expect(resumed[1]?.content).toEqual([expect.objectContaining({ type: 'tool_use', id: 'call_slow', name: 'slow' })]);
    const toolResult = resumed[2]?.content.find((part) => part.type === 'tool_result');
    expect(toolResult).toMatchObject({ tool_use_id: 'call_slow', is_error: true });
    expect(JSON.stringify(toolResult)).toContain(INTERRUPTED);

    const done = await until(
      () => state(path),
      (value) => value.status !== 'running',
    );
    expect(done.status).toBe('idle');
    expect(done.messages.map((message) => message.role)).toEqual(['user', 'assistant', 'toolResult', 'assistant']);
    expect(done.messages[2]).toMatchObject({ toolCallId: 'call_slow', toolName: 'slow', isError: true });
    expect(JSON.stringify(done.messages[2])).toContain(INTERRUPTED);
    expect(done.messages[3]).toMatchObject({ content: [{ type: 'text', text: 'Carrying on without it.' }] });
    expect(session.requests).toHaveLength(2);
  }, 30_000);

  test('a client back with an id from before the eviction gets a resync of what it lacks, then live frames', async () => {
    const second = 'The second answer, streamed slowly enough to join it halfway. '.repeat(3);
    const session = mock.session({
      turns: [text('The first answer.'), text(second, { deltaSize: 4, paceMs: 25 })],
    });
    const path = `/sessions/${session.id}`;
    const before = await harness.worker.events('alice', `${path}/events`);
    await harness.worker.json('alice', 'POST', `${path}/prompt`, { prompt: 'One' }, 202);
    await before.waitFor((frame) => frame.event === 'agent_end');
    // One client saw the whole first run; another left after the prompt's message_end.
    const seenAll = before.lastEventId as string;
    const userEnd = before.frames.find(
      (frame) => frame.event === 'message_end' && (frame.data.message as { role: string }).role === 'user',
    );
    const seenPrompt = userEnd?.id as string;
    expect(parseId(seenAll).stored).toBe(2);
    expect(parseId(seenPrompt).epoch).toBe(parseId(seenAll).epoch);
    await before.close();

    await harness.evict();

    // The second run is under way on the new instance when the clients come back.
    const watcher = await harness.worker.events('alice', `${path}/events`);
    await harness.worker.json('alice', 'POST', `${path}/prompt`, { prompt: 'Two' }, 202);
    await watcher.waitFor((frame) => frame.event === 'message_update');
    const afterAll_ = await harness.worker.events('alice', `${path}/events`, seenAll);
    const afterPrompt = await harness.worker.events('alice', `${path}/events`, seenPrompt);
    try {
      const stored = ['user', 'assistant', 'user'];
      for (const [reader, lastEventId] of [
        [afterAll_, seenAll],
        [afterPrompt, seenPrompt],
      ] as [EventReader, string][]) {
        await reader.waitFor((frame) => frame.event === 'agent_end', 15_000);
        const [resync, ...live] = reader.frames;
        expect(resync?.event).toBe('resync');
        // The stored messages from the index its id names: the ones it lacks, the second prompt among them.
        const fromIndex = parseId(lastEventId).stored;
        const payload = resync?.data as unknown as AgentSessionResync;
        expect(payload).toMatchObject({ type: 'resync', fromIndex, status: 'running', pendingApprovals: [] });
        expect(payload.messages.map((message) => message.role)).toEqual(stored.slice(fromIndex));
        expect(payload.messages.at(-1)).toMatchObject({ role: 'user', content: 'Two' });
        // A new epoch: the id from before the eviction named frames this instance never had.
        expect(parseId(resync?.id).epoch).toBe(parseId(seenAll).epoch + 1);
        // Then the running reply from its message_start, and every live frame after, none missing.
        expect(live[0]).toMatchObject({ event: 'message_start', data: { message: { role: 'assistant' } } });
        expect(live.at(-1)?.event).toBe('agent_end');
        expectContiguous([resync as Frame, ...live]);
        const streamed = live
          .filter((frame) => frame.event === 'message_update')
          .map((frame) => frame.data.assistantMessageEvent as { type: string; delta?: string })
          .filter((delta) => delta.type === 'text_delta')
          .map((delta) => delta.delta)
          .join('');
        expect(streamed).toBe(second);
      }
      const done = await state(path);
      expect(done.status).toBe('idle');
      expect(done.messages.map((message) => message.role)).toEqual(['user', 'assistant', 'user', 'assistant']);
    } finally {
      await Promise.all([watcher.close(), afterAll_.close(), afterPrompt.close()]);
    }
  }, 30_000);

  // Found by this test: in a new session the header is appended first, so the prompt's entry was
  // queued behind it and the log read a stored count of 0. The log now counts each message_end.
  test("the frame that ends a new session's first prompt counts it as stored", async () => {
    const session = mock.session({ turns: [text('Hello.')] });
    const path = `/sessions/${session.id}`;
    const events = await harness.worker.events('alice', `${path}/events`);
    try {
      await harness.worker.json('alice', 'POST', `${path}/prompt`, { prompt: 'Hi' }, 202);
      await events.waitFor((frame) => frame.event === 'agent_end');
      const ends = events.of('message_end').map((frame) => parseId(frame.id).stored);
      expect(ends).toEqual([1, 2]);
    } finally {
      await events.close();
    }
  }, 30_000);
});
