/**
 * A CI smoke run of examples/worker under `wrangler dev --local`: the real
 * bundler, the real workerd, the example's own wrangler.jsonc, talking to a
 * mock provider on loopback. No network, no Cloudflare account.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { connectAgent } from '../../src/agent/connect-agent.js';
import type { AgentEvent } from '../../src/agent/types.js';
import type { AssistantMessage, ToolResultMessage } from '../../src/ai/types.js';
import { type MockServer, type MockSessionHandle, startMockServer } from '../../testing/mock-server.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const EXAMPLE = `${ROOT}examples/worker`;
const SECRET = 'smoke-secret-0123456789';
const KEY = 'sk-ant-worker-fake';

const OFFLINE_ENV = {
  WRANGLER_SEND_METRICS: 'false',
  WRANGLER_SEND_ERROR_REPORTS: 'false',
  WRANGLER_HIDE_BANNER: 'true',
  CLOUDFLARE_CF_FETCH_ENABLED: 'false',
};

let mock: MockServer;
let session: MockSessionHandle;
let wrangler: ChildProcess | undefined;
let exited: Promise<number | null> | undefined;
let output = '';
let url = '';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitFor(what: string, ok: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; wrangler said:\n${output}`);
    if (wrangler?.exitCode !== null) throw new Error(`wrangler exited (${wrangler?.exitCode}):\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

beforeAll(async () => {
  mock = await startMockServer();
  session = mock.session({
    turns: [
      // The run the client walks away from: the provider stalls after a few words.
      {
        content: [{ type: 'text', text: 'Thinking about it for a long while' }],
        deltaSize: 4,
        fault: { type: 'stall', afterEvents: 4 },
      },
      {
        content: [
          { type: 'text', text: 'I will write the notes.' },
          {
            type: 'toolCall',
            id: 'toolu_w',
            name: 'write',
            arguments: { path: 'notes.md', content: 'From the worker.\n' },
          },
        ],
        stopReason: 'toolUse',
        deltaSize: 6,
      },
      {
        content: [{ type: 'toolCall', id: 'toolu_r', name: 'read', arguments: { path: 'notes.md' } }],
        stopReason: 'toolUse',
      },
      { content: [{ type: 'text', text: 'notes.md says: From the worker.' }] },
    ],
  });
  const port = await freePort();
  url = `http://127.0.0.1:${port}/`;
  const env: NodeJS.ProcessEnv = { ...process.env, ...OFFLINE_ENV };
  delete env.CLOUDFLARE_API_TOKEN;
  // The example's own dev script, with the model pointed at the mock and the secrets given as vars.
  const args = ['dev', '--local', '--ip', '127.0.0.1', '--port', String(port)];
  args.push('--var', `MODEL_BASE_URL:${session.baseUrl}`, '--var', `ANTHROPIC_API_KEY:${KEY}`);
  args.push('--var', `AGENT_SECRET:${SECRET}`);
  const child = spawn(`${ROOT}node_modules/.bin/wrangler`, args, {
    cwd: EXAMPLE,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  wrangler = child;
  exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  await waitFor('wrangler to be ready', () => output.includes(`Ready on http://127.0.0.1:${port}`), 40_000);
}, 50_000);

afterAll(async () => {
  // Signalling wrangler's own PID stops workerd with it.
  if (wrangler && wrangler.exitCode === null) {
    wrangler.kill('SIGTERM');
    const stopped = await Promise.race([
      exited,
      new Promise((resolve) => setTimeout(() => resolve('timeout'), 10_000)),
    ]);
    if (stopped === 'timeout') wrangler.kill('SIGKILL');
  }
  await mock?.close();
}, 20_000);

describe('examples/worker under wrangler dev', { timeout: 60_000 }, () => {
  test('streams a run with a tool writing to the MemoryWorkspace; refuses clients without the secret; a client that leaves aborts its run', async () => {
    const auth = { authorization: `Bearer ${SECRET}` };

    // 1. A client that leaves while the provider stalls.
    const leaving = new AbortController();
    const abandoned = connectAgent(url, { prompt: 'Think hard.' }, { headers: auth, signal: leaving.signal });
    for await (const event of abandoned) {
      if (event.type === 'message_update' && event.assistantMessageEvent.type === 'text_delta') leaving.abort();
    }
    expect(await abandoned.result()).toMatchObject({ stopReason: 'aborted' });

    // 2. Without the secret, or with a wrong one: 401, as an error agent_end.
    const refusedHeaders: Record<string, string>[] = [{}, { authorization: 'Bearer wrong' }];
    for (const headers of refusedHeaders) {
      const refused = await connectAgent(url, { prompt: 'hi' }, { headers }).result();
      expect(refused).toEqual({
        messages: [],
        stopReason: 'error',
        errorMessage: 'connectAgent: HTTP 401: unauthorized',
        errorKind: 'auth',
        errorStatus: 401,
      });
    }

    // 3. A real run: text, a write into the per-request MemoryWorkspace, a read of it back.
    const run = connectAgent(url, { prompt: 'Write notes.md, then read it back.' }, { headers: auth });
    const events: AgentEvent[] = [];
    for await (const event of run) events.push(event);
    const text = events
      .map((e) =>
        e.type === 'message_update' && e.assistantMessageEvent.type === 'text_delta'
          ? e.assistantMessageEvent.delta
          : '',
      )
      .join('');
    expect(text).toBe('I will write the notes.notes.md says: From the worker.');
    const tools = events.flatMap((e) => (e.type === 'tool_execution_end' ? [[e.toolName, e.isError]] : []));
    expect(tools).toEqual([
      ['write', false],
      ['read', false],
    ]);
    const result = await run.result();
    expect(result.stopReason).toBe('stop');
    const readResult = result.messages.find(
      (m): m is ToolResultMessage =>
        (m as ToolResultMessage).role === 'toolResult' && (m as ToolResultMessage).toolName === 'read',
    );
    expect(JSON.stringify(readResult?.content)).toContain('From the worker.');
    expect((result.messages.at(-1) as AssistantMessage).content).toEqual([
      { type: 'text', text: 'notes.md says: From the worker.' },
    ]);

    // The key came from the Worker's env bindings.
    expect(session.requests).toHaveLength(4);
    expect(session.requests.every((r) => r.headers['x-api-key'] === KEY)).toBe(true);

    // The abandoned run was aborted on the server too, once a heartbeat met the closed connection.
    await waitFor('the abandoned run to be aborted', () => output.includes('agent run ended: aborted'), 20_000);
    expect(output).toContain('agent run ended: stop');
  });
});
