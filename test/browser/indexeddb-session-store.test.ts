/**
 * `IndexedDbSessionStore` in real Chromium: the `SessionStore` semantics the
 * memory and JSONL stores keep, persistence across instances (what a reload
 * sees), and the connection giving way to another page's upgrade or delete.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { IndexedDbSessionStore } from '../../adapters/browser/index.js';
import {
  type LoadedSession,
  loadSession,
  MemorySessionStore,
  recordSession,
  type SessionEntry,
  type SessionStore,
} from '../../src/session/index.js';
import { assistant, FakeAgent, modelNamed, toolResult, user } from '../session/messages.js';

const header: SessionEntry = {
  type: 'session',
  version: 1,
  cwd: '/workspace',
  createdAt: '2026-01-02T03:04:05.000Z',
  provider: 'prov',
  model: 'model-a',
};

const opened: IndexedDbSessionStore[] = [];

/** A database of its own per test, so tests never see each other's sessions. */
function freshName(): string {
  return `qcore-sessions-test-${crypto.randomUUID()}`;
}

function storeOn(name: string): IndexedDbSessionStore {
  const store = new IndexedDbSessionStore({ name });
  opened.push(store);
  return store;
}

function freshStore(): IndexedDbSessionStore {
  return storeOn(freshName());
}

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

/** Deletes a database; rejects if another connection blocks it, instead of waiting for ever. */
function deleteDatabase(name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = indexedDB.deleteDatabase(name);
    req.onsuccess = () => resolve();
    req.onerror = () => reject(req.error);
    req.onblocked = () => reject(new Error(`deleting ${name} is blocked by an open connection`));
  });
}

afterEach(async () => {
  const names = new Set(opened.map((store) => store.name));
  for (const store of opened.splice(0)) store.close();
  for (const name of names) await deleteDatabase(name).catch(() => undefined);
});

