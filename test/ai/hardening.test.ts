/**
 * Hardening of the provider layer against a hostile or broken endpoint
 * (issue #9): redirects, secrets in error text, base URLs with credentials,
 * and bounds on every buffer and on a stream's duration.
 */
import { describe, expect, test } from 'vitest';
import { MessageAssembler } from '../../src/ai/assembler.js';
import { AssistantMessageEventStream } from '../../src/ai/event-stream.js';
import { streamAnthropic } from '../../src/ai/providers/anthropic-messages.js';
import { streamBedrock } from '../../src/ai/providers/bedrock/bedrock-converse-stream.js';
import { streamGoogle } from '../../src/ai/providers/google/google-generative-ai.js';
import { streamOpenAICompletions } from '../../src/ai/providers/openai-completions.js';
import { stream } from '../../src/ai/stream.js';
import type { AssistantMessage, FetchFunction, Model, StreamFunction } from '../../src/ai/types.js';
import { sseEvent } from '../../testing/script.js';
import { eventStreamMessage } from '../../testing/wire/bedrock-converse-stream.js';
import { endlessBody, leaks } from '../support/hostile.js';
import { mockSession } from '../support/mock.js';

/** Chromium turns a manual redirect into an opaque response: there no redirect can be followed. */
const inBrowser = typeof document !== 'undefined';

function makeModel(api: string, provider: string, baseUrl: string): Model {
  return {
    id: 'm',
    name: 'm',
    api,
    provider,
    baseUrl,
    reasoning: false,
    input: ['text'],
    cost: { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 },
    contextWindow: 1000,
    maxTokens: 100,
  };
}

const context = { messages: [{ role: 'user' as const, content: 'x', timestamp: 0 }] };
/** Long and without repeats, so that any 8 characters of it identify it. */
const KEY = 'sk-ant-api03-Zq8vN2xK7bLm4PwR9tYc6HdJ1gFs5AeU0oIiXyTn';

/** A fetch that answers every request with `make()`, counting calls. */
function answering(make: () => Response): FetchFunction & { calls: number } {
  const fn = Object.assign(
    async (_input: string, init: RequestInit) => {
      fn.calls++;
      init.signal?.throwIfAborted();
      return make();
    },
    { calls: 0 },
  );
  return fn;
}

const encoder = new TextEncoder();

/** The protocols whose key travels in a header fetch would forward to any host. */
const keyedProtocols: { name: string; fn: StreamFunction; model: (base: string) => Model; header: string }[] = [
  {
    name: 'anthropic-messages',
    fn: streamAnthropic,
    model: (base) => makeModel('anthropic-messages', 'anthropic', base),
    header: 'x-api-key',
  },
  {
    name: 'google-generative-ai',
    fn: streamGoogle,
    model: (base) => makeModel('google-generative-ai', 'google', base),
    header: 'x-goog-api-key',
  },
];

function pathOf(api: string): string {
  return api === 'anthropic-messages' ? '/v1/messages' : '/models/m:streamGenerateContent';
}

describe.each(keyedProtocols)('redirects ($name)', ({ fn, model, header }) => {
  test('a redirect to another origin is not followed, not retried, and names only that origin', async () => {
    const target = await mockSession({ turns: [{ content: [{ type: 'text', text: 'stolen' }] }] });
    // The same server under another host name is another origin.
    const otherOrigin = target.baseUrl.replace('127.0.0.1', 'localhost');
    const location = `${otherOrigin}${pathOf(model('').api)}?leak=${encodeURIComponent('query-secret')}`;
    const source = await mockSession({ turns: [{ type: 'http', status: 307, headers: { location } }] });
    const message = await fn(model(source.baseUrl), context, { apiKey: KEY, maxRetries: 2 }).result();
    expect(message.stopReason).toBe('error');
    expect(await target.requests()).toHaveLength(0);
    expect(await source.requests()).toHaveLength(1);
    if (inBrowser) {
      expect(message.errorMessage).toMatch(/redirect/i);
    } else {
      expect(message.errorMessage).toContain(new URL(otherOrigin).origin);
      expect(message.errorMessage).not.toContain('query-secret');
      expect(message.errorMessage).not.toContain('/s/');
    }
  });

  test('a same-origin 307 is followed with the key outside a browser, and is an error in one', async () => {
    const target = await mockSession({ turns: [{ content: [{ type: 'text', text: 'moved' }] }] });
    const location = `${target.baseUrl}${pathOf(model('').api)}?alt=sse`;
    const source = await mockSession({ turns: [{ type: 'http', status: 307, headers: { location } }] });
    const message = await fn(model(source.baseUrl), context, { apiKey: KEY }).result();
    const requests = await target.requests();
    if (inBrowser) {
      expect(message.stopReason).toBe('error');
      expect(message.errorMessage).toMatch(/browser/i);
      expect(requests).toHaveLength(0);
    } else {
      expect(message.stopReason).toBe('stop');
      expect(message.content).toEqual([{ type: 'text', text: 'moved' }]);
      expect(requests[0]?.headers[header]).toBe(KEY);
    }
  });
});

