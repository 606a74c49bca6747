import { describe, expect, test } from 'vitest';
import {
  createCodingTools,
  createGrepTool,
  type GrepMatcher,
  MemoryWorkspace,
  type Workspace,
} from '../../src/index.js';
import { runTool, textOf } from './run-tool.js';

/** A matcher that records that it ran and finds the first line of every file. */
function spyMatcher(): GrepMatcher & { calls: number } {
  const spy = {
    calls: 0,
    async match() {
      spy.calls++;
      return [{ line: 0, index: 0, length: 1 }];
    },
  };
  return spy;
}

function withMatcher(matcher: GrepMatcher): Workspace {
  const workspace: Workspace = new MemoryWorkspace({ 'a.txt': 'alpha\n' });
  return Object.assign(workspace, { grepMatcher: matcher });
}

describe("grep uses the workspace's matcher", () => {
  test('when its options name none, as createCodingTools leaves them', async () => {
    const matcher = spyMatcher();
    const grep = createCodingTools(withMatcher(matcher), { tools: ['grep'] })[0];
    if (!grep) throw new Error('no grep tool');
    expect(textOf(await runTool(grep, { pattern: 'zzz' }))).toBe('a.txt:1: alpha');
    expect(matcher.calls).toBe(1);
  });

  test('but a matcher in the options wins', async () => {
    const fromWorkspace = spyMatcher();
    const fromOptions = spyMatcher();
    const grep = createGrepTool(withMatcher(fromWorkspace), { matcher: fromOptions });
    await runTool(grep, { pattern: 'zzz' });
    expect(fromOptions.calls).toBe(1);
    expect(fromWorkspace.calls).toBe(0);
  });

  test('a workspace without one keeps the in-place default, which refuses nested quantifiers', async () => {
    const grep = createGrepTool(new MemoryWorkspace({ 'a.txt': 'aaa\n' }));
    await expect(runTool(grep, { pattern: '(a+)+$' })).rejects.toThrow();
  });
});
