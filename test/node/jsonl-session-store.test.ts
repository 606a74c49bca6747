import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, test, vi } from 'vitest';
import { JsonlSessionStore } from '../../adapters/node/index.js';
import type { AgentMessage } from '../../src/agent/types.js';
import { loadSession, type SessionEntry } from '../../src/session/index.js';

// Spied on, to show that `list` reads files in bounded chunks and never whole.
vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  return { ...real, readFileSync: vi.fn(real.readFileSync), readSync: vi.fn(real.readSync) };
});

const base = fs.mkdtempSync(join(tmpdir(), 'qcore-jsonl-store-'));
let count = 0;
function tempDir(): string {
  return join(base, `case-${++count}`);
}
afterAll(() => fs.rmSync(base, { recursive: true, force: true }));
beforeEach(() => vi.clearAllMocks());

const user = (text: string, timestamp = 1): AgentMessage => ({ role: 'user', content: text, timestamp });
const header = (cwd = '/work'): SessionEntry => ({
  type: 'session',
  version: 1,
  cwd,
  createdAt: '2026-01-02T03:04:05.000Z',
  provider: 'anthropic',
  model: 'claude-sonnet-4-6',
});

/**
 * A session file exactly as the CLI wrote it before there were stores: the
 * header line, then `{"type":"message","message":…}` lines, each ending in `\n`.
 */
const TODAYS_FILE = [
  '{"type":"session","version":1,"cwd":"/home/ada/project","createdAt":"2026-03-01T10:00:00.000Z","provider":"anthropic","model":"claude-sonnet-4-6"}',
  '{"type":"message","message":{"role":"user","content":"Read the README and\\nsummarise it","timestamp":1772359200000}}',
  '{"type":"message","message":{"role":"assistant","content":[{"type":"toolCall","id":"toolu_1","name":"read","arguments":{"path":"README.md"}}],"api":"anthropic-messages","provider":"anthropic","model":"claude-sonnet-4-6","usage":{"input":120,"output":30,"cacheRead":0,"cacheWrite":0,"totalTokens":150,"cost":{"input":0.00036,"output":0.00045,"cacheRead":0,"cacheWrite":0,"total":0.00081}},"stopReason":"toolUse","timestamp":1772359201000}}',
  '{"type":"message","message":{"role":"toolResult","toolCallId":"toolu_1","toolName":"read","content":[{"type":"text","text":"# Project\\nIt does things."}],"isError":false,"timestamp":1772359202000}}',
  '{"type":"message","message":{"role":"assistant","content":[{"type":"text","text":"It does things."}],"api":"anthropic-messages","provider":"anthropic","model":"claude-sonnet-4-6","usage":{"input":200,"output":10,"cacheRead":0,"cacheWrite":0,"totalTokens":210,"cost":{"input":0.0006,"output":0.00015,"cacheRead":0,"cacheWrite":0,"total":0.00075}},"stopReason":"stop","timestamp":1772359203000}}',
  '',
].join('\n');

