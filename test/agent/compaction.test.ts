/**
 * Context accounting and compaction in the agent, over a scripted stream:
 * no network, the same in Node, Chromium and workerd. The mock server's
 * version of the long session is in `long-session.test.ts`.
 */
import { describe, expect, test } from 'vitest';
import { Agent } from '../../src/agent/agent.js';
import { findCutPoint } from '../../src/agent/compaction.js';
import { estimateMessageTokens } from '../../src/agent/context-estimate.js';
import { defaultConvertToLlm } from '../../src/agent/convert-to-llm.js';
import type { AgentEvent, AgentMessage, AgentTool, CompactionEndEvent } from '../../src/agent/types.js';
import type { AssistantMessage, Context, Model, ToolResultMessage, UserMessage } from '../../src/ai/types.js';
import { type ScriptedReply, scriptedStream, testModel } from '../support/scripted-stream.js';

const FILE = 'x'.repeat(1_400);

const readTool: AgentTool = {
  name: 'read',
  description: 'Read a file',
  parameters: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] },
  execute: async (args) => ({ content: [{ type: 'text', text: `${String(args.path)}: ${FILE}` }] }),
};

const small: Model = { ...testModel, contextWindow: 4_000, maxTokens: 500 };

const isSummaryRequest = (context: Context) => context.systemPrompt?.startsWith('You write the summary') === true;

/** What a provider would count for this context: its JSON, 4 characters a token. */
const counted = (context: Context) => Math.ceil(JSON.stringify(context).length / 4);

/** Replies with `calls` tool calls in a row, then text; summary requests get a summary. Usage as a provider would count it. */
function session(calls: number) {
  let made = 0;
  let summaries = 0;
  const turn = (context: Context): ScriptedReply => {
    const usage = { input: counted(context), output: 20 };
    if (isSummaryRequest(context)) return { text: `## Goal\nsummary ${++summaries}`, usage };
    if (made < calls) {
      made++;
      return { toolCalls: [{ id: `call_${made}`, name: 'read', args: { path: `f${made}.ts` } }], usage };
    }
    return { text: 'done', usage };
  };
  return scriptedStream(Array.from({ length: calls * 3 + 10 }, () => turn));
}

function collect(agent: Agent) {
  const events: AgentEvent[] = [];
  agent.subscribe((event) => events.push(event));
  return events;
}

const ends = (events: AgentEvent[]) => events.filter((e): e is CompactionEndEvent => e.type === 'compaction_end');

/** Every tool result follows an assistant message holding its call, and no call lacks its result. */
function pairsIntact(messages: readonly { role: string }[]): boolean {
  const open = new Set<string>();
  for (const message of messages) {
    if (message.role === 'assistant') {
      if (open.size > 0) return false;
      for (const part of (message as AssistantMessage).content) if (part.type === 'toolCall') open.add(part.id);
    } else if (message.role === 'toolResult') {
      if (!open.delete((message as ToolResultMessage).toolCallId)) return false;
    } else if (open.size > 0) return false;
  }
  return true;
}

