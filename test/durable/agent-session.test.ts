/**
 * Durable sessions in workerd: a Durable Object per session (test/durable/worker.ts),
 * reached through `createAgentSessionHandler`, against the loopback mock model.
 */
import { describe, expect, test } from 'vitest';
import { mockSession } from '../support/mock.js';
import { call, EventReader, mockId } from './session-client.js';

const text = (value: string) => ({ content: [{ type: 'text' as const, text: value }] });

describe('a durable agent session', () => {
  test('keeps its history across requests; the list and the state show it; another identity gets 404', async () => {
    const mock = await mockSession({ turns: [text('Hello there.'), text('Hello again.')] });
    const id = mockId(mock.baseUrl);
    const events = await EventReader.open('alice', id);
    try {
      expect((await call('alice', 'POST', `/sessions/${id}/prompt`, { prompt: 'Hi' })).status).toBe(202);
      await events.waitFor((frame) => frame.event === 'agent_end');
      const second = await call('alice', 'POST', `/sessions/${id}/prompt`, { prompt: 'Hi again' });
      expect(second.status).toBe(202);
      await expect.poll(() => events.of('agent_end').length, { timeout: 10_000 }).toBe(2);

      // The second request carried the whole history, kept by the object.
      const requests = await mock.requests();
      const messages = (requests[1]?.body as { messages: { role: string }[] } | undefined)?.messages ?? [];
      expect(messages.map((message) => message.role)).toEqual(['user', 'assistant', 'user']);

      const state = (await (await call('alice', 'GET', `/sessions/${id}`)).json()) as Record<string, unknown>;
      expect(state).toMatchObject({ id, title: 'Hi', status: 'idle', messageCount: 4, pendingApprovals: [] });
      expect((state.messages as { role: string }[]).map((message) => message.role)).toEqual([
        'user',
        'assistant',
        'user',
        'assistant',
      ]);
      await expect
        .poll(
          async () =>
            ((await (await call('alice', 'GET', '/sessions')).json()) as { sessions: { id: string }[] }).sessions,
        )
        .toContainEqual(expect.objectContaining({ id, title: 'Hi', messageCount: 4 }));

      expect((await call('bob', 'GET', `/sessions/${id}`)).status).toBe(404);
      const bobs = (await (await call('bob', 'GET', '/sessions')).json()) as { sessions: { id: string }[] };
      expect(bobs.sessions.map((session) => session.id)).not.toContain(id);
      expect((await call(undefined, 'GET', `/sessions/${id}`)).status).toBe(401);
    } finally {
      await events.close();
    }
  });

  test('every frame has an id, and a prompt while a run is going is refused with 409', async () => {
    const mock = await mockSession({ turns: [{ ...text('Slow answer, streamed at a pace.'), paceMs: 30 }] });
    const id = mockId(mock.baseUrl);
    const events = await EventReader.open('alice', id);
    try {
      expect((await call('alice', 'POST', `/sessions/${id}/prompt`, { prompt: 'Go' })).status).toBe(202);
      const busy = await call('alice', 'POST', `/sessions/${id}/prompt`, { prompt: 'Again' });
      expect(busy.status).toBe(409);
      expect(await busy.text()).toContain('a run is in progress');
      await events.waitFor((frame) => frame.event === 'agent_end');
      const runFrames = events.frames.filter((frame) => frame.event !== 'resync');
      expect(runFrames.every((frame) => /^\d+\.\d+\.\d+$/.test(frame.id ?? ''))).toBe(true);
      const seqs = runFrames.map((frame) => Number(frame.id?.split('.')[1]));
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      expect(new Set(seqs).size).toBe(seqs.length);
    } finally {
      await events.close();
    }
  });
});

