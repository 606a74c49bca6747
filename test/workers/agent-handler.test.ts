import { createParser } from 'eventsource-parser';
import { describe, expect, test } from 'vitest';
import type { AgentEvent } from '../../src/agent/types.js';
import { createAgentHandler } from '../../src/agent/wire/agent-handler.js';
import type { FetchFunction, Model } from '../../src/ai/types.js';
import { createCodingTools } from '../../src/tools/coding-tools.js';
import { MemoryWorkspace } from '../../src/tools/memory-workspace.js';
import { mockSession } from '../support/mock.js';

interface Env {
  ANTHROPIC_API_KEY: string;
  AGENT_SECRET: string;
  MODEL_BASE_URL: string;
}

const URL_ = 'https://agent.test/';

function claude(baseUrl: string): Model {
  return {
    id: 'claude-mock',
    name: 'mock',
    api: 'anthropic-messages',
    provider: 'anthropic',
    baseUrl,
    reasoning: false,
    input: ['text'],
    cost: { input: 3, output: 15, cacheRead: 0, cacheWrite: 0 },
    contextWindow: 200_000,
    maxTokens: 4_096,
  };
}

function env(baseUrl: string): Env {
  return { ANTHROPIC_API_KEY: 'sk-from-env', AGENT_SECRET: 'worker-secret', MODEL_BASE_URL: baseUrl };
}

/** The usual Worker setup: everything built per request from the bindings. */
function workerHandler(extra: { onEvent?: (event: AgentEvent) => void; fetch?: FetchFunction } = {}) {
  return createAgentHandler((e: Env) => ({
    model: claude(e.MODEL_BASE_URL),
    tools: createCodingTools(new MemoryWorkspace({ 'README.md': '# Demo\n' })),
    streamOptions: { apiKey: e.ANTHROPIC_API_KEY, ...(extra.fetch ? { fetch: extra.fetch } : {}) },
    authorize: (request) => request.headers.get('authorization') === `Bearer ${e.AGENT_SECRET}`,
    cors: { origin: 'https://app.example' },
    maxBodyBytes: 2048,
    onEvent: extra.onEvent,
  }));
}

