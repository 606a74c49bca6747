import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { connectMcpStdio, createStdioTransport, type StdioTransport } from '../../adapters/node/mcp-stdio.js';
import type { AgentTool } from '../../src/agent/types.js';
import type { McpClient } from '../../src/mcp/client.js';
import type { JsonRpcMessage } from '../../src/mcp/transport.js';
import { textOf as resultText, runTool } from '../tools/run-tool.js';
import { isRunning, liveGroupMembers, makeTempDir, removeDir } from './exec-helpers.js';

/**
 * The stdio transport against the official servers, spoken to in raw
 * JSON-RPC (the client on top is tested elsewhere), and against small node
 * scripts that misbehave.
 */

const require = createRequire(import.meta.url);
const everythingServer = join(
  require.resolve('@modelcontextprotocol/server-everything/package.json'),
  '..',
  'dist/index.js',
);
const filesystemServer = join(
  require.resolve('@modelcontextprotocol/server-filesystem/package.json'),
  '..',
  'dist/index.js',
);

const SECRET = 'qcore-test-secret-value-1234';

/** A JSON-RPC peer over a started transport: requests by id, and everything else kept. */
class Session {
  readonly notifications: JsonRpcMessage[] = [];
  readonly closed: Promise<Error | undefined>;
  #nextId = 1;
  #waiting = new Map<string | number, (message: JsonRpcMessage) => void>();
  #onClose!: (error: Error | undefined) => void;

  constructor(readonly transport: StdioTransport) {
    this.closed = new Promise((resolve) => {
      this.#onClose = resolve;
    });
  }

  start(): Promise<void> {
    return this.transport.start({
      onMessage: (message) => {
        if (message.id !== undefined && message.method === undefined) {
          this.#waiting.get(message.id)?.(message);
          this.#waiting.delete(message.id);
        } else this.notifications.push(message);
      },
      onClose: (error) => this.#onClose(error),
    });
  }

