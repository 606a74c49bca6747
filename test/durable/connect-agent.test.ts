/**
 * The durable client against the real thing: `connectAgent(url, { sessionId })`
 * on the Durable Object in workerd, its stream cut mid-run by a fetch that
 * breaks it, resuming with Last-Event-ID by itself.
 */
import { exports } from 'cloudflare:workers';
import { describe, expect, test } from 'vitest';
import { connectAgent } from '../../src/agent/connect-agent.js';
import type { AgentSessionEvent } from '../../src/agent/connect-session.js';
import type { AssistantMessage } from '../../src/ai/types.js';
import { mockSession } from '../support/mock.js';
import { BASE, mockId } from './session-client.js';

const REPLY = 'Every word of this reply arrives exactly once, even across a cut. '.repeat(3);

/** The Worker as `fetch`, as alice; the first event stream is cut after `cutAfter` chunks. */
function workerFetch(cutAfter: number) {
  let streams = 0;
  const eventRequests: (string | null)[] = [];
  const doFetch = async (url: string, init: RequestInit): Promise<Response> => {
    const request = new Request(url, init);
    request.headers.set('x-user', 'alice');
    const response = await exports.default.fetch(request);
    if (!url.endsWith('/events')) return response;
    eventRequests.push(request.headers.get('last-event-id'));
    if (streams++ > 0 || !response.body) return response;
    const reader = response.body.getReader();
    let chunks = 0;
    const cut = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const { done, value } = await reader.read();
        if (done) return controller.close();
        controller.enqueue(value);
        if (++chunks >= cutAfter) {
          await reader.cancel();
          controller.error(new Error('connection reset'));
        }
      },
    });
    return new Response(cut, { status: response.status, headers: response.headers });
  };
  return { doFetch, eventRequests };
}

describe('connectAgent(url, { sessionId }) on a Durable Object', () => {
  test('follows a run across a cut stream: every delta once, the reply whole, Last-Event-ID sent', async () => {
    const mock = await mockSession({ turns: [{ content: [{ type: 'text', text: REPLY }], paceMs: 10, deltaSize: 6 }] });
    const sessionId = mockId(mock.baseUrl);
    const { doFetch, eventRequests } = workerFetch(8);
    const session = connectAgent(BASE, { sessionId, fetch: doFetch });
    const events: AgentSessionEvent[] = [];
    const ended = new Promise<void>((resolve) =>
      session.subscribe((event) => {
        events.push(event);
        if (event.type === 'agent_end') resolve();
      }),
    );
    try {
      await expect.poll(() => events.some((event) => event.type === 'connection' && event.state === 'open')).toBe(true);
      expect(await session.prompt('Go')).toEqual({ status: 'running' });
      await ended;
      expect(eventRequests.length).toBeGreaterThanOrEqual(2);
      expect(eventRequests[1]).toMatch(/^\d+\.\d+\.\d+$/);
      expect(events.some((event) => event.type === 'connection' && event.state === 'reconnecting')).toBe(true);
      const deltas = events.flatMap((event) =>
        event.type === 'message_update' && event.assistantMessageEvent.type === 'text_delta'
          ? [event.assistantMessageEvent.delta]
          : [],
      );
      expect(deltas.join('')).toBe(REPLY);
      const end = events.find(
        (event): event is Extract<AgentSessionEvent, { type: 'message_end' }> =>
          event.type === 'message_end' && event.message.role === 'assistant',
      );
      expect(((end?.message as AssistantMessage | undefined)?.content[0] as { text: string } | undefined)?.text).toBe(
        REPLY,
      );
      const state = await session.state();
      expect(state.messages.map((message) => message.role)).toEqual(['user', 'assistant']);
    } finally {
      session.close();
    }
  });

  test('approve through the client: the held call runs and the run ends idle', async () => {
    const mock = await mockSession({
      turns: [
        {
          content: [{ type: 'toolCall', id: 'w1', name: 'write', arguments: { path: 'b.txt', content: 'B' } }],
          stopReason: 'toolUse',
        },
        { content: [{ type: 'text', text: 'Done.' }] },
      ],
    });
    const sessionId = mockId(mock.baseUrl);
    const session = connectAgent(BASE, { sessionId, fetch: workerFetch(Number.POSITIVE_INFINITY).doFetch });
    const ends: string[] = [];
    session.subscribe((event) => {
      if (event.type === 'agent_end') ends.push(event.stopReason);
    });
    try {
      await session.prompt('Write b');
      await expect.poll(() => ends).toEqual(['awaiting_approval']);
      const { pendingApprovals } = await session.state();
      expect(pendingApprovals.map((call) => call.toolCallId)).toEqual(['w1']);
      await expect(session.prompt('again')).rejects.toMatchObject({ status: 409 });
      expect(await session.approve('w1')).toEqual({ status: 'running' });
      await expect.poll(() => ends).toEqual(['awaiting_approval', 'stop']);
      expect((await session.state()).status).toBe('idle');
    } finally {
      session.close();
    }
  });
});
