/**
 * A long coding session in a small window, over the mock server with each
 * protocol's real wire format: 300 model calls with real coding tools on a
 * MemoryWorkspace. The mock counts every request against the window and
 * answers over it as the provider would; the agent must compact in time,
 * keep every tool call with its result, and finish. Runs unchanged in
 * Node, Chromium and workerd.
 */
import { describe, expect, test } from 'vitest';
import { Agent } from '../../src/agent/agent.js';
import type { AgentEvent, CompactionEndEvent } from '../../src/agent/types.js';
import { stream } from '../../src/ai/stream.js';
import type { AssistantMessage, Context, Message, Model, ToolResultMessage } from '../../src/ai/types.js';
import { createCodingTools } from '../../src/tools/coding-tools.js';
import { MemoryWorkspace } from '../../src/tools/memory-workspace.js';
import type { MockReply, MockRequest } from '../../testing/script.js';
import { mockSession } from '../support/mock.js';
import { protocols } from '../support/protocols.js';

const PROMPTS = 60;
const CALLS_PER_PROMPT = 4;
const WINDOW = 8_000;

/** Per prompt: four tool calls (read, read, edit, grep), then a short answer; 5 model calls, 300 in all. */
function script(): MockReply[] {
  const turns: MockReply[] = [];
  /** Each file's first line, as the edits leave it. */
  const marks = Array.from({ length: 20 }, (_, i) => `// step ${i}`);
  for (let p = 0; p < PROMPTS; p++) {
    const file = `src/module${p % 20}.ts`;
    const mark = `// done ${p}`;
    const calls = [
      { name: 'read', arguments: { path: file } },
      { name: 'read', arguments: { path: `src/module${(p + 7) % 20}.ts` } },
      { name: 'edit', arguments: { path: file, oldText: `${marks[p % 20]}\n`, newText: `${mark}\n` } },
      { name: 'grep', arguments: { pattern: mark, path: 'src' } },
    ];
    marks[p % 20] = mark;
    for (const [i, call] of calls.entries()) {
      turns.push({ content: [{ type: 'toolCall', id: `call_${p}_${i}`, ...call }], stopReason: 'toolUse' });
    }
    turns.push({ content: [{ type: 'text', text: `Step ${p} is done: ${file} now opens with ${mark}.` }] });
  }
  expect(turns).toHaveLength(PROMPTS * (CALLS_PER_PROMPT + 1));
  return turns;
}

function workspace(): MemoryWorkspace {
  const files: Record<string, string> = {};
  for (let i = 0; i < 20; i++) {
    // About 1,600 characters: two reads a prompt fill the small window fast.
    files[`src/module${i}.ts`] =
      `// step ${i}\n${Array.from({ length: 30 }, (_, n) => `export const value${n} = ${i * n}; // module ${i}`).join('\n')}\n`;
  }
  return new MemoryWorkspace(files);
}

/** Every tool result follows the assistant message that holds its call, and every call has its result. */
function pairsIntact(messages: readonly Message[]): boolean {
  const open = new Set<string>();
  for (const message of messages) {
    if (message.role === 'assistant') {
      if (open.size > 0) return false;
      for (const part of (message as AssistantMessage).content) if (part.type === 'toolCall') open.add(part.id);
    } else if (message.role === 'toolResult') {
      if (!open.delete((message as ToolResultMessage).toolCallId)) return false;
    } else if (open.size > 0) return false;
  }
  return open.size === 0 || messages.at(-1)?.role === 'assistant';
}

