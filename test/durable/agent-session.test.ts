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