describe('context accounting', () => {
  test('is the last reply’s totalTokens plus an estimate of what came after, on the agent and on turn_end', async () => {
    const streamFn = scriptedStream([
      { toolCalls: [{ id: 'c1', name: 'read', args: { path: 'a.ts' } }], usage: { input: 900, output: 100 } },
      { text: 'done', usage: { input: 1500, output: 50 } },
    ]);
    const agent = new Agent({ model: testModel, tools: [readTool], streamFn });
    const events = collect(agent);
    expect(agent.contextUsage).toMatchObject({ contextWindow: 100_000 });
    await agent.prompt('read a.ts');
    const turnEnds = events.filter((e) => e.type === 'turn_end');
    const result = agent.state.messages[2] as ToolResultMessage;
    // First turn: 1,000 counted, plus the tool result that came after.
    expect(turnEnds[0]?.type === 'turn_end' && turnEnds[0].contextUsage).toEqual({
      tokens: 1000 + estimateMessageTokens(result),
      contextWindow: 100_000,
      percent: ((1000 + estimateMessageTokens(result)) / 100_000) * 100,
    });
    // Then the last reply's count alone: it holds everything before it.
    expect(agent.contextUsage).toEqual({ tokens: 1550, contextWindow: 100_000, percent: 1.55 });
    agent.followUp('and?');
    expect(agent.contextUsage.tokens).toBe(1550);
  });

  test('counts cached input: totalTokens, not input', async () => {
    const streamFn = scriptedStream([{ text: 'ok', usage: { input: 10, output: 5 } }]);
    const agent = new Agent({ model: testModel, streamFn });
    await agent.prompt('hi');
    const reply = agent.state.messages[1] as AssistantMessage;
    expect(reply.usage.totalTokens).toBe(15);
    expect(agent.contextUsage.tokens).toBe(15);
  });

  test('a history with no counted reply is estimated whole, system prompt and tools included; failed replies do not count', () => {
    const messages: AgentMessage[] = [
      { role: 'user', content: 'x'.repeat(700), timestamp: 1 },
      {
        role: 'assistant',
        content: [],
        api: 'a',
        provider: 'p',
        model: 'm',
        usage: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, totalTokens: 99_999, cost: zeroCost },
        stopReason: 'error',
        errorMessage: 'boom',
        timestamp: 2,
      },
    ];
    const bare = new Agent({ model: testModel, messages });
    const withTools = new Agent({ model: testModel, messages, systemPrompt: 'y'.repeat(350), tools: [readTool] });
    expect(bare.contextUsage.tokens).toBe(
      estimateMessageTokens(messages[0] as AgentMessage) + estimateMessageTokens(messages[1] as AgentMessage),
    );
    expect(withTools.contextUsage.tokens).toBeGreaterThan(bare.contextUsage.tokens + 100);
  });

  test('after a compaction, only replies newer than the summary count as the anchor', () => {
    const old = reply(50_000, 5);
    const messages: AgentMessage[] = [
      { role: 'compactionSummary', summary: 'earlier', tokensBefore: 60_000, timestamp: 10 },
      old,
      { role: 'user', content: 'next', timestamp: 11 },
    ];
    const agent = new Agent({ model: testModel, messages });
    expect(agent.contextUsage.tokens).toBeLessThan(1_000);
    const newer = reply(3_000, 12);
    const later = new Agent({ model: testModel, messages: [...messages, newer] });
    expect(later.contextUsage.tokens).toBe(3_000);
  });
});

const zeroCost = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, total: 0 };

function reply(totalTokens: number, timestamp: number): AssistantMessage {
  return {
    role: 'assistant',
    content: [{ type: 'text', text: 'ok' }],
    api: 'a',
    provider: 'p',
    model: 'm',
    usage: { input: totalTokens - 1, output: 1, cacheRead: 0, cacheWrite: 0, totalTokens, cost: zeroCost },
    stopReason: 'stop',
    timestamp,
  };
}

