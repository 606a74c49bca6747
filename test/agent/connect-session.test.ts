import { afterEach, describe, expect, test, vi } from 'vitest';
import { connectAgent } from '../../src/agent/connect-agent.js';
import {
  type AgentSessionConnection,
  type AgentSessionConnectionEvent,
  AgentSessionError,
  type AgentSessionEvent,
} from '../../src/agent/connect-session.js';
import type { AgentSessionResync } from '../../src/agent/session-protocol.js';
import type { AgentEvent } from '../../src/agent/types.js';
import type { AssistantMessage } from '../../src/ai/types.js';
import { FakeSessionServer, scriptedRun } from '../support/fake-session-server.js';

const BASE = 'https://agents.test/base';
const TOKEN = 'Bearer session-secret-token';

const open: AgentSessionConnection[] = [];
afterEach(() => {
  for (const session of open.splice(0)) session.close();
  vi.restoreAllMocks();
});

/** A connection to `server`, with every event it delivers recorded as it was when delivered. */
function connect(server: FakeSessionServer, options: { sessionId?: string; lastEventId?: string } = {}) {
  const session = connectAgent(BASE, {
    sessionId: server.sessionId,
    fetch: server.fetch,
    headers: { authorization: TOKEN },
    ...options,
  });
  open.push(session);
  const events: AgentSessionEvent[] = [];
  const live: AgentSessionEvent[] = [];
  session.subscribe((event) => {
    live.push(event);
    events.push(JSON.parse(JSON.stringify(event)));
  });
  const agentEvents = () =>
    events.filter((event): event is AgentEvent => event.type !== 'connection' && event.type !== 'resync');
  const notices = (state?: string) =>
    events.filter(
      (event): event is AgentSessionConnectionEvent =>
        event.type === 'connection' && (state === undefined || event.state === state),
    );
  const resyncs = () => events.filter((event): event is AgentSessionResync => event.type === 'resync');
  return { session, events, live, agentEvents, notices, resyncs };
}

