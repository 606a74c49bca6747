/**
 * `qcore serve --mcp`'s endpoint against the official MCP SDK's Streamable
 * HTTP client: list and call the coding tools, behind the server's token.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, onTestFinished, test } from 'vitest';
import { type ExecServer, startExecServer } from '../../adapters/node/server.js';

const TOKEN = 'mcp-test-token-0123456789';
let dir: string;
let server: ExecServer;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'qcore-mcp-http-'));
  await writeFile(join(dir, 'README.md'), '# Over HTTP\n');
  server = await startExecServer({ root: dir, token: TOKEN, mcp: { version: '9.9.9' } });
});
afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

function client(token = TOKEN) {
  const transport = new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), {
    requestInit: { headers: { authorization: `Bearer ${token}` } },
  });
  return { client: new Client({ name: 'sdk-test', version: '1.0.0' }), transport };
}

type Text = { type: string; text?: string };

describe('qcore serve --mcp', () => {
  test('the SDK client lists and calls the coding tools', async () => {
    const { client: sdk, transport } = client();
    await sdk.connect(transport);
    try {
      expect(sdk.getServerVersion()).toMatchObject({ name: 'qcore', version: '9.9.9' });
      const { tools } = await sdk.listTools();
      expect(tools.map((tool) => tool.name).sort()).toEqual(['bash', 'edit', 'find', 'grep', 'ls', 'read', 'write']);
      const read = await sdk.callTool({ name: 'read', arguments: { path: 'README.md' } });
      expect((read.content as Text[])[0]?.text).toContain('Over HTTP');
      const wrote = await sdk.callTool({ name: 'write', arguments: { path: 'out.txt', content: 'via mcp\n' } });
      expect(wrote.isError).toBe(false);
      expect(await readFile(join(dir, 'out.txt'), 'utf8')).toBe('via mcp\n');
      const ran = await sdk.callTool({ name: 'bash', arguments: { command: 'echo ran' } });
      expect((ran.content as Text[]).map((part) => part.text).join('')).toContain('ran');
    } finally {
      await sdk.close();
    }
  });

  test('without the token there is no MCP either', async () => {
    const { client: sdk, transport } = client('wrong-token-0123456789');
    await expect(sdk.connect(transport)).rejects.toThrow(/Missing or wrong bearer token/);
  });
});

const ACCEPT_BOTH = 'application/json, text/event-stream';

interface Post {
  session?: string;
  accept?: string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/** One raw request to `/mcp`, as a client other than the SDK would send it. */
