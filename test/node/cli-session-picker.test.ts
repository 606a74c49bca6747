import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { lastExchanges, parsePick, pickerLines, sessionsFor } from '../../adapters/node/cli/session-picker.js';
import { createStyle } from '../../adapters/node/cli/style.js';
import { JsonlSessionStore } from '../../adapters/node/jsonl-session-store.js';
import type { AgentMessage } from '../../src/agent/types.js';
import type { AssistantMessage } from '../../src/ai/types.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
const plain = createStyle(false);

function reply(text: string): AssistantMessage {
  return {
    role: 'assistant',
    content: [{ type: 'text', text }],
    api: 'anthropic-messages',
    provider: 'anthropic',
    model: 'm',
    usage: {
      input: 0,
      output: 0,
      cacheRead: 0,
      cacheWrite: 0,
      totalTokens: 0,
      cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, total: 0 },
    },
    stopReason: 'stop',
    timestamp: 1,
  };
}

describe('the --resume picker', () => {
  test('lists only this directory’s sessions, newest first, with their first prompt and message count', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'qcore-picker-'));
    dirs.push(dir);
    const store = new JsonlSessionStore({ dir });
    const header = (cwd: string) =>
      ({ type: 'session', version: 1, cwd, createdAt: '2026-12-06T10:31:00.000Z', provider: 'p', model: 'm' }) as const;
    await store.append('a', header('/work/app'));
    await store.append('a', { type: 'message', message: { role: 'user', content: 'Fix the login bug', timestamp: 1 } });
    await store.append('b', header('/elsewhere'));
    await store.append('b', { type: 'message', message: { role: 'user', content: 'Other project', timestamp: 1 } });
    await new Promise((resolve) => setTimeout(resolve, 20));
    await store.append('c', header('/work/app'));
    await store.append('c', {
      type: 'message',
      message: { role: 'user', content: 'Add tests\nfor the parser', timestamp: 1 },
    });
    await store.append('c', { type: 'message', message: reply('Done.') });
    const choices = await sessionsFor(store, '/work/app');
    expect(choices.map((c) => c.id)).toEqual(['c', 'a']);
    expect(choices[0]).toMatchObject({ messageCount: 2, path: join(dir, 'c.jsonl') });
    const lines = pickerLines(choices, plain);
    expect(lines[0]).toMatch(/^ 1 {2}\d{4}-\d\d-\d\d \d\d:\d\d {2}Add tests for the parser {2}2 messages$/);
    expect(lines[1]).toMatch(/^ 2 {2}.* {2}Fix the login bug {2}1 message$/);
  });

  test('an answer is a number, Enter or n for a new conversation, or a message saying what to type', () => {
    const choices = [{ id: 'a' }, { id: 'b' }] as never[];
    expect(parsePick('2', choices)).toEqual({ id: 'b' });
    expect(parsePick('', choices)).toBeUndefined();
    expect(parsePick('n', choices)).toBeUndefined();
    expect(parsePick('7', choices)).toBe('choose a number from 1 to 2, or press Enter for a new conversation');
  });

  test('a resumed session shows its last exchanges: prompts and the replies’ text, cut short, escapes inert', () => {
    const messages: AgentMessage[] = [
      { role: 'user', content: 'first', timestamp: 1 },
      reply('one'),
      { role: 'user', content: 'second', timestamp: 2 },
      reply(`two\n\x1b[31mred\x1b[0m\n3\n4\n5\n6`),
      { role: 'user', content: 'third', timestamp: 3 },
      reply('three'),
    ];
    expect(lastExchanges(messages, plain)).toEqual([
      '› second',
      expect.stringMatching(/^two\n.*red.*\n3\n4\n…$/),
      '› third',
      'three',
    ]);
    expect(lastExchanges(messages, plain).join('\n')).not.toContain('\x1b');
  });
});
