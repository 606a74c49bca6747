/**
 * Durable sessions in workerd, driven from Node through miniflare: the test
 * Worker (test/durable/worker.ts) bundled with esbuild, a Miniflare instance
 * whose Durable Object storage persists in a directory, "eviction" as
 * dispose + a new instance on the same directory, and a raw client of the
 * session routes whose event streams are read by test/support/sse-frames.ts
 * (each frame's id and arrival time kept). Used by
 * test/node/durable-eviction.test.ts and bench/durable-load.ts.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { Miniflare } from 'miniflare';
import { asUser } from '../support/session-request.js';
import { SseFrameReader } from '../support/sse-frames.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** The base URL requests are made to; miniflare routes every host to the Worker. */
export const BASE = 'https://agents.test';

/**
 * The Worker the miniflare tests run: test/durable/worker.ts as it is (its
 * `AgentSession` class and handler, under `/sessions`), plus one more session
 * class whose only tool, `slow`, takes 30 s (`SLOW_SESSIONS`, under
 * `/slow/sessions`), so that an eviction can cut a run in the middle of a
 * tool call. Same mock model and identity rules as test/durable/worker.ts.
 */
const ENTRY = `
import durable, { AgentSession } from './worker.ts';
import { createAgentSessionHandler, defineAgentSession } from '../../adapters/worker/workerd.js';

export { AgentSession };

const slowTool = {
  name: 'slow',
  description: 'Takes a long time.',
  parameters: { type: 'object', properties: {} },
  execute: () =>
    new Promise((resolve) =>
      setTimeout(() => resolve({ content: [{ type: 'text', text: 'slow done' }] }), 30_000),
    ),
};

export const SlowSession = defineAgentSession(
  (env, sessionId) => ({
    model: {
      id: 'claude-mock', name: 'mock', api: 'anthropic-messages', provider: 'anthropic',
      baseUrl: env.MOCK_URL + '/s/' + sessionId, reasoning: false, input: ['text'],
      cost: { input: 3, output: 15, cacheRead: 0, cacheWrite: 0 }, contextWindow: 200000, maxTokens: 4096,
    },
    systemPrompt: 'You are a test agent.',
    tools: [slowTool],
    streamOptions: { apiKey: 'sk-test' },
  }),
  { binding: 'SLOW_SESSIONS', watchdogMs: 500, heartbeatMs: 1000, retryMs: 50 },
);

const slow = createAgentSessionHandler({
  binding: 'SLOW_SESSIONS',
  authorize: (request) => {
    const user = request.headers.get('x-user');
    return user ? { identity: user } : false;
  },
});

export default {
  fetch(request, env, ctx) {
    return new URL(request.url).pathname.startsWith('/slow/')
      ? slow.fetch(request, env, ctx)
      : durable.fetch(request, env, ctx);
  },
};
`;

/** Bundles the test Worker into `outDir` and returns the module's path. */
export async function bundleDurableWorker(outDir: string): Promise<string> {
  const outfile = join(outDir, 'worker.mjs');
  await build({
    stdin: { contents: ENTRY, resolveDir: join(root, 'test/durable'), sourcefile: 'entry.ts', loader: 'ts' },
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    conditions: ['workerd', 'worker', 'browser'],
    mainFields: ['module', 'main'],
    external: ['cloudflare:*'],
    outfile,
    logLevel: 'error',
  });
  return outfile;
}

export interface DurableWorkerOptions {
  scriptPath: string;
  /** Where the Durable Objects' SQLite (and alarms) persist: the same directory across evictions. */
  persistDir: string;
  mockUrl: string;
}

/** One Miniflare instance running the bundled Worker. */
export class DurableWorker {
  readonly mf: Miniflare;
  /** What workerd printed (the Worker's console output included), line by line. */
  readonly logs: string[];

  private constructor(mf: Miniflare, logs: string[]) {
    this.mf = mf;
    this.logs = logs;
  }

  static async start(options: DurableWorkerOptions, logs: string[] = []): Promise<DurableWorker> {
    const collect = (stream: Readable) => {
      let rest = '';
      stream.on('data', (chunk: Buffer) => {
        const lines = (rest + chunk.toString('utf8')).split('\n');
        rest = lines.pop() ?? '';
        logs.push(...lines.filter((line) => line !== ''));
      });
    };
    const mf = new Miniflare({
      modules: true,
      scriptPath: options.scriptPath,
      modulesRoot: dirname(options.scriptPath),
      compatibilityDate: '2026-04-01',
      compatibilityFlags: ['enable_request_signal'],
      bindings: { MOCK_URL: options.mockUrl },
      durableObjects: {
        AGENT_SESSIONS: { className: 'AgentSession', useSQLite: true },
        SLOW_SESSIONS: { className: 'SlowSession', useSQLite: true },
      },
      durableObjectsPersist: options.persistDir,
      handleRuntimeStdio: (stdout: Readable, stderr: Readable) => {
        collect(stdout);
        collect(stderr);
      },
    });
    try {
      await mf.ready;
    } catch (error) {
      await mf.dispose().catch(() => {});
      throw new Error(`miniflare did not start: ${String(error)}\n${logs.join('\n')}`);
    }
    return new DurableWorker(mf, logs);
  }