  /** Sends a request and resolves with its response (or with the close error, if the connection ends first). */
  async request(method: string, params?: unknown): Promise<JsonRpcMessage> {
    const id = this.#nextId++;
    const reply = new Promise<JsonRpcMessage>((resolve) => this.#waiting.set(id, resolve));
    await this.transport.send({ jsonrpc: '2.0', id, method, params });
    return Promise.race([
      reply,
      this.closed.then((error) => {
        throw error ?? new Error('closed');
      }),
    ]);
  }

  lastId(): number {
    return this.#nextId - 1;
  }

  notify(method: string, params?: unknown): Promise<void> {
    return this.transport.send({ jsonrpc: '2.0', method, params });
  }

  async initialize(): Promise<JsonRpcMessage> {
    const reply = await this.request('initialize', {
      protocolVersion: '2025-06-18',
      capabilities: {},
      clientInfo: { name: 'qcore-test', version: '0' },
    });
    await this.notify('notifications/initialized');
    return reply;
  }

  callTool(name: string, args: Record<string, unknown> = {}, meta?: Record<string, unknown>): Promise<JsonRpcMessage> {
    return this.request('tools/call', { name, arguments: args, ...(meta ? { _meta: meta } : {}) });
  }
}

const sessions: Session[] = [];
const clients: McpClient[] = [];
let dir: string;

function open(command: string, args: string[], env?: Record<string, string>, maxLineBytes?: number): Session {
  const session = new Session(createStdioTransport({ command, args, env, cwd: dir, maxLineBytes }));
  sessions.push(session);
  return session;
}

async function everything(env?: Record<string, string>): Promise<Session> {
  const session = open(process.execPath, [everythingServer, 'stdio'], env);
  await session.start();
  await session.initialize();
  return session;
}

/** A node script as the "server". */
async function script(source: string, maxLineBytes?: number): Promise<Session> {
  const file = join(dir, `server-${sessions.length}.mjs`);
  await writeFile(file, source);
  const session = open(process.execPath, [file], undefined, maxLineBytes);
  await session.start();
  return session;
}

function textOf(reply: JsonRpcMessage): string {
  const content = (reply.result as { content: { type: string; text?: string }[] }).content;
  return content.map((block) => block.text ?? '').join('');
}

beforeEach(async () => {
  dir = await makeTempDir('mcp-stdio');
  process.env.QCORE_TEST_API_KEY = SECRET;
});

afterEach(async () => {
  delete process.env.QCORE_TEST_API_KEY;
  await Promise.all(sessions.splice(0).map((session) => session.transport.close()));
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await removeDir(dir);
});

describe('server-everything over stdio', () => {
  test('initializes, lists tools and calls echo and get-sum', async () => {
    const session = open(process.execPath, [everythingServer, 'stdio']);
    await session.start();
    const init = await session.initialize();
    expect((init.result as { serverInfo: { name: string } }).serverInfo.name).toBeTruthy();

    const list = await session.request('tools/list');
    const names = (list.result as { tools: { name: string }[] }).tools.map((tool) => tool.name);
    expect(names).toEqual(expect.arrayContaining(['echo', 'get-sum', 'get-tiny-image', 'get-env']));

    expect(textOf(await session.callTool('echo', { message: 'héllo\nworld' }))).toContain('héllo\nworld');
    expect(textOf(await session.callTool('get-sum', { a: 2, b: 3 }))).toContain('5');
  });

  test('reports progress for a call that asks for it', async () => {
    const session = await everything();
    const reply = await session.callTool(
      'trigger-long-running-operation',
      { duration: 0.3, steps: 3 },
      { progressToken: 'p1' },
    );
    expect(textOf(reply)).toContain('completed');
    const progress = session.notifications.filter((message) => message.method === 'notifications/progress');
    expect(progress.map((message) => (message.params as { progress: number }).progress)).toEqual([1, 2, 3]);
    expect(progress.every((message) => (message.params as { progressToken: string }).progressToken === 'p1')).toBe(
      true,
    );
  });

  test('a cancelled call gets no reply and the server keeps serving', async () => {
    const session = await everything();
    const call = session.callTool('trigger-long-running-operation', { duration: 1, steps: 10 }, { progressToken: 1 });
    const id = session.lastId();
    await expect.poll(() => session.notifications.length, { timeout: 2000 }).toBeGreaterThan(0);
    await session.notify('notifications/cancelled', { requestId: id, reason: 'test' });
    const late = await Promise.race([
      call.then(() => 'replied'),
      new Promise((r) => setTimeout(() => r('silent'), 1500)),
    ]);
    // The SDK server drops the reply to a cancelled request, and stops reporting its progress.
    expect(late).toBe('silent');
    expect(textOf(await session.callTool('echo', { message: 'still here' }))).toContain('still here');
  });

  test('a refused call is a JSON-RPC error or an error result, and the connection stays up', async () => {
    const session = await everything();
    const unknown = await session.callTool('no-such-tool');
    const bad = await session.callTool('get-sum', { a: 'x' });
    for (const reply of [unknown, bad]) {
      expect(reply.error !== undefined || (reply.result as { isError?: boolean }).isError === true).toBe(true);
    }
    expect(textOf(await session.callTool('echo', { message: 'ok' }))).toContain('ok');
  });

  test('returns images as base64 content', async () => {
    const session = await everything();
    const reply = await session.callTool('get-tiny-image');
    const image = (reply.result as { content: { type: string; data?: string; mimeType?: string }[] }).content.find(
      (block) => block.type === 'image',
    );
    expect(image?.mimeType).toBe('image/png');
    expect(
      Buffer.from(image?.data ?? '', 'base64')
        .subarray(1, 4)
        .toString(),
    ).toBe('PNG');
  });

  test('the server sees no secret from this process, only what env names', async () => {
    const session = await everything({ GIVEN_API_KEY: 'given-on-purpose' });
    const env = JSON.parse(textOf(await session.callTool('get-env'))) as Record<string, string>;
    expect(env.QCORE_TEST_API_KEY).toBeUndefined();
    expect(JSON.stringify(env)).not.toContain(SECRET);
    expect(env.GIVEN_API_KEY).toBe('given-on-purpose');
    expect(env.PATH).toBe(process.env.PATH);
  });

  test('close() kills the whole process group', async () => {
    const session = await everything();
    const pid = session.transport.pid!;
    expect(isRunning(pid)).toBe(true);
    await session.transport.close();
    expect(await session.closed).toBeUndefined();
    await expect.poll(() => liveGroupMembers(pid), { timeout: 3000 }).toEqual([]);
    await expect(session.notify('notifications/initialized')).rejects.toThrow(/not running/);
  });
});

describe('server-filesystem over stdio', () => {
  test('reads and writes files in the allowed directory only', async () => {
    const root = join(dir, 'root');
    await mkdir(root);
    await writeFile(join(root, 'a.txt'), 'alpha');
    const session = open(process.execPath, [filesystemServer, root]);
    await session.start();
    await session.initialize();

    expect(textOf(await session.callTool('read_text_file', { path: join(root, 'a.txt') }))).toContain('alpha');
    const wrote = await session.callTool('write_file', { path: join(root, 'b.txt'), content: 'beta' });
    expect((wrote.result as { isError?: boolean }).isError).not.toBe(true);
    expect(await readFile(join(root, 'b.txt'), 'utf8')).toBe('beta');

    const outside = await session.callTool('read_text_file', { path: join(dir, 'server-0.mjs') });
    expect(outside.error !== undefined || (outside.result as { isError?: boolean }).isError === true).toBe(true);
  });
});

describe('servers that misbehave', () => {
  test('a server that dies mid-call ends the connection with its exit code and stderr tail, redacted', async () => {
    const session = await script(`
      process.stdin.on('data', () => {
        process.stderr.write('boom: ' + ${JSON.stringify(SECRET)} + '\\n');
        process.exit(3);
      });
    `);
    // The child cannot see the secret; print it from the source to show the error redacts it anyway.
    const call = session.request('tools/call', { name: 'x' });
    const error = await call.catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/MCP server ".*node.*" exited with code 3/);
    expect((error as Error).message).toContain('boom: [redacted]');
    expect((error as Error).message).not.toContain(SECRET);
    await expect(session.notify('notifications/initialized')).rejects.toThrow(/not running/);
  });

  test('only the last 8 KiB of stderr are kept', async () => {
    const session = await script(`
      process.stderr.write('early '.repeat(5000));
      process.stderr.write('the last words', () => process.exit(1));
    `);
    const error = await session.closed;
    expect(error?.message).toMatch(/exited with code 1; stderr:\n/);
    expect(error?.message).toContain('the last words');
    expect(session.transport.stderrTail().length).toBeLessThanOrEqual(8192);
    expect(error?.message.length).toBeLessThan(8192 + 200);
  });

  test('a server killed by a signal says which', async () => {
    const session = await script(`process.stdin.on('data', () => process.kill(process.pid, 'SIGKILL'));`);
    await expect(session.request('ping')).rejects.toThrow(/was killed by SIGKILL/);
  });

  test('malformed JSON on stdout ends the connection with the line quoted and kills the server', async () => {
    const session = await script(`
      process.stdin.on('data', () => process.stdout.write('{"jsonrpc":"2.0","id":1,"result":\\n'));
      setInterval(() => {}, 1000);
    `);
    const pid = session.transport.pid!;
    await expect(session.request('ping')).rejects.toThrow(/wrote a line that is not JSON: "\{\\"jsonrpc/);
    await expect.poll(() => liveGroupMembers(pid), { timeout: 3000 }).toEqual([]);
  });

  test('a line longer than the limit ends the connection without buffering it all', async () => {
    const session = await script(
      `
      process.stdin.on('data', () => process.stdout.write('"' + 'x'.repeat(100000) + '"\\n'));
      setInterval(() => {}, 1000);
    `,
      4096,
    );
    await expect(session.request('ping')).rejects.toThrow(/longer than 4096 bytes/);
  });

  test('messages split across chunks, CRLF endings and blank lines are read whole', async () => {
    const session = await script(`
      process.stdin.on('data', () => {
        const reply = JSON.stringify({ jsonrpc: '2.0', id: 1, result: { text: 'é'.repeat(50000) } });
        const bytes = Buffer.from('\\r\\n' + reply + '\\r\\n');
        process.stdout.write(bytes.subarray(0, 7));
        setTimeout(() => process.stdout.write(bytes.subarray(7)), 20);
      });
    `);
    const reply = await session.request('ping');
    expect((reply.result as { text: string }).text).toBe('é'.repeat(50000));
  });

  test('a server that closes its stdout but keeps running is ended and killed', async () => {
    const session = await script(`
      import { closeSync } from 'node:fs';
      closeSync(1);
      setInterval(() => {}, 1000);
    `);
    const pid = session.transport.pid!;
    expect((await session.closed)?.message).toMatch(/MCP server ".*" closed its stdout/);
    await expect.poll(() => liveGroupMembers(pid), { timeout: 3000 }).toEqual([]);
  });

  test('a command that does not exist fails start() with its name', async () => {
    const session = open('qcore-no-such-command', []);
    await expect(session.start()).rejects.toThrow(/MCP server "qcore-no-such-command" could not start: .*ENOENT/);
  });

  test('a server that never answers leaves the request pending, and close() still ends it quickly', async () => {
    const session = await script(`
      import { spawn } from 'node:child_process';
      spawn('sleep', ['60'], { stdio: 'ignore' });
      process.stdin.resume();
      process.on('SIGTERM', () => {});
      setInterval(() => {}, 1000);
    `);
    await expect.poll(() => liveGroupMembers(session.transport.pid!).length).toBe(2);
    const pid = session.transport.pid!;
    let settled = false;
    session.request('ping').then(
      () => (settled = true),
      () => (settled = true),
    );
    await new Promise((r) => setTimeout(r, 300));
    expect(settled).toBe(false);
    const started = Date.now();
    // It ignores SIGTERM: close() SIGKILLs it after the grace, and its child with it.
    await session.transport.close();
    expect(Date.now() - started).toBeGreaterThan(1500);
    expect(Date.now() - started).toBeLessThan(4000);
    expect(liveGroupMembers(pid)).toEqual([]);
  });
});

