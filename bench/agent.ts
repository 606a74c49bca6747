/**
 * The agent loop's own cost: 1,000 tool-call turns against the mock server,
 * compared with streaming the very same 1,000 requests without the loop.
 * Also the heap one idle Agent holds.
 */
import { Agent } from '../src/agent/agent.js';
import type { StreamFn } from '../src/agent/types.js';
import { stream } from '../src/ai/stream.js';
import type { Context, Model } from '../src/ai/types.js';
import { defineTool } from '../src/tools/define-tool.js';
import { createMockSession } from '../testing/client.js';
import type { MockTurn } from '../testing/script.js';

const TURNS = 1_000;

function cpuMicros(): number {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
}

const noop = defineTool({
  name: 'noop',
  description: 'Does nothing',
  parameters: { type: 'object', properties: { n: { type: 'number' } }, required: ['n'] },
  execute: async () => ({ content: [{ type: 'text', text: 'ok' }] }),
});

function script(): MockTurn[] {
  const turns: MockTurn[] = [];
  for (let i = 0; i < TURNS - 1; i++) {
    turns.push({
      content: [
        { type: 'text', text: `Step ${i}.` },
        { type: 'toolCall', id: `call_${i}`, name: 'noop', arguments: { n: i } },
      ],
      stopReason: 'toolUse',
      usage: { input: 100, output: 10 },
    });
  }
  turns.push({ content: [{ type: 'text', text: 'Done.' }], usage: { input: 100, output: 2 } });
  return turns;
}

export async function benchAgent(serverUrl: string): Promise<Record<string, string | number>> {
  const session = await createMockSession(serverUrl, { turns: [] });
  // Push the script in slices: one request body of 1,000 turns is fine, but keep it modest.
  const turns = script();
  for (let i = 0; i < turns.length; i += 250) await session.push(...turns.slice(i, i + 250));
  const model: Model = {
    id: 'bench',
    name: 'bench',
    api: 'anthropic-messages',
    provider: 'bench',
    baseUrl: session.baseUrl,
    reasoning: false,
    input: ['text'],
    cost: { input: 1, output: 1, cacheRead: 0, cacheWrite: 0 },
    contextWindow: 10_000_000,
    maxTokens: 1_000,
  };
  const contexts: Context[] = [];
  const recording: StreamFn = (m, context, options) => {
    contexts.push(context);
    return stream(m, context, options);
  };
  const runAgent = async (streamFn: StreamFn): Promise<number> => {
    for (let i = 0; i < turns.length; i += 250) await session.push(...turns.slice(i, i + 250));
    const agent = new Agent({ model, tools: [noop], streamFn, maxTurns: TURNS + 1, streamOptions: { apiKey: 'k' } });
    const start = cpuMicros();
    await agent.prompt('go');
    const time = cpuMicros() - start;
    if (agent.state.error) throw new Error(agent.state.error);
    return time;
  };
  const runBare = async (): Promise<number> => {
    for (let i = 0; i < turns.length; i += 250) await session.push(...turns.slice(i, i + 250));
    const start = cpuMicros();
    for (const context of contexts) {
      for await (const _ of stream(model, context, { apiKey: 'k' })) {
        // drain
      }
    }
    return cpuMicros() - start;
  };

  // The first agent run records the 1,000 requests and warms the JIT; then the same requests
  // streamed bare and the agent again alternate, and the lower of each pair counts.
  await runAgent(recording);
  if (contexts.length !== TURNS) throw new Error(`expected ${TURNS} model calls, saw ${contexts.length}`);
  const streamTime = Math.min(await runBare(), await runBare());
  const agentTime = Math.min(await runAgent(stream), await runAgent(stream));
  await session.close();
  const overheadPerTurn = (agentTime - streamTime) / TURNS;
  return {
    turns: TURNS,
    'streaming µs/turn': (streamTime / TURNS).toFixed(1),
    'agent µs/turn': (agentTime / TURNS).toFixed(1),
    'loop overhead µs/turn': overheadPerTurn.toFixed(1),
    'overhead / streaming': `${(overheadPerTurn / (streamTime / TURNS)).toFixed(3)}×`,
  };
}

/** Heap held by one idle Agent with the coding-agent shape: a model, a system prompt, tools. */
export function benchIdleHeap(): { bytesPerAgent: number } {
  const model: Model = {
    id: 'claude-sonnet-4-6',
    name: 'Claude Sonnet 4.6',
    api: 'anthropic-messages',
    provider: 'anthropic',
    baseUrl: 'https://api.anthropic.com',
    reasoning: true,
    input: ['text', 'image'],
    cost: { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 },
    contextWindow: 1_000_000,
    maxTokens: 128_000,
  };
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  const count = 2_000;
  const keep: Agent[] = [];
  gc();
  gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < count; i++)
    keep.push(new Agent({ model, systemPrompt: 'You are a coding agent.', tools: [noop] }));
  gc();
  gc();
  const after = process.memoryUsage().heapUsed;
  if (keep.length !== count) throw new Error('unreachable');
  return { bytesPerAgent: (after - before) / count };
}