describe.each(protocols)('$name', (p) => {
  test('300 model calls with tools in an 8k window: several compactions, every call paired with its result', async () => {
    const session = await mockSession({
      turns: script(),
      contextWindow: WINDOW,
      responders: [
        {
          whenBodyIncludes: 'You write the summary',
          reply: {
            content: [{ type: 'text', text: '## Goal\nStep through the modules.\n## Open tasks\nThe next step.' }],
          },
        },
      ],
    });
    const model: Model = { ...p.model(session.baseUrl), contextWindow: WINDOW, maxTokens: 1_000 };
    const sent: Context[] = [];
    const agent = new Agent({
      model,
      tools: createCodingTools(workspace()),
      streamOptions: { ...p.auth, maxRetries: 0 },
      streamFn: (m, context, options) => {
        sent.push(context);
        return stream(m, context, options);
      },
    });
    const events: AgentEvent[] = [];
    agent.subscribe((event) => {
      if (event.type === 'compaction_end' || event.type === 'agent_end') events.push(event);
    });

    let toolResults = 0;
    for (let prompt = 0; prompt < PROMPTS; prompt++) {
      const result = await agent.prompt(`Do step ${prompt}.`);
      expect(result.stopReason, result.errorMessage).toBe('stop');
      toolResults += result.messages.filter((m) => m.role === 'toolResult' && !m.isError).length;
    }

    const requests: MockRequest[] = await session.requests();
    await session.close();
    const summaries = sent.filter((c) => c.systemPrompt?.startsWith('You write the summary'));
    const turns = sent.filter((c) => !c.systemPrompt?.startsWith('You write the summary'));
    expect(turns).toHaveLength(300);
    expect(requests).toHaveLength(300 + summaries.length);
    // Every call ran and succeeded: the edits found their text, so no file content was lost to a compaction.
    expect(toolResults).toBe(PROMPTS * CALLS_PER_PROMPT);
    const compactions = events.filter((e): e is CompactionEndEvent => e.type === 'compaction_end');
    expect(compactions.length).toBeGreaterThanOrEqual(3);
    expect(compactions.every((e) => e.ok && e.reason === 'threshold')).toBe(true);
    expect(summaries).toHaveLength(compactions.length);
    for (const context of turns) expect(pairsIntact(context.messages)).toBe(true);
    expect(agent.state.messages[0]?.role).toBe('compactionSummary');
    expect(agent.contextUsage.tokens).toBeLessThan(WINDOW);
  }, 120_000);
});

describe.each(protocols)('$name: a server whose window is smaller than the model says', (p) => {
  test('answers with its overflow error; the agent compacts once and the retried turn succeeds', async () => {
    const session = await mockSession({
      turns: [{ content: [{ type: 'text', text: 'Answered after the compaction.' }] }],
      contextWindow: 4_000,
      responders: [
        { whenBodyIncludes: 'You write the summary', reply: { content: [{ type: 'text', text: '## Goal\nAnswer.' }] } },
      ],
    });
    // The catalog's window is far larger than the server's, so only the server's error can tell.
    const model: Model = { ...p.model(session.baseUrl), contextWindow: 200_000, maxTokens: 1_000 };
    const history = Array.from({ length: 12 }, (_, i) => [
      { role: 'user' as const, content: `Question ${i}: ${'why '.repeat(400)}`, timestamp: i },
      { role: 'user' as const, content: `Noted ${i}.`, timestamp: i },
    ]).flat();
    const agent = new Agent({ model, messages: history, streamOptions: { ...p.auth, maxRetries: 0 } });
    const ends: CompactionEndEvent[] = [];
    agent.subscribe((event) => {
      if (event.type === 'compaction_end') ends.push(event);
    });
    const result = await agent.prompt('And now?');
    const requests: MockRequest[] = await session.requests();
    await session.close();
    expect(result.stopReason, result.errorMessage).toBe('stop');
    expect(ends).toEqual([expect.objectContaining({ ok: true, reason: 'overflow' })]);
    // The refused request; the summary, which the server refuses too until its pieces are small
    // enough (the model's window says they fit); the retry.
    const summaries = requests.filter((r) => JSON.stringify(r.body).includes('You write the summary'));
    expect(summaries.length).toBeGreaterThanOrEqual(2);
    expect(requests).toHaveLength(summaries.length + 2);
    expect(JSON.stringify(requests.at(-1)?.body)).toContain('And now?');
    expect(agent.state.messages.at(-1)).toMatchObject({ role: 'assistant', stopReason: 'stop' });
    expect(agent.state.error).toBeUndefined();
  });
});
