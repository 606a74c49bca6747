import { afterEach, describe, expect, test } from 'vitest';
import { getApi, lazyStreamFunction, registerApi, unregisterApi } from '../../src/ai/api-registry.js';
import { MessageAssembler } from '../../src/ai/assembler.js';
import { AssistantMessageEventStream } from '../../src/ai/event-stream.js';
import { streamAnthropic } from '../../src/ai/providers/by-name.js';
import { stream } from '../../src/ai/stream.js';
import type {
  AssistantMessageEvent,
  AssistantMessageStream,
  KnownApi,
  Model,
  StreamFunction,
} from '../../src/ai/types.js';
import { mockSession } from '../support/mock.js';

const BUILTINS: KnownApi[] = [
  'anthropic-messages',
  'openai-completions',
  'openai-responses',
  'google-generative-ai',
  'bedrock-converse-stream',
];

function claude(baseUrl: string): Model {
  return {
    id: 'claude-test',
    name: 't',
    api: 'anthropic-messages',
    provider: 'anthropic',
    baseUrl,
    reasoning: false,
    input: ['text'],
    cost: { input: 3, output: 15, cacheRead: 0, cacheWrite: 0 },
    contextWindow: 200_000,
    maxTokens: 1024,
  };
}

const hello = { messages: [{ role: 'user' as const, content: 'Hello', timestamp: 1 }] };

async function collect(s: AssistantMessageStream): Promise<AssistantMessageEvent[]> {
  const events: AssistantMessageEvent[] = [];
  for await (const event of s) events.push(event);
  return events;
}

afterEach(() => {
  unregisterApi('anthropic-messages');
});

describe('registry: built-in protocols', () => {
  test.each(BUILTINS)('getApi(%s) is a stream function', (api) => {
    expect(getApi(api)).toBeTypeOf('function');
  });

  test('an api that is not built in has no stream function, even one named like an Object method', () => {
    for (const api of ['no-such-api', 'toString', 'constructor', '__proto__']) expect(getApi(api), api).toBeUndefined();
  });

  test("getApi's function streams a built-in protocol, loading it on first use", async () => {
    const session = await mockSession({
      turns: [{ content: [{ type: 'text', text: 'Hi there' }] }, { content: [{ type: 'text', text: 'Again' }] }],
    });
    const streamFunction = getApi('anthropic-messages');
    if (!streamFunction) throw new Error('no anthropic-messages');
    const s = streamFunction(claude(session.baseUrl), hello, { apiKey: 'sk-test' });
    const events = await collect(s);
    expect(events[0]?.type).toBe('start');
    expect(events.at(-1)?.type).toBe('done');
    const message = await s.result();
    expect(message.content).toEqual([{ type: 'text', text: 'Hi there' }]);
    // Loaded once, later calls go straight to the protocol.
    const again = getApi('anthropic-messages');
    if (!again) throw new Error('no anthropic-messages');
    const s2 = again(claude(session.baseUrl), hello, { apiKey: 'sk-test' });
    expect((await s2.result()).content).toEqual([{ type: 'text', text: 'Again' }]);
  });

  test('a user registration replaces a built-in; unregistering brings the built-in back', async () => {
    const mine: StreamFunction = (model) => {
      const out = new AssistantMessageEventStream();
      new MessageAssembler(model, out).finish('stop');
      return out;
    };
    registerApi('anthropic-messages', mine);
    expect(getApi('anthropic-messages')).toBe(mine);
    expect((await stream(claude('http://127.0.0.1:9'), hello).result()).stopReason).toBe('stop');
    unregisterApi('anthropic-messages');
    expect(getApi('anthropic-messages')).not.toBe(mine);
    expect(getApi('anthropic-messages')).toBeTypeOf('function');
  });
});

describe("registry: the root's stream functions by name", () => {
  test('streamAnthropic loads its protocol on first call and ignores a registration over the api', async () => {
    const session = await mockSession({ turns: [{ content: [{ type: 'text', text: 'By name' }] }] });
    registerApi('anthropic-messages', () => {
      throw new Error('not this one');
    });
    const message = await streamAnthropic(claude(session.baseUrl), hello, { apiKey: 'sk-test' }).result();
    expect(message.content).toEqual([{ type: 'text', text: 'By name' }]);
  });
});

describe('registry: lazy stream functions', () => {
  test('a failed import ends the stream with an error event, never a throw', async () => {
    const lazy = lazyStreamFunction(() => Promise.reject(new Error('chunk failed to load')));
    let s: AssistantMessageStream | undefined;
    expect(() => {
      s = lazy(claude('http://127.0.0.1:9'), hello);
    }).not.toThrow();
    if (!s) throw new Error('no stream');
    const events = await collect(s);
    expect(events.map((e) => e.type)).toEqual(['start', 'error']);
    const message = await s.result();
    expect(message.stopReason).toBe('error');
    expect(message.errorMessage).toContain('chunk failed to load');
  });

  test('a failed import is tried again on the next stream', async () => {
    let calls = 0;
    const ok: StreamFunction = (model) => {
      const out = new AssistantMessageEventStream();
      new MessageAssembler(model, out).finish('stop');
      return out;
    };
    const lazy = lazyStreamFunction(() => (++calls === 1 ? Promise.reject(new Error('offline')) : Promise.resolve(ok)));
    expect((await lazy(claude('http://127.0.0.1:9'), hello).result()).stopReason).toBe('error');
    expect((await lazy(claude('http://127.0.0.1:9'), hello).result()).stopReason).toBe('stop');
    expect(calls).toBe(2);
  });

  test('streams started while loading share one import and each get their own events', async () => {
    let calls = 0;
    const echo: StreamFunction = (model, context) => {
      const out = new AssistantMessageEventStream();
      const asm = new MessageAssembler(model, out);
      const last = context.messages.at(-1);
      const index = asm.startText();
      asm.textDelta(index, last?.role === 'user' && typeof last.content === 'string' ? last.content : '');
      asm.finish('stop');
      return out;
    };
    const lazy = lazyStreamFunction(async () => {
      calls++;
      return echo;
    });
    const model = claude('http://127.0.0.1:9');
    const a = lazy(model, { messages: [{ role: 'user', content: 'a', timestamp: 1 }] });
    const b = lazy(model, { messages: [{ role: 'user', content: 'b', timestamp: 1 }] });
    expect((await a.result()).content).toEqual([{ type: 'text', text: 'a' }]);
    expect((await b.result()).content).toEqual([{ type: 'text', text: 'b' }]);
    expect(calls).toBe(1);
  });
});
