/**
 * The agent's own cost per turn as a session grows: one run of 2,000
 * tool-call turns, its CPU per turn over the first 200 turns and over the
 * last 200, each minus the same requests streamed bare. Context accounting
 * (and everything else the loop does per turn) must not grow with the
 * history: the ratio of the two is the figure, target ≤ 1.2× (reported, not
 * gated). In process, with a provider stand-in that builds each reply
 * through the real assembler and ignores the request, so what is measured
 * is the agent and not the wire; nothing waits on I/O, so the time a turn
 * takes is CPU. Each window's figure is the median turn (a garbage
 * collection lands in one turn and would swing a sum), over seven runs.
 */
import { Agent } from '../src/agent/agent.js';
import type { AgentTool, StreamFn } from '../src/agent/types.js';
import { registerApi } from '../src/ai/api-registry.js';
import { MessageAssembler } from '../src/ai/assembler.js';
import { AssistantMessageEventStream } from '../src/ai/event-stream.js';
import type { Context, Model } from '../src/ai/types.js';

const TURNS = 2_000;
const WINDOW_TURNS = 200;
const TARGET = 1.2;

const model: Model = {
  id: 'bench',
  name: 'bench',
  api: 'bench',
  provider: 'bench',
  baseUrl: 'http://127.0.0.1:9',
  reasoning: false,
  input: ['text'],
  cost: { input: 1, output: 1, cacheRead: 0, cacheWrite: 0 },
  // Large enough that no compaction runs: this measures the accounting, not a summary.
  contextWindow: 100_000_000,
  maxTokens: 1_000,
};

const noop: AgentTool = {
  name: 'noop',
  description: 'Does nothing',
  parameters: { type: 'object', properties: { n: { type: 'number' } }, required: ['n'] },
  execute: async () => ({ content: [{ type: 'text', text: 'ok '.repeat(40) }] }),
};

let turn = 0;
/** A reply as a provider's stream ends up: text, one tool call, usage, through the real assembler. */
const provider: StreamFn = (m: Model, _context: Context) => {
  const out = new AssistantMessageEventStream();
  const asm = new MessageAssembler(m, out);
  const n = turn++;
  queueMicrotask(() => {
    const last = n === TURNS - 1;
    const text = asm.startText();
    asm.textDelta(text, last ? 'Done.' : `Step ${n}: calling the tool.`);
    asm.endBlock(text);
    if (!last) {
      const call = asm.startToolCall(`call_${n}`, 'noop');
      asm.toolCallDelta(call, `{"n":${n}}`);
      asm.endBlock(call);
    }
    asm.setUsage({ input: 1_000 + n * 60, output: 20 });
    asm.finish(last ? 'stop' : 'toolUse');
  });
  return out;
};

/** Microseconds, high resolution: process.cpuUsage() ticks too coarsely for a 15 µs turn. */
function cpuMicros(): number {
  return Number(process.hrtime.bigint()) / 1000;
}

/** CPU at each turn_end of one 2,000-turn run. */
async function agentRun(): Promise<number[]> {
  turn = 0;
  let requests = 0;
  const marks: number[] = [];
  // Registered as a protocol, as a user's own would be, so the agent streams through stream().
  registerApi(model.api, (m, context, options) => {
    requests++;
    return provider(m, context, options);
  });
  const agent = new Agent({ model, tools: [noop], maxTurns: TURNS + 1 });
  agent.subscribe((event) => {
    if (event.type === 'turn_end') marks.push(cpuMicros());
  });
  marks.push(cpuMicros());
  await agent.prompt('go');
  if (agent.state.error) throw new Error(agent.state.error);
  if (marks.length !== TURNS + 1)
    throw new Error(`expected ${TURNS} turns, saw ${marks.length - 1} (${requests} requests)`);
  return marks;
}

/** CPU of the same replies streamed bare, turn by turn (the stand-in ignores the request). */
async function bareRun(): Promise<number[]> {
  turn = 0;
  const marks = [cpuMicros()];
  const context: Context = { messages: [] };
  for (let i = 0; i < TURNS; i++) {
    for await (const _ of provider(model, context)) {
      // drain
    }
    marks.push(cpuMicros());
  }
  return marks;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/** The time of each turn in `from..to`, from the marks at each turn's end. */
const turnTimes = (marks: number[], from: number, to: number): number[] =>
  Array.from({ length: to - from }, (_, i) => (marks[from + i + 1] as number) - (marks[from + i] as number));

export async function benchLongSession(): Promise<Record<string, string | number>> {
  // One run of each warms the JIT; then seven of each, their turns pooled per window.
  await agentRun();
  await bareRun();
  const agentEarly: number[] = [];
  const agentLate: number[] = [];
  const bareEarly: number[] = [];
  const bareLate: number[] = [];
  for (let i = 0; i < 7; i++) {
    const agent = await agentRun();
    const bare = await bareRun();
    agentEarly.push(...turnTimes(agent, 0, WINDOW_TURNS));
    agentLate.push(...turnTimes(agent, TURNS - WINDOW_TURNS, TURNS));
    bareEarly.push(...turnTimes(bare, 0, WINDOW_TURNS));
    bareLate.push(...turnTimes(bare, TURNS - WINDOW_TURNS, TURNS));
  }
  const early = median(agentEarly) - median(bareEarly);
  const late = median(agentLate) - median(bareLate);
  const ratio = late / early;
  return {
    turns: TURNS,
    'overhead µs/turn, turns 1-200': early.toFixed(1),
    'overhead µs/turn, turns 1,801-2,000': late.toFixed(1),
    'late / early': `${ratio.toFixed(2)}×`,
    target: `≤ ${TARGET}× (${ratio <= TARGET ? 'met' : 'NOT met'})`,
  };
}