describe('automatic compaction', () => {
  test('compacts before a request would pass the window minus the reserve, keeping tool calls with their results', async () => {
    const streamFn = session(12);
    const agent = new Agent({ model: small, tools: [readTool], streamFn });
    const events = collect(agent);
    const result = await agent.prompt('read twelve files');
    expect(result.stopReason).toBe('stop');
    const compactions = ends(events);
    expect(compactions.length).toBeGreaterThanOrEqual(2);
    for (const end of compactions) {
      expect(end).toMatchObject({ ok: true, reason: 'threshold' });
      if (end.ok) expect(end.tokensAfter).toBeLessThan(end.tokensBefore);
    }
    // Each start/end pair comes before the request it made room for, and no request passed the window.
    const requests = streamFn.contexts.filter((c) => !isSummaryRequest(c));
    for (const context of requests) {
      expect(pairsIntact(context.messages)).toBe(true);
      expect(counted(context)).toBeLessThan(small.contextWindow);
    }
    // The history opens with the latest summary, and the kept tail does not open with a tool result.
    const [first, second] = agent.state.messages;
    expect(first).toMatchObject({ role: 'compactionSummary', summary: `## Goal\nsummary ${compactions.length}` });
    expect(second?.role).not.toBe('toolResult');
    expect(pairsIntact(agent.state.messages.slice(1))).toBe(true);
    // Every call of the run still ran once, and the run's messages are all there.
    expect(result.messages.filter((m) => m.role === 'toolResult')).toHaveLength(12);
    // The request after a compaction opens with the summary as a user message.
    const after = requests.at(-1) as Context;
    const opening = after.messages[0] as UserMessage;
    expect(opening.role).toBe('user');
    expect(JSON.stringify(opening.content)).toContain('<summary>');
  });

  test('the summary request carries the older part as a transcript with the previous summary, and the sections', async () => {
    const streamFn = session(12);
    const agent = new Agent({ model: small, tools: [readTool], streamFn });
    await agent.prompt('read twelve files');
    const summaries = streamFn.contexts.filter(isSummaryRequest);
    expect(summaries.length).toBeGreaterThanOrEqual(2);
    const first = JSON.stringify(summaries[0]?.messages);
    expect(first).toContain('read twelve files');
    expect(first).toContain('(calls read');
    for (const section of ['## Goal', '## Decisions', '## Files touched', '## Open tasks', '## Keep']) {
      expect(first).toContain(section);
    }
    expect(JSON.stringify(summaries[1]?.messages)).toContain('summary 1');
    // The summary gets its own output limit and no extended thinking.
    const index = streamFn.contexts.indexOf(summaries[0] as Context);
    expect(streamFn.options[index]?.maxTokens).toBe(500);
    expect(streamFn.options[index]?.reasoning).toBeUndefined();
  });

  test('enabled: false never compacts, and clamps maxTokens so the request fits', async () => {
    const streamFn = session(8);
    const agent = new Agent({ model: small, tools: [readTool], streamFn, compaction: { enabled: false } });
    const events = collect(agent);
    await agent.prompt('read eight files');
    expect(ends(events)).toEqual([]);
    const clamped = streamFn.options.map((o) => o.maxTokens).filter((m) => m !== undefined);
    expect(clamped.length).toBeGreaterThan(0);
    for (const value of clamped) expect(value).toBeLessThan(small.maxTokens);
  });

  test('a custom summarize is used, and reserveTokens and keepRecentTokens are honoured', async () => {
    const seen: AgentMessage[][] = [];
    const streamFn = session(25);
    const agent = new Agent({
      model: { ...testModel, contextWindow: 10_000, maxTokens: 500 },
      tools: [readTool],
      streamFn,
      compaction: {
        reserveTokens: 4_000,
        keepRecentTokens: 900,
        summarize: (messages) => {
          seen.push(messages);
          return `custom ${seen.length}`;
        },
      },
    });
    const events = collect(agent);
    await agent.prompt('go');
    expect(streamFn.contexts.filter(isSummaryRequest)).toEqual([]);
    const compactions = ends(events);
    expect(compactions.length).toBeGreaterThan(0);
    for (const end of compactions) expect(end.tokensBefore).toBeGreaterThan(6_000);
    const kept = agent.state.messages.slice(1);
    const keptTokens = kept.reduce((sum, m) => sum + estimateMessageTokens(m), 0);
    expect(keptTokens).toBeLessThanOrEqual(2 * 900);
    expect(agent.state.messages[0]).toMatchObject({ summary: `custom ${seen.length}` });
    expect(seen[1]?.[0]).toMatchObject({ role: 'compactionSummary', summary: 'custom 1' });
  });

  test('the threshold uses the current model’s window', async () => {
    const big: Model = { ...small, contextWindow: 50_000 };
    const streamFn = session(12);
    const agent = new Agent({ model: big, tools: [readTool], streamFn });
    const events = collect(agent);
    await agent.prompt('read twelve files');
    expect(ends(events)).toEqual([]);
    agent.setModel(small);
    expect(agent.contextUsage.contextWindow).toBe(4_000);
    agent.followUp('more');
    await agent.continue();
    expect(ends(events).length).toBeGreaterThan(0);
  });

  test('an abort during the compaction leaves the history as it was and ends the run aborted', async () => {
    let release: (() => void) | undefined;
    const streamFn = session(12);
    const agent = new Agent({
      model: small,
      tools: [readTool],
      streamFn,
      compaction: {
        summarize: (_messages, signal) =>
          new Promise<string>((_, reject) => {
            release = () => agent.abort();
            signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
          }),
      },
    });
    const events = collect(agent);
    let before: readonly AgentMessage[] = [];
    agent.subscribe((event) => {
      if (event.type === 'compaction_start') {
        before = [...agent.state.messages];
        queueMicrotask(() => release?.());
      }
    });
    const result = await agent.prompt('read');
    expect(result.stopReason).toBe('aborted');
    expect(ends(events)).toEqual([expect.objectContaining({ ok: false, aborted: true, reason: 'threshold' })]);
    expect(agent.state.messages).toEqual(before);
  });

  test('a failed compaction still sends the request, and is not tried again each turn', async () => {
    let calls = 0;
    const streamFn = session(12);
    const agent = new Agent({
      model: { ...small, contextWindow: 6_000 },
      tools: [readTool],
      streamFn,
      compaction: {
        summarize: () => {
          calls++;
          throw new Error('summarizer down');
        },
      },
    });
    const events = collect(agent);
    const result = await agent.prompt('read');
    expect(calls).toBe(1);
    expect(ends(events)).toEqual([
      expect.objectContaining({ ok: false, aborted: false, errorMessage: 'Compaction failed: summarizer down' }),
    ]);
    expect(result.stopReason).toBe('stop');
  });
});

