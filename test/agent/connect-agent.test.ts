import { describe, expect, test } from 'vitest';
import { z } from 'zod';
import { Agent } from '../../src/agent/agent.js';
import { connectAgent } from '../../src/agent/connect-agent.js';
import type { AgentEvent, AgentMessage } from '../../src/agent/types.js';
import { createAgentHandler } from '../../src/agent/wire/agent-handler.js';
import type { AssistantMessage, FetchFunction, Model, UserMessage } from '../../src/ai/types.js';
import { defineTool } from '../../src/tools/define-tool.js';
import type { MockTurn } from '../../testing/script.js';
import { mockSession } from '../support/mock.js';

const SECRET = 'connect-secret';
const ENDPOINT = 'https://agent.test/run';

function claude(baseUrl: string): Model {
  return {
    id: 'claude-mock',
    name: 'mock',
    api: 'anthropic-messages',
    provider: 'anthropic',
    baseUrl,
    reasoning: true,
    input: ['text'],
    cost: { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 },
    contextWindow: 200_000,
    maxTokens: 4_096,
  };
}

const weather = defineTool({
  name: 'weather',
  description: 'Current weather for a city',
  parameters: z.object({ city: z.string(), unit: z.enum(['C', 'F']) }),
  execute: async ({ city, unit }) => ({
    content: [{ type: 'text', text: `Sunny in ${city}, 21°${unit}` }],
    details: { city },
  }),
});

const SCRIPT: MockTurn[] = [
  {
    id: 'msg_1',
    content: [
      { type: 'thinking', thinking: 'The user wants the weather.', signature: 'sig-w' },
      { type: 'text', text: 'Let me check the weather.' },
      { type: 'toolCall', id: 'toolu_w1', name: 'weather', arguments: { city: 'Paris', unit: 'C' } },
    ],
    stopReason: 'toolUse',
    deltaSize: 5,
    usage: { input: 100, output: 30 },
  },
  { id: 'msg_2', content: [{ type: 'text', text: 'It is sunny in Paris, 21°C.' }], usage: { input: 160, output: 9 } },
];

/**
 * Hands the provider's reply over one SSE event at a time, a timer apart, so
 * that every run sees each partial at the same point: a local Agent's partial
 * runs ahead of its event when one network chunk carries several events.
 */
const pacedFetch: FetchFunction = async (url, init) => {
  const response = await fetch(url, init);
  const events = (await response.text()).split(/(?<=\n\n)/);
  const bytes = new TextEncoder();
  let next = 0;
  const body = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        await new Promise((resolve) => setTimeout(resolve, 0));
        const event = events[next++];
        if (event === undefined) controller.close();
        else controller.enqueue(bytes.encode(event));
      },
    },
    { highWaterMark: 0 },
  );
  return new Response(body, { status: response.status, headers: response.headers });
};

/** Each event as JSON at the moment it is seen, with the clock's values zeroed. */
function snapshot(event: AgentEvent): unknown {
  return JSON.parse(JSON.stringify(event, (key, value) => (key === 'timestamp' ? 0 : value)));
}

function handlerFetch(
  handler: (request: Request, env: unknown) => Promise<Response>,
): (url: string, init: RequestInit) => Promise<Response> {
  return (url, init) => handler(new Request(url, init), {});
}

const auth = { authorization: `Bearer ${SECRET}` };
const authorize = (request: Request) => request.headers.get('authorization') === `Bearer ${SECRET}`;