describe.skipIf(inBrowser)('redirects outside a browser', () => {
  test('a 302 answer to a POST is an error, not a GET without the body', async () => {
    const target = await mockSession({ turns: [{ content: [{ type: 'text', text: 'moved' }] }] });
    const source = await mockSession({
      turns: [{ type: 'http', status: 302, headers: { location: `${target.baseUrl}/v1/messages` } }],
    });
    const message = await streamAnthropic(makeModel('anthropic-messages', 'anthropic', source.baseUrl), context, {
      apiKey: KEY,
    }).result();
    expect(message.stopReason).toBe('error');
    expect(message.errorMessage).toMatch(/HTTP 302.*307 and 308/);
    expect(await target.requests()).toHaveLength(0);
  });

  test('a redirect loop ends after 5 hops with a clear error, not retried', async () => {
    const session = await mockSession({ turns: [] });
    const location = `${session.baseUrl}/v1/messages`;
    await session.push(
      ...Array.from({ length: 30 }, () => ({ type: 'http' as const, status: 307, headers: { location } })),
    );
    const message = await streamAnthropic(makeModel('anthropic-messages', 'anthropic', session.baseUrl), context, {
      apiKey: KEY,
    }).result();
    expect(message.stopReason).toBe('error');
    expect(message.errorMessage).toMatch(/more than 5 redirects/);
    expect(await session.requests()).toHaveLength(6);
  });
});