describe('a prefix longer than the summarizer’s window', () => {
  test('is summarized in pieces, each within the window, each carrying the summary so far', async () => {
    const tiny: Model = { ...testModel, contextWindow: 3_000, maxTokens: 300 };
    const history: AgentMessage[] = [];
    for (let i = 0; i < 20; i++) {
      history.push({ role: 'user', content: `question ${i} ${'q'.repeat(1_000)}`, timestamp: i });
      history.push(reply(100, i));
    }
    const streamFn = scriptedStream(Array.from({ length: 40 }, () => (c: Context) => ({ text: `part ${counted(c)}` })));
    const agent = new Agent({ model: tiny, streamFn, messages: history });
    const result = await agent.compact('keep the questions');
    const requests = streamFn.contexts;
    expect(requests.length).toBeGreaterThan(2);
    for (const context of requests) expect(counted(context)).toBeLessThan(tiny.contextWindow);
    expect(JSON.stringify(requests[1]?.messages)).toContain('<summary-so-far>');
    expect(JSON.stringify(requests[0]?.messages)).toContain('keep the questions');
    expect(result.summary).toMatch(/^part /);
    expect(agent.state.messages[0]).toEqual(result.message);
  });
});

describe('overflow recovery', () => {
  const overflow: ScriptedReply = {
    error: 'prompt is too long: 5000 tokens > 4000 maximum',
    errorKind: 'context_overflow',
    usage: { input: 0, output: 0 },
  };

  test('a context_overflow compacts once and retries the turn', async () => {
    const history: AgentMessage[] = [];
    for (let i = 0; i < 6; i++) {
      history.push({ role: 'user', content: `q${i} ${'q'.repeat(400)}`, timestamp: i });
      history.push(reply(200, i));
    }
    const streamFn = scriptedStream([overflow, { text: 'summary' }, { text: 'answer' }]);
    const agent = new Agent({ model: testModel, streamFn, messages: history });
    const events = collect(agent);
    const result = await agent.prompt('go on');
    expect(result.stopReason).toBe('stop');
    expect(result.errorMessage).toBeUndefined();
    expect(agent.state.error).toBeUndefined();
    expect(ends(events)).toEqual([expect.objectContaining({ ok: true, reason: 'overflow' })]);
    expect(agent.state.messages.at(-1)).toMatchObject({ role: 'assistant', content: [{ text: 'answer' }] });
    // The retry carries the summary, then the kept messages, the prompt included.
    expect(JSON.stringify(streamFn.contexts[2]?.messages)).toContain('<summary>');
    expect(JSON.stringify(streamFn.contexts[2]?.messages)).toContain('go on');
  });

  test('a second overflow ends the run with a clear context_overflow error', async () => {
    const history: AgentMessage[] = [];
    for (let i = 0; i < 6; i++) {
      history.push({ role: 'user', content: `q${i} ${'q'.repeat(400)}`, timestamp: i });
      history.push(reply(200, i));
    }
    const streamFn = scriptedStream([overflow, { text: 'summary' }, overflow]);
    const agent = new Agent({ model: testModel, streamFn, messages: history });
    const result = await agent.prompt('go on');
    expect(result).toMatchObject({ stopReason: 'error', errorKind: 'context_overflow' });
    expect(result.errorMessage).toBe(
      "The conversation does not fit scripted's context window (100000 tokens), even after compacting it: prompt is too long: 5000 tokens > 4000 maximum",
    );
  });

  test('a server that stops at once at the token limit is taken as an overflow', async () => {
    const history: AgentMessage[] = [{ role: 'user', content: `q ${'q'.repeat(400)}`, timestamp: 1 }, reply(200, 2)];
    const streamFn = scriptedStream([
      { length: true, usage: { input: 4_000, output: 0 } },
      { text: 'summary' },
      { text: 'answer' },
    ]);
    const agent = new Agent({ model: testModel, streamFn, messages: history });
    const events = collect(agent);
    const result = await agent.prompt('go on');
    expect(result.stopReason).toBe('stop');
    expect(ends(events)).toEqual([expect.objectContaining({ ok: true, reason: 'overflow' })]);
  });

  test('with compaction off, the overflow ends the run as the provider said', async () => {
    const streamFn = scriptedStream([overflow]);
    const agent = new Agent({ model: testModel, streamFn, compaction: { enabled: false } });
    const result = await agent.prompt('go');
    expect(result).toMatchObject({
      stopReason: 'error',
      errorKind: 'context_overflow',
      errorMessage: 'prompt is too long: 5000 tokens > 4000 maximum',
    });
  });
});