describe('connectAgent against createAgentHandler', () => {
  test('rebuilt events deep-equal a local Agent’s for the same scripted run', async () => {
    const prompt: UserMessage = { role: 'user', content: 'Weather in Paris?', timestamp: 1_700_000_000_000 };

    const localSession = await mockSession({ turns: SCRIPT });
    const agent = new Agent({
      model: claude(localSession.baseUrl),
      systemPrompt: 'Be brief.',
      tools: [weather],
      streamOptions: { apiKey: 'sk-local', fetch: pacedFetch },
    });
    const local: unknown[] = [];
    agent.subscribe((event) => local.push(snapshot(event)));
    await agent.prompt(prompt);

    const remoteSession = await mockSession({ turns: SCRIPT });
    const handler = createAgentHandler({
      model: claude(remoteSession.baseUrl),
      systemPrompt: 'Be brief.',
      tools: [weather],
      streamOptions: { apiKey: 'sk-local', fetch: pacedFetch },
      authorize,
    });
    const run = connectAgent(ENDPOINT, { prompt }, { fetch: handlerFetch(handler), headers: auth });
    const remote: unknown[] = [];
    const events: AgentEvent[] = [];
    for await (const event of run) {
      remote.push(snapshot(event));
      events.push(event);
    }

    expect(remote).toEqual(local);
    expect(local.length).toBeGreaterThan(40);

    // The tool call's arguments grew as they streamed, in the one live message.
    const argsSeen = (remote as { assistantMessageEvent?: { type: string }; message?: AssistantMessage }[])
      .filter((e) => e.assistantMessageEvent?.type === 'toolcall_delta')
      .map((e) => e.message?.content[2]);
    expect(argsSeen.length).toBeGreaterThan(3);
    expect(argsSeen[0]).toMatchObject({ type: 'toolCall', id: 'toolu_w1', name: 'weather' });
    expect(argsSeen.at(-1)).toMatchObject({ arguments: { city: 'Paris', unit: 'C' } });
    expect(argsSeen.map((part) => (part?.type === 'toolCall' ? part.arguments : undefined))).toEqual([
      {},
      { city: 'P' },
      { city: 'Paris' },
      { city: 'Paris' },
      { city: 'Paris', unit: 'C' },
      { city: 'Paris', unit: 'C' },
    ]);
    const start = events.find((e) => e.type === 'message_start' && e.message.role === 'assistant');
    const end = events.find((e) => e.type === 'message_end' && e.message.role === 'assistant');
    // message_start holds the reply as it began (#10 item 15); updates and message_end share the live object.
    expect(start?.type === 'message_start' && end?.type === 'message_end' && start.message === end.message).toBe(false);
    expect(start?.type === 'message_start' && start.message.role === 'assistant' && start.message.content).toEqual([]);
    const update = events.find((e) => e.type === 'message_update');
    expect(update?.type === 'message_update' && end?.type === 'message_end' && update.message === end.message).toBe(
      true,
    );

    const result = await run.result();
    expect(result.stopReason).toBe('stop');
    expect(result.messages.map((m) => (m as { role: string }).role)).toEqual([
      'user',
      'assistant',
      'toolResult',
      'assistant',
    ]);
    expect((result.messages.at(-1) as AssistantMessage).content).toEqual([
      { type: 'text', text: 'It is sunny in Paris, 21°C.' },
    ]);
    expect(await remoteSession.requests()).toHaveLength(2);
  });

  test('a session’s messages run continue()-style: the last user message is the new input', async () => {
    const session = await mockSession({ turns: [{ content: [{ type: 'text', text: 'Still sunny.' }] }] });
    const handler = createAgentHandler({ model: claude(session.baseUrl), streamOptions: { apiKey: 'sk-test' } });
    const messages = [
      { role: 'user' as const, content: 'Hi', timestamp: 1 },
      {
        role: 'assistant' as const,
        content: [{ type: 'text' as const, text: 'Hello!' }],
        api: 'anthropic-messages',
        provider: 'anthropic',
        model: 'claude-mock',
        usage: { input: 1, output: 1, cacheRead: 0, cacheWrite: 0, totalTokens: 2, cost: zeroCost },
        stopReason: 'stop' as const,
        timestamp: 2,
      },
      { role: 'user' as const, content: 'And now?', timestamp: 3 },
    ];
    const run = connectAgent(ENDPOINT, { messages }, { fetch: handlerFetch(handler) });
    const result = await run.result();
    expect(result.stopReason).toBe('stop');
    expect(result.messages).toHaveLength(1);
    expect((result.messages[0] as AssistantMessage).content).toEqual([{ type: 'text', text: 'Still sunny.' }]);
    const [request] = await session.requests();
    expect(JSON.stringify(request?.body)).toContain('And now?');
    expect(JSON.stringify(request?.body)).toContain('Hello!');
  });

  test('HTTP 401 ends the stream with an error agent_end', async () => {
    const handler = createAgentHandler({ model: claude('http://127.0.0.1:9'), authorize });
    const run = connectAgent(ENDPOINT, { prompt: 'hi' }, { fetch: handlerFetch(handler) });
    const events: AgentEvent[] = [];
    for await (const event of run) events.push(event);
    expect(events).toEqual([
      {
        type: 'agent_end',
        messages: [],
        stopReason: 'error',
        errorMessage: 'connectAgent: HTTP 401: unauthorized',
        errorKind: 'auth',
        errorStatus: 401,
      },
    ]);
    expect(await run.result()).toEqual({
      messages: [],
      stopReason: 'error',
      errorMessage: 'connectAgent: HTTP 401: unauthorized',
      errorKind: 'auth',
      errorStatus: 401,
    });
  });

  test('a 400 and a network failure end with clear errors, never a throw', async () => {
    const handler = createAgentHandler({ model: claude('http://127.0.0.1:9') });
    const empty = await connectAgent(ENDPOINT, { prompt: '  ' }, { fetch: handlerFetch(handler) }).result();
    expect(empty).toEqual({
      messages: [],
      stopReason: 'error',
      errorMessage: 'connectAgent: HTTP 400: "prompt" is empty',
      errorKind: 'invalid_request',
      errorStatus: 400,
    });

    const offline = await connectAgent(
      ENDPOINT,
      { prompt: 'hi' },
      { fetch: () => Promise.reject(new TypeError('fetch failed')) },
    ).result();
    expect(offline).toEqual({
      messages: [],
      stopReason: 'error',
      errorMessage: `connectAgent: the request to ${ENDPOINT} failed: fetch failed`,
      errorKind: 'network',
    });
  });

  test('a server error event, a 500 and a stream cut short end as errors', async () => {
    const sse = (text: string) => async () => new Response(text, { headers: { 'content-type': 'text/event-stream' } });
    const failed = connectAgent(
      ENDPOINT,
      { prompt: 'hi' },
      {
        fetch: sse('event: agent_start\ndata: {"type":"agent_start"}\n\nevent: error\ndata: {"message":"boom"}\n\n'),
      },
    );
    const events: AgentEvent[] = [];
    for await (const event of failed) events.push(event);
    expect(events).toEqual([
      { type: 'agent_start' },
      {
        type: 'agent_end',
        messages: [],
        stopReason: 'error',
        errorMessage: 'connectAgent: the server failed: boom',
        errorKind: 'server',
      },
    ]);

    const crashed = await connectAgent(
      ENDPOINT,
      { prompt: 'hi' },
      {
        fetch: async () => Response.json({ error: { message: 'worker exceeded its CPU limit' } }, { status: 500 }),
      },
    ).result();
    expect(crashed.errorMessage).toBe('connectAgent: HTTP 500: worker exceeded its CPU limit');
    expect(crashed).toMatchObject({ errorKind: 'server', errorStatus: 500 });

    const cut = await connectAgent(
      ENDPOINT,
      { prompt: 'hi' },
      {
        fetch: sse('event: agent_start\ndata: {"type":"agent_start"}\n\n: keep-alive\n\n'),
      },
    ).result();
    expect(cut).toEqual({
      messages: [],
      stopReason: 'error',
      errorMessage: 'connectAgent: the stream ended before the run did (no agent_end)',
      errorKind: 'network',
    });
  });

  test('abort cancels the request, the server aborts its run, the stream ends as aborted', async () => {
    const session = await mockSession({
      turns: [
        {
          content: [{ type: 'text', text: 'This reply stalls halfway through.' }],
          deltaSize: 4,
          fault: { type: 'stall', afterEvents: 5 },
        },
      ],
    });
    let serverEnd: (event: AgentEvent) => void = () => {};
    const serverEnded = new Promise<AgentEvent>((resolve) => {
      serverEnd = resolve;
    });
    const handler = createAgentHandler({
      model: claude(session.baseUrl),
      streamOptions: { apiKey: 'sk-test' },
      onEvent: (event) => {
        if (event.type === 'agent_end') serverEnd(event);
      },
    });
    const controller = new AbortController();
    const run = connectAgent(ENDPOINT, { prompt: 'hi' }, { fetch: handlerFetch(handler), signal: controller.signal });
    const events: AgentEvent[] = [];
    for await (const event of run) {
      events.push(event);
      if (event.type === 'message_update' && event.assistantMessageEvent.type === 'text_delta') controller.abort();
    }
    const last = events.at(-1);
    expect(last).toMatchObject({ type: 'agent_end', stopReason: 'aborted' });
    const closed = events.at(-2);
    expect(closed?.type === 'message_end' && closed.message).toMatchObject({
      role: 'assistant',
      stopReason: 'aborted',
    });
    expect(closed?.type === 'message_end' && JSON.stringify(closed.message.content)).toMatch(
      /^\[\{"type":"text","text":"This/,
    );
    expect(await run.result()).toMatchObject({ stopReason: 'aborted', errorKind: 'aborted' });
    // Without the abort reaching the server, its run would wait on the stalled provider forever.
    expect(await serverEnded).toMatchObject({ type: 'agent_end', stopReason: 'aborted' });
  });

  test('an already aborted signal sends nothing', async () => {
    let called = false;
    const run = connectAgent(
      ENDPOINT,
      { prompt: 'hi' },
      {
        signal: AbortSignal.abort(),
        fetch: async () => {
          called = true;
          return new Response('');
        },
      },
    );
    expect(await run.result()).toMatchObject({ stopReason: 'aborted', messages: [], errorKind: 'aborted' });
    expect(called).toBe(false);
  });
});

const zeroCost = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, total: 0 };

describe('compaction over the wire', () => {
  test('the server’s compaction comes to the client as events, and applying it gives the server’s history', async () => {
    const session = await mockSession({
      turns: [{ content: [{ type: 'text', text: 'Carrying on.' }] }],
      contextWindow: 3_000,
      responders: [
        { whenBodyIncludes: 'You write the summary', reply: { content: [{ type: 'text', text: '## Goal\nGo on.' }] } },
      ],
    });
    const handler = createAgentHandler({
      model: { ...claude(session.baseUrl), contextWindow: 3_000, maxTokens: 500 },
      streamOptions: { apiKey: 'sk-test' },
    });
    // A history the client kept, too long for the window: the server compacts before it answers.
    const history: AgentMessage[] = [];
    for (let i = 0; i < 8; i++) {
      history.push({ role: 'user', content: `Note ${i}: ${'detail '.repeat(120)}`, timestamp: i * 2 });
      history.push({
        role: 'assistant',
        content: [{ type: 'text', text: `Noted ${i}.` }],
        api: 'anthropic-messages',
        provider: 'anthropic',
        model: 'claude-mock',
        usage: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, totalTokens: 0, cost: zeroCost },
        stopReason: 'stop',
        timestamp: i * 2 + 1,
      });
    }
    history.push({ role: 'user', content: 'And now?', timestamp: 100 });
    const run = connectAgent(ENDPOINT, { messages: history }, { fetch: handlerFetch(handler) });
    let local: AgentMessage[] = [...history];
    const types: string[] = [];
    for await (const event of run) {
      types.push(event.type);
      if (event.type === 'compaction_end' && event.ok) local = [event.message, ...local.slice(event.firstKeptIndex)];
      if (event.type === 'message_end' && event.message.role === 'assistant') local.push(event.message);
    }
    await session.close();
    expect(types.slice(0, 4)).toEqual(['agent_start', 'turn_start', 'compaction_start', 'compaction_end']);
    const result = await run.result();
    expect(result.stopReason).toBe('stop');
    expect(local[0]).toMatchObject({ role: 'compactionSummary', summary: '## Goal\nGo on.' });
    expect(local.at(-2)).toMatchObject({ role: 'user', content: 'And now?' });
    expect(local.at(-1)).toMatchObject({ role: 'assistant', content: [{ type: 'text', text: 'Carrying on.' }] });
  });
});
