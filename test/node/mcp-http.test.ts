import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { z } from 'zod';
import { Agent } from '../../src/agent/agent.js';
import type { AgentTool, AgentToolResult, ToolExecutionContext } from '../../src/agent/types.js';
import type { ToolResultMessage } from '../../src/ai/types.js';
import { connectMcp, type McpClient } from '../../src/mcp/index.js';
import { scriptedStream, testModel } from '../support/scripted-stream.js';

const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
const LONG_NAME = `a_very_long_tool_name_${'x'.repeat(60)}`;

/** What the server saw, for the tests to check. */
const seen = { echoCalls: 0, cancelled: 0, gets: 0, deletes: 0, headers: [] as Record<string, unknown>[] };
const servers: McpServer[] = [];

function buildServer(): McpServer {
  const server = new McpServer({ name: 'test-server', version: '1.0.0' });
  server.registerTool('echo', { description: 'Echoes text', inputSchema: { text: z.string() } }, async ({ text }) => {
    seen.echoCalls++;
    return { content: [{ type: 'text', text: `echo: ${text}` }] };
  });
  server.registerTool('image', { description: 'A 1x1 PNG' }, async () => ({
    content: [{ type: 'image', data: PNG, mimeType: 'image/png' }],
  }));
  server.registerTool('fail', { description: 'Always fails' }, async () => ({
    content: [{ type: 'text', text: 'it broke' }],
    isError: true,
  }));
  server.registerTool(
    'slow',
    { description: 'Sends progress, then waits until cancelled', inputSchema: { steps: z.number().int() } },
    async ({ steps }, extra) => {
      const progressToken = extra._meta?.progressToken;
      for (let i = 1; i <= steps; i++) {
        if (progressToken !== undefined) {
          await extra.sendNotification({
            method: 'notifications/progress',
            params: { progressToken, progress: i, total: 10, message: `step ${i}` },
          });
        }
      }
      await new Promise<void>((resolve) => {
        if (extra.signal.aborted) resolve();
        extra.signal.addEventListener('abort', () => resolve(), { once: true });
      });
      seen.cancelled++;
      return { content: [{ type: 'text', text: 'cancelled' }] };
    },
  );
  server.registerTool('structured', { description: 'Only structured content' }, async () => ({
    content: [],
    structuredContent: { answer: 42 },
  }));
  server.registerTool(LONG_NAME, { description: 'A long name' }, async () => ({ content: [] }));
  server.registerTool('odd.name', { description: 'Same as odd_name once sanitised' }, async () => ({ content: [] }));
  server.registerTool('odd_name', { description: 'Same as odd.name once sanitised' }, async () => ({
    content: [],
  }));
  // Answered by the HTTP server itself with a JSON-RPC error (the SDK turns a tool's throw into isError).
  server.registerTool('rpc_error', { description: 'A JSON-RPC error' }, async () => ({ content: [] }));
  servers.push(server);
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
const transports = new Map<string, StreamableHTTPServerTransport>();

beforeAll(async () => {
  http = createServer(async (req, res) => {
    seen.headers.push({ ...req.headers, method: req.method });
    const sessionId = req.headers['mcp-session-id'] as string | undefined;
    if (req.method === 'GET') seen.gets++;
    if (req.method === 'DELETE') seen.deletes++;
    const body = req.method === 'POST' ? await readBody(req) : undefined;
    const call = body as { id?: number; method?: string; params?: { name?: string } } | undefined;
    if (call?.method === 'tools/call' && call.params?.name === 'rpc_error') {
      const error = { code: -32603, message: 'boom' };
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ jsonrpc: '2.0', id: call.id, error }));
      return;
    }
    let transport = sessionId ? transports.get(sessionId) : undefined;
    if (!transport && req.method === 'POST' && isInitializeRequest(body)) {
      const created = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (id) => void transports.set(id, created),
      });
      transport = created;
      await buildServer().connect(created);
    }
    if (!transport) {
      res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"no session"}');
      return;
    }
    await transport.handleRequest(req, res, body);
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`;
});

afterAll(async () => {
  for (const t of transports.values()) await t.close();
  http.closeAllConnections();
  await new Promise((resolve) => http.close(resolve));
});

function find(client: McpClient, name: string): AgentTool {
  const tool = client.tools().find((t) => t.name === name);
  if (!tool) throw new Error(`no tool ${name} in ${client.tools().map((t) => t.name)}`);
  return tool;
}

function run(
  tool: AgentTool,
  args: Record<string, unknown>,
  context: Partial<ToolExecutionContext> = {},
): Promise<AgentToolResult> {
  return tool.execute(args, {
    toolCallId: 'call_1',
    signal: new AbortController().signal,
    onUpdate: () => {},
    ...context,
  });
}

const textOf = (result: AgentToolResult) =>
  result.content.map((c) => (c.type === 'text' ? c.text : `[${c.type}]`)).join('\n');

describe('an MCP client over Streamable HTTP, against the official SDK server', () => {
  let client: McpClient;
  beforeAll(async () => {
    client = await connectMcp({ name: 'srv', url, headers: async () => ({ 'x-test': 'yes' }) });
  });
  afterAll(async () => {
    await client.close();
  });

  test('lists the tools as mcp__srv__<tool>, with their schemas and descriptions', () => {
    const echo = find(client, 'mcp__srv__echo');
    expect(echo.description).toBe('Echoes text');
    expect(echo.parameters).toMatchObject({ type: 'object', properties: { text: { type: 'string' } } });
    expect(client.tools().map((t) => t.name)).toContain('mcp__srv__image');
  });

  test('sends the session id, the protocol version and the given headers after initialize', () => {
    const later = seen.headers.filter((h) => h.method === 'POST' && h['mcp-session-id']);
    expect(later.length).toBeGreaterThan(0);
    expect(later[0]).toMatchObject({ 'mcp-protocol-version': '2025-11-25', 'x-test': 'yes' });
  });

  test('a long name is cut with a hash; names that collide once sanitised both get one', () => {
    const names = client.tools().map((t) => t.name);
    const long = names.find((n) => n.startsWith('mcp__srv__a_very_long'));
    expect(long).toMatch(/^mcp__srv__a_very_long_tool_name_x+_[0-9a-f]{6}$/);
    expect(long).toHaveLength(64);
    const odd = names.filter((n) => n.startsWith('mcp__srv__odd_name'));
    expect(odd).toHaveLength(2);
    for (const name of odd) expect(name).toMatch(/^mcp__srv__odd_name_[0-9a-f]{6}$/);
    expect(odd[0]).not.toBe(odd[1]);
  });

  test('calls a tool and maps its text', async () => {
    const result = await run(find(client, 'mcp__srv__echo'), { text: 'hello' });
    expect(result.isError).toBeUndefined();
    expect(result.content).toEqual([{ type: 'text', text: 'echo: hello' }]);
  });

  test('checks the arguments against the JSON Schema before the call', async () => {
    const echo = find(client, 'mcp__srv__echo');
    const verdict = await echo.validate?.({ text: 3 });
    expect(verdict).toMatchObject({ ok: false });
    expect(verdict?.ok === false && verdict.error).toContain('text: expected string, received number');
    expect(await echo.validate?.({ text: 'ok' })).toMatchObject({ ok: true });
  });

  test('an image result becomes image content', async () => {
    const result = await run(find(client, 'mcp__srv__image'), {});
    expect(result.content).toEqual([{ type: 'image', data: PNG, mimeType: 'image/png' }]);
  });

  test('isError: true is an error result the model sees', async () => {
    const result = await run(find(client, 'mcp__srv__fail'), {});
    expect(result.isError).toBe(true);
    expect(textOf(result)).toBe('it broke');
  });

  test('a JSON-RPC error is an error result naming the server, not a throw', async () => {
    const result = await run(find(client, 'mcp__srv__rpc_error'), {});
    expect(result.isError).toBe(true);
    expect(textOf(result)).toBe('MCP server "srv": tools/call failed: boom');
  });

  test('structuredContent without content becomes JSON text', async () => {
    const result = await run(find(client, 'mcp__srv__structured'), {});
    expect(result.content).toEqual([{ type: 'text', text: '{"answer":42}' }]);
  });

  test('progress notifications call onUpdate; an abort cancels the call on the server', async () => {
    const updates: string[] = [];
    const controller = new AbortController();
    const cancelledBefore = seen.cancelled;
    const started = Date.now();
    const call = run(
      find(client, 'mcp__srv__slow'),
      { steps: 3 },
      {
        signal: controller.signal,
        onUpdate: (partial) => {
          updates.push(textOf(partial));
          if (updates.length === 3) controller.abort();
        },
      },
    );
    const result = await call;
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(updates).toEqual(['progress 1/10: step 1', 'progress 2/10: step 2', 'progress 3/10: step 3']);
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('aborted');
    await vi.waitFor(() => expect(seen.cancelled).toBe(cancelledBefore + 1));
  });

  test('list_changed: tools() returns the new list, then the listeners fire', async () => {
    await vi.waitFor(() => expect(seen.gets).toBeGreaterThan(0));
    const listener = vi.fn(() => client.tools().map((t) => t.name));
    const off = client.onToolsChanged(listener);
    const server = servers.at(-1) as McpServer;
    server.registerTool('added', { description: 'New' }, async () => ({ content: [{ type: 'text', text: 'new' }] }));
    await vi.waitFor(() => expect(listener).toHaveBeenCalled());
    expect(listener.mock.results[0]?.value).toContain('mcp__srv__added');
    expect(client.tools().map((t) => t.name)).toContain('mcp__srv__added');
    off();
  });
});

describe('bounds and failures', () => {
  test('a tool that never answers ends in an error result within timeoutMs, naming the server and method', async () => {
    const client = await connectMcp({ name: 'slowsrv', url, timeoutMs: 300 });
    try {
      const started = Date.now();
      const result = await run(find(client, 'mcp__slowsrv__slow'), { steps: 0 });
      expect(Date.now() - started).toBeLessThan(1_500);
      expect(result.isError).toBe(true);
      expect(textOf(result)).toBe('MCP server "slowsrv": tools/call timed out after 300 ms');
    } finally {
      await client.close();
    }
  });

  test('close() ends the session with a DELETE', async () => {
    const before = seen.deletes;
    const client = await connectMcp({ name: 'x', url });
    await client.close();
    expect(seen.deletes).toBe(before + 1);
  });

  test('an HTTP error names the server and status, with credentials redacted', async () => {
    const secret = 'sk-very-secret-token-123456';
    const fetchFn = async () => new Response(`bad key ${secret}`, { status: 401 });
    await expect(
      connectMcp({ name: 'auth', url, headers: { authorization: `Bearer ${secret}` }, fetch: fetchFn }),
    ).rejects.toThrow('MCP server "auth": initialize answered HTTP 401: bad key [redacted]');
  });
});

describe('an Agent calling an MCP tool', () => {
  test('the tool runs end to end; a wrong argument never reaches the server', async () => {
    const client = await connectMcp({ name: 'srv', url });
    try {
      const callsBefore = seen.echoCalls;
      const streamFn = scriptedStream([
        { toolCalls: [{ id: 'c1', name: 'mcp__srv__echo', args: { text: 7 } }] },
        { toolCalls: [{ id: 'c2', name: 'mcp__srv__echo', args: { text: 'from the agent' } }] },
        { text: 'done' },
      ]);
      const agent = new Agent({ model: testModel, tools: client.tools(), streamFn });
      const result = await agent.prompt('echo something');
      expect(result.stopReason).toBe('stop');
      const results = result.messages.filter((m): m is ToolResultMessage => m.role === 'toolResult');
      expect(results[0]?.isError).toBe(true);
      expect(JSON.stringify(results[0]?.content)).toContain('expected string');
      expect(results[1]?.isError).toBe(false);
      expect(results[1]?.content).toEqual([{ type: 'text', text: 'echo: from the agent' }]);
      expect(seen.echoCalls).toBe(callsBefore + 1);
    } finally {
      await client.close();
    }
  });
});

describe('the older HTTP+SSE transport', () => {
  test('a server that refuses the Streamable HTTP POST is reached over GET + endpoint', async () => {
    const { SSEServerTransport } = await import('@modelcontextprotocol/sdk/server/sse.js');
    const legacy = new Map<string, InstanceType<typeof SSEServerTransport>>();
    const old = createServer(async (req, res) => {
      const at = new URL(req.url ?? '/', 'http://x');
      if (req.method === 'GET' && at.pathname === '/sse') {
        const transport = new SSEServerTransport('/messages', res);
        legacy.set(transport.sessionId, transport);
        await buildServer().connect(transport);
      } else if (req.method === 'POST' && at.pathname === '/messages') {
        const transport = legacy.get(at.searchParams.get('sessionId') ?? '');
        if (!transport) res.writeHead(404).end();
        else await transport.handlePostMessage(req, res, await readBody(req));
      } else res.writeHead(405).end();
    });
    await new Promise<void>((resolve) => old.listen(0, '127.0.0.1', resolve));
    const oldUrl = `http://127.0.0.1:${(old.address() as AddressInfo).port}/sse`;
    try {
      const client = await connectMcp({ name: 'old', url: oldUrl });
      const result = await run(find(client, 'mcp__old__echo'), { text: 'legacy' });
      expect(result.content).toEqual([{ type: 'text', text: 'echo: legacy' }]);
      await client.close();
    } finally {
      old.closeAllConnections();
      await new Promise((resolve) => old.close(resolve));
    }
  });
});
