/**
 * `npm run bench`: qcore's CPU time per streamed event as a ratio to a floor
 * measured in the same run on the same bytes: fetch → TextDecoderStream →
 * EventSourceParserStream → JSON.parse. Target: ≤ 1.3× the floor.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { EventSourceParserStream } from 'eventsource-parser/stream';
import { streamAnthropic } from '../src/ai/providers/anthropic-messages.js';
import { streamBedrock } from '../src/ai/providers/bedrock/bedrock-converse-stream.js';
import { readEventStream } from '../src/ai/providers/bedrock/eventstream.js';
import { streamGoogle } from '../src/ai/providers/google/google-generative-ai.js';
import { streamOpenAICompletions } from '../src/ai/providers/openai-completions.js';
import { streamOpenAIResponses } from '../src/ai/providers/openai-responses.js';
import type { Context, Model, StreamFunction } from '../src/ai/types.js';
import { createMockSession } from '../testing/client.js';
import type { MockApi, MockReply, MockRequest, WireEncoder } from '../testing/script.js';
import { anthropicEncoder } from '../testing/wire/anthropic-messages.js';
import { bedrockEncoder } from '../testing/wire/bedrock-converse-stream.js';
import { googleEncoder } from '../testing/wire/google-generative-ai.js';
import { openaiCompletionsEncoder } from '../testing/wire/openai-completions.js';
import { openaiResponsesEncoder } from '../testing/wire/openai-responses.js';
import { benchAgent, benchIdleHeap } from './agent.js';
import { reportDurableLoad } from './durable-load.js';
import { benchLongSession } from './long-session.js';
import { benchMcp } from './mcp.js';
import { reportStructured } from './structured.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const TARGET = 1.3;

interface Protocol {
  name: string;
  api: MockApi;
  encoder: WireEncoder;
  streamFunction: StreamFunction;
  path: string;
  baseSuffix: string;
  /** The naive pipeline for this wire format; default: the SSE floor. */
  floor?: (url: string, body: string) => Promise<number>;
}

const protocols: Protocol[] = [
  {
    name: 'anthropic-messages',
    api: 'anthropic-messages',
    encoder: anthropicEncoder,
    streamFunction: streamAnthropic,
    path: '/v1/messages',
    baseSuffix: '',
  },
  {
    name: 'openai-completions',
    api: 'openai-completions',
    encoder: openaiCompletionsEncoder,
    streamFunction: streamOpenAICompletions,
    path: '/v1/chat/completions',
    baseSuffix: '/v1',
  },
  {
    name: 'google-generative-ai',
    api: 'google-generative-ai',
    encoder: googleEncoder,
    streamFunction: streamGoogle,
    path: '/v1beta/models/bench:streamGenerateContent?alt=sse',
    baseSuffix: '/v1beta',
  },
  {
    name: 'openai-responses',
    api: 'openai-responses',
    encoder: openaiResponsesEncoder,
    streamFunction: streamOpenAIResponses,
    path: '/v1/responses',
    baseSuffix: '/v1',
  },
  {
    // Not SSE: the floor is a bare frame decoder with JSON.parse.
    name: 'bedrock-converse-stream',
    api: 'bedrock-converse-stream',
    encoder: bedrockEncoder,
    streamFunction: streamBedrock as StreamFunction,
    path: '/model/bench/converse-stream',
    baseSuffix: '',
    floor: eventStreamFloor,
  },
];

async function eventStreamFloor(url: string, body: string): Promise<number> {
  const response = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
  const utf8 = new TextDecoder();
  let count = 0;
  await readEventStream(response.body as ReadableStream<Uint8Array>, (message) => {
    JSON.parse(utf8.decode(message.payload));
    count++;
  });
  return count;
}

const workloads: { name: string; reply: MockReply }[] = [
  {
    name: '20,000 text deltas',
    reply: {
      content: [{ type: 'text', text: 'abcd'.repeat(20_000) }],
      deltaSize: 4,
      usage: { input: 10, output: 20_000 },
    },
  },
  {
    name: '200 KB tool argument in 2,000 fragments',
    reply: {
      content: [
        { type: 'toolCall', id: 'call_1', name: 'write', arguments: { path: 'big.txt', content: 'x'.repeat(200_000) } },
      ],
      deltaSize: 100,
      usage: { input: 10, output: 50_000 },
      stopReason: 'toolUse',
    },
  },
];

function cpuMicros(): number {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
}

async function floor(url: string, body: string): Promise<number> {
  const response = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
  const events = (response.body as ReadableStream<Uint8Array>)
    .pipeThrough(new TextDecoderStream() as unknown as TransformStream<Uint8Array, string>)
    .pipeThrough(new EventSourceParserStream()) as unknown as AsyncIterable<{ data: string }>;
  let count = 0;
  for await (const event of events) {
    if (event.data !== '[DONE]') JSON.parse(event.data);
    count++;
  }
  return count;
}

