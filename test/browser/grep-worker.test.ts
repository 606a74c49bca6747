import { describe, expect, test } from 'vitest';
import { createBrowserGrepMatcher, LightningFsWorkspace } from '../../adapters/browser/index.js';
import type { AgentTool } from '../../src/agent/types.js';
import { createCodingTools, createGrepTool } from '../../src/index.js';
import { MemoryWorkspace } from '../../src/tools/memory-workspace.js';
import { runTool, textOf } from '../tools/run-tool.js';

/** About 2^25 backtracking steps: seconds on the page's thread, nothing in a killed worker. */
const CATASTROPHIC = { pattern: '(a+)+$', line: `${'a'.repeat(25)}!` };

const FILES = {
  'slow.txt': `${CATASTROPHIC.line}\n`,
  'a.ts': 'const x = 1;\nexport function foo() {}\n',
};

function workspace(): MemoryWorkspace {
  return new MemoryWorkspace(FILES);
}

/** Its grep matches in a Web Worker with no option passed. */
async function lightningWorkspace(): Promise<LightningFsWorkspace> {
  const ws = new LightningFsWorkspace(`qcore-grep-${crypto.randomUUID()}`);
  for (const [path, content] of Object.entries(FILES)) await ws.writeFile(path, content);
  return ws;
}

function grepOf(tools: AgentTool[]): AgentTool {
  const grep = tools.find((tool) => tool.name === 'grep');
  if (!grep) throw new Error('no grep tool');
  return grep;
}

/** Counts timer ticks while `work` runs: a frozen page counts none. */
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

describe('grep in a Web Worker (a LightningFsWorkspace)', () => {
  test('ordinary searches work, and nested quantifiers are allowed', async () => {
    const grep = grepOf(createCodingTools(await lightningWorkspace()));
    expect(textOf(await runTool(grep, { pattern: 'foo' }))).toBe('a.ts:2: export function foo() {}');
    expect(textOf(await runTool(grep, { pattern: '(a+)+!' }))).toBe(`slow.txt:1: ${CATASTROPHIC.line}`);
  });

  test('a catastrophic pattern ends within 1 s of abort, and the page keeps running', async () => {
    const grep = grepOf(createCodingTools(await lightningWorkspace()));
    const controller = new AbortController();
    let abortedAt = 0;
    setTimeout(() => {
      abortedAt = performance.now();
      controller.abort();
    }, 300);
    const { ticks, outcome } = await ticksDuring(() =>
      runTool(grep, { pattern: CATASTROPHIC.pattern, path: 'slow.txt' }, { signal: controller.signal }),
    );
    const endedAt = performance.now();
    expect(outcome.status).toBe('rejected');
    expect(abortedAt).toBeGreaterThan(0);
    expect(endedAt - abortedAt).toBeLessThan(1000);
    expect(ticks).toBeGreaterThanOrEqual(5);
  }, 20_000);

  test('without an abort, the per-file budget stops it and names the file', async () => {
    const grep = createGrepTool(workspace(), { matcher: createBrowserGrepMatcher({ timeoutMs: 300 }) });
    const started = performance.now();
    const { ticks, outcome } = await ticksDuring(() => runTool(grep, { pattern: CATASTROPHIC.pattern }));
    expect(performance.now() - started).toBeLessThan(2000);
    expect(outcome.status === 'rejected' && String(outcome.reason)).toContain(
      'grep stopped while searching slow.txt: The pattern ran for more than 0.3 s',
    );
    expect(ticks).toBeGreaterThanOrEqual(5);
  }, 20_000);
});