describe('agent.compact()', () => {
  test('compacts on demand with instructions, and rejects during a run or with nothing to compact', async () => {
    const history: AgentMessage[] = [];
    for (let i = 0; i < 4; i++) {
      history.push({ role: 'user', content: `q${i}`, timestamp: i });
      history.push(reply(100, i));
    }
    const streamFn = scriptedStream([{ text: 'the summary' }, { hang: true }]);
    const agent = new Agent({ model: testModel, streamFn, messages: history });
    const events = collect(agent);
    const result = await agent.compact('keep the API names');
    expect(JSON.stringify(streamFn.contexts[0])).toContain('keep the API names');
    expect(result).toMatchObject({ summary: 'the summary', firstKeptIndex: 6 });
    expect(agent.state.messages.map((m) => m.role)).toEqual(['compactionSummary', 'user', 'assistant']);
    expect(events.map((e) => e.type)).toEqual(['compaction_start', 'compaction_end']);
    expect(ends(events)[0]).toMatchObject({ reason: 'manual', ok: true });

    const running = agent.prompt('hang');
    await expect(agent.compact()).rejects.toThrow(/while a run is active/);
    agent.abort();
    await running;

    const empty = new Agent({ model: testModel, streamFn: scriptedStream([]) });
    await expect(empty.compact()).rejects.toThrow('Compaction failed: there is nothing to compact yet');
  });

  test('abort() stops a manual compaction and leaves the history', async () => {
    const history: AgentMessage[] = [
      { role: 'user', content: 'a', timestamp: 1 },
      reply(100, 2),
      { role: 'user', content: 'b', timestamp: 3 },
      reply(100, 4),
    ];
    const agent = new Agent({ model: testModel, streamFn: scriptedStream([{ hang: true }]), messages: history });
    const pending = agent.compact();
    agent.abort();
    await expect(pending).rejects.toThrow('The compaction was aborted');
    expect(agent.state.messages).toEqual(history);
    // The agent is free again.
    expect(agent.state.isStreaming).toBe(false);
  });
});

describe('where to cut', () => {
  const user = (n: number): AgentMessage => ({ role: 'user', content: 'u'.repeat(n), timestamp: 0 });
  const call = (id: string): AgentMessage => ({
    ...reply(0, 0),
    content: [{ type: 'toolCall', id, name: 'read', arguments: {} }],
  });
  const result = (id: string, n: number): AgentMessage => ({
    role: 'toolResult',
    toolCallId: id,
    toolName: 'read',
    content: [{ type: 'text', text: 'r'.repeat(n) }],
    isError: false,
    timestamp: 0,
  });

  test('never at a tool result; back to its call, or past the results when that keeps too much', () => {
    const messages = [user(3500), call('a'), result('a', 350), result('a', 350), user(35)];
    // ~110 tokens from the end lands inside the results: back to the call.
    expect(findCutPoint(messages, 150)).toBe(1);
    // With a call whose results are far bigger than the budget, the cut goes past them.
    const heavy = [user(3500), call('a'), result('a', 35_000), result('a', 350), user(35)];
    expect(findCutPoint(heavy, 150)).toBe(4);
  });

  test('keeps something before the cut besides an old summary, or reports nothing to do', () => {
    const summary: AgentMessage = { role: 'compactionSummary', summary: 's', tokensBefore: 1, timestamp: 0 };
    expect(findCutPoint([], 100)).toBeUndefined();
    expect(findCutPoint([summary], 100)).toBeUndefined();
    expect(findCutPoint([summary, user(10), reply(10, 1), user(10)], 10_000)).toBe(3);
  });
});

describe('defaultConvertToLlm', () => {
  test('sends a summary as a user message, joined to a user message after it', () => {
    const summary: AgentMessage = { role: 'compactionSummary', summary: 'S', tokensBefore: 9, timestamp: 5 };
    const [alone] = defaultConvertToLlm([summary, reply(10, 6)]);
    expect(alone).toMatchObject({ role: 'user', timestamp: 5 });
    expect(String((alone as UserMessage).content)).toContain('<summary>\nS\n</summary>');
    const joined = defaultConvertToLlm([summary, { role: 'user', content: 'next', timestamp: 7 }]);
    expect(joined).toHaveLength(1);
    expect((joined[0] as UserMessage).content).toEqual([
      { type: 'text', text: expect.stringContaining('<summary>') },
      { type: 'text', text: 'next' },
    ]);
  });
});
