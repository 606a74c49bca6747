/**
 * Structured output's cost: a ~200 KB JSON object in 2,000 deltas, streamed
 * with `output` (a JSON Schema: an object_delta after each delta from one
 * incremental parser, the check at the end), against two floors for the
 * very same bytes: the floor every qcore streaming bench uses (`bench/run.ts`:
 * fetch → TextDecoderStream → EventSourceParserStream → JSON.parse of each
 * event, the naive way to read a stream), which the target is against
 * (≤ 1.2×, reported, not gated); and, stricter, qcore streaming the same
 * bytes without `output`. In process, as a user's code would call it: `stream()` with a
 * fetch that serves the SSE bytes the mock's encoder makes, one chunk per
 * wire event, so nothing waits on I/O and the time is CPU (wall clock,
 * high resolution). Two asks: native
 * (openai-completions, the JSON as text) and tool (anthropic-messages, the
 * JSON as a forced tool's arguments, turned into text by the relay; its
 * floor is the same tool call streamed plain, arguments parsed as usual).
 * Each run times both, in alternating order, three streams each; the
 * figure is the median of the runs' ratios (a busy machine slows a pair
 * together), after three warm-up runs. BENCH_RUNS sets the runs (default 15).
 */
import { EventSourceParserStream } from 'eventsource-parser/stream';
import { stream } from '../src/ai/stream.js';
import type { Context, FetchFunction, JsonSchema, Model, StreamOptions } from '../src/ai/types.js';
import type { MockApi, MockReply, MockRequest, WireEncoder } from '../testing/script.js';
import { anthropicEncoder } from '../testing/wire/anthropic-messages.js';
import { openaiCompletionsEncoder } from '../testing/wire/openai-completions.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const WARMUP = 3;
/** Streams per timing, so that one timing is not a single GC's luck. */
const BATCH = 3;
const TARGET = 1.2;
const DELTAS = 2_000;

/** About 200 KB of JSON: records of a few fields each, as a real extraction would give. */
function bigObject(): { records: { id: number; name: string; tags: string[]; score: number; note: string }[] } {
  const records = [];
  for (let i = 0; i < 1_270; i++) {
    records.push({
      id: i,
      name: `record ${i}`,
      tags: ['alpha', 'beta', i % 2 ? 'odd' : 'even'],
      score: i / 7,
      note: `Line ${i} of the report, with a sentence or two of text in it.`,
    });
  }
  return { records };
}

const schema: JsonSchema = {
  type: 'object',
  properties: {
    records: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          id: { type: 'integer' },
          name: { type: 'string' },
          tags: { type: 'array', items: { type: 'string' } },
          score: { type: 'number' },
          note: { type: 'string' },
        },
        required: ['id', 'name', 'tags', 'score', 'note'],
        additionalProperties: false,
      },
    },
  },
  required: ['records'],
  additionalProperties: false,
};

interface Ask {
  name: string;
  api: MockApi;
  encoder: WireEncoder;
  path: string;
  /** The reply carrying `json`: text (native) or the forced tool's arguments (tool). */
  reply(json: string, deltaSize: number): MockReply;
}

const asks: Ask[] = [
  {
    name: 'native (openai-completions, text)',
    api: 'openai-completions',
    encoder: openaiCompletionsEncoder,
    path: '/v1/chat/completions',
    reply: (json, deltaSize) => ({ content: [{ type: 'text', text: json }], deltaSize }),
  },
  {
    name: 'tool (anthropic-messages, forced tool)',
    api: 'anthropic-messages',
    encoder: anthropicEncoder,
    path: '/v1/messages',
    reply: (json, deltaSize) => ({
      content: [{ type: 'toolCall', id: 'call_out', name: 'output', arguments: json }],
      stopReason: 'toolUse',
      deltaSize,
    }),
  },
];

/** A fetch that answers every request with `events`, one chunk each. */
function serving(events: Uint8Array[]): FetchFunction {
  return async () =>
    new Response(
      new ReadableStream<Uint8Array>({
        start(controller) {
          for (const event of events) controller.enqueue(event);
          controller.close();
        },
      }),
      { status: 200, headers: { 'content-type': 'text/event-stream' } },
    );
}

function micros(): number {
  return Number(process.hrtime.bigint()) / 1000;
}

