import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { createCodingAgent } from '../../adapters/node/cli/agent-setup.js';
import { createNodeGrepMatcher, NodeWorkspace } from '../../adapters/node/index.js';
import type { AgentTool } from '../../src/agent/types.js';
import { getModel } from '../../src/ai/models.js';
import { createCodingTools, createGrepTool } from '../../src/index.js';
import { runTool, textOf } from '../tools/run-tool.js';
import { makeTempDir, removeDir } from './exec-helpers.js';

const run = promisify(execFile);

/**
 * `(a+)+$` backtracks about 2^n steps on n a's and a mismatch. 25 keeps the
 * frozen run of the code before the fix to a few seconds, so that run fails
 * instead of hanging the suite; a worker is killed long before.
 */
const CATASTROPHIC = { pattern: '(a+)+$', line: `${'a'.repeat(25)}!` };

let dir: string;
beforeEach(async () => {
  dir = await makeTempDir('grep-worker');
  await writeFile(join(dir, 'slow.txt'), `${CATASTROPHIC.line}\n`);
});
afterEach(async () => {
  await removeDir(dir);
});

/** Counts timer ticks while `work` runs: a frozen event loop counts none. */
async function ticksDuring<T>(work: () => Promise<T>): Promise<{ ticks: number; outcome: PromiseSettledResult<T> }> {
  let ticks = 0;
  const interval = setInterval(() => ticks++, 20);
  try {
    const [outcome] = await Promise.allSettled([work()]);
    return { ticks, outcome: outcome as PromiseSettledResult<T> };
  } finally {
    clearInterval(interval);
  }
}

function grepOf(tools: AgentTool[]): AgentTool {
  const grep = tools.find((tool) => tool.name === 'grep');
  if (!grep) throw new Error('no grep tool');
  return grep;
}

describe('grep in a worker thread (a NodeWorkspace)', () => {
  test('a catastrophic pattern ends within 1 s of abort, and the event loop keeps running', async () => {
    const grep = grepOf(createCodingTools(new NodeWorkspace(dir)));
    const controller = new AbortController();
    let abortedAt = 0;
    setTimeout(() => {
      abortedAt = performance.now();
      controller.abort();
    }, 300);
    const { ticks, outcome } = await ticksDuring(() =>
      runTool(grep, { pattern: CATASTROPHIC.pattern }, { signal: controller.signal }),
    );
    const endedAt = performance.now();
    expect(outcome.status).toBe('rejected');
    expect(abortedAt).toBeGreaterThan(0);
    expect(endedAt - abortedAt).toBeLessThan(1000);
    expect(ticks).toBeGreaterThanOrEqual(5);
  }, 20_000);

  test('without an abort, the per-file budget stops it and names the file', async () => {
    const grep = createGrepTool(new NodeWorkspace(dir), { matcher: createNodeGrepMatcher({ timeoutMs: 300 }) });
    const started = performance.now();
    const { ticks, outcome } = await ticksDuring(() => runTool(grep, { pattern: CATASTROPHIC.pattern }));
    expect(performance.now() - started).toBeLessThan(2000);
    expect(outcome.status).toBe('rejected');
    expect(outcome.status === 'rejected' && String(outcome.reason)).toContain(
      'grep stopped while searching slow.txt: The pattern ran for more than 0.3 s',
    );
    expect(ticks).toBeGreaterThanOrEqual(5);
  }, 20_000);

  test('ordinary searches find what the in-place matcher finds, with nested quantifiers allowed', async () => {
    await writeFile(join(dir, 'a.ts'), 'const x = 1;\r\nexport function foo() {}\n\tfoo bar baz\n');
    const grep = grepOf(createCodingTools(new NodeWorkspace(dir)));
    expect(textOf(await runTool(grep, { pattern: 'foo', glob: '*.ts' }))).toBe(
      'a.ts:2: export function foo() {}\na.ts:3: \tfoo bar baz',
    );
    // Refused in place, fine here: the worker can be stopped.
    expect(textOf(await runTool(grep, { pattern: '(\\w+\\s?)+$', path: 'a.ts' }))).toBe('a.ts:3: \tfoo bar baz');
    const controller = new AbortController();
    controller.abort();
    await expect(runTool(grep, { pattern: 'foo' }, { signal: controller.signal })).rejects.toThrow();
  });

  test('the CLI agent greps in a worker too', async () => {
    const model = getModel('anthropic', 'claude-opus-5-5');
    if (!model) throw new Error('no model');
    const { agent } = createCodingAgent({
      cwd: dir,
      qcoreHome: dir,
      model,
      thinking: 'off',
      tools: ['grep'],
      messages: [],
      getApiKey: () => undefined,
      commandEnv: {},
    });
    const grep = grepOf([...agent.state.tools]);
    // The in-place matcher would refuse this; the worker runs it (quickly, on a line that matches).
    expect(textOf(await runTool(grep, { pattern: '(a+)+!' }))).toBe(`slow.txt:1: ${CATASTROPHIC.line}`);
  });

  test('a search keeps Node alive until it answers; an idle worker does not', async () => {
    const script = `
      import { createCodingTools } from './src/index.ts';
      import { NodeWorkspace } from './adapters/node/index.ts';
      const grep = createCodingTools(new NodeWorkspace(${JSON.stringify(dir)})).find((tool) => tool.name === 'grep');
      const result = await grep.execute({ pattern: 'a!' }, { toolCallId: 't', signal: new AbortController().signal, onUpdate() {} });
      console.log(result.content[0].text);
    `;
    const started = performance.now();
    const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      timeout: 15_000,
    });
    expect(stdout.trim()).toBe(`slow.txt:1: ${CATASTROPHIC.line}`);
    expect(performance.now() - started).toBeLessThan(15_000);
  }, 20_000);
});