describe('secrets are redacted before any cut', () => {
  // Characters of the key that fall before each cut: the whole key but its last character, and less.
  const straddles = [KEY.length - 1, 20, 8];

  test.each(straddles)('a text error body cut at 1,000 characters (%i key characters before the cut)', async (k) => {
    const body = `${'e'.repeat(1000 - k)}${KEY} and more text after it`;
    const session = await mockSession({ turns: [{ type: 'http', status: 400, body }] });
    const message = await streamAnthropic(makeModel('anthropic-messages', 'anthropic', session.baseUrl), context, {
      apiKey: KEY,
    }).result();
    expect(message.errorMessage).toMatch(/^HTTP 400/);
    expect(leaks(message.errorMessage, KEY)).toBe(false);
  });

  test.each(straddles)('a JSON error message cut at 1,000 characters (%i key characters before the cut)', async (k) => {
    const body = {
      error: { type: 'invalid_request_error', message: `${'e'.repeat(1000 - k)}${KEY} ${'t'.repeat(5000)}` },
    };
    const session = await mockSession({ turns: [{ type: 'http', status: 400, body }] });
    const message = await streamAnthropic(makeModel('anthropic-messages', 'anthropic', session.baseUrl), context, {
      apiKey: KEY,
    }).result();
    expect(message.errorMessage).toMatch(/^HTTP 400/);
    expect(message.errorMessage!.length).toBeLessThan(1200);
    expect(leaks(message.errorMessage, KEY)).toBe(false);
  });

  test.each(straddles)(
    'a malformed stream event sampled at 200 characters (%i key characters before the cut)',
    async (k) => {
      const data = `${'m'.repeat(200 - k)}${KEY} not json`;
      const session = await mockSession({ turns: [{ type: 'raw', events: [sseEvent(data)] }] });
      const message = await streamAnthropic(makeModel('anthropic-messages', 'anthropic', session.baseUrl), context, {
        apiKey: KEY,
      }).result();
      expect(message.errorMessage).toMatch(/malformed JSON/);
      expect(leaks(message.errorMessage, KEY)).toBe(false);
    },
  );

  test.each(straddles)(
    'a Bedrock exception sampled at 200 characters (%i secret characters before the cut)',
    async (k) => {
      const secretAccessKey = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY-hardening';
      const frame = eventStreamMessage(
        { ':exception-type': 'ValidationException', ':content-type': 'text/plain', ':message-type': 'exception' },
        encoder.encode(`${'b'.repeat(200 - Math.min(k, secretAccessKey.length - 1))}${secretAccessKey} not json`),
      );
      const fetch = answering(
        () =>
          new Response(frame.slice(), {
            status: 200,
            headers: { 'content-type': 'application/vnd.amazon.eventstream' },
          }),
      );
      const message = await streamBedrock(
        makeModel('bedrock-converse-stream', 'amazon-bedrock', 'https://bedrock.test'),
        context,
        { credentials: { accessKeyId: 'AKIDTEST', secretAccessKey, region: 'us-east-1' }, fetch },
      ).result();
      expect(message.errorMessage).toMatch(/^ValidationException: /);
      expect(leaks(message.errorMessage, secretAccessKey)).toBe(false);
    },
  );

  test('an endless error body is read only up to a cap, and a key cut by that cap does not leak', async () => {
    // Whitespace first: trimmed away, it would put the cut-off end of the body at the start of the message.
    const { body, pulled } = endlessBody(' '.repeat(64 * 1024 - 20) + KEY, ' '.repeat(64 * 1024));
    const fetch = answering(() => new Response(body, { status: 400, headers: { 'content-type': 'text/plain' } }));
    const message = await streamAnthropic(makeModel('anthropic-messages', 'anthropic', 'https://api.test'), context, {
      apiKey: KEY,
      fetch,
    }).result();
    expect(message.stopReason).toBe('error');
    expect(message.errorMessage).toMatch(/^HTTP 400/);
    expect(leaks(message.errorMessage, KEY)).toBe(false);
    expect(pulled()).toBeLessThan(1024 * 1024);
  });
});

describe('a base URL with credentials', () => {
  test.each([
    ['streamAnthropic', streamAnthropic],
    ['stream()', stream],
  ] as const)('is refused by %s before any request, without the password and not retried', async (_name, fn) => {
    const fetch = answering(() => new Response('unreachable', { status: 500 }));
    const model = makeModel('anthropic-messages', 'anthropic', 'http://user:hunter2-password@127.0.0.1:9/v1');
    const message = await fn(model, context, { apiKey: KEY, fetch, maxRetries: 2 }).result();
    expect(message.stopReason).toBe('error');
    expect(message.errorMessage).toContain('http://***@127.0.0.1:9');
    expect(message.errorMessage).not.toContain('hunter2');
    expect(message.errorMessage).not.toMatch(/user:hunter2|\buser@/);
    expect(fetch.calls).toBe(0);
  });
});