function post(body: unknown, init: RequestInit = {}): Request {
  return new Request(URL_, {
    method: 'POST',
    ...init,
    headers: { 'content-type': 'application/json', authorization: 'Bearer worker-secret', ...init.headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

interface WireEvent {
  type: string;
  data: Record<string, unknown>;
}

/** Reads SSE events from a body until `stop` says so (then cancels) or the body ends. */
async function readEvents(body: ReadableStream<Uint8Array>, stop?: (event: WireEvent) => boolean) {
  const events: WireEvent[] = [];
  let stopped = false;
  const parser = createParser({
    onEvent: (event) => {
      if (stopped) return;
      const parsed = { type: event.event ?? '', data: JSON.parse(event.data) as Record<string, unknown> };
      events.push(parsed);
      if (stop?.(parsed)) stopped = true;
    },
  });
  const reader = body.getReader();
  const decoder = new TextDecoder();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parser.feed(decoder.decode(value, { stream: true }));
    if (stopped) {
      await reader.cancel();
      break;
    }
  }
  return events;
}

function deferred<T>() {
  let resolve: (value: T) => void = () => {};
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe('createAgentHandler in workerd', () => {
  test('streams the run as SSE, with the key from env and tools built per request', async () => {
    const session = await mockSession({
      turns: [
        {
          content: [
            { type: 'text', text: 'Writing it.' },
            { type: 'toolCall', id: 'toolu_1', name: 'write', arguments: { path: 'notes.md', content: 'hi there' } },
          ],
          stopReason: 'toolUse',
          deltaSize: 4,
        },
        {
          content: [{ type: 'toolCall', id: 'toolu_2', name: 'read', arguments: { path: 'notes.md' } }],
          stopReason: 'toolUse',
        },
        { content: [{ type: 'text', text: 'Done.' }] },
      ],
    });
    let built = 0;
    const handler = createAgentHandler((e: Env) => {
      built++;
      return {
        model: claude(e.MODEL_BASE_URL),
        tools: createCodingTools(new MemoryWorkspace()),
        streamOptions: { apiKey: e.ANTHROPIC_API_KEY },
      };
    });
    // Building the handler does nothing; a Worker forbids I/O, timers and random ids at global scope.
    expect(built).toBe(0);

    const response = await handler(post({ prompt: 'Write notes.md, then read it.' }), env(session.baseUrl));
    expect(built).toBe(1);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-cache, no-transform');
    const events = await readEvents(response.body as ReadableStream<Uint8Array>);

    expect(events[0]).toEqual({ type: 'agent_start', data: { type: 'agent_start' } });
    const deltas = events.filter((e) => e.type === 'message_update');
    expect(deltas.every((e) => e.data.message === undefined && !JSON.stringify(e.data).includes('"partial"'))).toBe(
      true,
    );
    expect(
      deltas
        .map((e) => e.data.assistantMessageEvent as { type: string; delta?: string })
        .filter((d) => d.type === 'text_delta')
        .map((d) => d.delta)
        .join(''),
    ).toBe('Writing it.Done.');
    expect(
      deltas.map((e) => e.data.assistantMessageEvent).find((d) => (d as { type: string }).type === 'toolcall_start'),
    ).toEqual({ type: 'toolcall_start', contentIndex: 1, id: 'toolu_1', name: 'write' });
    const results = events
      .filter((e) => e.type === 'tool_execution_end')
      .map((e) => (e.data.result as { content: { text: string }[] }).content[0]?.text);
    expect(results[1]).toContain('hi there');
    const end = events.at(-1);
    expect(end?.type).toBe('agent_end');
    expect(end?.data).toMatchObject({ type: 'agent_end', stopReason: 'stop' });
    expect(end?.data.messages).toHaveLength(6);

    const requests = await session.requests();
    expect(requests).toHaveLength(3);
    expect(requests[0]?.headers['x-api-key']).toBe('sk-from-env');
  });

  test('authorize: 401 without the secret, a Response from authorize as is, CORS headers on both', async () => {
    const handler = workerHandler();
    const e = env('http://127.0.0.1:9');
    const origin = { origin: 'https://app.example' };
    const missing = await handler(post({ prompt: 'hi' }, { headers: { authorization: '', ...origin } }), e);
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer');
    expect(missing.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(await missing.json()).toEqual({ error: { message: 'unauthorized' } });

    const forbidding = createAgentHandler({
      model: claude('http://127.0.0.1:9'),
      authorize: () => new Response('not on weekends', { status: 403 }),
    });
    const forbidden = await forbidding(post({ prompt: 'hi' }), e);
    expect(forbidden.status).toBe(403);
    expect(await forbidden.text()).toBe('not on weekends');
  });

  test('refuses bad requests with clear statuses', async () => {
    const handler = workerHandler();
    const e = env('http://127.0.0.1:9');
    const get = await handler(new Request(URL_), e);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST, OPTIONS');

    const cases: [unknown, number, string][] = [
      ['{"prompt": ', 400, 'the request body is not JSON'],
      [[1, 2], 400, 'the request body is not a JSON object'],
      [{ text: 'hi' }, 400, 'neither "prompt" nor "messages"'],
      [{ prompt: 'a', messages: [] }, 400, 'send either "prompt" or "messages", not both'],
      [{ prompt: { role: 'assistant', content: 'x' } }, 400, '"prompt" must be a string or a message with role "user"'],
      [{ messages: [{ content: 'no role' }] }, 400, '"messages[0]" is not a message'],
      [{ prompt: 'x'.repeat(3000) }, 413, 'the request body is larger than 2048 bytes'],
    ];
    for (const [body, status, message] of cases) {
      const response = await handler(post(body), e);
      expect(response.status, JSON.stringify(body)).toBe(status);
      expect(((await response.json()) as { error: { message: string } }).error.message).toContain(message);
    }
  });

  test('a POST that is not application/json gets 415 and runs nothing, not even authorize', async () => {
    let ran = 0;
    let asked = 0;
    const handler = createAgentHandler({
      model: claude('http://127.0.0.1:9'),
      streamOptions: {
        apiKey: 'k',
        fetch: async () => {
          ran++;
          return new Response('no', { status: 400 });
        },
      },
      // A cookie session: what a cross-site form post carries without the page's say.
      authorize: (request) => {
        asked++;
        return request.headers.get('cookie') === 'session=valid';
      },
      cors: { origin: 'https://app.example' },
    });
    const e = env('http://127.0.0.1:9');
    const form = (contentType: string | undefined) => {
      const headers: Record<string, string> = { cookie: 'session=valid', origin: 'https://app.example' };
      if (contentType !== undefined) headers['content-type'] = contentType;
      // What <form enctype="text/plain"> sends: a body that happens to be JSON.
      return new Request(URL_, { method: 'POST', headers, body: '{"prompt":"rm -rf","x":"="}' });
    };
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', '']) {
      const response = await handler(form(type), e);
      expect(response.status, type).toBe(415);
      expect(response.headers.get('accept-post')).toBe('application/json');
      expect(response.headers.get('access-control-allow-origin')).toBe('https://app.example');
      expect(((await response.json()) as { error: { message: string } }).error.message).toContain('application/json');
    }
    const noType = new Request(URL_, {
      method: 'POST',
      headers: { cookie: 'session=valid' },
      body: new Uint8Array([1]),
    });
    expect((await handler(noType, e)).status).toBe(415);
    expect([ran, asked]).toEqual([0, 0]);

    const json = await handler(form('Application/JSON; charset=utf-8'), e);
    expect(json.status).toBe(200);
    await json.text();
    expect([ran, asked]).toEqual([1, 1]);
  });

  test('answers CORS preflights for the listed origin only', async () => {
    const handler = workerHandler();
    const e = env('http://127.0.0.1:9');
    const preflight = (origin: string) =>
      handler(
        new Request(URL_, {
          method: 'OPTIONS',
          headers: {
            origin,
            'access-control-request-method': 'POST',
            'access-control-request-headers': 'authorization, content-type',
          },
        }),
        e,
      );
    const allowed = await preflight('https://app.example');
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(allowed.headers.get('access-control-allow-headers')).toBe('authorization, content-type');
    expect(allowed.headers.get('access-control-allow-methods')).toBe('POST, OPTIONS');
    expect((await preflight('https://evil.example')).status).toBe(403);
  });

  test('a client that cancels the body mid-run aborts the run and the provider request', async () => {
    const session = await mockSession({
      turns: [
        {
          content: [{ type: 'text', text: 'This reply never finishes.' }],
          deltaSize: 4,
          fault: { type: 'stall', afterEvents: 4 },
        },
      ],
    });
    const serverEnd = deferred<AgentEvent>();
    const providerAborted = deferred<true>();
    const handler = workerHandler({
      onEvent: (event) => {
        if (event.type === 'agent_end') serverEnd.resolve(event);
      },
      fetch: (url, init) => {
        init.signal?.addEventListener('abort', () => providerAborted.resolve(true));
        return fetch(url, init);
      },
    });
    const response = await handler(post({ prompt: 'hi' }), env(session.baseUrl));
    const events = await readEvents(
      response.body as ReadableStream<Uint8Array>,
      (e) => e.type === 'message_update' && (e.data.assistantMessageEvent as { type: string }).type === 'text_delta',
    );
    expect(events.at(-1)?.data.assistantMessageEvent).toEqual({ type: 'text_delta', contentIndex: 0, delta: 'This' });
    // The mock holds its stream open until the client goes away: only the abort ends the run.
    expect(await providerAborted.promise).toBe(true);
    expect(await serverEnd.promise).toMatchObject({ type: 'agent_end', stopReason: 'aborted' });
  });

  test('request.signal aborting (the client went away) aborts the run', async () => {
    const session = await mockSession({
      turns: [{ content: [{ type: 'text', text: 'Stalls.' }], fault: { type: 'stall', afterEvents: 3 } }],
    });
    const serverEnd = deferred<AgentEvent>();
    const handler = workerHandler({
      onEvent: (event) => {
        if (event.type === 'agent_end') serverEnd.resolve(event);
      },
    });
    const controller = new AbortController();
    const request = post({ prompt: 'hi' }, { signal: controller.signal });
    const response = await handler(request, env(session.baseUrl));
    const reading = readEvents(response.body as ReadableStream<Uint8Array>);
    await new Promise((resolve) => setTimeout(resolve, 100));
    controller.abort();
    expect(await serverEnd.promise).toMatchObject({ type: 'agent_end', stopReason: 'aborted' });
    // Only the request was aborted, so the rest of the run still reaches the body.
    const events = await reading;
    expect(events.at(-1)).toMatchObject({ type: 'agent_end', data: { stopReason: 'aborted' } });
  });
});

describe('createAgentHandler heartbeat', () => {
  test('sends an SSE comment while the run is quiet, so a write can reveal a client that left', async () => {
    const session = await mockSession({
      turns: [{ content: [{ type: 'text', text: 'Quiet now.' }], fault: { type: 'stall', afterEvents: 2 } }],
    });
    const handler = createAgentHandler((e: Env) => ({
      model: claude(e.MODEL_BASE_URL),
      streamOptions: { apiKey: e.ANTHROPIC_API_KEY },
      heartbeatMs: 20,
    }));
    const response = await handler(post({ prompt: 'hi' }), env(session.baseUrl));
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = '';
    while (text.split(': keep-alive\n\n').length < 3) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    await reader.cancel();
    expect(text.startsWith('event: agent_start\ndata: {"type":"agent_start"}\n\n')).toBe(true);
    expect(text.split(': keep-alive\n\n').length - 1).toBeGreaterThanOrEqual(2);
    expect(text).not.toContain('agent_end');
  });

  test('message_start holds the reply as it began, not its final text and stop reason; a cut reply ends with length', async () => {
    const session = await mockSession({
      turns: [{ content: [{ type: 'text', text: 'The last words of a long answer' }], stopReason: 'length' }],
    });
    const handler = createAgentHandler({ model: claude(session.baseUrl), streamOptions: { apiKey: 'sk' } });
    const response = await handler(post({ prompt: 'hi' }), env(session.baseUrl));
    const events = await readEvents(response.body as ReadableStream<Uint8Array>);
    const start = events.find(
      (e) => e.type === 'message_start' && (e.data.message as { role: string }).role === 'assistant',
    );
    expect(start?.data.message).toMatchObject({ role: 'assistant', content: [], stopReason: 'stop' });
    expect(JSON.stringify(start?.data)).not.toContain('last words');
    const end = events.findLast((e) => e.type === 'message_end');
    expect(end?.data.message).toMatchObject({ stopReason: 'length' });
    expect(events.at(-1)?.data).toMatchObject({ type: 'agent_end', stopReason: 'length' });
    expect(events.at(-1)?.data.errorMessage).toBeUndefined();
  });
});
