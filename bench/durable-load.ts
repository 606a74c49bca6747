/**
 * Durable sessions under load: many sessions at once, each a Durable Object
 * in workerd (miniflare, the harness of test/node/durable-support.ts), each
 * with its own in-process mock model session scripted with one short text
 * reply per turn. Every session opens its event stream, then for each turn
 * POSTs a prompt and waits for that run's `agent_end` before the next.
 *
 * Reported: time to first event (from sending the prompt to the arrival of
 * the run's first frame, p50 and p99 over every turn), total time, and
 * memory (workerd's RSS, peak and at the end, and this process's). Gated:
 * not one frame lost or duplicated. On each stream the ids are
 * `<epoch>.<seq>.<stored>`: one epoch, seq up by exactly 1 per frame from
 * the opening resync, and each turn's frames go from `agent_start` to
 * `agent_end` with the stored count ending at 2 per turn.
 *
 * `npx tsx bench/durable-load.ts`; DURABLE_SESSIONS (default 200) and
 * DURABLE_TURNS (default 5) change the load.
 */
import { pathToFileURL } from 'node:url';
import { DurableHarness, type EventReader, type Frame, parseId, rssKiB } from '../test/node/durable-support.js';
import { type MockServer, startMockServer } from '../testing/mock-server.js';

const SESSIONS = Number(process.env.DURABLE_SESSIONS ?? 200);
const TURNS = Number(process.env.DURABLE_TURNS ?? 5);

interface SessionResult {
  /** Milliseconds from each prompt sent to its run's first frame. */
  ttfe: number[];
  frames: number;
  lost: number;
  duplicated: number;
  /** What was wrong with the stream's shape, if anything (not counted as lost or duplicated). */
  problems: string[];
}

/** Lost, duplicated and out-of-shape frames on one session's stream. */
function checkStream(frames: Frame[], turns: number): Omit<SessionResult, 'ttfe'> {
  const problems: string[] = [];
  let lost = 0;
  let duplicated = 0;
  const [resync, ...runFrames] = frames;
  if (resync?.event !== 'resync') problems.push(`the stream opened with ${resync?.event}, not resync`);
  const first = parseId(resync?.id);
  let last = first.seq;
  for (const frame of runFrames) {
    const id = parseId(frame.id);
    if (id.epoch !== first.epoch) problems.push(`epoch ${id.epoch} after ${first.epoch}`);
    if (id.seq <= last) duplicated++;
    else lost += id.seq - last - 1;
    last = Math.max(last, id.seq);
  }
  // Each turn: agent_start … agent_end, nothing between turns, the stored count 2 more per turn.
  let turn = 0;
  let open = false;
  for (const frame of runFrames) {
    if (frame.event === 'agent_start') {
      if (open) problems.push(`agent_start inside turn ${turn}`);
      open = true;
      turn++;
    } else if (!open) {
      problems.push(`${frame.event} outside a turn`);
    } else if (frame.event === 'agent_end') {
      open = false;
      const stored = parseId(frame.id).stored;
      if (stored !== turn * 2) problems.push(`turn ${turn} ended with stored ${stored}, not ${turn * 2}`);
    }
  }
  if (turn !== turns || open) problems.push(`${turn} turns${open ? ', the last unfinished' : ''}, not ${turns}`);
  return { frames: runFrames.length, lost, duplicated, problems };
}