describe('bounded buffers', () => {
  test.each([
    ['anthropic-messages', streamAnthropic, ''],
    ['openai-completions', streamOpenAICompletions, '/v1'],
  ] as const)('an endless SSE line (%s) ends the stream with an error at 16 MiB', async (api, fn, suffix) => {
    const session = await mockSession({
      turns: [
        {
          content: [{ type: 'text', text: 'hello there' }],
          fault: { type: 'endlessLine', afterEvents: 3, bytes: 20 * 1024 * 1024 },
        },
      ],
    });
    const provider = api === 'anthropic-messages' ? 'anthropic' : 'openai';
    const events: string[] = [];
    const s = fn(makeModel(api, provider, `${session.baseUrl}${suffix}`), context, { apiKey: KEY });
    for await (const event of s) events.push(event.type);
    const message = await s.result();
    expect(message.stopReason).toBe('error');
    expect(message.errorMessage).toMatch(/longer than 16 MiB/);
    expect(events.at(-1)).toBe('error');
  });

  test('tool arguments past 16 MiB end the stream with an error, and reading stops', async () => {
    const head =
      sseEvent(JSON.stringify({ type: 'message_start', message: { id: 'm1', usage: { input_tokens: 1 } } })) +
      sseEvent(
        JSON.stringify({
          type: 'content_block_start',
          index: 0,
          content_block: { type: 'tool_use', id: 't1', name: 'write', input: {} },
        }),
      ) +
      sseEvent(
        JSON.stringify({
          type: 'content_block_delta',
          index: 0,
          delta: { type: 'input_json_delta', partial_json: '{"content": "' },
        }),
      );
    const delta = sseEvent(
      JSON.stringify({
        type: 'content_block_delta',
        index: 0,
        delta: { type: 'input_json_delta', partial_json: 'x'.repeat(256 * 1024) },
      }),
    );
    const { body, pulled } = endlessBody(head, delta);
    const fetch = answering(() => new Response(body, { headers: { 'content-type': 'text/event-stream' } }));
    const s = streamAnthropic(makeModel('anthropic-messages', 'anthropic', 'https://api.test'), context, {
      apiKey: KEY,
      fetch,
    });
    const events: string[] = [];
    for await (const event of s) events.push(event.type);
    const message = await s.result();
    expect(message.stopReason).toBe('error');
    expect(message.errorMessage).toMatch(/tool call "write".*16 MiB/);
    expect(events.at(-1)).toBe('error');
    expect(pulled()).toBeLessThan(24 * 1024 * 1024);
  });

  test('maxDurationMs ends a stream kept alive by comment lines, naming the option', async () => {
    const session = await mockSession({
      turns: [{ content: [{ type: 'text', text: 'slow' }], fault: { type: 'keepalive', afterEvents: 2 } }],
    });
    const started = Date.now();
    const message = await streamAnthropic(makeModel('anthropic-messages', 'anthropic', session.baseUrl), context, {
      apiKey: KEY,
      timeoutMs: 300,
      maxDurationMs: 800,
    }).result();
    expect(message.stopReason).toBe('error');
    expect(message.errorMessage).toMatch(/maxDurationMs.*800 ms/);
    expect(Date.now() - started).toBeLessThan(4000);
  }, 8000);

  test('maxDurationMs also bounds the waits between retries', async () => {
    const session = await mockSession({
      turns: [{ type: 'http', status: 503, headers: { 'retry-after': '30' } }],
    });
    const started = Date.now();
    const message = await streamAnthropic(makeModel('anthropic-messages', 'anthropic', session.baseUrl), context, {
      apiKey: KEY,
      maxDurationMs: 500,
    }).result();
    expect(message.stopReason).toBe('error');
    expect(message.errorMessage).toMatch(/maxDurationMs/);
    expect(Date.now() - started).toBeLessThan(4000);
  }, 8000);
});

describe('usage that is not a finite number', () => {
  test('counts as 0, so the cost is never NaN', async () => {
    const events = [
      sseEvent(
        '{"type":"message_start","message":{"id":"m1","usage":{"input_tokens":1e999,"output_tokens":"7","cache_read_input_tokens":10}}}',
      ),
      sseEvent('{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":-1e999}}'),
      sseEvent('{"type":"message_stop"}'),
    ];
    const session = await mockSession({ turns: [{ type: 'raw', events }] });
    const message = await streamAnthropic(makeModel('anthropic-messages', 'anthropic', session.baseUrl), context, {
      apiKey: KEY,
    }).result();
    expect(message.stopReason).toBe('stop');
    expect(message.usage.input).toBe(0);
    expect(message.usage.output).toBe(0);
    expect(message.usage.cacheRead).toBe(10);
    expect(message.usage.totalTokens).toBe(10);
    expect(Number.isFinite(message.usage.cost.total)).toBe(true);
  });

  test('setUsage with NaN, Infinity or a string keeps every total finite', () => {
    const asm = new MessageAssembler(makeModel('x', 'x', 'https://x.test'), new AssistantMessageEventStream());
    asm.setUsage({ input: Number.NaN, output: Number.POSITIVE_INFINITY, cacheRead: '5' as unknown as number });
    const usage: AssistantMessage['usage'] = asm.message.usage;
    expect([usage.input, usage.output, usage.cacheRead, usage.totalTokens]).toEqual([0, 0, 0, 0]);
    expect(usage.cost.total).toBe(0);
  });
});
