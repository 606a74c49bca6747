import { describe, expect, test } from 'vitest';
import { streamAnthropic } from '../../src/ai/providers/anthropic-messages.js';
import { streamBedrock } from '../../src/ai/providers/bedrock/bedrock-converse-stream.js';
import { streamOpenAICompletions } from '../../src/ai/providers/openai-completions.js';
import type { AssistantMessageEvent, Model, StreamFunction } from '../../src/ai/types.js';
import { mockSession } from '../support/mock.js';

/** Behaviour every protocol shares through runProviderStream, checked for each. */
const protocols: { name: string; fn: StreamFunction; model: (base: string) => Model }[] = [
  {
    name: 'anthropic-messages',
    fn: streamAnthropic,
    model: (base) => makeModel('anthropic-messages', 'anthropic', base),
  },
  {
    name: 'openai-completions',
    fn: streamOpenAICompletions,
    model: (base) => makeModel('openai-completions', 'openai', `${base}/v1`),
  },
];

function makeModel(api: string, provider: string, baseUrl: string): Model {
  return {
    id: 'm',
    name: 'm',
    api,
    provider,
    baseUrl,
    reasoning: false,
    input: ['text'],
    cost: { input: 1, output: 1, cacheRead: 0, cacheWrite: 0 },
    contextWindow: 1000,
    maxTokens: 100,
  };
}

const context = { messages: [{ role: 'user' as const, content: 'x', timestamp: 0 }] };
const key = 'sk-request-secret';

describe.each(protocols)('$name', ({ fn, model }) => {
  test('a connection cut after content ends in error and keeps the partial text', async () => {
    const session = await mockSession({
      turns: [
        {
          content: [{ type: 'text', text: 'hello world, more to come' }],
          deltaSize: 4,
          fault: { type: 'cut', afterEvents: 5 },
        },
      ],
    });
    const events: AssistantMessageEvent['type'][] = [];
    const s = fn(model(session.baseUrl), context, { apiKey: key });
    for await (const event of s) events.push(event.type);
    const message = await s.result();
    expect(message.stopReason).toBe('error');
    expect(message.errorMessage).toMatch(/lost mid-stream/);
    const text = message.content[0];
    expect(text?.type === 'text' && text.text.length).toBeGreaterThan(0);
    expect(text?.type === 'text' && 'hello world, more to come'.startsWith(text.text)).toBe(true);
    expect(events.at(-1)).toBe('error');
    expect(events.filter((type) => type === 'error')).toHaveLength(1);
    // Content went out, so no retry happened.
    expect(await session.requests()).toHaveLength(1);
  });

  test('a refused connection is retried, then reported with the address', async () => {
    // Port 9 (discard) is closed on loopback: fetch fails fast with a network error.
    const message = await fn(model('http://127.0.0.1:9'), context, { apiKey: key, maxRetries: 1 }).result();
    expect(message.stopReason).toBe('error');
    expect(message.errorMessage).toMatch(
      /^Could not reach (anthropic|openai) at http:\/\/127\.0\.0\.1:9: .+\(after 2 attempts\)$/,
    );
  });

  test('a stall before the first byte times out with a clear message', async () => {
    const session = await mockSession({
      turns: [{ content: [{ type: 'text', text: 'late' }], fault: { type: 'stall', afterEvents: 0 } }],
    });
    const message = await fn(model(session.baseUrl), context, { apiKey: key, timeoutMs: 200 }).result();
    expect(message.stopReason).toBe('error');
    expect(message.errorMessage).toMatch(/Timed out: no data from (anthropic|openai) for 200 ms/);
  });

  test('extraBody, headers and a custom fetch reach the wire', async () => {
    const session = await mockSession({ turns: [{ content: [{ type: 'text', text: 'ok' }] }] });
    const seen: string[] = [];
    const message = await fn(model(session.baseUrl), context, {
      apiKey: key,
      extraBody: { metadata: { user_id: 'u1' } },
      headers: { 'x-trace': 'abc' },
      fetch: (input, init) => {
        seen.push(input);
        return fetch(input, init);
      },
    }).result();
    expect(message.stopReason).toBe('stop');
    expect(seen).toHaveLength(1);
    const [request] = await session.requests();
    expect((request!.body as { metadata: unknown }).metadata).toEqual({ user_id: 'u1' });
    expect(request?.headers['x-trace']).toBe('abc');
  });

  test('an already aborted signal ends at once as aborted, without a request', async () => {
    const session = await mockSession({ turns: [] });
    const controller = new AbortController();
    controller.abort();
    const message = await fn(model(session.baseUrl), context, { apiKey: key, signal: controller.signal }).result();
    expect(message.stopReason).toBe('aborted');
    expect(await session.requests()).toHaveLength(0);
  });
});

test('credentials a protocol finds itself are redacted too (Bedrock SigV4 secret and session token)', async () => {
  const secretAccessKey = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
  const sessionToken = 'FwoGZXIvYXdzEXAMPLESESSIONTOKEN';
  const session = await mockSession({
    turns: [
      {
        type: 'http',
        status: 400,
        body: { message: `echoing ${secretAccessKey} and ${sessionToken}` },
        headers: { 'x-amzn-errortype': 'ValidationException:http://internal.amazon.com/' },
      },
    ],
  });
  const model = makeModel('bedrock-converse-stream', 'amazon-bedrock', session.baseUrl);
  const message = await streamBedrock(model, context, {
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey, sessionToken, region: 'us-east-1' },
  }).result();
  expect(message.stopReason).toBe('error');
  expect(message.errorMessage).toBe('HTTP 400 Bad Request: ValidationException: echoing [redacted] and [redacted]');
});
