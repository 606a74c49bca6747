/**
 * The MCP client's cost per tool call: `tools/call` through qcore's client
 * (JSON-RPC id matching, JSON Schema check, result mapping, the Streamable
 * HTTP transport) against a bare `fetch` plus `JSON.parse` of the very same
 * request and reply, on a loopback server in this process that answers at
 * once. Target: ≤ 1.2× (reported, not gated).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connectMcp } from '../src/mcp/index.js';

const CALLS = 1_000;
const TARGET = 1.2;
const REPLY_TEXT = 'x'.repeat(400);

async function body(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** A minimal Streamable HTTP server: JSON answers, one tool. */
async function startServer(): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer(async (req, res) => {
    if (req.method !== 'POST') {
      res.writeHead(req.method === 'DELETE' ? 200 : 405).end();
      return;
    }
    const message = JSON.parse(await body(req)) as { id?: number; method: string };
    if (message.id === undefined) {
      res.writeHead(202).end();
      return;
    }
    let result: unknown;
    if (message.method === 'initialize') {
      result = {
        protocolVersion: '2025-06-18',
        capabilities: { tools: {} },
        serverInfo: { name: 'bench', version: '1' },
      };
      res.setHeader('mcp-session-id', randomUUID());
    } else if (message.method === 'tools/list') {
      result = {
        tools: [
          {
            name: 'echo',
            description: 'Echoes',
            inputSchema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
          },
        ],
      };
    } else {
      result = { content: [{ type: 'text', text: REPLY_TEXT }] };
    }
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ jsonrpc: '2.0', id: message.id, result }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export async function benchMcp(): Promise<Record<string, string | number>> {
  const server = await startServer();
  const client = await connectMcp({ name: 'bench', url: server.url });
  const tool = client.tools()[0];
  if (!tool) throw new Error('the bench server listed no tool');
  const context = { toolCallId: 'bench', signal: new AbortController().signal, onUpdate: () => {} };
  const viaClient = async (): Promise<number> => {
    const start = performance.now();
    for (let i = 0; i < CALLS; i++) await tool.execute({ text: 'hi' }, context);
    return performance.now() - start;
  };
  const bare = async (): Promise<number> => {
    const start = performance.now();
    for (let i = 0; i < CALLS; i++) {
      const response = await fetch(server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: i + 1,
          method: 'tools/call',
          params: { name: 'echo', arguments: { text: 'hi' } },
        }),
      });
      JSON.parse(await response.text());
    }
    return performance.now() - start;
  };
  // Warm both paths, then the best of five each, alternating.
  await viaClient();
  await bare();
  let client_ = Number.POSITIVE_INFINITY;
  let floor = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 5; i++) {
    floor = Math.min(floor, await bare());
    client_ = Math.min(client_, await viaClient());
  }
  await client.close();
  await server.close();
  const ratio = client_ / floor;
  return {
    calls: CALLS,
    'bare fetch + JSON.parse µs/call': ((floor * 1000) / CALLS).toFixed(1),
    'qcore client µs/call': ((client_ * 1000) / CALLS).toFixed(1),
    ratio: `${ratio.toFixed(2)}×`,
    target: `≤ ${TARGET}× (${ratio <= TARGET ? 'met' : 'NOT met'})`,
  };
}