  /** A request to the Worker as `user` (the `x-user` header; none for no identity). */
  call(
    user: string | undefined,
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Response> {
    return this.mf.dispatchFetch(`${BASE}${path}`, asUser(user, method, body, headers)) as unknown as Promise<Response>;
  }

  /** `call` that expects JSON and a status, and returns the parsed body. */
  async json<T = Record<string, unknown>>(
    user: string,
    method: string,
    path: string,
    body?: unknown,
    status?: number,
  ): Promise<T> {
    const response = await this.call(user, method, path, body);
    const text = await response.text();
    if (status !== undefined && response.status !== status) {
      throw new Error(`${method} ${path} answered ${response.status}, not ${status}: ${text}`);
    }
    return JSON.parse(text) as T;
  }

  /** Opens `GET <prefix>/sessions/:id/events`, from `lastEventId` if given. */
  async events(user: string, path: string, lastEventId?: string): Promise<SseFrameReader> {
    const response = await this.call(user, 'GET', path, undefined, lastEventId ? { 'last-event-id': lastEventId } : {});
    if (response.status !== 200 || !response.body) {
      throw new Error(`GET ${path} answered ${response.status}: ${await response.text()}`);
    }
    return new SseFrameReader(response.body);
  }

  /** The pid of the workerd process this instance runs (a child of this process whose command is workerd). */
  workerdPid(): number | undefined {
    const output = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(process.pid)], { encoding: 'utf8' });
    const pids = output
      .split('\n')
      .map((line) => /^\s*(\d+)\s+(.*)$/.exec(line))
      .filter((match): match is RegExpExecArray => match !== null && /workerd/.test(match[2] ?? ''))
      .map((match) => Number(match[1]));
    return pids.length === 1 ? pids[0] : undefined;
  }

  dispose(): Promise<void> {
    return this.mf.dispose();
  }
}

/**
 * The bundled Worker, a persist directory, and the instance running now.
 * `evict()` ends the instance (workerd exits: every object's memory, its
 * runs and its open streams are gone) and starts another on the same storage.
 */
export class DurableHarness {
  worker!: DurableWorker;
  /** Every instance's workerd output, in order. */
  readonly logs: string[] = [];
  readonly #dir: string;
  readonly #options: DurableWorkerOptions;

  private constructor(dir: string, options: DurableWorkerOptions) {
    this.#dir = dir;
    this.#options = options;
  }

  static async start(mockUrl: string): Promise<DurableHarness> {
    const dir = await mkdtemp(join(tmpdir(), 'qcore-durable-'));
    const scriptPath = await bundleDurableWorker(dir);
    const harness = new DurableHarness(dir, { scriptPath, persistDir: join(dir, 'do'), mockUrl });
    harness.worker = await DurableWorker.start(harness.#options, harness.logs);
    return harness;
  }

  async evict(): Promise<DurableWorker> {
    await this.worker.dispose();
    this.worker = await DurableWorker.start(this.#options, this.logs);
    return this.worker;
  }

  async close(): Promise<void> {
    await this.worker?.dispose().catch(() => {});
    await rm(this.#dir, { recursive: true, force: true });
  }
}

/** The event-stream reader, shared with the tests inside workerd (test/durable/session-client.ts). */
export { type SseFrame as Frame, SseFrameReader as EventReader } from '../support/sse-frames.js';

/** The resident set of a process in KiB (`VmRSS` of /proc/<pid>/status), or undefined if unreadable. */
export async function rssKiB(pid: number): Promise<number | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** `<epoch>.<seq>.<stored>` as numbers; throws on anything else. */
export function parseId(id: string | undefined): { epoch: number; seq: number; stored: number } {
  const match = /^(\d+)\.(\d+)\.(\d+)$/.exec(id ?? '');
  if (!match) throw new Error(`not an event id: ${id}`);
  return { epoch: Number(match[1]), seq: Number(match[2]), stored: Number(match[3]) };
}