async function runSession(harness: DurableHarness, mock: MockServer, index: number): Promise<SessionResult> {
  const user = `user-${index}`;
  const session = mock.session({
    turns: Array.from({ length: TURNS }, (_, turn) => ({
      content: [{ type: 'text' as const, text: `Answer ${turn + 1} of session ${index}: all is well here.` }],
    })),
  });
  const path = `/sessions/${session.id}`;
  const events: EventReader = await harness.worker.events(user, `${path}/events`);
  const ttfe: number[] = [];
  try {
    await events.waitFor((frame) => frame.event === 'resync', 60_000);
    for (let turn = 0; turn < TURNS; turn++) {
      const from = events.frames.length;
      const sent = performance.now();
      const response = await harness.worker.call(user, 'POST', `${path}/prompt`, { prompt: `Turn ${turn + 1}` });
      const text = await response.text();
      if (response.status !== 202) throw new Error(`session ${index} turn ${turn + 1}: ${response.status} ${text}`);
      await events.waitFor((frame) => frame.event === 'agent_end', 120_000, from);
      ttfe.push((events.frames[from] as Frame).at - sent);
    }
  } finally {
    await events.close();
  }
  return { ttfe, ...checkStream(events.frames, TURNS) };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

const mib = (kib: number | undefined) => (kib === undefined ? 'n/a' : `${(kib / 1024).toFixed(1)} MiB`);

export async function benchDurableLoad(
  sessions = SESSIONS,
): Promise<{ row: Record<string, string | number>; lost: number; duplicated: number; problems: string[] }> {
  const mock = await startMockServer();
  const harness = await DurableHarness.start(mock.url);
  try {
    const pid = harness.worker.workerdPid();
    const startRss = pid === undefined ? undefined : await rssKiB(pid);
    let peakRss = startRss ?? 0;
    const sampler = setInterval(async () => {
      const rss = pid === undefined ? undefined : await rssKiB(pid);
      if (rss !== undefined) peakRss = Math.max(peakRss, rss);
    }, 100);
    const started = performance.now();
    let results: SessionResult[];
    try {
      results = await Promise.all(Array.from({ length: sessions }, (_, i) => runSession(harness, mock, i)));
    } finally {
      clearInterval(sampler);
    }
    const elapsed = performance.now() - started;
    const endRss = pid === undefined ? undefined : await rssKiB(pid);
    if (endRss !== undefined) peakRss = Math.max(peakRss, endRss);
    const ttfe = results.flatMap((result) => result.ttfe).sort((a, b) => a - b);
    const lost = results.reduce((sum, result) => sum + result.lost, 0);
    const duplicated = results.reduce((sum, result) => sum + result.duplicated, 0);
    const problems = results.flatMap((result, i) => result.problems.map((problem) => `session ${i}: ${problem}`));
    const frames = results.reduce((sum, result) => sum + result.frames, 0);
    return {
      row: {
        sessions,
        'turns each': TURNS,
        frames,
        lost,
        duplicated,
        'TTFE p50 ms': percentile(ttfe, 50).toFixed(1),
        'TTFE p99 ms': percentile(ttfe, 99).toFixed(1),
        'total s': (elapsed / 1000).toFixed(2),
        'workerd RSS start': mib(startRss),
        'workerd RSS peak': mib(peakRss || undefined),
        'workerd RSS end': mib(endRss),
        'node RSS': mib(process.memoryUsage().rss / 1024),
      },
      lost,
      duplicated,
      problems,
    };
  } finally {
    await harness.close();
    await mock.close();
  }
}

/** Runs the bench, prints its table, and throws if any frame was lost or duplicated or a stream was out of shape. */
export async function reportDurableLoad(sessions = SESSIONS): Promise<void> {
  console.log(
    `\nDurable sessions: ${sessions} sessions × ${TURNS} turns at once, in workerd (miniflare) against the loopback mock; time to first event is from the prompt sent to the run's first frame`,
  );
  const result = await benchDurableLoad(sessions);
  console.table([result.row]);
  const ok = result.lost === 0 && result.duplicated === 0 && result.problems.length === 0;
  console.log(`events lost ${result.lost}, duplicated ${result.duplicated} (target 0): ${ok ? 'met' : 'NOT met'}`);
  if (!ok) {
    for (const problem of result.problems.slice(0, 20)) console.log(`  ${problem}`);
    throw new Error(
      `durable load: ${result.lost} events lost, ${result.duplicated} duplicated, ${result.problems.length} streams out of shape`,
    );
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await reportDurableLoad();
}
