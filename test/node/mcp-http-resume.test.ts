/**
 * Streams that break, against the official SDK server with its event store
 * (resumability, SEP-1699): a call whose stream the server closes is resumed
 * with `Last-Event-ID` and loses no progress; the GET stream reconnects and
 * replays what it missed; an expired session is renewed with a new
 * `initialize`; a stream that ends unanswered with no id fails at once.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { type EventStore, StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { z } from 'zod';
import type { AgentTool, AgentToolResult } from '../../src/agent/types.js';
import { connectMcp } from '../../src/mcp/index.js';

/** The server's side of things, for the tests to steer and check. */
const state = {
  sessions: new Map<string, { transport: StreamableHTTPServerTransport; server: McpServer }>(),
  initializes: 0,
  lastEventIds: [] as string[],
  toolName: 'poll',
};

/**
 * The SDK's resumability store. Its example `InMemoryEventStore` cannot be
 * used: it reads the stream id back from an event id by splitting on `_`,
 * and the standalone GET stream's id (`_GET_stream`) starts with one, so that
 * stream is never replayed.
 */
function eventStore(): EventStore {
  const events: { id: string; streamId: string; message: unknown }[] = [];
  return {
    storeEvent: async (streamId, message) => {
      const id = `${events.length + 1}`;
      events.push({ id, streamId, message });
      return id;
    },
    getStreamIdForEventId: async (eventId) => events[Number(eventId) - 1]?.streamId,
    replayEventsAfter: async (lastEventId, { send }) => {
      const streamId = events[Number(lastEventId) - 1]?.streamId ?? '';
      for (const event of events.slice(Number(lastEventId))) {
        if (event.streamId === streamId) await send(event.id, event.message as Parameters<typeof send>[1]);
      }
      return streamId;
    },
  };
}