describe('events and reconnects', () => {
  const seqOf = (frame: { id: string | undefined }) => Number(frame.id?.split('.')[1]);

  test('a client that reconnects mid-stream with Last-Event-ID misses nothing and gets nothing twice', async () => {
    const mock = await mockSession({
      turns: [{ ...text('A reply long enough to be cut in the middle. '.repeat(4)), paceMs: 15, deltaSize: 8 }],
    });
    const id = mockId(mock.baseUrl);
    const first = await EventReader.open('alice', id);
    expect((await call('alice', 'POST', `/sessions/${id}/prompt`, { prompt: 'Go' })).status).toBe(202);
    await first.waitFor((frame) => frame.event === 'message_update');
    await first.close();
    const seen = first.frames.filter((frame) => frame.event !== 'resync');
    const lastId = seen.at(-1)?.id as string;
    const second = await EventReader.open('alice', id, lastId);
    try {
      await second.waitFor((frame) => frame.event === 'agent_end');
      expect(second.of('resync')).toHaveLength(0);
      const all = [...seen, ...second.frames];
      const seqs = all.map(seqOf);
      expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => (seqs[0] as number) + i));
      expect(all[0]?.event).toBe('agent_start');
      const textOut = all
        .filter((frame) => frame.event === 'message_update')
        .map((frame) => frame.data.assistantMessageEvent as { type: string; delta?: string })
        .filter((delta) => delta.type === 'text_delta')
        .map((delta) => delta.delta)
        .join('');
      expect(textOut).toBe('A reply long enough to be cut in the middle. '.repeat(4));
    } finally {
      await second.close();
    }
  });

  test('a client without an id joining mid-run gets a resync, then the running message from its start', async () => {
    const mock = await mockSession({
      turns: [text('First.'), { ...text('Second reply, streamed slowly. '.repeat(3)), paceMs: 15, deltaSize: 8 }],
    });
    const id = mockId(mock.baseUrl);
    const watcher = await EventReader.open('alice', id);
    await call('alice', 'POST', `/sessions/${id}/prompt`, { prompt: 'One' });
    await watcher.waitFor((frame) => frame.event === 'agent_end');
    await call('alice', 'POST', `/sessions/${id}/prompt`, { prompt: 'Two' });
    await watcher.waitFor((frame) => frame.event === 'message_update' && watcher.of('agent_start').length === 2);
    const late = await EventReader.open('alice', id);
    try {
      await late.waitFor((frame) => frame.event === 'agent_end');
      const [resync] = late.frames;
      expect(resync?.event).toBe('resync');
      expect(resync?.data).toMatchObject({ type: 'resync', fromIndex: 0, status: 'running' });
      // Stored so far: the first exchange and the second prompt.
      expect(((resync?.data.messages ?? []) as { role: string }[]).map((message) => message.role)).toEqual([
        'user',
        'assistant',
        'user',
      ]);
      expect(late.frames[1]?.event).toBe('message_start');
      const after = late.frames.slice(1).map(seqOf);
      expect(after).toEqual(Array.from({ length: after.length }, (_, i) => (after[0] as number) + i));
      expect(seqOf(resync as { id: string }) + 1).toBe(after[0]);
    } finally {
      await late.close();
      await watcher.close();
    }
  });

  test('two clients watching one run get the same frames', async () => {
    const mock = await mockSession({ turns: [{ ...text('Shared.'), paceMs: 5 }] });
    const id = mockId(mock.baseUrl);
    const a = await EventReader.open('alice', id);
    const b = await EventReader.open('alice', id);
    try {
      await call('alice', 'POST', `/sessions/${id}/prompt`, { prompt: 'Both' });
      await a.waitFor((frame) => frame.event === 'agent_end');
      await b.waitFor((frame) => frame.event === 'agent_end');
      const ids = (reader: EventReader) => reader.frames.filter((f) => f.event !== 'resync').map((f) => f.id);
      expect(ids(a)).toEqual(ids(b));
      expect(ids(a).length).toBeGreaterThan(4);
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('a run goes on when its only client leaves', async () => {
    const mock = await mockSession({ turns: [{ ...text('Nobody is watching.'), paceMs: 10 }] });
    const id = mockId(mock.baseUrl);
    const watcher = await EventReader.open('alice', id);
    await call('alice', 'POST', `/sessions/${id}/prompt`, { prompt: 'Leave' });
    await watcher.waitFor((frame) => frame.event === 'agent_start');
    await watcher.close();
    await expect
      .poll(async () => ((await (await call('alice', 'GET', `/sessions/${id}`)).json()) as { status: string }).status, {
        timeout: 10_000,
      })
      .toBe('idle');
    const state = (await (await call('alice', 'GET', `/sessions/${id}`)).json()) as { messages: { role: string }[] };
    expect(state.messages.map((message) => message.role)).toEqual(['user', 'assistant']);
  });
});

describe('control', () => {
  test('abort ends the run; steer and follow-up need a run', async () => {
    const mock = await mockSession({ turns: [{ ...text('This will be cut short. '.repeat(20)), paceMs: 20 }] });
    const id = mockId(mock.baseUrl);
    const events = await EventReader.open('alice', id);
    try {
      expect((await call('alice', 'POST', `/sessions/${id}/steer`, { prompt: 'x' })).status).toBe(409);
      await call('alice', 'POST', `/sessions/${id}/prompt`, { prompt: 'Talk' });
      await events.waitFor((frame) => frame.event === 'message_update');
      const aborted = await call('alice', 'POST', `/sessions/${id}/abort`);
      expect(await aborted.json()).toEqual({ aborted: true });
      const end = await events.waitFor((frame) => frame.event === 'agent_end');
      expect(end.data.stopReason).toBe('aborted');
      expect(await (await call('alice', 'POST', `/sessions/${id}/abort`)).json()).toEqual({ aborted: false });
    } finally {
      await events.close();
    }
  });

  test('a held tool call waits for approve; deny of an unknown id is 404; approve runs it and the run goes on', async () => {
    const mock = await mockSession({
      turns: [
        {
          content: [{ type: 'toolCall', id: 'w1', name: 'write', arguments: { path: 'a.txt', content: 'A' } }],
          stopReason: 'toolUse',
        },
        text('Written.'),
      ],
    });
    const id = mockId(mock.baseUrl);
    const events = await EventReader.open('alice', id);
    try {
      await call('alice', 'POST', `/sessions/${id}/prompt`, { prompt: 'Write it' });
      const end = await events.waitFor((frame) => frame.event === 'agent_end');
      expect(end.data.stopReason).toBe('awaiting_approval');
      const state = (await (await call('alice', 'GET', `/sessions/${id}`)).json()) as Record<string, unknown>;
      expect(state).toMatchObject({
        status: 'awaiting_approval',
        pendingApprovals: [{ toolCallId: 'w1', toolName: 'write' }],
      });
      expect((await call('alice', 'POST', `/sessions/${id}/prompt`, { prompt: 'Other' })).status).toBe(409);
      expect((await call('alice', 'POST', `/sessions/${id}/deny`, { toolCallId: 'nope' })).status).toBe(404);
      expect((await call('alice', 'POST', `/sessions/${id}/approve`, { toolCallId: 'w1' })).status).toBe(202);
      await expect.poll(() => events.of('agent_end').length, { timeout: 10_000 }).toBe(2);
      const final = (await (await call('alice', 'GET', `/sessions/${id}`)).json()) as {
        status: string;
        messages: { role: string; isError?: boolean }[];
      };
      expect(final.status).toBe('idle');
      expect(final.messages.map((message) => message.role)).toEqual(['user', 'assistant', 'toolResult', 'assistant']);
      expect(final.messages[2]?.isError).toBe(false);
    } finally {
      await events.close();
    }
  });
});

describe('idle runs', () => {
  test('a run with no event for idleTimeoutMs is ended by the watchdog alarm', async () => {
    // Each event 1.5 s after the last: longer than the 300 ms the short sessions allow.
    const mock = await mockSession({ turns: [{ ...text('One. Two. Three.'), paceMs: 1_500, deltaSize: 5 }] });
    const id = mockId(mock.baseUrl);
    expect((await call('alice', 'POST', `/short/sessions/${id}/prompt`, { prompt: 'Slowly' })).status).toBe(202);
    await expect
      .poll(
        async () => ((await (await call('alice', 'GET', `/short/sessions/${id}`)).json()) as { status: string }).status,
        {
          timeout: 8_000,
          interval: 200,
        },
      )
      .toBe('idle');
    const state = (await (await call('alice', 'GET', `/short/sessions/${id}`)).json()) as {
      messages: { role: string; stopReason?: string }[];
    };
    expect(state.messages.at(-1)).toMatchObject({ role: 'assistant', stopReason: 'aborted' });
  });
});
