import { describe, expect, test } from 'vitest';
import type { AgentMessage } from '../../src/agent/types.js';
import { loadSession, type SessionEntry } from '../../src/session/index.js';
import { assistant, toolResult, user } from './messages.js';

const header: SessionEntry = {
  type: 'session',
  version: 1,
  cwd: '/work',
  createdAt: '2026-01-02T03:04:05.000Z',
  provider: 'prov',
  model: 'model-a',
};
const entry = (message: AgentMessage): SessionEntry => ({ type: 'message', message });
const compaction = (summary: string, firstKeptIndex: number, timestamp = 5): SessionEntry => ({
  type: 'compaction',
  summary,
  firstKeptIndex,
  tokensBefore: 900,
  tokensAfter: 90,
  timestamp,
});

describe('loadSession', () => {
  test('without a compaction: every message, the header, and the header model', () => {
    const messages = [user('hi'), assistant('hello')];
    const loaded = loadSession([header, ...messages.map(entry)]);
    expect(loaded).toEqual({
      messages,
      header,
      model: { provider: 'prov', model: 'model-a' },
      firstKeptIndex: 0,
      messageCount: 2,
      skippedIndexes: [],
      warnings: [],
    });
    expect(loadSession([])).toEqual({
      messages: [],
      firstKeptIndex: 0,
      messageCount: 0,
      skippedIndexes: [],
      warnings: [],
    });
  });

  test('several compactions: the last one wins, as its summary followed by the messages from its index on', () => {
    const m = [user('0'), assistant('1'), user('2'), assistant('3'), toolResult('4'), assistant('5'), user('6')];
    const entries: SessionEntry[] = [
      header,
      ...m.slice(0, 4).map(entry),
      compaction('first summary', 2, 100),
      entry(m[4] as AgentMessage),
      { type: 'model_change', provider: 'other', model: 'model-b' },
      entry(m[5] as AgentMessage),
      compaction('second summary', 4, 200),
      entry(m[6] as AgentMessage),
    ];
    const loaded = loadSession(entries);
    expect(loaded.messages).toEqual([
      { role: 'compactionSummary', summary: 'second summary', tokensBefore: 900, timestamp: 200 },
      m[4],
      m[5],
      m[6],
    ]);
    expect(loaded.firstKeptIndex).toBe(4);
    expect(loaded.messageCount).toBe(7);
    expect(loaded.model).toEqual({ provider: 'other', model: 'model-b' });
    expect(loaded.header).toEqual(header);
    expect(loaded.warnings).toEqual([]);

    // A compaction that keeps nothing: the summary alone.
    expect(loadSession([...entries, compaction('all of it', 7)]).messages).toEqual([
      { role: 'compactionSummary', summary: 'all of it', tokensBefore: 900, timestamp: 5 },
    ]);
  });

  test('invalid messages are skipped with a warning naming the entry and the problem; indexes stay the session’s', () => {
    const good = [user('a'), assistant('b'), user('c'), assistant('d')];
    const entries = [
      header,
      entry(good[0] as AgentMessage),
      { type: 'message', message: { role: 'assistant' } },
      entry(good[1] as AgentMessage),
      compaction('sum', 3),
      { type: 'message', message: null },
      entry(good[2] as AgentMessage),
      { type: 'message', message: { role: 'user', content: 42, timestamp: 1 } },
      entry(good[3] as AgentMessage),
    ] as SessionEntry[];
    const loaded = loadSession(entries);
    expect(loaded.warnings).toEqual([
      'skipped an entry that is not a valid message at entry 2 (no numeric timestamp)',
      'skipped an entry that is not a valid message at entry 5 (not an object)',
      'skipped an entry that is not a valid message at entry 7 (user content is neither text nor a list of text and image parts)',
    ]);
    // Message entries 0..6: 0 a, 1 invalid, 2 b, 3 null, 4 c, 5 invalid, 6 d; the compaction keeps 3 on.
    expect(loaded.messageCount).toBe(7);
    expect(loaded.firstKeptIndex).toBe(3);
    expect(loaded.skippedIndexes).toEqual([3, 5]);
    expect(loaded.messages.map((message) => message.role)).toEqual(['compactionSummary', 'user', 'assistant']);
    expect(loaded.messages.slice(1)).toEqual([good[2], good[3]]);
  });

  test('warnings name the entry through `where`, so a file store can name its line', () => {
    const loaded = loadSession([{ type: 'message', message: 7 }] as unknown as SessionEntry[], {
      where: (index) => `s.jsonl:${index + 2}`,
    });
    expect(loaded.warnings).toEqual(['skipped an entry that is not a valid message at s.jsonl:2 (not an object)']);
  });

  test('unknown and malformed entries are skipped with a warning; an invalid compaction leaves the previous one in force', () => {
    const entries = [
      header,
      entry(user('a')),
      compaction('kept', 1),
      'text',
      { type: 'bookmark', at: 3 },
      { type: 'model_change', provider: 'p' },
      { type: 'compaction', summary: 'bad', firstKeptIndex: 0.5, tokensBefore: 1, tokensAfter: 1, timestamp: 1 },
      { type: 'compaction', summary: 'bad', firstKeptIndex: 0, tokensBefore: 1, timestamp: 1 },
      { type: 'session', version: 1, createdAt: 'x' },
    ] as unknown as SessionEntry[];
    const loaded = loadSession(entries);
    expect(loaded.warnings).toEqual([
      'skipped an unknown entry at entry 3',
      'skipped an unknown entry at entry 4',
      'skipped an invalid model_change entry at entry 5 (provider or model is missing)',
      'skipped an invalid compaction entry at entry 6 (firstKeptIndex is not an integer)',
      'skipped an invalid compaction entry at entry 7 (no numeric tokensAfter)',
      'skipped an invalid session entry at entry 8 (provider or model is missing)',
    ]);
    expect(loaded.messages).toEqual([{ role: 'compactionSummary', summary: 'kept', tokensBefore: 900, timestamp: 5 }]);
    expect(loaded.model).toEqual({ provider: 'prov', model: 'model-a' });
  });

  test('a firstKeptIndex outside the messages written before it is clamped, with a warning', () => {
    const m = [user('a'), assistant('b')];
    const high = loadSession([
      entry(m[0] as AgentMessage),
      entry(m[1] as AgentMessage),
      compaction('s', 5),
      entry(user('c')),
    ]);
    expect(high.firstKeptIndex).toBe(2);
    expect(high.messages.map((message) => message.role)).toEqual(['compactionSummary', 'user']);
    expect(high.warnings).toEqual([
      'the compaction at entry 2 keeps messages from index 5, but the session then held 2; keeping them from 2',
    ]);
    const low = loadSession([entry(m[0] as AgentMessage), compaction('s', -3)]);
    expect(low.firstKeptIndex).toBe(0);
    expect(low.messages).toHaveLength(2);
    expect(low.warnings).toEqual([
      'the compaction at entry 1 keeps messages from index -3, but the session then held 1; keeping them from 0',
    ]);
  });

  test('messages of custom roles are kept; a stored compactionSummary is checked like the others', () => {
    const note = { role: 'note', text: 'remember me', timestamp: 3 } as unknown as AgentMessage;
    const summary: AgentMessage = { role: 'compactionSummary', summary: 'earlier', tokensBefore: 10, timestamp: 4 };
    const entries = [
      entry(note),
      entry(summary),
      { type: 'message', message: { role: 'note', text: 'no time' } },
      { type: 'message', message: { role: 'compactionSummary', summary: 3, tokensBefore: 1, timestamp: 1 } },
      { type: 'message', message: { role: 5, timestamp: 1 } },
    ] as SessionEntry[];
    const loaded = loadSession(entries);
    expect(loaded.messages).toEqual([note, summary]);
    expect(loaded.warnings).toEqual([
      'skipped an entry that is not a valid message at entry 2 (no numeric timestamp)',
      'skipped an entry that is not a valid message at entry 3 (the summary is not text)',
      'skipped an entry that is not a valid message at entry 4 (no role)',
    ]);
  });

  test('usage figures that are not finite numbers read as 0', () => {
    const reply = assistant('x');
    const stored = JSON.parse(JSON.stringify(reply));
    stored.usage.cost.total = null;
    stored.usage.input = 'many';
    const [loaded] = loadSession([{ type: 'message', message: stored }]).messages;
    expect(loaded).toEqual({ ...reply, usage: { ...reply.usage, input: 0, cost: { ...reply.usage.cost, total: 0 } } });
  });

  test('a header of a newer format version is read, with a warning', () => {
    const loaded = loadSession([{ ...header, version: 9 } as SessionEntry, entry(user('a'))]);
    expect(loaded.messages).toHaveLength(1);
    expect(loaded.warnings).toEqual([
      'the session was written in format version 9, newer than 1; entries this version does not know are skipped',
    ]);
  });

  test('is linear: 200,000 entries with a compaction every 1,000 load quickly', () => {
    const entries: SessionEntry[] = [header];
    let count = 0;
    for (let i = 0; i < 200_000; i++) {
      if (i % 1000 === 999) entries.push(compaction(`s${i}`, count - 10));
      else {
        entries.push(entry(i % 2 ? assistant(`a${i}`) : user(`u${i}`)));
        count++;
      }
    }
    const started = performance.now();
    const loaded = loadSession(entries);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(loaded.messageCount).toBe(count);
    // The last compaction keeps the last 10 messages.
    expect(loaded.messages).toHaveLength(11);
  });
});