/** The naive pipeline over the same bytes: the floor `bench/run.ts` measures against. */
async function naive(doFetch: FetchFunction): Promise<number> {
  const response = await doFetch('http://127.0.0.1:9/v1', { method: 'POST' });
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

/** Streams one reply; returns its event count and the final message's output. */
async function once(model: Model, options: StreamOptions): Promise<{ events: number; output: unknown }> {
  const context: Context = { messages: [{ role: 'user', content: 'go', timestamp: 0 }] };
  let events = 0;
  const s = stream(model, context, options);
  for await (const event of s) {
    events++;
    if (event.type === 'error') throw new Error(event.error.errorMessage);
  }
  return { events, output: (await s.result()).output };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

export async function benchStructured(): Promise<Record<string, string | number>[]> {
  const value = bigObject();
  const json = JSON.stringify(value);
  const deltaSize = Math.ceil(json.length / DELTAS);
  const utf8 = new TextEncoder();
  const rows: Record<string, string | number>[] = [];
  for (const ask of asks) {
    const request: MockRequest = { api: ask.api, method: 'POST', path: ask.path, headers: {}, body: {} };
    const events = ask.encoder
      .reply(ask.reply(json, deltaSize), request)
      .map((event) => (typeof event === 'string' ? utf8.encode(event) : event));
    const model: Model = {
      id: 'bench',
      name: 'bench',
      api: ask.api,
      provider: 'bench',
      baseUrl: 'http://127.0.0.1:9/v1',
      reasoning: false,
      input: ['text'],
      cost: { input: 1, output: 1, cacheRead: 0, cacheWrite: 0 },
      contextWindow: 1_000_000,
      maxTokens: 100_000,
    };
    const plain: StreamOptions = { apiKey: 'bench-key', maxRetries: 0, fetch: serving(events) };
    const structured: StreamOptions = { ...plain, output: schema };
    const floorTimes: number[] = [];
    const structuredTimes: number[] = [];
    const ratios: number[] = [];
    const counts = { floor: 0, structured: 0 };
    // Checked once, outside the timings: a 200 KB JSON.stringify would be charged to structured output.
    const checked = await once(model, structured);
    if (JSON.stringify(checked.output) !== json) throw new Error(`${ask.name}: the output is not the object sent`);
    const time = async (options: StreamOptions, kind: 'floor' | 'structured'): Promise<number> => {
      const start = micros();
      for (let i = 0; i < BATCH; i++) counts[kind] = (await once(model, options)).events;
      return (micros() - start) / BATCH;
    };
    const timeNaive = async (): Promise<number> => {
      const start = micros();
      for (let i = 0; i < BATCH; i++) await naive(plain.fetch as FetchFunction);
      return (micros() - start) / BATCH;
    };
    const naiveRatios: number[] = [];
    for (let run = 0; run < RUNS + WARMUP; run++) {
      let floor: number;
      let took: number;
      if (run % 2 === 0) {
        floor = await time(plain, 'floor');
        took = await time(structured, 'structured');
      } else {
        took = await time(structured, 'structured');
        floor = await time(plain, 'floor');
      }
      const naiveFloor = await timeNaive();
      if (run >= WARMUP) {
        floorTimes.push(floor);
        structuredTimes.push(took);
        ratios.push(took / floor);
        naiveRatios.push(took / naiveFloor);
      }
    }
    const floor = median(floorTimes);
    const took = median(structuredTimes);
    const ratio = median(ratios);
    rows.push({
      ask: ask.name,
      'JSON KB': (json.length / 1000).toFixed(0),
      deltas: Math.ceil(json.length / deltaSize),
      'events floor / structured': `${counts.floor} / ${counts.structured}`,
      'floor ms': (floor / 1000).toFixed(2),
      'structured ms': (took / 1000).toFixed(2),
      'extra µs/delta': ((took - floor) / Math.ceil(json.length / deltaSize)).toFixed(2),
      'vs naive floor': `${median(naiveRatios).toFixed(2)}×`,
      target: `≤ ${TARGET}× (${median(naiveRatios) <= TARGET ? 'met' : 'NOT met'})`,
      'vs qcore plain': `${ratio.toFixed(2)}×`,
    });
  }
  return rows;
}

/** Prints the table, for `npm run bench` and `npx tsx bench/structured.ts`. */
export async function reportStructured(): Promise<void> {
  console.log(
    `\nStructured output: a ~200 KB JSON object in ${DELTAS} deltas with output, against the naive floor (fetch → TextDecoderStream → EventSourceParserStream → JSON.parse) and against qcore streaming the same bytes without output (median of ${RUNS} runs' ratios)`,
  );
  console.table(await benchStructured());
}

if (import.meta.url === `file://${process.argv[1]}`) await reportStructured();
