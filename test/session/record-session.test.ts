import { describe, expect, test } from 'vitest';
import type { AgentMessage } from '../../src/agent/types.js';
import {
  loadSession,
  MemorySessionStore,
  recordSession,
  type SessionEntry,
  type SessionStore,
} from '../../src/session/index.js';
import { assistant, FakeAgent, modelNamed, toolResult, user } from './messages.js';

async function rebuilt(store: SessionStore, id: string): Promise<AgentMessage[]> {
  return loadSession(await store.read(id)).messages;
}

describe('recordSession', () => {
  test('writes the header lazily, then each message; a model switch before the assistant message it made', async () => {
    const store = new MemorySessionStore();
    const agent = new FakeAgent();
    const recording = recordSession(agent, { store, sessionId: 's', cwd: '/work' });
    await recording.flush();
    expect(await store.read('s')).toEqual([]);

    const first = [user('hi'), assistant('hello')];
    agent.add(...first);
    agent.state.model = modelNamed('model-b', 'other');
    const second = [user('again'), assistant('switched', 'model-b', 'other'), assistant('same', 'model-b', 'other')];
    agent.add(...second);
    await recording.flush();

    const entries = await store.read('s');
    expect(entries[0]).toMatchObject({ type: 'session', version: 1, cwd: '/work', provider: 'prov', model: 'model-a' });
    expect(Date.parse((entries[0] as { createdAt: string }).createdAt)).not.toBeNaN();
    expect(entries.slice(1).map((entry) => (entry.type === 'message' ? entry.message.role : entry.type))).toEqual([
      'user',
      'assistant',
      'user',
      'model_change',
      'assistant',
      'assistant',
    ]);
    expect(entries[4]).toEqual({ type: 'model_change', provider: 'other', model: 'model-b' });
    expect(await rebuilt(store, 's')).toEqual(agent.state.messages);
    expect(loadSession(entries).model).toEqual({ provider: 'other', model: 'model-b' });
  });

  test('the header names the model in use when it is written, so a reply from that model needs no model_change', async () => {
    const store = new MemorySessionStore();
    const agent = new FakeAgent([], modelNamed('model-b', 'other'));
    const recording = recordSession(agent, { store, sessionId: 's' });
    agent.add(assistant('first entry is a reply', 'model-b', 'other'));
    await recording.flush();
    const entries = await store.read('s');
    expect(entries.map((entry) => entry.type)).toEqual(['session', 'message']);
    expect(entries[0]).not.toHaveProperty('cwd');
  });

  test('two successive compactions and a resume: the stored indexes rebuild exactly the agent’s history', async () => {
    const store = new MemorySessionStore();
    const agent = new FakeAgent();
    const recording = recordSession(agent, { store, sessionId: 's' });
    agent.add(user('u0'), assistant('a1'), toolResult('t2'), assistant('a3'), user('u4'));
    agent.compact(3, 'first'); // history: [S1, a3, u4]
    await recording.flush();
    expect(await rebuilt(store, 's')).toEqual(agent.state.messages);
    agent.add(assistant('a5'), user('u6'), assistant('a7'));
    agent.compact(4, 'second'); // history [S1, a3, u4, a5, u6, a7] keeps u6, a7: session index 6
    await recording.flush();
    expect(await rebuilt(store, 's')).toEqual(agent.state.messages);
    agent.add(user('u8'));
    agent.compact(1, 'keeps all'); // nothing but the old summary is replaced: session index 6 again
    agent.add(assistant('a9'));
    await recording.flush();
    expect(await rebuilt(store, 's')).toEqual(agent.state.messages);
    const compactions = (await store.read('s')).filter((entry) => entry.type === 'compaction');
    expect(compactions.map((entry) => entry.firstKeptIndex)).toEqual([3, 6, 6]);
    recording.stop();

    // Resume in a new agent, go on, compact twice more.
    const loaded = loadSession(await store.read('s'));
    const resumed = new FakeAgent(loaded.messages);
    const again = recordSession(resumed, { store, sessionId: 's', resumed: loaded });
    resumed.add(user('u10'), assistant('a11'));
    resumed.compact(3, 'third'); // history [S, u6, a7, u8, a9, u10, a11] keeps u8 on: session index 8
    resumed.add(user('u12'));
    resumed.compact(resumed.state.messages.length, 'everything');
    resumed.add(assistant('a13'));
    await again.flush();
    expect(await rebuilt(store, 's')).toEqual(resumed.state.messages);
    const entries = await store.read('s');
    expect(entries.filter((entry) => entry.type === 'session')).toHaveLength(1);
    expect(entries.filter((entry) => entry.type === 'compaction').map((entry) => entry.firstKeptIndex)).toEqual([
      3, 6, 6, 8, 13,
    ]);
  });

  test('a resumed session whose kept tail had invalid entries still maps compactions onto the right messages', async () => {
    const store = new MemorySessionStore();
    const m = [user('u0'), assistant('a1'), user('u2'), assistant('a3')];
    await store.append('s', { type: 'session', version: 1, createdAt: 'now', provider: 'prov', model: 'model-a' });
    await store.append('s', { type: 'message', message: m[0] as AgentMessage });
    await store.append('s', { type: 'message', message: { role: 'user' } } as unknown as SessionEntry);
    await store.append('s', { type: 'message', message: m[1] as AgentMessage });
    await store.append('s', { type: 'message', message: m[2] as AgentMessage });
    await store.append('s', { type: 'message', message: { role: 'assistant' } } as unknown as SessionEntry);
    await store.append('s', { type: 'message', message: m[3] as AgentMessage });
    const loaded = loadSession(await store.read('s'));
    expect(loaded.skippedIndexes).toEqual([1, 4]);
    const agent = new FakeAgent(loaded.messages);
    const recording = recordSession(agent, { store, sessionId: 's', resumed: loaded });
    agent.add(user('u6'));
    agent.compact(2, 'keeps u2 on'); // history [u0, a1, u2, a3, u6]: u2 is session index 3
    agent.add(assistant('a7'));
    await recording.flush();
    const compaction = (await store.read('s')).find((entry) => entry.type === 'compaction');
    expect(compaction).toMatchObject({ firstKeptIndex: 3 });
    expect(await rebuilt(store, 's')).toEqual(agent.state.messages);
  });

  test('an agent that already holds messages the session lacks: they are not recorded, and indexes still fit', async () => {
    const store = new MemorySessionStore();
    const agent = new FakeAgent([user('before'), assistant('earlier')]);
    const recording = recordSession(agent, { store, sessionId: 's' });
    agent.add(user('u0'), assistant('a1'), user('u2'));
    agent.compact(3, 'keeps a1 on');
    await recording.flush();
    expect((await store.read('s')).find((entry) => entry.type === 'compaction')).toMatchObject({ firstKeptIndex: 1 });
    expect(await rebuilt(store, 's')).toEqual(agent.state.messages);
  });

  test('failed compactions and other events write nothing', async () => {
    const store = new MemorySessionStore();
    const agent = new FakeAgent();
    const recording = recordSession(agent, { store, sessionId: 's' });
    agent.emit({ type: 'agent_start' });
    agent.emit({ type: 'message_start', message: user('x') });
    agent.emit({
      type: 'compaction_end',
      ok: false,
      reason: 'manual',
      tokensBefore: 1,
      aborted: true,
      errorMessage: 'aborted',
    });
    await recording.flush();
    expect(await store.read('s')).toEqual([]);
  });

  test('appends run one at a time, in order; the first starts inside the event; flush waits for all', async () => {
    const calls: string[] = [];
    const releases: (() => void)[] = [];
    const slow: SessionStore = {
      append: (_id, entry) => {
        calls.push(entry.type === 'message' ? `message:${entry.message.role}` : entry.type);
        return new Promise<void>((resolve) => releases.push(resolve));
      },
      read: async () => [],
      list: async () => [],
    };
    const agent = new FakeAgent();
    const recording = recordSession(agent, { store: slow, sessionId: 's' });
    agent.add(user('a'));
    // The header went to the store synchronously; the message waits for it.
    expect(calls).toEqual(['session']);
    agent.add(assistant('b'));
    let flushed = false;
    const flushing = recording.flush().then(() => {
      flushed = true;
    });
    for (let i = 0; i < 3; i++) {
      await new Promise((resolve) => setTimeout(resolve, 0));
      expect(calls).toHaveLength(i + 1);
      releases[i]?.();
    }
    await flushing;
    expect(flushed).toBe(true);
    expect(calls).toEqual(['session', 'message:user', 'message:assistant']);
  });

  test('a failing append calls onError once and stops the recording; stop() stops listening', async () => {
    const errors: unknown[] = [];
    let attempts = 0;
    const broken: SessionStore = {
      append: async () => {
        attempts++;
        throw new Error('disk full');
      },
      read: async () => [],
      list: async () => [],
    };
    const agent = new FakeAgent();
    const recording = recordSession(agent, { store: broken, sessionId: 's', onError: (error) => errors.push(error) });
    agent.add(user('a'), assistant('b'));
    await recording.flush();
    agent.add(user('c'));
    await recording.flush();
    expect(errors).toHaveLength(1);
    expect(String(errors[0])).toContain('disk full');
    expect(attempts).toBe(1);

    const store = new MemorySessionStore();
    const other = recordSession(agent, { store, sessionId: 't' });
    other.stop();
    agent.add(user('ignored'));
    await other.flush();
    expect(await store.read('t')).toEqual([]);
  });
});