describe('IndexedDbSessionStore', () => {
  test('keeps the entries of each session in append order; an unknown session reads as []', async () => {
    const store = freshStore();
    expect(store.name).toMatch(/^qcore-sessions-test-/);
    expect(new IndexedDbSessionStore().name).toBe('qcore-sessions');
    expect(await store.read('nope')).toEqual([]);
    const messages = Array.from({ length: 25 }, (_, index) => (index % 2 ? assistant(`a${index}`) : user(`u${index}`)));
    await store.append('a', header);
    await store.append('b', { type: 'model_change', provider: 'p', model: 'm' });
    // Concurrent appends still land in the order they were made.
    await Promise.all(messages.map((message) => store.append('a', { type: 'message', message })));
    expect(await store.read('a')).toEqual([header, ...messages.map((message) => ({ type: 'message', message }))]);
    expect(await store.read('b')).toEqual([{ type: 'model_change', provider: 'p', model: 'm' }]);
    expect(await store.read('nope')).toEqual([]);
    // An id that is a prefix of another reads only its own entries.
    await store.append('a2', { type: 'message', message: user('other') });
    expect(await store.read('a')).toHaveLength(26);
  });

  test('every kind of entry round-trips: header, messages with tool calls and images, model_change, compaction', async () => {
    const store = freshStore();
    const call = assistant('calling');
    call.content.push({ type: 'toolCall', id: 'call-1', name: 'read', arguments: { path: 'a.ts', nested: [1, null] } });
    call.stopReason = 'toolUse';
    const entries: SessionEntry[] = [
      header,
      {
        type: 'message',
        message: {
          role: 'user',
          content: [
            { type: 'text', text: 'look' },
            { type: 'image', data: 'AAAA', mimeType: 'image/png' },
          ],
          timestamp: 1,
        },
      },
      { type: 'message', message: call },
      { type: 'message', message: toolResult('file text') },
      { type: 'model_change', provider: 'other', model: 'model-b' },
      { type: 'message', message: assistant('switched', 'model-b', 'other') },
      {
        type: 'compaction',
        summary: 'what happened',
        firstKeptIndex: 2,
        tokensBefore: 900,
        tokensAfter: 90,
        timestamp: 5,
      },
      { type: 'message', message: { role: 'compactionSummary', summary: 'custom', tokensBefore: 1, timestamp: 6 } },
    ];
    for (const entry of entries) await store.append('s', entry);
    const read = await store.read('s');
    expect(read).toEqual(entries);
    // What read returns is a copy.
    (read[0] as { model: string }).model = 'changed';
    expect((await store.read('s'))[0]).toEqual(header);
  });

  test('an entry that cannot be cloned is refused, naming the session, and nothing of it is stored', async () => {
    const store = freshStore();
    const odd = { ...user('x'), callback: () => 1 };
    await expect(store.append('s', { type: 'message', message: odd })).rejects.toThrow(
      /^cannot append a message entry to session "s" in IndexedDB "qcore-sessions-test-[^"]+": DataCloneError: /,
    );
    expect(await store.list()).toEqual([]);
    expect(await store.read('s')).toEqual([]);
    // The failed append took no place in the session.
    await store.append('s', { type: 'message', message: user('after') });
    expect(await store.read('s')).toEqual([
      { type: 'message', message: expect.objectContaining({ content: 'after' }) },
    ]);
    expect((await store.list())[0]).toMatchObject({ id: 's', messageCount: 1, title: 'after' });
  });

  test.each([
    ['', 'it is empty'],
    ['a/b', 'it holds a path separator'],
    ['../escape', 'it holds a path separator'],
    ['a\\b', 'it holds a path separator'],
    ['..', 'it holds ".."'],
    ['x..y', 'it holds ".."'],
    ['nul\0', 'it holds a NUL character'],
    [42, 'it is not a string'],
  ])('the id %j is refused: %s', async (id, reason) => {
    const store = freshStore();
    const message = `invalid session id ${JSON.stringify(id)}: ${reason}`;
    await expect(store.append(id as string, header)).rejects.toThrow(message);
    await expect(store.read(id as string)).rejects.toThrow(message);
    expect(await store.list()).toEqual([]);
  });

  test('list: most recently updated first, with counts, createdAt from the header and the first user message as title', async () => {
    const store = freshStore();
    expect(await store.list()).toEqual([]);
    await store.append('old', header);
    await store.append('old', { type: 'message', message: user('  Fix the\n\tbuild   please ') });
    await store.append('old', { type: 'message', message: assistant('ok') });
    await store.append('old', { type: 'message', message: user('a second question') });
    await store.append('new', { type: 'message', message: assistant('no user yet') });
    let list = await store.list();
    expect(list.map((info) => info.id)).toEqual(['new', 'old']);
    expect(list[1]).toEqual({
      id: 'old',
      createdAt: header.createdAt,
      updatedAt: expect.any(String),
      title: 'Fix the build please',
      messageCount: 3,
    });
    expect(list[0]).toEqual({
      id: 'new',
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
      title: '',
      messageCount: 1,
    });
    expect(Date.parse(list[0]?.createdAt ?? '')).not.toBeNaN();
    expect(Date.parse(list[1]?.updatedAt ?? '')).toBeGreaterThanOrEqual(Date.parse(list[1]?.createdAt ?? ''));

    // An append moves its session to the front, and a compaction is no message.
    await store.append('old', {
      type: 'compaction',
      summary: 's',
      firstKeptIndex: 1,
      tokensBefore: 9,
      tokensAfter: 1,
      timestamp: 1,
    });
    list = await store.list();
    expect(list.map((info) => info.id)).toEqual(['old', 'new']);
    expect(list[0]?.messageCount).toBe(3);

    // Appends within one millisecond still order the list by the last one.
    for (const id of ['x', 'y', 'z', 'y', 'new', 'x']) await store.append(id, { type: 'message', message: user(id) });
    expect((await store.list()).map((info) => info.id)).toEqual(['x', 'new', 'y', 'z', 'old']);
  });

  test('list says what MemorySessionStore says for the same appends: the same titles, counts and order', async () => {
    const store = freshStore();
    const memory = new MemorySessionStore();
    const appends: [string, SessionEntry][] = [
      ['emoji', { type: 'message', message: user(`${'😀'.repeat(79)}xyz`) }],
      ['parts', header],
      [
        'parts',
        {
          type: 'message',
          message: {
            role: 'user',
            content: [
              { type: 'text', text: 'Look at' },
              { type: 'image', data: 'AAAA', mimeType: 'image/png' },
              { type: 'text', text: 'this\nimage' },
            ],
            timestamp: 1,
          },
        },
      ],
      ['huge', { type: 'message', message: user(`${' '.repeat(10_000)}start ${'x'.repeat(100)}`) }],
      ['empty', { type: 'message', message: user('') }],
      ['empty', { type: 'message', message: user('not the title: the first user message was empty') }],
      ['emoji', { type: 'message', message: assistant('reply') }],
    ];
    for (const [id, entry] of appends) {
      await store.append(id, entry);
      await memory.append(id, entry);
    }
    const comparable = (infos: Awaited<ReturnType<SessionStore['list']>>) =>
      infos.map(({ id, title, messageCount, createdAt }) => ({
        id,
        title,
        messageCount,
        createdAt: id === 'parts' ? createdAt : 'now',
      }));
    const list = await store.list();
    expect(comparable(list)).toEqual(comparable(await memory.list()));
    expect(list.find((info) => info.id === 'emoji')?.title).toBe(`${'😀'.repeat(79)}…`);
    expect(list.find((info) => info.id === 'empty')).toMatchObject({ title: '', messageCount: 2 });
  });

  test('another instance on the same database, as after a reload, sees everything; two writing at once lose nothing', async () => {
    const name = freshName();
    const first = storeOn(name);
    await first.append('s', header);
    await first.append('s', { type: 'message', message: user('before the reload') });
    first.close();

    const second = storeOn(name);
    expect(await second.read('s')).toEqual([
      header,
      { type: 'message', message: expect.objectContaining({ content: 'before the reload' }) },
    ]);
    expect(await second.list()).toMatchObject([{ id: 's', title: 'before the reload', messageCount: 1 }]);

    // Two connections, as two tabs: appends interleave, each gets its own place.
    const third = storeOn(name);
    const fromSecond = Array.from({ length: 10 }, (_, index) => user(`second ${index}`));
    const fromThird = Array.from({ length: 10 }, (_, index) => user(`third ${index}`));
    await Promise.all([
      ...fromSecond.map((message) => second.append('s', { type: 'message', message })),
      ...fromThird.map((message) => third.append('s', { type: 'message', message })),
    ]);
    const entries = await first.read('s');
    expect(entries).toHaveLength(22);
    const texts = entries.flatMap((entry) =>
      entry.type === 'message' && entry.message.role === 'user' ? [entry.message.content] : [],
    );
    // Each writer's entries keep their order.
    expect(texts.filter((text) => String(text).startsWith('second'))).toEqual(fromSecond.map((m) => m.content));
    expect(texts.filter((text) => String(text).startsWith('third'))).toEqual(fromThird.map((m) => m.content));
    expect((await third.list())[0]).toMatchObject({ id: 's', messageCount: 21 });
  });

  test('loadSession over what recordSession wrote gives the same history as over a MemorySessionStore', async () => {
    const store = freshStore();
    const memory = new MemorySessionStore();
    const agent = new FakeAgent();
    const recordings = [store, memory].map((target) => recordSession(agent, { store: target, sessionId: 'chat' }));
    agent.add(user('0'), assistant('1'), user('2'), assistant('3'));
    agent.compact(2, 'first summary');
    agent.state.model = modelNamed('model-b', 'other');
    agent.add(user('4'), assistant('5', 'model-b', 'other'), toolResult('6'));
    agent.compact(2, 'second summary');
    agent.add(user('7'));
    await Promise.all(recordings.map((recording) => recording.flush()));

    // The headers differ only in when each recording wrote them.
    const load = async (target: SessionStore): Promise<LoadedSession> => {
      const loaded = loadSession(await target.read('chat'));
      if (loaded.header) loaded.header = { ...loaded.header, createdAt: 'then' };
      return loaded;
    };
    const fromIndexedDb = await load(store);
    expect(fromIndexedDb).toEqual(await load(memory));
    expect(fromIndexedDb.messages).toEqual(agent.state.messages);
    expect(fromIndexedDb.model).toEqual({ provider: 'other', model: 'model-b' });
    expect(fromIndexedDb.warnings).toEqual([]);

    // Resumed from a new instance, the recording goes on where it stopped.
    store.close();
    const reopened = storeOn(store.name);
    const resumed = loadSession(await reopened.read('chat'));
    const again = new FakeAgent(resumed.messages, modelNamed('model-b', 'other'));
    const recording = recordSession(again, { store: reopened, sessionId: 'chat', resumed });
    again.add(assistant('8', 'model-b', 'other'));
    await recording.flush();
    expect(loadSession(await reopened.read('chat')).messages).toEqual(again.state.messages);
    expect((await reopened.list())[0]).toMatchObject({ id: 'chat', title: '0', messageCount: 9 });
  });

  test('gives way to another page deleting the database, and opens a new one on its next call', async () => {
    const store = freshStore();
    await store.append('s', { type: 'message', message: user('hello') });
    // Not blocked: the store closes its connection on versionchange.
    await deleteDatabase(store.name);
    expect(await store.read('s')).toEqual([]);
    await store.append('s', { type: 'message', message: user('again') });
    expect(await store.list()).toMatchObject([{ id: 's', title: 'again', messageCount: 1 }]);
  });

  test('a database at a newer version is refused with an error that says so', async () => {
    const name = freshName();
    const db = await request(indexedDB.open(name, 7));
    db.close();
    const store = storeOn(name);
    await expect(store.list()).rejects.toThrow(
      `cannot open the IndexedDB database "${name}" for sessions: it is at a version newer than 1, written by a newer qcore`,
    );
  });
});