async function qcore(streamFunction: StreamFunction, model: Model, context: Context): Promise<number> {
  let count = 0;
  for await (const event of streamFunction(model, context, { apiKey: 'bench-key', maxRetries: 0 })) {
    count++;
    if (event.type === 'error') throw new Error(event.error.errorMessage);
  }
  return count;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

async function main(): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', new URL('./server.ts', import.meta.url).pathname], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [line] = (await once(child.stdout, 'data')) as [Buffer];
  const serverUrl = line.toString().trim();
  const rows: Record<string, string | number>[] = [];
  let worst = 0;
  try {
    for (const protocol of protocols) {
      for (const workload of workloads) {
        const request: MockRequest = { api: protocol.api, method: 'POST', path: protocol.path, headers: {}, body: {} };
        const events = protocol.encoder
          .reply(workload.reply, request)
          .map((event) => (typeof event === 'string' ? event : { base64: Buffer.from(event).toString('base64') }));
        const wireEvents = events.length;
        const session = await createMockSession(serverUrl, { turns: [] });
        const model: Model = {
          id: 'bench',
          name: 'bench',
          api: protocol.api,
          provider: 'bench',
          baseUrl: `${session.baseUrl}${protocol.baseSuffix}`,
          reasoning: false,
          input: ['text'],
          cost: { input: 1, output: 1, cacheRead: 0, cacheWrite: 0 },
          contextWindow: 1_000_000,
          maxTokens: 100_000,
        };
        const context: Context = { messages: [{ role: 'user', content: 'go', timestamp: 0 }] };
        const url = `${session.baseUrl}${protocol.path}`;
        const floorTimes: number[] = [];
        const qcoreTimes: number[] = [];
        let qcoreEvents = 0;
        for (let run = 0; run < RUNS + 2; run++) {
          // Alternate, and drop the first two rounds as warm-up.
          await session.push({ type: 'raw', events }, { type: 'raw', events });
          let start = cpuMicros();
          await (protocol.floor ?? floor)(url, '{}');
          const f = cpuMicros() - start;
          start = cpuMicros();
          qcoreEvents = await qcore(protocol.streamFunction, model, context);
          const q = cpuMicros() - start;
          if (run >= 2) {
            floorTimes.push(f);
            qcoreTimes.push(q);
          }
        }
        const floorPerEvent = median(floorTimes) / wireEvents;
        const qcorePerEvent = median(qcoreTimes) / wireEvents;
        const ratio = qcorePerEvent / floorPerEvent;
        worst = Math.max(worst, ratio);
        rows.push({
          protocol: protocol.name,
          workload: workload.name,
          'wire events': wireEvents,
          'qcore events': qcoreEvents,
          'floor µs/event': floorPerEvent.toFixed(2),
          'qcore µs/event': qcorePerEvent.toFixed(2),
          ratio: `${ratio.toFixed(2)}×`,
        });
        await session.close();
      }
    }
    console.log(
      `CPU time per wire event, median of ${RUNS} runs (floor: fetch → TextDecoderStream → EventSourceParserStream → JSON.parse)`,
    );
    console.table(rows);
    console.log(`worst ratio ${worst.toFixed(2)}× (target ≤ ${TARGET}×): ${worst <= TARGET ? 'met' : 'NOT met'}`);

    console.log('\nAgent loop: 1,000 tool-call turns (anthropic-messages) vs. the same 1,000 requests streamed bare');
    console.table([await benchAgent(serverUrl)]);
    console.log('\nLong session: the agent’s own CPU per turn early and late in one 2,000-turn run');
    console.table([await benchLongSession()]);
    console.log(
      "\nMCP: a tool call through qcore's client vs. a bare fetch + JSON.parse of the same request and reply",
    );
    console.table([await benchMcp()]);
    await reportStructured();
    const heap = benchIdleHeap();
    const kb = heap.bytesPerAgent / 1024;
    console.log(`heap held by one idle Agent: ${kb.toFixed(2)} KB (target ≤ 50 KB): ${kb <= 50 ? 'met' : 'NOT met'}`);
    await reportDurableLoad();
  } finally {
    child.kill('SIGTERM');
  }
  console.log('\nBrowser bundle sizes (minified + gzip, zod excluded):');
  const sizes = spawn(process.execPath, [new URL('../scripts/check-core-bundle.mjs', import.meta.url).pathname], {
    stdio: 'inherit',
  });
  await once(sizes, 'exit');
}

await main();
