import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { streamAnthropic } from '../../src/ai/providers/anthropic-messages.js';
import type { Model } from '../../src/ai/types.js';
import { type MockServer, startMockServer } from '../../testing/mock-server.js';

let server: MockServer;
beforeAll(async () => {
  server = await startMockServer({ script: { turns: [{ content: [{ type: 'text', text: 'root turn' }] }] } });
});
afterAll(() => server.close());

function claude(baseUrl: string): Model {
  return {
    id: 'claude-mock',
    name: 'mock',
    api: 'anthropic-messages',
    provider: 'anthropic',
    baseUrl,
    reasoning: false,
    input: ['text'],
    cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
    contextWindow: 1000,
    maxTokens: 100,
  };
}

const ask = (text: string) => ({ messages: [{ role: 'user' as const, content: text, timestamp: 0 }] });

describe('startMockServer', () => {
  test('answers the default script at its root URL and records the request', async () => {
    const message = await streamAnthropic(claude(server.url), ask('hi'), { apiKey: 'k' }).result();
    expect(message.content).toEqual([{ type: 'text', text: 'root turn' }]);
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]?.api).toBe('anthropic-messages');
    expect(server.requests[0]?.headers['x-api-key']).toBe('k');
  });

  test('a turn can be a function of the request it answers', async () => {
    const session = server.session({
      turns: [
        (request) => {
          const body = request.body as { messages: { content: { text: string }[] | string }[] };
          const first = body.messages[0]?.content;
          const text = typeof first === 'string' ? first : (first?.[0]?.text ?? '');
          return { content: [{ type: 'text', text: `echo: ${text.toUpperCase()}` }] };
        },
      ],
    });
    const message = await streamAnthropic(claude(session.baseUrl), ask('shout'), { apiKey: 'k' }).result();
    expect(message.content).toEqual([{ type: 'text', text: 'echo: SHOUT' }]);
    expect(session.requests).toHaveLength(1);
  });

  test('sessions are isolated and say clearly when their script runs out', async () => {
    const a = server.session({ turns: [{ content: [{ type: 'text', text: 'A' }] }] });
    const b = server.session();
    b.push({ content: [{ type: 'text', text: 'B' }] });
    const fromB = await streamAnthropic(claude(b.baseUrl), ask('x'), { apiKey: 'k' }).result();
    const fromA = await streamAnthropic(claude(a.baseUrl), ask('x'), { apiKey: 'k' }).result();
    expect([fromA.content, fromB.content]).toEqual([[{ type: 'text', text: 'A' }], [{ type: 'text', text: 'B' }]]);
    const empty = await streamAnthropic(claude(a.baseUrl), ask('x'), { apiKey: 'k', maxRetries: 0 }).result();
    expect(empty.errorMessage).toMatch(/HTTP 500.*the script has no turn left/);
  });

  test('unknown routes and sessions get a 404 with a reason', async () => {
    const response = await fetch(`${server.url}/s/nope/v1/messages`, { method: 'POST', body: '{}' });
    expect(response.status).toBe(404);
    expect(await response.text()).toContain('no session nope');
    const options = await fetch(`${server.url}/v1/messages`, { method: 'OPTIONS' });
    expect(options.headers.get('access-control-allow-origin')).toBe('*');
  });
});

describe('paceMs', () => {
  test('sends each wire event on its own, a pause apart, where unpaced replies coalesce', async () => {
    const reply = { content: [{ type: 'text' as const, text: 'one two three four five six' }], deltaSize: 4 };
    const chunksOf = async (paceMs?: number): Promise<number> => {
      const session = server.session({ turns: [paceMs ? { ...reply, paceMs } : reply] });
      const response = await fetch(`${session.baseUrl}/v1/messages`, { method: 'POST', body: '{}' });
      let chunks = 0;
      for await (const _ of response.body as unknown as AsyncIterable<Uint8Array>) chunks++;
      return chunks;
    };
    expect(await chunksOf()).toBe(1);
    // message_start, block start, 7 deltas, block stop, message_delta, message_stop.
    expect(await chunksOf(5)).toBeGreaterThanOrEqual(10);
  });
});