function buildServer(): McpServer {
  const server = new McpServer({ name: 'resume-server', version: '1.0.0' });
  server.registerTool(
    'poll',
    { description: 'Sends progress, drops its stream, sends more, then answers', inputSchema: { steps: z.number() } },
    async ({ steps }, extra) => {
      const progressToken = extra._meta?.progressToken;
      const progress = (i: number) =>
        progressToken === undefined
          ? Promise.resolve()
          : extra.sendNotification({
              method: 'notifications/progress',
              params: { progressToken, progress: i, total: steps, message: `step ${i}` },
            });
      for (let i = 1; i <= steps; i++) {
        await progress(i);
        // Half-way, the server closes the stream (as a server polling a long job would); the rest is stored.
        if (i === Math.ceil(steps / 2)) extra.closeSSEStream?.();
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return { content: [{ type: 'text', text: `done after ${steps} steps` }] };
    },
  );
  return server;
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? JSON.parse(text) : undefined;
}

let http: Server;
let url: string;

beforeAll(async () => {
  http = createServer(async (req, res) => {
    const lastEventId = req.headers['last-event-id'];
    if (typeof lastEventId === 'string') state.lastEventIds.push(lastEventId);
    const sessionId = req.headers['mcp-session-id'] as string | undefined;
    const body = req.method === 'POST' ? await readBody(req) : undefined;
    let session = sessionId ? state.sessions.get(sessionId) : undefined;
    if (!session && req.method === 'POST' && isInitializeRequest(body)) {
      state.initializes++;
      const server = buildServer();
      const transport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        eventStore: eventStore(),
        retryInterval: 50,
        onsessioninitialized: (id) => void state.sessions.set(id, { transport, server }),
      });
      session = { transport, server };
      await server.connect(transport);
    }
    // As the spec asks: an unknown session is 404, which tells the client to start a new one.
    if (!session) {
      res.writeHead(sessionId ? 404 : 400, { 'content-type': 'application/json' }).end('{"error":"no session"}');
      return;
    }
    await session.transport.handleRequest(req, res, body);
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`;
});

afterAll(async () => {
  for (const { transport } of state.sessions.values()) await transport.close();
  http.closeAllConnections();
  await new Promise((resolve) => http.close(resolve));
});

function tool(tools: AgentTool[], name: string): AgentTool {
  const found = tools.find((t) => t.name === name);
  if (!found) throw new Error(`no tool ${name}`);
  return found;
}

async function call(agentTool: AgentTool, args: Record<string, unknown>, updates: string[] = []) {
  return agentTool.execute(args, {
    toolCallId: 'call_1',
    signal: AbortSignal.timeout(10_000),
    onUpdate: (partial: AgentToolResult) => {
      const text = partial.content.find((part) => part.type === 'text');
      if (text?.type === 'text') updates.push(text.text);
    },
  });
}

const textOf = (result: AgentToolResult) =>
  result.content.map((part) => (part.type === 'text' ? part.text : `[${part.type}]`)).join('\n');

describe('an MCP client whose streams break', () => {
  test('a call whose stream the server closes is resumed with Last-Event-ID; no progress is lost', async () => {
    const client = await connectMcp({ name: 'srv', url, timeoutMs: 10_000 });
    try {
      state.lastEventIds.length = 0;
      const updates: string[] = [];
      const result = await call(tool(client.tools(), 'mcp__srv__poll'), { steps: 6 }, updates);
      expect(result.isError).toBeFalsy();
      expect(textOf(result)).toBe('done after 6 steps');
      expect(state.lastEventIds.length).toBeGreaterThan(0);
      // Steps 4–6 were sent while no stream was open, and replayed from the event store.
      expect(updates.filter((text) => /step \d/.test(text)).length).toBe(6);
      expect(updates.join(' ')).toMatch(/step 1.*step 6/);
    } finally {
      await client.close();
    }
  });

  test('the GET stream reconnects after the server closes it, and gets what was sent meanwhile', {
    timeout: 15_000,
  }, async () => {
    const client = await connectMcp({ name: 'srv', url, timeoutMs: 10_000 });
    try {
      const [id, session] = [...state.sessions.entries()].at(-1) as [
        string,
        { transport: StreamableHTTPServerTransport; server: McpServer },
      ];
      // A first change arrives live on the GET stream, and gives the client an event id to resume from.
      const first = new Promise<void>((resolve) => client.onToolsChanged(() => resolve()));
      await expect.poll(() => state.sessions.has(id)).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 100));
      session.server.registerTool('first', { description: 'Registered live' }, async () => ({ content: [] }));
      await first;
      // Then the server drops the stream, and announces a second change while it is closed.
      const changed = new Promise<void>((resolve) => client.onToolsChanged(() => resolve()));
      state.lastEventIds.length = 0;
      session.transport.closeStandaloneSSEStream();
      session.server.registerTool('added', { description: 'Registered later' }, async () => ({ content: [] }));
      await changed;
      expect(client.tools().map((t) => t.name)).toContain('mcp__srv__added');
      expect(state.lastEventIds.length).toBeGreaterThan(0);
    } finally {
      await client.close();
    }
  });

  test('a 404 for an expired session starts a new one with initialize, and the call goes through', async () => {
    const client = await connectMcp({ name: 'srv', url, timeoutMs: 10_000 });
    try {
      const before = state.initializes;
      const [id, session] = [...state.sessions.entries()].at(-1) as [
        string,
        { transport: StreamableHTTPServerTransport; server: McpServer },
      ];
      state.sessions.delete(id);
      await session.transport.close();
      const result = await call(tool(client.tools(), 'mcp__srv__poll'), { steps: 2 });
      expect(textOf(result)).toBe('done after 2 steps');
      expect(state.initializes).toBe(before + 1);
    } finally {
      await client.close();
    }
  });
});

describe('a stream that ends before its answer and cannot be resumed', () => {
  let raw: Server;
  let rawUrl: string;
  beforeAll(async () => {
    raw = createServer(async (req, res) => {
      const body = (req.method === 'POST' ? await readBody(req) : undefined) as { id?: number; method?: string };
      if (req.method !== 'POST') return void res.writeHead(405).end();
      if (body.id === undefined) return void res.writeHead(202).end();
      if (body.method === 'tools/call') {
        // An event stream with no event ids, ended without the answer.
        res.writeHead(200, { 'content-type': 'text/event-stream' }).end(': nothing to see\n\n');
        return;
      }
      const result =
        body.method === 'initialize'
          ? { protocolVersion: '2025-06-18', capabilities: { tools: {} }, serverInfo: { name: 'raw', version: '1' } }
          : { tools: [{ name: 'lost', inputSchema: { type: 'object' } }] };
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ jsonrpc: '2.0', id: body.id, result }));
    });
    await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
    rawUrl = `http://127.0.0.1:${(raw.address() as AddressInfo).port}/mcp`;
  });
  afterAll(async () => {
    raw.closeAllConnections();
    await new Promise((resolve) => raw.close(resolve));
  });

  test('fails at once with an error result that says why, not at its timeout', async () => {
    const client = await connectMcp({ name: 'raw', url: rawUrl, timeoutMs: 60_000 });
    try {
      const started = Date.now();
      const result = await call(tool(client.tools(), 'mcp__raw__lost'), {});
      expect(result.isError).toBe(true);
      expect(textOf(result)).toMatch(/MCP server "raw" ended the stream of tools\/call before answering/);
      expect(Date.now() - started).toBeLessThan(30_000);
    } finally {
      await client.close();
    }
  });
});
