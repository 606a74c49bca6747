import { describe, expect, test } from 'vitest';
// The README's custom protocol ("Your own protocol"), verbatim down to the next comment, importing from 'qcore'.
import {
  defineStreamFunction,
  ProviderError,
  parseEventJson,
  readServerSentEvents,
  registerApi,
} from '../../src/index.js';

/** A small SSE protocol: `{"text": "…"}` events, then `{"done": true, "usage": {…}}`. */
interface WireEvent {
  text?: string;
  done?: boolean;
  error?: string;
  usage?: { input: number; output: number };
}

const streamTiny = defineStreamFunction(
  (model, context, options, apiKey) => ({
    url: `${model.baseUrl}/chat/completions`,
    headers: { 'content-type': 'application/json', ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}) },
    body: { model: model.id, messages: context.messages, max_tokens: options.maxTokens ?? model.maxTokens },
  }),
  async (response, asm, touch) => {
    let text: number | undefined;
    if (!response.body) return; // qcore ends the stream with an error: the reply is incomplete.
    await readServerSentEvents(
      response.body,
      (event) => {
        const data = parseEventJson<WireEvent>(event.data, asm);
        // Before the first event a retryable error is retried with backoff.
        if (data.error) throw new ProviderError(data.error, data.error.startsWith('overloaded'));
        if (data.text) {
          text ??= asm.startText();
          asm.textDelta(text, data.text);
        }
        if (data.usage) asm.setUsage(data.usage);
        if (data.done) asm.finish('stop');
      },
      touch,
    );
  },
);

registerApi('tiny-sse', streamTiny);

// End of the README's example.

import { type Model, stream } from '../../src/index.js';

import { mockSession } from '../support/mock.js';

function tiny(baseUrl: string): Model {
  return {
    id: 'tiny-1',
    name: 'Tiny',
    api: 'tiny-sse',
    provider: 'my-server',
    baseUrl,
    reasoning: false,
    input: ['text'],
    cost: { input: 1, output: 2, cacheRead: 0, cacheWrite: 0 },
    contextWindow: 8192,
    maxTokens: 512,
  };
}

const sse = (data: unknown): string => `data: ${JSON.stringify(data)}\n\n`;
const hello = { messages: [{ role: 'user' as const, content: 'Hello', timestamp: 1 }] };

describe('a custom protocol built from the public helpers', () => {
  test('streams text and usage from the mock server', async () => {
    const session = await mockSession({
      turns: [
        {
          type: 'raw',
          events: [sse({ text: 'Hel' }), sse({ text: 'lo!' }), sse({ done: true, usage: { input: 3, output: 2 } })],
        },
      ],
    });
    const s = stream(tiny(session.baseUrl), hello, { apiKey: 'k-123456' });
    const types: string[] = [];
    for await (const event of s) types.push(event.type);
    expect(types).toEqual(['start', 'text_start', 'text_delta', 'text_delta', 'text_end', 'done']);
    const message = await s.result();
    expect(message.content).toEqual([{ type: 'text', text: 'Hello!' }]);
    expect(message.usage.input).toBe(3);
    expect(message.usage.output).toBe(2);
    const [request] = await session.requests();
    expect(request?.headers.authorization).toBe('Bearer k-123456');
    expect(request?.body).toMatchObject({ model: 'tiny-1', max_tokens: 512 });
  });

  test('gets retries and errors from qcore: a retryable error first, then a cut stream', async () => {
    const session = await mockSession({
      turns: [
        { type: 'raw', events: [sse({ error: 'overloaded, try later' })] },
        { type: 'raw', events: [sse({ text: 'Half' })] },
      ],
    });
    const s = stream(tiny(session.baseUrl), hello, { maxRetries: 0 });
    const failed = await s.result();
    expect(failed.stopReason).toBe('error');
    expect(failed.errorMessage).toContain('overloaded');
    const cut = await stream(tiny(session.baseUrl), hello).result();
    expect(cut.stopReason).toBe('error');
    expect(cut.content).toEqual([{ type: 'text', text: 'Half' }]);
    expect(cut.errorMessage).toContain('ended before the reply was complete');
  });
});
