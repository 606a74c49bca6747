/**
 * A CI smoke run of examples/worker, the durable-session Worker, under
 * `wrangler dev --local`: the real bundler, the real workerd with its Durable
 * Objects and their SQLite, the example's own wrangler.jsonc, talking to a
 * mock provider on loopback. No network, no Cloudflare account.
 *
 * The example runs as a user has it: a copy outside the repository, with
 * `qcore` in its node_modules built from this repository (package.json and a
 * tsup build of dist/), so `qcore/worker` comes through the package's
 * `workerd` export condition, as `wrangler deploy` would bundle it
 * (support/example-worker.ts).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { AgentSessionState } from '../../src/agent/session-protocol.js';
import { type MockServer, type MockSessionHandle, startMockServer } from '../../testing/mock-server.js';
import { type SseFrame as Frame, SseFrameReader } from '../support/sse-frames.js';
import { ExampleWorker } from './support/example-worker.js';

const SECRET = 'smoke-secret-0123456789';
const KEY = 'sk-ant-worker-fake';
const PAGE = 'http://localhost:5173';

const text = (value: string, extra: Record<string, unknown> = {}) => ({
  content: [{ type: 'text' as const, text: value }],
  ...extra,
});

let worker: ExampleWorker;
let mock: MockServer;
let session: MockSessionHandle;

const AUTH = { authorization: `Bearer ${SECRET}` };

function call(method: string, path: string, body?: unknown, headers: Record<string, string> = AUTH) {
  return fetch(new URL(path, worker.url), {
    method,
    headers: { ...headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
}

/** `GET /sessions/:id/events`, read in the background into `frames` (test/support/sse-frames.ts). */
class EventReader extends SseFrameReader {
  static async open(sessionId: string, lastEventId?: string): Promise<EventReader> {
    const response = await fetch(new URL(`/sessions/${sessionId}/events`, worker.url), {
      headers: { ...AUTH, ...(lastEventId ? { 'last-event-id': lastEventId } : {}) },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    return new EventReader(response.body as ReadableStream<Uint8Array>);
  }

  /** Waits until `count` frames of this type have come. */
  async waitForCount(event: string, count: number, timeoutMs = 20_000): Promise<Frame> {
    await worker.waitFor(
      `${count} ${event} frame(s), got ${this.frames.map((f) => f.event).join(', ')}`,
      () => this.of(event).length >= count,
      timeoutMs,
    );
    return this.of(event)[count - 1] as Frame;
  }
}

/** The text the run's `message_update` frames streamed. */
function streamedText(frames: Frame[]): string {
  return frames
    .filter((frame) => frame.event === 'message_update')
    .map((frame) => frame.data.assistantMessageEvent as { type: string; delta?: string })
    .flatMap((update) => (update.type === 'text_delta' ? [update.delta] : []))
    .join('');
}

const seqOf = (frame: Frame) => Number(frame.id?.split('.')[1]);

beforeAll(async () => {
  worker = ExampleWorker.copy('qcore-worker-example-');
  mock = await startMockServer();
  session = mock.session({
    turns: [
      // First prompt: a write held for approval, then a read of what it wrote, then the answer.
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
      text('notes.md says: From the worker.'),
      // Second prompt: a reply slow enough to reconnect in the middle of.
      text('You asked me to write notes.md, and I did. '.repeat(3), { deltaSize: 8, paceMs: 40 }),
    ],
  });
  // The example's own dev script, with the model pointed at the mock and the secrets given as vars.
  await worker.start({
    MODEL_BASE_URL: session.baseUrl,
    ANTHROPIC_API_KEY: KEY,
    AGENT_SECRET: SECRET,
    APPROVE_TOOLS: 'write',
    CORS_ORIGIN: PAGE,
  });
}, 90_000);

afterAll(async () => {
  await worker?.stop();
  await mock?.close();
}, 20_000);

describe('examples/worker under wrangler dev', { timeout: 90_000 }, () => {
  test('bundles qcore/worker through its workerd condition: sessions extend cloudflare:workers’ DurableObject', () => {
    const tmp = join(worker.app, '.wrangler/tmp');
    const bundles = readdirSync(tmp, { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('index.js'))
      .map((file) => readFileSync(join(tmp, file), 'utf8'))
      .filter((code) => code.includes('createAgentSessionHandler'));
    expect(bundles.length).toBeGreaterThan(0);
    for (const code of bundles) {
      expect(code).toMatch(/import\s*\{\s*DurableObject\d*\s*\}\s*from\s*"cloudflare:workers"/);
      expect(code).toMatch(/defineAgentSessionOn\d*\(DurableObject\d*,/);
    }
  });

  test('a session: prompt, approve, events to agent_end, its history, a second prompt that sees it, a reconnect that loses nothing; the list; 401 and CORS', async () => {
    const id = `smoke-${Date.now()}`;

    // Without the secret, or with a wrong one: 401, before anything else.
    expect((await call('GET', '/sessions', undefined, {})).status).toBe(401);
    expect(
      (await call('POST', `/sessions/${id}/prompt`, { prompt: 'hi' }, { authorization: 'Bearer wrong' })).status,
    ).toBe(401);
    expect((await call('GET', `/sessions/${id}`, undefined, { authorization: `Bearer ${SECRET}x` })).status).toBe(401);
    // A session never written is 404.
    expect((await call('GET', `/sessions/${id}`)).status).toBe(404);

    // 1. The first prompt: the write waits for approval, the run ends awaiting_approval.
    const events = await EventReader.open(id);
    try {
      const started = await call('POST', `/sessions/${id}/prompt`, { prompt: 'Write notes.md, then read it back.' });
      expect(started.status).toBe(202);
      const held = await events.waitForCount('agent_end', 1);
      expect(held.data).toMatchObject({
        stopReason: 'awaiting_approval',
        pendingApprovals: [{ toolCallId: 'toolu_w', toolName: 'write', reason: 'write is in APPROVE_TOOLS' }],
      });
      expect(await (await call('GET', `/sessions/${id}`)).json()).toMatchObject({
        status: 'awaiting_approval',
        pendingApprovals: [{ toolCallId: 'toolu_w' }],
      });
      expect((await call('POST', `/sessions/${id}/approve`, { toolCallId: 'nope' })).status).toBe(404);

      // 2. Approve: the run goes on, writes into the session's MemoryWorkspace, reads it back.
      const approved = await call('POST', `/sessions/${id}/approve`, { toolCallId: 'toolu_w' });
      expect(approved.status).toBe(202);
      const done = await events.waitForCount('agent_end', 2);
      expect(done.data.stopReason).toBe('stop');
      const tools = events.of('tool_execution_end').map((frame) => [frame.data.toolName, frame.data.isError]);
      expect(tools).toEqual([
        ['write', false],
        ['read', false],
      ]);
      expect(streamedText(events.frames)).toBe('I will write the notes.notes.md says: From the worker.');
      const runFrames = events.frames.filter((frame) => frame.event !== 'resync');
      expect(runFrames.every((frame) => /^\d+\.\d+\.\d+$/.test(frame.id ?? ''))).toBe(true);

      // The history, as stored in the object's SQLite.
      const state = (await (await call('GET', `/sessions/${id}`)).json()) as AgentSessionState;
      expect(state).toMatchObject({
        id,
        title: 'Write notes.md, then read it back.',
        status: 'idle',
        pendingApprovals: [],
      });
      expect(state.messages.map((message) => message.role)).toEqual([
        'user',
        'assistant',
        'toolResult',
        'assistant',
        'toolResult',
        'assistant',
      ]);
      expect(JSON.stringify(state.messages[4])).toContain('From the worker.');
    } finally {
      await events.close();
    }

    // 3. A second prompt sees the history; its watcher leaves mid-reply and comes back with Last-Event-ID.
    const first = await EventReader.open(id);
    const second = await call('POST', `/sessions/${id}/prompt`, { prompt: 'What did you write?' });
    expect(second.status).toBe(202);
    await worker.waitFor('a few words of the reply', () => streamedText(first.frames).length > 20, 20_000);
    await first.close();
    const seen = first.frames.filter((frame) => frame.event !== 'resync');
    const again = await EventReader.open(id, seen.at(-1)?.id);
    try {
      await again.waitForCount('agent_end', 1);
      expect(again.of('resync')).toEqual([]);
      expect(streamedText(again.frames)).not.toBe('');
      const all = [...seen, ...again.frames];
      const seqs = all.map(seqOf);
      expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => (seqs[0] as number) + i));
      expect(all[0]?.event).toBe('agent_start');
      expect(streamedText(all)).toBe('You asked me to write notes.md, and I did. '.repeat(3));
    } finally {
      await again.close();
    }
    const lastRequest = session.requests.at(-1)?.body as { messages: { role: string }[] };
    expect(lastRequest.messages.map((message) => message.role)).toEqual([
      'user',
      'assistant',
      'user',
      'assistant',
      'user',
      'assistant',
      'user',
    ]);
    expect(session.requests).toHaveLength(4);
    expect(session.requests.every((request) => request.headers['x-api-key'] === KEY)).toBe(true);

    // 4. The list: this session, with its title and count.
    // The list object is told at the end of each run, in the background: poll it briefly.
    let sessions: { id: string; title: string; messageCount: number }[] = [];
    const deadline = Date.now() + 10_000;
    for (;;) {
      sessions = ((await (await call('GET', '/sessions')).json()) as { sessions: typeof sessions }).sessions;
      if (sessions.some((entry) => entry.id === id && entry.messageCount === 8) || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(sessions).toContainEqual(
      expect.objectContaining({ id, title: 'Write notes.md, then read it back.', messageCount: 8 }),
    );

    // 5. CORS for the page in CORS_ORIGIN, and no one else.
    const preflight = await fetch(new URL(`/sessions/${id}/prompt`, worker.url), {
      method: 'OPTIONS',
      headers: {
        origin: PAGE,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(PAGE);
    const stranger = await fetch(new URL(`/sessions/${id}/prompt`, worker.url), {
      method: 'OPTIONS',
      headers: { origin: 'https://elsewhere.example', 'access-control-request-method': 'POST' },
    });
    expect(stranger.status).toBe(403);
    const listed = await call('GET', '/sessions', undefined, { ...AUTH, origin: PAGE });
    expect(listed.headers.get('access-control-allow-origin')).toBe(PAGE);
  });
});