describe('JsonlSessionStore', () => {
  test('appends one line per entry to <dir>/<id>.jsonl, in a private file in a private directory', async () => {
    const dir = join(tempDir(), 'sessions');
    const store = new JsonlSessionStore({ dir });
    const entries: SessionEntry[] = [
      header(),
      { type: 'message', message: user('hi') },
      { type: 'model_change', provider: 'openai', model: 'gpt' },
      { type: 'compaction', summary: 'so far', firstKeptIndex: 1, tokensBefore: 9, tokensAfter: 2, timestamp: 3 },
    ];
    for (const entry of entries) await store.append('s1', entry);
    const file = join(dir, 's1.jsonl');
    expect(store.pathOf('s1')).toBe(file);
    expect(fs.readFileSync(file, 'utf8')).toBe(`${entries.map((entry) => JSON.stringify(entry)).join('\n')}\n`);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    expect(await store.read('s1')).toEqual(entries);
    expect(await store.read('never')).toEqual([]);
  });

  test('the line is on disk as soon as append returns, before its promise is awaited', () => {
    const dir = tempDir();
    const store = new JsonlSessionStore({ dir });
    void store.append('s', header());
    expect(fs.readFileSync(join(dir, 's.jsonl'), 'utf8')).toBe(`${JSON.stringify(header())}\n`);
  });

  test('reads a session file written by the CLI before there were stores, unchanged', async () => {
    const dir = tempDir();
    fs.mkdirSync(dir);
    const file = join(dir, '2026-03-01T10-00-00-000Z-0a1b2c3d.jsonl');
    fs.writeFileSync(file, TODAYS_FILE, { mode: 0o600 });
    const warnings: string[] = [];
    const store = new JsonlSessionStore({ dir, onWarning: (warning) => warnings.push(warning) });
    const id = '2026-03-01T10-00-00-000Z-0a1b2c3d';

    const loaded = loadSession(await store.read(id));
    expect(warnings).toEqual([]);
    expect(loaded.warnings).toEqual([]);
    expect(loaded.header).toMatchObject({ cwd: '/home/ada/project', model: 'claude-sonnet-4-6' });
    expect(loaded.model).toEqual({ provider: 'anthropic', model: 'claude-sonnet-4-6' });
    expect(loaded.messages.map((message) => message.role)).toEqual(['user', 'assistant', 'toolResult', 'assistant']);
    expect(loaded.messages).toEqual(
      TODAYS_FILE.split('\n')
        .slice(1, -1)
        .map((line) => JSON.parse(line).message),
    );

    expect(await store.list()).toEqual([
      {
        id,
        createdAt: '2026-03-01T10:00:00.000Z',
        updatedAt: fs.statSync(file).mtime.toISOString(),
        title: 'Read the README and summarise it',
        messageCount: 4,
      },
    ]);
    expect(await store.readHeader(id)).toMatchObject({ type: 'session', cwd: '/home/ada/project' });
    expect(await store.findLatest((h) => h.cwd === '/home/ada/project')).toBe(id);
    expect(await store.findLatest((h) => h.cwd === '/elsewhere')).toBeUndefined();

    // Going on appends after the old lines, byte for byte.
    await store.append(id, { type: 'message', message: user('and then?', 5) });
    expect(fs.readFileSync(file, 'utf8')).toBe(
      `${TODAYS_FILE}{"type":"message","message":{"role":"user","content":"and then?","timestamp":5}}\n`,
    );
  });

  test('a torn last line is skipped with a warning, and the next append starts on a line of its own', async () => {
    const dir = tempDir();
    fs.mkdirSync(dir);
    const file = join(dir, 'torn.jsonl');
    fs.writeFileSync(file, `${TODAYS_FILE}{"type":"message","message":{"role":"us`);
    const warnings: string[] = [];
    const store = new JsonlSessionStore({ dir, onWarning: (warning) => warnings.push(warning) });

    expect(await store.read('torn')).toHaveLength(5);
    expect(warnings).toEqual([`skipped an incomplete last line in ${file}:6 (a run that was cut off)`]);
    // Not counted as a message: it does not end as a JSON object does.
    expect((await store.list())[0]?.messageCount).toBe(4);

    await store.append('torn', { type: 'message', message: user('after the crash') });
    await store.append('torn', { type: 'message', message: user('and again') });
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    expect(lines.slice(5)).toEqual([
      '{"type":"message","message":{"role":"us',
      '{"type":"message","message":{"role":"user","content":"after the crash","timestamp":1}}',
      '{"type":"message","message":{"role":"user","content":"and again","timestamp":1}}',
      '',
    ]);
    warnings.length = 0;
    const { entries, lines: numbers } = await store.readWithLines('torn');
    expect(entries).toHaveLength(7);
    expect(numbers).toEqual([1, 2, 3, 4, 5, 7, 8]);
    expect(warnings).toEqual([`skipped an unreadable line ${file}:6`]);
    expect((await store.list())[0]?.messageCount).toBe(6);
  });

  test('a file a crash cut short is checked by a new store too', async () => {
    const dir = tempDir();
    const first = new JsonlSessionStore({ dir });
    await first.append('s', header());
    fs.appendFileSync(join(dir, 's.jsonl'), '{"type":"mess');
    await new JsonlSessionStore({ dir }).append('s', { type: 'message', message: user('x') });
    expect(fs.readFileSync(join(dir, 's.jsonl'), 'utf8').split('\n')).toHaveLength(4);
  });

  test.each([
    ['', 'it is empty'],
    ['a/b', 'it holds a path separator'],
    ['../escape', 'it holds a path separator'],
    ['a\\b', 'it holds a path separator'],
    ['..', 'it holds ".."'],
    ['x..y', 'it holds ".."'],
    ['nul\0', 'it holds a NUL character'],
  ])('the id %j is refused: %s', async (id, reason) => {
    const dir = tempDir();
    const store = new JsonlSessionStore({ dir });
    const message = `invalid session id ${JSON.stringify(id)}: ${reason}`;
    expect(() => store.pathOf(id)).toThrow(message);
    await expect(store.append(id, header())).rejects.toThrow(message);
    await expect(store.read(id)).rejects.toThrow(message);
    expect(fs.existsSync(dir)).toBe(false);
  });

  test('list: newest first by mtime, counts and titles right, files read in bounded chunks', async () => {
    const dir = tempDir();
    const store = new JsonlSessionStore({ dir });
    // A first user message of 1 MB: only the start of its line is read for the title.
    const long = `Please review ${'x'.repeat(1024 * 1024)}`;
    await store.append('big', header());
    await store.append('big', { type: 'message', message: user(long) });
    // Lines of every length around the chunk size, so that lines and line starts fall across chunk ends.
    let messages = 1;
    for (let size = 64 * 1024 - 40; size < 64 * 1024 + 40; size++) {
      await store.append('big', { type: 'message', message: user('y'.repeat(size)) });
      messages++;
    }
    await store.append('big', { type: 'model_change', provider: 'p', model: 'm' });
    await store.append('big', {
      type: 'compaction',
      summary: 's',
      firstKeptIndex: 3,
      tokensBefore: 1,
      tokensAfter: 1,
      timestamp: 1,
    });

    await store.append('old', header());
    await store.append('old', {
      type: 'message',
      message: { role: 'user', content: [{ type: 'text', text: 'Old one' }], timestamp: 1 },
    });
    await store.append('tie-a', { type: 'message', message: user('no header') });
    await store.append('tie-b', header());
    fs.writeFileSync(join(dir, 'notes.txt'), 'not a session');
    fs.writeFileSync(join(dir, 'bad..name.jsonl'), `${JSON.stringify(header())}\n`);
    const at = (seconds: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, seconds));
    fs.utimesSync(join(dir, 'old.jsonl'), at(1), at(1));
    fs.utimesSync(join(dir, 'big.jsonl'), at(2), at(2));
    fs.utimesSync(join(dir, 'tie-a.jsonl'), at(3), at(3));
    fs.utimesSync(join(dir, 'tie-b.jsonl'), at(3), at(3));

    vi.clearAllMocks();
    const list = await store.list();
    expect(list.map((info) => info.id)).toEqual(['tie-b', 'tie-a', 'big', 'old']);
    const big = list[2];
    expect(big).toMatchObject({
      createdAt: '2026-01-02T03:04:05.000Z',
      updatedAt: at(2).toISOString(),
      messageCount: messages,
    });
    expect(big?.title).toBe(`Please review ${'x'.repeat(65)}…`);
    expect(list[3]).toMatchObject({ title: 'Old one', messageCount: 1 });
    // No header: created when last updated, as far as the store can tell.
    expect(list[1]).toMatchObject({ createdAt: at(3).toISOString(), title: 'no header', messageCount: 1 });
    expect(list[0]).toMatchObject({ title: '', messageCount: 0 });

    expect(fs.statSync(join(dir, 'big.jsonl')).size).toBeGreaterThan(5 * 1024 * 1024);
    expect(vi.mocked(fs.readFileSync)).not.toHaveBeenCalled();
    const readLengths = vi.mocked(fs.readSync).mock.calls.map((call) => (call as unknown[])[3]);
    expect(readLengths.length).toBeGreaterThan(80);
    expect(Math.max(...readLengths.map(Number))).toBeLessThanOrEqual(64 * 1024);

    // findLatest reads one header per file, newest first, and stops at the first match.
    vi.clearAllMocks();
    expect(await store.findLatest()).toBe('tie-b');
    expect(await store.findLatest((h) => h.cwd === 'nowhere')).toBeUndefined();
    expect(vi.mocked(fs.readSync).mock.calls.length).toBe(1 + 4);
  });

  test('list of a directory not created yet is empty', async () => {
    expect(await new JsonlSessionStore({ dir: tempDir() }).list()).toEqual([]);
  });

  test('forFile: a store for one file anywhere, whatever its name', async () => {
    const dir = tempDir();
    const path = join(dir, 'nested', 'my notes.txt');
    const { store, sessionId } = JsonlSessionStore.forFile(path);
    expect(sessionId).toBe('my notes.txt');
    expect(store.pathOf(sessionId)).toBe(path);
    expect(() => store.pathOf('other')).toThrow(`no session "other" here: this store holds only ${path}`);
    expect(await store.list()).toEqual([]);
    expect(await store.read(sessionId)).toEqual([]);

    await store.append(sessionId, header());
    await store.append(sessionId, { type: 'message', message: user('hello file') });
    expect(fs.statSync(path).mode & 0o777).toBe(0o600);
    expect(await store.read(sessionId)).toHaveLength(2);
    // Other session files beside it are not its business.
    fs.writeFileSync(join(dir, 'nested', 'other.jsonl'), `${JSON.stringify(header())}\n`);
    expect((await store.list()).map((info) => [info.id, info.title])).toEqual([['my notes.txt', 'hello file']]);
    expect(await store.findLatest()).toBe('my notes.txt');

    const jsonl = JsonlSessionStore.forFile(join(dir, 'mine.jsonl'));
    expect(jsonl.sessionId).toBe('mine');
    expect(jsonl.store.pathOf('mine')).toBe(join(dir, 'mine.jsonl'));
  });

  test('an entry that cannot be written as JSON is refused, and nothing is written', async () => {
    const dir = tempDir();
    const store = new JsonlSessionStore({ dir });
    await store.append('s', header());
    const cyclic: Record<string, unknown> = { role: 'user', content: 'x', timestamp: 1 };
    cyclic.self = cyclic;
    await expect(store.append('s', { type: 'message', message: cyclic as unknown as AgentMessage })).rejects.toThrow();
    expect(await store.read('s')).toEqual([header()]);
  });
});