/**
 * A small MCP server in a node script: `tools/list` offers `slow` (never
 * answers), `die` (exits 2 mid-call), `garbage` (prints a line that is not
 * JSON) and `refuse` (a JSON-RPC error). Every message it receives is
 * appended to `received.jsonl` in the test's directory.
 */
const FAKE_SERVER = `
import { appendFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
const reply = (id, result) => process.stdout.write(JSON.stringify({ jsonrpc: '2.0', id, result }) + '\\n');
const tools = ['slow', 'die', 'garbage', 'refuse'].map((name) => ({ name, inputSchema: { type: 'object' } }));
setInterval(() => {}, 1000);
createInterface({ input: process.stdin }).on('line', (line) => {
  appendFileSync('received.jsonl', line + '\\n');
  const message = JSON.parse(line);
  if (message.method === 'initialize') {
    reply(message.id, { protocolVersion: '2025-06-18', capabilities: { tools: {} }, serverInfo: { name: 'fake', version: '0' } });
  } else if (message.method === 'tools/list') reply(message.id, { tools });
  else if (message.method === 'tools/call') {
    const tool = message.params.name;
    if (tool === 'die') {
      process.stderr.write('fatal: out of cheese\\n');
      process.exit(2);
    }
    if (tool === 'garbage') process.stdout.write('Segmentation fault (core dumped)\\n');
    if (tool === 'refuse') {
      process.stdout.write(JSON.stringify({ jsonrpc: '2.0', id: message.id, error: { code: -32602, message: 'no such thing' } }) + '\\n');
    }
  }
});
`;

