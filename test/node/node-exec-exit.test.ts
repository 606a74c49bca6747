import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, test } from 'vitest';
import { eventually, isRunning } from './exec-helpers.js';

const run = promisify(execFile);

test('a command still running when the Node process exits is killed with its group', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'qcore-exit-'));
  try {
    // The script starts a long command, then exits without waiting for it.
    const script = `
      import { NodeWorkspace } from './adapters/node/node-workspace.ts';
      const ws = new NodeWorkspace(${JSON.stringify(dir)});
      void ws.exec('sleep 300 & echo $! > child.pid; sleep 300', {});
      setTimeout(() => process.exit(0), 500);
    `;
    await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { timeout: 20_000 });
    const pid = Number((await readFile(join(dir, 'child.pid'), 'utf8')).trim());
    expect(pid).toBeGreaterThan(0);
    expect(await eventually(() => !isRunning(pid))).toBe(true);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
