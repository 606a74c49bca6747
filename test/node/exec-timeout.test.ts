import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { NodeWorkspace } from '../../adapters/node/node-workspace.js';
import { createBashTool } from '../../src/tools/bash-tool.js';
import { runTool, textOf } from '../tools/run-tool.js';
import { makeTempDir, removeDir } from './exec-helpers.js';

let dir: string;
beforeEach(async () => {
  dir = await makeTempDir('exec-timeout');
});
afterEach(async () => {
  await removeDir(dir);
});

describe('timeouts beyond the timer range', () => {
  // Node runs a setTimeout past 2^31-1 ms after 1 ms; such a timeout must never kill at once.
  test('exec with a timeout past 2^31-1 ms lets the command finish', async () => {
    const ws = new NodeWorkspace(dir);
    const result = await ws.exec('sleep 0.3; echo done', { timeoutMs: 2 ** 31 });
    expect(result).toMatchObject({ exitCode: 0, timedOut: false });
    expect(result.output).toBe('done\n');
  });

  test('the bash tool on a real shell: the largest allowed timeout does not kill at once', async () => {
    const tool = createBashTool(new NodeWorkspace(dir), { defaultTimeoutSeconds: 30 * 24 * 3600 });
    const result = await runTool(tool, { command: 'sleep 0.3; echo done' });
    expect(textOf(result)).toBe('done');
    expect(result.details).toMatchObject({ exitCode: 0, timedOut: false });
  });
});
