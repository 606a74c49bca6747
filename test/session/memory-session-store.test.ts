import { describe, expect, test } from 'vitest';
import { MemorySessionStore, type SessionEntry } from '../../src/session/index.js';
import { assistant, user } from './messages.js';

const header: SessionEntry = {
  type: 'session',
  version: 1,
  createdAt: '2026-01-02T03:04:05.000Z',
  provider: 'prov',
  model: 'model-a',
};

describe('MemorySessionStore', () => {
  test('keeps the entries of each session in order; an unknown session reads as []', async () => {
    const store = new MemorySessionStore();
    const hello = user('hello');
    await store.append('a', header);
    await store.append('a', { type: 'message', message: hello });
    await store.append('b', { type: 'model_change', provider: 'p', model: 'm' });
    expect(await store.read('a')).toEqual([header, { type: 'message', message: hello }]);
    expect(await store.read('b')).toEqual([{ type: 'model_change', provider: 'p', model: 'm' }]);
    expect(await store.read('nope')).toEqual([]);
  });

  test('stores copies: changing a live message after the append, or what read returned, changes nothing', async () => {
    const store = new MemorySessionStore();
    const reply = assistant('first');
    await store.append('s', { type: 'message', message: reply });
    reply.content.push({ type: 'text', text: 'added later' });
    reply.usage.cost.total = 99;
    const [entry] = await store.read('s');
    expect(entry).toEqual({
      type: 'message',
      message: {
        ...reply,
        content: [{ type: 'text', text: 'first' }],
        usage: { ...reply.usage, cost: { ...reply.usage.cost, total: 0 } },
      },
    });
    if (entry?.type === 'message' && entry.message.role === 'assistant') entry.message.content.length = 0;
    const [again] = await store.read('s');
    expect(again?.type === 'message' && again.message.role === 'assistant' && again.message.content).toEqual([
      { type: 'text', text: 'first' },
    ]);
  });

  test('an entry that cannot be cloned is refused, and nothing is stored', async () => {
    const store = new MemorySessionStore();
    const odd = { ...user('x'), callback: () => 1 };
    await expect(store.append('s', { type: 'message', message: odd })).rejects.toThrow();
    expect(await store.list()).toEqual([]);
  });

  test('list: most recently updated first, with counts, createdAt from the header and the first user message as title', async () => {
    const store = new MemorySessionStore();
    await store.append('old', header);
    await store.append('old', { type: 'message', message: user('  Fix the\n\tbuild   please ') });
    await store.append('old', { type: 'message', message: assistant('ok') });
    await store.append('old', { type: 'message', message: user('a second question') });
    await store.append('new', { type: 'message', message: assistant('no user yet') });
    let list = await store.list();
    expect(list.map((info) => info.id)).toEqual(['new', 'old']);
    expect(list[1]).toMatchObject({
      id: 'old',
      createdAt: header.createdAt,
      title: 'Fix the build please',
      messageCount: 3,
    });
    expect(list[0]).toMatchObject({ id: 'new', title: '', messageCount: 1 });
    expect(Date.parse(list[0]?.createdAt ?? '')).not.toBeNaN();
    expect(Date.parse(list[1]?.updatedAt ?? '')).toBeGreaterThanOrEqual(Date.parse(list[1]?.createdAt ?? ''));

    // An append moves its session to the front.
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

    // What list returns is a copy.
    (list[0] as { title: string }).title = 'changed';
    expect((await store.list())[0]?.title).toBe('Fix the build please');
  });

  test('the title is one line of at most 80 characters, from text parts, and never cuts an emoji', async () => {
    const store = new MemorySessionStore();
    const long = `${'😀'.repeat(79)}xyz`;
    await store.append('emoji', { type: 'message', message: user(long) });
    await store.append('parts', {
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
    });
    await store.append('huge', { type: 'message', message: user(`${' '.repeat(10_000)}start ${'x'.repeat(100)}`) });
    const titles = Object.fromEntries((await store.list()).map((info) => [info.id, info.title]));
    expect(Array.from(titles.emoji ?? '')).toHaveLength(80);
    expect(titles.emoji).toBe(`${'😀'.repeat(79)}…`);
    expect(titles.parts).toBe('Look at this image');
    expect(titles.huge).toBe(`start ${'x'.repeat(73)}…`);
  });
});