async function connect(
  options: Partial<Parameters<typeof connectMcpStdio>[0]> & { name: string; command: string },
): Promise<McpClient> {
  const client = await connectMcpStdio({ cwd: dir, ...options });
  clients.push(client);
  return client;
}

async function connectFake(timeoutMs?: number): Promise<McpClient> {
  await writeFile(join(dir, 'fake-server.mjs'), FAKE_SERVER);
  return connect({ name: 'fake', command: process.execPath, args: ['fake-server.mjs'], timeoutMs });
}

async function received(): Promise<JsonRpcMessage[]> {
  const text = await readFile(join(dir, 'received.jsonl'), 'utf8');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as JsonRpcMessage);
}

function tool(client: McpClient, name: string): AgentTool {
  const found = client.tools().find((candidate) => candidate.name === name);
  if (!found) throw new Error(`no tool ${name} in ${client.tools().map((t) => t.name)}`);
  return found;
}

describe('connectMcpStdio', () => {
  test('lists server-everything tools as mcp__<name>__<tool> and calls them', async () => {
    const client = await connect({ name: 'everything', command: process.execPath, args: [everythingServer, 'stdio'] });
    const names = client.tools().map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['mcp__everything__echo', 'mcp__everything__get-sum']));
    expect(resultText(await runTool(tool(client, 'mcp__everything__echo'), { message: 'hi there' }))).toContain(
      'hi there',
    );
    expect(resultText(await runTool(tool(client, 'mcp__everything__get-sum'), { a: 40, b: 2 }))).toContain('42');
  });

  test('progress notifications become updates', async () => {
    const client = await connect({ name: 'everything', command: process.execPath, args: [everythingServer, 'stdio'] });
    const updates: string[] = [];
    const result = await runTool(
      tool(client, 'mcp__everything__trigger-long-running-operation'),
      { duration: 0.3, steps: 3 },
      { onUpdate: (update) => updates.push(resultText(update as never)) },
    );
    expect(result.isError).not.toBe(true);
    expect(updates).toEqual(['progress 1/3', 'progress 2/3', 'progress 3/3']);
  });

  test('an image result becomes image content', async () => {
    const client = await connect({ name: 'everything', command: process.execPath, args: [everythingServer, 'stdio'] });
    const result = await runTool(tool(client, 'mcp__everything__get-tiny-image'), {});
    const image = result.content.find((part) => part.type === 'image');
    expect(image).toMatchObject({ type: 'image', mimeType: 'image/png' });
  });

  test('the server gets only the inherited environment and what env names', async () => {
    const client = await connect({
      name: 'everything',
      command: process.execPath,
      args: [everythingServer, 'stdio'],
      env: { GIVEN_TOKEN: 'handed-over' },
    });
    const env = JSON.parse(resultText(await runTool(tool(client, 'mcp__everything__get-env'), {}))) as Record<
      string,
      string
    >;
    expect(env.QCORE_TEST_API_KEY).toBeUndefined();
    expect(env.GIVEN_TOKEN).toBe('handed-over');
  });

  test('server-filesystem reads and writes in the allowed directory and refuses outside it', async () => {
    const root = join(dir, 'root');
    await mkdir(root);
    await writeFile(join(root, 'in.txt'), 'inside');
    const client = await connect({ name: 'fs', command: process.execPath, args: [filesystemServer, root] });
    expect(resultText(await runTool(tool(client, 'mcp__fs__read_text_file'), { path: join(root, 'in.txt') }))).toBe(
      'inside',
    );
    const wrote = await runTool(tool(client, 'mcp__fs__write_file'), { path: join(root, 'out.txt'), content: 'new' });
    expect(wrote.isError).not.toBe(true);
    expect(await readFile(join(root, 'out.txt'), 'utf8')).toBe('new');
    const refused = await runTool(tool(client, 'mcp__fs__read_text_file'), { path: join(dir, 'fake-server.mjs') });
    expect(refused.isError).toBe(true);
    expect(resultText(refused)).toMatch(/denied|outside|not allowed/i);
  });

  test('an abort ends the call at once and the server gets notifications/cancelled', async () => {
    const client = await connectFake();
    const abort = new AbortController();
    const call = runTool(tool(client, 'mcp__fake__slow'), {}, { signal: abort.signal });
    await expect.poll(async () => (await received()).some((m) => m.method === 'tools/call')).toBe(true);
    const started = Date.now();
    abort.abort();
    const result = await call;
    expect(Date.now() - started).toBeLessThan(1000);
    expect(result.isError).toBe(true);
    expect(resultText(result)).toMatch(/aborted/);
    const callId = (await received()).find((m) => m.method === 'tools/call')?.id;
    await expect
      .poll(async () => (await received()).find((m) => m.method === 'notifications/cancelled')?.params)
      .toMatchObject({ requestId: callId });
  });

  test('a server that never answers: the call is an error result after timeoutMs, and is cancelled', async () => {
    const client = await connectFake(500);
    const started = Date.now();
    const result = await runTool(tool(client, 'mcp__fake__slow'), {});
    expect(Date.now() - started).toBeGreaterThanOrEqual(450);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(result.isError).toBe(true);
    expect(resultText(result)).toMatch(/timed out after 500 ms/);
    await expect.poll(async () => (await received()).some((m) => m.method === 'notifications/cancelled')).toBe(true);
  });

  test('a JSON-RPC error from the server is an error result the model reads', async () => {
    const client = await connectFake();
    const result = await runTool(tool(client, 'mcp__fake__refuse'), {});
    expect(result.isError).toBe(true);
    expect(resultText(result)).toContain('no such thing');
  });

  test('a server that dies mid-call: an error result with the exit code and stderr, and later calls fail fast', async () => {
    const client = await connectFake();
    expect(client.closedReason()).toBeUndefined();
    const result = await runTool(tool(client, 'mcp__fake__die'), {});
    expect(result.isError).toBe(true);
    expect(resultText(result)).toMatch(/exited with code 2/);
    // What /mcp shows for it.
    expect(client.closedReason()).toMatch(/exited with code 2/);
    expect(resultText(result)).toContain('fatal: out of cheese');
    const started = Date.now();
    const later = await runTool(tool(client, 'mcp__fake__slow'), {});
    expect(later.isError).toBe(true);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  test('malformed JSON from the server: an error result at once, quoting the line', async () => {
    const client = await connectFake();
    const started = Date.now();
    const result = await runTool(tool(client, 'mcp__fake__garbage'), {});
    expect(Date.now() - started).toBeLessThan(2000);
    expect(result.isError).toBe(true);
    expect(resultText(result)).toContain('not JSON: "Segmentation fault (core dumped)"');
  });

  test('a server that exits before initializing rejects the connection with its stderr', async () => {
    await writeFile(join(dir, 'crash.mjs'), `console.error('missing config'); process.exit(1);`);
    await expect(
      connectMcpStdio({ name: 'crash', command: process.execPath, args: ['crash.mjs'], cwd: dir, timeoutMs: 5000 }),
    ).rejects.toThrow(/exited with code 1[\s\S]*missing config/);
  });
});
