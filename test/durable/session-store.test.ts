/**
 * `DurableObjectSessionStore` on a real Durable Object's SQLite in workerd:
 * the `SessionStore` contract, as the other stores keep it, and what the
 * session object reads from it (messages from an index).
 */
import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, test } from 'vitest';
import { DurableObjectSessionStore } from '../../adapters/worker/durable-object-session-store.js';
import { MemorySessionStore, type SessionEntry, type SessionStore } from '../../src/session/index.js';
import { assistant, user } from '../session/messages.js';

let objects = 0;
/** Runs `body` with a store over a fresh object's SQLite. */
function withStore<R>(body: (store: DurableObjectSessionStore) => Promise<R>): Promise<R> {
  const stub = env.AGENT_SESSIONS.get(env.AGENT_SESSIONS.idFromName(`store-test-${++objects}-${Date.now()}`));
  return runInDurableObject(stub, (_instance, state) => body(new DurableObjectSessionStore(state.storage.sql)));
}

const header: SessionEntry = {
  type: 'session',
  version: 1,
  createdAt: '2026-01-02T03:04:05.000Z',
  provider: 'prov',
  model: 'model-a',
};

/** The same entries for every store: the message helpers stamp each message they make with a new time. */
const appends: [string, SessionEntry][] = [
  ['first', header],
  ['first', { type: 'message', message: user('  Fix   the\nbuild please ') }],
  ['first', { type: 'message', message: assistant('Done.') }],
  ['second', { type: 'model_change', provider: 'p', model: 'm' }],
  ['second', { type: 'message', message: assistant('No user yet.') }],
  ['first', { type: 'compaction', summary: 'sum', firstKeptIndex: 1, tokensBefore: 10, tokensAfter: 2, timestamp: 5 }],
  ['first', { type: 'message', message: user('Next') }],
];

async function fill(store: SessionStore): Promise<void> {
  for (const [id, entry] of appends) await store.append(id, entry);
}

describe('DurableObjectSessionStore', () => {
  test('keeps each session in append order, every kind of entry intact; an unknown session reads as []', async () => {
    await withStore(async (store) => {
      const memory = new MemorySessionStore();
      await fill(store);
      await fill(memory);
      expect(await store.read('first')).toEqual(await memory.read('first'));
      expect(await store.read('second')).toEqual(await memory.read('second'));
      expect(await store.read('nope')).toEqual([]);
    });
  });

  test('list: the same titles, counts and createdAt as MemorySessionStore, most recently updated first', async () => {
    await withStore(async (store) => {
      const memory = new MemorySessionStore();
      await fill(store);
      await fill(memory);
      // The times are each store's own clock; only "first" has a header to take createdAt from.
      const strip = (infos: { updatedAt: string; createdAt: string }[]) =>
        infos.map(({ updatedAt: _u, createdAt: _c, ...rest }) => rest);
      expect(strip(await store.list())).toEqual(strip(await memory.list()));
      expect((await store.list())[0]).toMatchObject({
        id: 'first',
        title: 'Fix the build please',
        messageCount: 3,
        createdAt: '2026-01-02T03:04:05.000Z',
      });
    });
  });

  test('readMessagesFrom counts message entries only, from 0', async () => {
    await withStore(async (store) => {
      await fill(store);
      const from1 = store.readMessagesFrom('first', 1);
      expect(from1.map((entry) => entry.type === 'message' && entry.message.role)).toEqual(['assistant', 'user']);
      expect(store.readMessagesFrom('first', 3)).toEqual([]);
    });
  });

  test('a session id that is not 1–128 of [A-Za-z0-9_-] is refused, naming it', async () => {
    await withStore(async (store) => {
      await expect(store.append('../x', header)).rejects.toThrow(/session id "\.\.\/x" is not 1–128 characters/);
      await expect(store.read('')).rejects.toThrow(/session id "" is not/);
    });
  });
});

describe('DurableObjectSessionStore with large entries', () => {
  test('an entry bigger than a SQLite row may hold (2 MB) is stored in parts and read back whole', async () => {
    await withStore(async (store) => {
      // 3 M characters of which many take 3 bytes in UTF-8: about 7 MB of JSON.
      const big = user(`${'€'.repeat(1_500_000)}${'x'.repeat(1_500_000)}`);
      await store.append('big', { type: 'message', message: big });
      await store.append('big', { type: 'message', message: assistant('small') });
      const entries = await store.read('big');
      expect(entries).toHaveLength(2);
      expect(entries[0]).toEqual({ type: 'message', message: big });
      expect(store.readMessagesFrom('big', 1).map((entry) => entry.type === 'message' && entry.message.role)).toEqual([
        'assistant',
      ]);
      expect((await store.list())[0]).toMatchObject({ id: 'big', messageCount: 2 });
    });
  });
});