function post(url: string, message: object, { session, accept = ACCEPT_BOTH, headers, signal }: Post = {}) {
  return fetch(`${url}/mcp`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${TOKEN}`,
      'content-type': 'application/json',
      accept,
      ...(session === undefined ? {} : { 'mcp-session-id': session }),
      ...headers,
    },
    body: JSON.stringify({ jsonrpc: '2.0', ...message }),
    signal,
  });
}

function end(url: string, session?: string) {
  return fetch(`${url}/mcp`, {
    method: 'DELETE',
    headers: { authorization: `Bearer ${TOKEN}`, ...(session === undefined ? {} : { 'mcp-session-id': session }) },
  });
}

/** A new session's id, after `initialize` and `notifications/initialized`. */
async function initialize(url: string): Promise<string> {
  const response = await post(url, {
    id: 0,
    method: 'initialize',
    params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
  });
  expect(response.status).toBe(200);
  const session = response.headers.get('mcp-session-id');
  expect(session).toMatch(/^[0-9a-f-]{36}$/);
  await response.body?.cancel();
  const initialized = await post(url, { method: 'notifications/initialized' }, { session: session! });
  expect(initialized.status).toBe(202);
  return session!;
}

function bash(id: number, command: string) {
  return { id, method: 'tools/call', params: { name: 'bash', arguments: { command } } };
}

async function resultText(response: Response): Promise<string> {
  const body = (await response.json()) as { result?: { content: Text[] }; error?: { message: string } };
  return body.result ? body.result.content.map((part) => part.text).join('') : `error: ${body.error?.message}`;
}

/** A server of its own, for tests that change the MCP bounds or fill its exec slots. */
async function serverWith(options: Partial<Parameters<typeof startExecServer>[0]>): Promise<ExecServer> {
  const started = await startExecServer({ root: dir, token: TOKEN, mcp: { version: '9.9.9' }, ...options });
  onTestFinished(() => started.close());
  return started;
}

describe('qcore serve --mcp: progress', () => {
  test('the SDK client receives progress notifications for a long bash call', async () => {
    const { client: sdk, transport } = client();
    await sdk.connect(transport);
    try {
      const progress: { progress: number; message?: string }[] = [];
      const ran = await sdk.callTool(
        { name: 'bash', arguments: { command: 'for i in 1 2 3; do echo line$i; sleep 0.2; done' } },
        undefined,
        { onprogress: (update) => progress.push(update) },
      );
      expect((ran.content as Text[]).map((part) => part.text).join('')).toContain('line3');
      // Each line comes 200 ms after the last, past the bash tool's 100 ms between updates.
      expect(progress.length).toBeGreaterThanOrEqual(2);
      expect(progress.map((update) => update.progress)).toEqual(progress.map((_, index) => index + 1));
      expect(progress[0]?.message).toContain('line1');
      expect(progress.at(-1)?.message).toContain('line2');
    } finally {
      await sdk.close();
    }
  });

  test('a call with a progress token is an event stream for a client that accepts one, JSON otherwise', async () => {
    const session = await initialize(server.url);
    const call = (id: number) => ({
      id,
      method: 'tools/call',
      params: { name: 'bash', arguments: { command: 'echo a; sleep 0.2; echo b' }, _meta: { progressToken: 't' } },
    });
    const streamed = await post(server.url, call(1), { session });
    expect(streamed.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = (await streamed.text()).split('\n\n').filter((event) => event.trim() !== '');
    const messages = events.map((event) => {
      expect(event).toMatch(/^event: message\ndata: /);
      return JSON.parse(event.slice(event.indexOf('data: ') + 6)) as { id?: number; method?: string };
    });
    expect(messages.length).toBeGreaterThanOrEqual(2);
    expect(messages.slice(0, -1).every((message) => message.method === 'notifications/progress')).toBe(true);
    expect(messages.at(-1)?.id).toBe(1);

    const plain = await post(server.url, call(2), { session, accept: 'application/json' });
    expect(plain.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await resultText(plain)).toContain('b');
    const untracked = await post(server.url, bash(3, 'echo c'), { session });
    expect(untracked.headers.get('content-type')).toMatch(/^application\/json/);
  });

  test('a client that leaves mid-stream has its call aborted, so its exec slot is free again', async () => {
    const busy = await serverWith({ maxConcurrentExecs: 1 });
    const session = await initialize(busy.url);
    const leave = new AbortController();
    const gaveUp = setTimeout(() => leave.abort(), 3000);
    try {
      const streamed = await post(
        busy.url,
        {
          id: 1,
          method: 'tools/call',
          params: { name: 'bash', arguments: { command: 'echo started; sleep 30' }, _meta: { progressToken: 1 } },
        },
        { session, signal: leave.signal },
      );
      const first = await streamed.body!.getReader().read();
      expect(new TextDecoder().decode(first.value)).toContain('started');
    } finally {
      clearTimeout(gaveUp);
      leave.abort();
    }
    let text = '';
    for (const deadline = Date.now() + 3000; Date.now() < deadline; ) {
      text = await resultText(await post(busy.url, bash(2, 'echo free'), { session }));
      if (!text.includes('running already')) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(text).toContain('free');
  });
});

describe('qcore serve --mcp: sessions', () => {
  test('every request after initialize names a live session: missing 400, unknown or ended 404', async () => {
    const session = await initialize(server.url);
    const ping = { id: 1, method: 'ping' };
    const ok = await post(server.url, ping, { session });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await ok.json()).toEqual({ jsonrpc: '2.0', id: 1, result: {} });

    const missing = await post(server.url, ping);
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({ jsonrpc: '2.0', id: 1, error: { message: /Mcp-Session-Id/ } });
    expect((await end(server.url)).status).toBe(400);

    const unknown = await post(server.url, ping, { session: crypto.randomUUID() });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { message: /initialize/ } });
    expect((await end(server.url, crypto.randomUUID())).status).toBe(404);

    expect((await end(server.url, session)).status).toBe(200);
    expect((await post(server.url, ping, { session })).status).toBe(404);
    expect((await post(server.url, { method: 'notifications/initialized' }, { session })).status).toBe(404);
    expect((await end(server.url, session)).status).toBe(404);
  });

  test('an unsupported Mcp-Protocol-Version is refused with 400 naming it', async () => {
    const session = await initialize(server.url);
    const refused = await post(
      server.url,
      { id: 1, method: 'ping' },
      { session, headers: { 'mcp-protocol-version': '1999-01-01' } },
    );
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ error: { message: /1999-01-01/ } });
    const spoken = await post(
      server.url,
      { id: 2, method: 'ping' },
      { session, headers: { 'mcp-protocol-version': '2025-03-26' } },
    );
    expect(spoken.status).toBe(200);
  });

  test('GET /mcp is 405: the server sends nothing unasked', async () => {
    const response = await fetch(`${server.url}/mcp`, {
      headers: { authorization: `Bearer ${TOKEN}`, accept: 'text/event-stream' },
    });
    expect(response.status).toBe(405);
  });

  test('cancellation is per session: the same request id cancelled in one session runs on in the other', async () => {
    const [first, second] = [await initialize(server.url), await initialize(server.url)];
    const command = 'sleep 0.6; echo finished';
    const cancelled = post(server.url, bash(7, command), { session: first });
    const kept = post(server.url, bash(7, command), { session: second });
    await new Promise((resolve) => setTimeout(resolve, 250));
    const cancel = await post(
      server.url,
      { method: 'notifications/cancelled', params: { requestId: 7, reason: 'test' } },
      { session: first },
    );
    expect(cancel.status).toBe(202);
    expect(await resultText(await cancelled)).not.toContain('finished');
    expect(await resultText(await kept)).toContain('finished');
  });

  test('ending a session aborts its running calls', async () => {
    const session = await initialize(server.url);
    const running = post(server.url, bash(1, 'sleep 0.6; echo finished'), { session });
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect((await end(server.url, session)).status).toBe(200);
    expect(await resultText(await running)).toContain('aborted');
  });

  test('at the session bound, initialize evicts the least recently used idle session, or is 503 if all are busy', async () => {
    const bounded = await serverWith({ mcp: { version: '9.9.9', maxSessions: 2 } });
    const ping = { id: 1, method: 'ping' };
    const a = await initialize(bounded.url);
    const b = await initialize(bounded.url);
    expect((await post(bounded.url, ping, { session: a })).status).toBe(200); // a is now the most recent
    const c = await initialize(bounded.url);
    expect((await post(bounded.url, ping, { session: b })).status).toBe(404);
    expect((await post(bounded.url, ping, { session: a })).status).toBe(200);

    const calls = [a, c].map((session) => post(bounded.url, bash(2, 'sleep 0.5; echo done'), { session }));
    await new Promise((resolve) => setTimeout(resolve, 150));
    const refused = await post(bounded.url, {
      id: 0,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
    });
    expect(refused.status).toBe(503);
    expect(await refused.json()).toMatchObject({ id: 0, error: { message: /2 MCP sessions .*call running/ } });
    for (const call of calls) expect(await resultText(await call)).toContain('done');
    await initialize(bounded.url);
    expect((await post(bounded.url, ping, { session: a })).status).toBe(404);
    expect((await post(bounded.url, ping, { session: c })).status).toBe(200);
  });

  test('a session idle past the bound has ended; one in use has not', async () => {
    const idle = await serverWith({ mcp: { version: '9.9.9', sessionIdleMs: 500 } });
    const session = await initialize(idle.url);
    const kept = await initialize(idle.url);
    for (const until = Date.now() + 700; Date.now() < until; ) {
      expect((await post(idle.url, { id: 1, method: 'ping' }, { session: kept })).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect((await post(idle.url, { id: 1, method: 'ping' }, { session })).status).toBe(404);
    expect((await post(idle.url, { id: 2, method: 'ping' }, { session: kept })).status).toBe(200);
  });
});