async function until(condition: () => boolean, what: string, ms = 4000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(2);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The event as the client should rebuild it. */
function plain(event: AgentEvent): unknown {
  return JSON.parse(JSON.stringify(event));
}

describe('connectAgent(url, { sessionId })', () => {
  test('a first connection gets a resync, then a run is rebuilt into agent events', async () => {
    const server = new FakeSessionServer();
    const { session, agentEvents, resyncs, notices, live } = connect(server);
    await until(() => resyncs().length === 1, 'the resync');
    expect(notices()).toEqual([{ type: 'connection', state: 'open' }]);
    expect(resyncs()[0]).toMatchObject({ fromIndex: 0, messages: [], status: 'idle', pendingApprovals: [] });

    expect(await session.prompt('Hi')).toEqual({ status: 'running' });
    const run = scriptedRun('Hi', ['Hel', 'lo ', 'there']);
    server.emitAll(run);
    await until(() => agentEvents().some((event) => event.type === 'agent_end'), 'agent_end');

    expect(agentEvents()).toEqual(run.map(plain));
    expect(session.lastEventId).toBe(server.lastEventId);
    // As from a local Agent: the reply is one object from its first update to its message_end.
    const replies = live.flatMap((event) =>
      event.type === 'message_update' || (event.type === 'message_end' && event.message.role === 'assistant')
        ? [event.message]
        : [],
    );
    expect(new Set(replies).size).toBe(1);
    expect((replies[0] as AssistantMessage).content).toEqual([{ type: 'text', text: 'Hello there' }]);
    expect(await session.state()).toMatchObject({ id: 'session-1', status: 'idle', messageCount: 2 });
  });

  test('a stream that breaks mid-run is resumed from the last id seen: nothing lost, nothing twice', async () => {
    const server = new FakeSessionServer();
    server.retry = 5;
    // The server replays frames the client already has: the client drops them by id.
    server.overlap = 3;
    const { session, agentEvents, notices } = connect(server);
    await until(() => notices('open').length === 1, 'the stream');
    const run = scriptedRun('Hi', ['a', 'b', 'c', 'd', 'e', 'f']);

    server.emitAll(run.slice(0, 8));
    await until(() => agentEvents().length === 8, 'eight events');
    const seen = session.lastEventId;
    server.breakStreams();
    // Sent while the client is away: replayed after its Last-Event-ID.
    server.emitAll(run.slice(8, 10));
    await until(() => notices('open').length === 2, 'the reconnect');
    expect(server.sent('GET /events')[1]?.headers.get('last-event-id')).toBe(seen);

    server.emit(run[10] as AgentEvent);
    await until(() => agentEvents().length === 11, 'eleven events');
    // A second break, right after live frames.
    server.breakStreams();
    server.emitAll(run.slice(11));
    await until(() => agentEvents().some((event) => event.type === 'agent_end'), 'agent_end');

    expect(agentEvents()).toEqual(run.map(plain));
    expect(notices('reconnecting')).toHaveLength(2);
    expect(notices('reconnecting')[0]?.error).toMatch(/GET \/sessions\/session-1\/events: .*network connection lost/);
    expect(server.sent('GET /events')).toHaveLength(3);
  });

  test("the server's retry: sets the wait; failures in a row double it, and a healthy stream starts it over", async () => {
    const server = new FakeSessionServer();
    server.retry = 20;
    const { notices } = connect(server);
    await until(() => notices('open').length === 1, 'the stream');
    server.answers.set('GET /events', () => new Response('down for maintenance', { status: 503 }));
    server.endStreams();
    await until(() => notices('reconnecting').length === 4, 'four reconnects');
    server.answers.delete('GET /events');
    await until(() => notices('open').length === 2, 'the stream again');
    server.keepAlive();
    await sleep(10);
    server.endStreams();
    await until(() => notices('reconnecting').length === 5, 'a fifth reconnect');

    const waits = notices('reconnecting').map((notice) => notice.retryIn ?? 0);
    for (const [index, base] of [20, 40, 80, 160, 20].entries()) {
      expect(waits[index]).toBeGreaterThanOrEqual(base);
      expect(waits[index]).toBeLessThanOrEqual(base * 1.25);
    }
    expect(notices('reconnecting')[0]?.error).toMatch(/the stream ended/);
    expect(notices('reconnecting')[1]?.error).toBe(
      'connectAgent: GET /sessions/session-1/events: HTTP 503: down for maintenance',
    );
  });

  test('without retry:, the first wait is about half a second', async () => {
    const server = new FakeSessionServer();
    server.answers.set('GET /events', () => new Response('busy', { status: 503 }));
    const { notices } = connect(server);
    await until(() => notices('reconnecting').length === 1, 'a reconnect');
    const wait = notices('reconnecting')[0]?.retryIn ?? 0;
    expect(wait).toBeGreaterThanOrEqual(500);
    expect(wait).toBeLessThanOrEqual(625);
  });

  test('an id the server no longer holds gets a resync: the partial is dropped and a new decoder joins mid-message', async () => {
    const server = new FakeSessionServer();
    server.retry = 5;
    const { agentEvents, resyncs, live, events, notices } = connect(server);
    await until(() => resyncs().length === 1, 'the first resync');
    const run = scriptedRun('Hi', ['Hel', 'lo', '!']);
    // agent_start, turn_start, user start and end, assistant start, text_start, "Hel"
    server.emitAll(run.slice(0, 7));
    await until(() => agentEvents().length === 7, 'seven events');
    const partial = live.findLast((event) => event.type === 'message_update') as { message: AssistantMessage };

    server.breakStreams();
    server.emit(run[7] as AgentEvent); // "lo", sent while away
    server.forget(false);
    await until(() => resyncs().length === 2, 'the second resync');
    // Frames of the message whose start this client missed: the updates cannot be rebuilt, its end comes whole.
    server.emitAll(run.slice(8));
    await until(() => agentEvents().some((event) => event.type === 'agent_end'), 'agent_end');

    // The user message was stored before the client's last id: nothing to resend.
    expect(resyncs()[1]).toMatchObject({ fromIndex: 1, messages: [], status: 'running' });
    const after = events.slice(events.indexOf(resyncs()[1] as AgentSessionEvent) + 1);
    expect(after.map((event) => event.type)).toEqual(['message_end', 'turn_end', 'agent_end']);
    expect(after[0]).toEqual(plain(run[10] as AgentEvent));
    // The old partial was left where it was, not completed by the new decoder.
    expect(partial.message.content).toEqual([{ type: 'text', text: 'Hel' }]);
    expect(notices().filter((notice) => notice.error && notice.state === 'open')).toEqual([]);
  });

  test('a resync then the running message from its message_start is rebuilt whole', async () => {
    const server = new FakeSessionServer();
    server.retry = 5;
    const { agentEvents, resyncs, events } = connect(server);
    await until(() => resyncs().length === 1, 'the first resync');
    const run = scriptedRun('Hi', ['one ', 'two']);
    server.emitAll(run.slice(0, 2));
    await until(() => agentEvents().length === 2, 'two events');
    server.breakStreams();
    server.emitAll(run.slice(2, 7)); // the user message, then the reply's start, text_start and "one "
    server.forget(true);
    await until(() => resyncs().length === 2, 'the second resync');
    server.emitAll(run.slice(7));
    await until(() => agentEvents().some((event) => event.type === 'agent_end'), 'agent_end');

    expect(resyncs()[1]).toMatchObject({ fromIndex: 0, status: 'running' });
    expect(resyncs()[1]?.messages).toEqual([{ role: 'user', content: 'Hi', timestamp: 1 }]);
    const after = events.slice(events.indexOf(resyncs()[1] as AgentSessionEvent) + 1);
    expect(after).toEqual(run.slice(4).map(plain));
  });

  test('after the server restarts (a new epoch) a resync comes first, then the new epoch’s frames', async () => {
    const server = new FakeSessionServer();
    server.retry = 5;
    const { session, agentEvents, resyncs } = connect(server);
    await until(() => resyncs().length === 1, 'the first resync');
    const first = scriptedRun('Hi', ['one']);
    server.emitAll(first);
    await until(() => agentEvents().length === first.length, 'the first run');
    expect(session.lastEventId).toMatch(/^1\.\d+\.2$/);

    server.restart();
    await until(() => resyncs().length === 2, 'the resync');
    const second = scriptedRun('Again', ['two']);
    server.emitAll(second);
    await until(() => agentEvents().length === first.length + second.length, 'the second run');

    expect(resyncs()[1]).toMatchObject({ fromIndex: 2, messages: [], status: 'idle' });
    expect(agentEvents().slice(first.length)).toEqual(second.map(plain));
    expect(session.lastEventId).toBe(server.lastEventId);
  });

  test('lastEventId resumes where an earlier connection stopped', async () => {
    const server = new FakeSessionServer();
    const run = scriptedRun('Hi', ['x']);
    server.emitAll(run.slice(0, 5));
    const { agentEvents, resyncs } = connect(server, { lastEventId: '1.3.0' });
    await until(() => agentEvents().length === 2, 'the frames after 1.3.0');
    expect(resyncs()).toEqual([]);
    expect(agentEvents()).toEqual(run.slice(3, 5).map(plain));
  });

  test('404 on the events route stops reconnecting, with a closed event that says why', async () => {
    const server = new FakeSessionServer();
    const { session, notices } = connect(server, { sessionId: 'someone-else' });
    await until(() => notices('closed').length === 1, 'the closed event');
    await sleep(50);
    expect(notices()).toEqual([
      {
        type: 'connection',
        state: 'closed',
        error: 'connectAgent: GET /sessions/someone-else/events: HTTP 404: no session someone-else',
      },
    ]);
    expect(server.requests).toHaveLength(1);
    await expect(session.prompt('Hi')).rejects.toThrow(
      'connectAgent: POST /sessions/someone-else/prompt: the connection is closed',
    );
  });

  test('401 stops too, and the error does not quote the credentials the server echoes', async () => {
    const server = new FakeSessionServer();
    server.answers.set('GET /events', () => Response.json({ error: `bad token ${TOKEN}` }, { status: 401 }));
    const { notices } = connect(server);
    await until(() => notices('closed').length === 1, 'the closed event');
    expect(notices('closed')[0]?.error).toBe(
      'connectAgent: GET /sessions/session-1/events: HTTP 401: bad token [redacted]',
    );
  });

  test('commands go to their routes with their bodies and the headers', async () => {
    const server = new FakeSessionServer();
    const { session } = connect(server);
    expect(await session.prompt({ role: 'user', content: 'Hi', timestamp: 5 })).toEqual({ status: 'running' });
    server.status = 'running';
    await session.steer('faster');
    await session.followUp('then this');
    expect(await session.abort()).toEqual({ aborted: true });
    server.status = 'awaiting_approval';
    server.pendingApprovals = [
      { toolCallId: 'call-1', toolName: 'bash', args: {} },
      { toolCallId: 'call-2', toolName: 'bash', args: {} },
    ];
    expect(await session.approve('call-1')).toEqual({ status: 'awaiting_approval' });
    expect(await session.deny('call-2', 'not that')).toEqual({ status: 'running' });
    server.pendingApprovals = [{ toolCallId: 'call-3', toolName: 'bash', args: {} }];
    await session.deny('call-3');

    const commands = server.requests.filter((request) => request.route !== '/events');
    expect(commands.map(({ method, route, body }) => ({ method, route, body }))).toEqual([
      { method: 'POST', route: '/prompt', body: { prompt: { role: 'user', content: 'Hi', timestamp: 5 } } },
      { method: 'POST', route: '/steer', body: { prompt: 'faster' } },
      { method: 'POST', route: '/follow-up', body: { prompt: 'then this' } },
      { method: 'POST', route: '/abort', body: undefined },
      { method: 'POST', route: '/approve', body: { toolCallId: 'call-1' } },
      { method: 'POST', route: '/deny', body: { toolCallId: 'call-2', reason: 'not that' } },
      { method: 'POST', route: '/deny', body: { toolCallId: 'call-3' } },
    ]);
    // On the base URL's path.
    expect(commands[0]?.url).toBe('https://agents.test/base/sessions/session-1/prompt');
    for (const request of commands) expect(request.headers.get('authorization')).toBe(TOKEN);
    expect(commands[0]?.headers.get('content-type')).toBe('application/json');
  });

  test('refused commands reject with the route, the status and the server’s message, redacted', async () => {
    const server = new FakeSessionServer();
    const { session } = connect(server);
    server.status = 'running';
    const conflict = await session.prompt('Hi').catch((error: unknown) => error);
    expect(conflict).toBeInstanceOf(AgentSessionError);
    expect(conflict).toMatchObject({
      message: 'connectAgent: POST /sessions/session-1/prompt: HTTP 409: a run is in progress',
      status: 409,
    });
    await expect(session.approve('nope')).rejects.toThrow(
      'connectAgent: POST /sessions/session-1/approve: HTTP 404: no pending call nope',
    );
    server.status = 'idle';
    await expect(session.steer('x')).rejects.toThrow('HTTP 409: no run is in progress');
    server.answers.set('POST /abort', () => new Response(`upstream saw ${TOKEN}`, { status: 500 }));
    await expect(session.abort()).rejects.toThrow(
      'connectAgent: POST /sessions/session-1/abort: HTTP 500: upstream saw [redacted]',
    );
    server.answers.set('GET ', () => {
      throw new TypeError(`fetch failed for ${TOKEN}`);
    });
    await expect(session.state()).rejects.toThrow(
      'connectAgent: GET /sessions/session-1 failed: fetch failed for [redacted]',
    );
  });

  test('frames that do not decode, and listeners that throw, do not stop the stream', async () => {
    const server = new FakeSessionServer();
    const { session, notices, agentEvents } = connect(server);
    session.subscribe(() => {
      throw new Error('a broken listener');
    });
    await until(() => notices('open').length === 1, 'the stream');
    server.raw('event: turn_start\ndata: {not json\n\n');
    server.raw('event: error\ndata: {"message":"the object is overloaded"}\n\n');
    const run = scriptedRun('Hi', ['ok']);
    server.emitAll(run);
    await until(() => agentEvents().length === run.length, 'the run');
    expect(notices().map(({ state, error }) => ({ state, error }))).toEqual([
      { state: 'open', error: undefined },
      { state: 'open', error: "connectAgent: the turn_start event's data is not JSON" },
      { state: 'open', error: 'connectAgent: the server failed: the object is overloaded' },
    ]);
    expect(agentEvents()).toEqual(run.map(plain));
  });

  test('close() cancels the wait for a reconnect and the stream, ends iteration, and leaves no timer', async () => {
    const setTimer = vi.spyOn(globalThis, 'setTimeout');
    const clearTimer = vi.spyOn(globalThis, 'clearTimeout');
    const server = new FakeSessionServer();
    server.retry = 60_000;
    const { session, notices } = connect(server);
    const iterated: AgentSessionEvent[] = [];
    const iteration = (async () => {
      for await (const event of session) iterated.push(event);
    })();
    await until(() => notices('open').length === 1, 'the stream');
    server.endStreams();
    await until(() => notices('reconnecting').length === 1, 'the wait');
    const wait = notices('reconnecting')[0]?.retryIn;
    const index = setTimer.mock.calls.findIndex((call) => call[1] === wait);
    expect(index).toBeGreaterThanOrEqual(0);
    const timer = setTimer.mock.results[index]?.value;

    session.close();
    session.close();
    expect(clearTimer).toHaveBeenCalledWith(timer);
    await iteration;
    expect(iterated.map((event) => (event.type === 'connection' ? event.state : event.type))).toEqual([
      'open',
      'resync',
      'reconnecting',
      'closed',
    ]);
    expect(notices('closed')).toEqual([{ type: 'connection', state: 'closed' }]);
    expect(server.sent('GET /events')).toHaveLength(1);
    await expect(session.abort()).rejects.toThrow('the connection is closed');
  });

  test('close() while the stream is open cancels it; so does the signal', async () => {
    const server = new FakeSessionServer();
    const { session, notices } = connect(server);
    await until(() => server.openStreams === 1, 'the stream');
    session.close();
    await until(() => server.openStreams === 0, 'the stream to be cancelled');
    server.emitAll(scriptedRun('Hi', ['x']));
    await sleep(20);
    expect(notices().map((notice) => notice.state)).toEqual(['open', 'closed']);

    const controller = new AbortController();
    const other = new FakeSessionServer();
    const watched = connectAgent(BASE, { sessionId: other.sessionId, fetch: other.fetch, signal: controller.signal });
    open.push(watched);
    const states: string[] = [];
    watched.subscribe((event) => event.type === 'connection' && states.push(event.state));
    await until(() => other.openStreams === 1, 'the other stream');
    controller.abort();
    await until(() => other.openStreams === 0, 'the other stream to be cancelled');
    expect(states).toEqual(['open', 'closed']);
  });

  test('a session id that cannot be one is a closed event and rejected commands, never a throw', async () => {
    const server = new FakeSessionServer();
    const { session, notices } = connect(server, { sessionId: '../admin' });
    await until(() => notices('closed').length === 1, 'the closed event');
    expect(notices('closed')[0]?.error).toBe('connectAgent: the session id "../admin" is not 1-128 of [A-Za-z0-9_-]');
    await expect(session.prompt('Hi')).rejects.toThrow('is not 1-128 of');
    expect(server.requests).toEqual([]);
  });
});
