/**
 * A directory swapped for a symlink between the workspace's path check and
 * its use. The swap happens in a test seam that runs exactly there, so each
 * case is decided, not raced. On Linux every case must be refused; the
 * checks rest on `/proc/self/fd`, so elsewhere these tests are skipped.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { NodeWorkspace, setAfterCheckHook } from '../../adapters/node/node-workspace.js';
import { makeTempDir, removeDir } from './exec-helpers.js';

const SECRET = 'SECRET FROM OUTSIDE';

let dir: string;
let outside: string;
let ws: NodeWorkspace;

beforeEach(async () => {
  dir = await makeTempDir('swap');
  outside = await makeTempDir('swap-outside');
  ws = new NodeWorkspace(dir);
  for (const base of [dir, outside]) {
    await mkdir(join(base, 'dir/sub'), { recursive: true });
    await mkdir(join(base, 'dir/empty'));
  }
  await writeFile(join(dir, 'dir/a.txt'), 'inside');
  await writeFile(join(dir, 'dir/sub/a.txt'), 'inside');
  await writeFile(join(outside, 'dir/a.txt'), SECRET);
  await writeFile(join(outside, 'dir/sub/a.txt'), SECRET);
  await writeFile(join(outside, 'dir/victim'), SECRET);
  await writeFile(join(dir, 'dir/victim'), 'inside');
});

afterEach(async () => {
  await removeDir(dir);
  await removeDir(outside);
});

/** After the next check, `dir/<name>` inside the root becomes a symlink to the same path outside. */
function swapAfterCheck(name: string): void {
  setAfterCheckHook(ws, async () => {
    setAfterCheckHook(ws, undefined);
    await rename(join(dir, name), join(dir, `${name}.moved`));
    await symlink(join(outside, name), join(dir, name));
  });
}

async function refused(promise: Promise<unknown>): Promise<void> {
  const outcome = await promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  if ('value' in outcome) {
    const shown = outcome.value instanceof Uint8Array ? new TextDecoder().decode(outcome.value) : outcome.value;
    throw new Error(`expected a refusal, got ${JSON.stringify(shown)}`);
  }
  expect(outcome.error).toMatchObject({ name: 'WorkspaceError' });
  expect(['EOUTSIDE', 'EINVAL']).toContain((outcome.error as { code: string }).code);
}

describe.runIf(process.platform === 'linux')('a symlink swapped in between check and use', () => {
  test('read: the parent directory swapped', async () => {
    swapAfterCheck('dir');
    await refused(ws.readFile('dir/a.txt'));
  });

  test('read: a directory further up swapped', async () => {
    swapAfterCheck('dir');
    await refused(ws.readFile('dir/sub/a.txt'));
  });

  test('read: the file itself swapped', async () => {
    swapAfterCheck('dir/a.txt');
    await refused(ws.readFile('dir/a.txt'));
  });

  test('readFileRange: the parent directory swapped', async () => {
    swapAfterCheck('dir');
    await refused(ws.readFileRange('dir/sub/a.txt', 0, 100));
  });

  test('write of a new file: the parent directory swapped, nothing lands outside', async () => {
    swapAfterCheck('dir');
    await refused(ws.writeFile('dir/new.txt', 'x'));
    expect(existsSync(join(outside, 'dir/new.txt'))).toBe(false);
  });

  test('write of a new file: a directory further up swapped, nothing lands outside', async () => {
    swapAfterCheck('dir');
    await refused(ws.writeFile('dir/sub/new.txt', 'x'));
    expect(existsSync(join(outside, 'dir/sub/new.txt'))).toBe(false);
  });

  test('write over a file swapped for a link: the outside file is untouched', async () => {
    swapAfterCheck('dir/a.txt');
    await refused(ws.writeFile('dir/a.txt', 'overwritten'));
    expect(await readFile(join(outside, 'dir/a.txt'), 'utf8')).toBe(SECRET);
  });

  test('readdir does not list an outside directory', async () => {
    swapAfterCheck('dir');
    await refused(ws.readdir('dir/sub'));
  });

  test('stat does not describe an outside file', async () => {
    swapAfterCheck('dir');
    await refused(ws.stat('dir/sub/a.txt'));
  });

  test('rm does not remove an outside file', async () => {
    swapAfterCheck('dir');
    await refused(ws.rm('dir/victim'));
    expect(await readFile(join(outside, 'dir/victim'), 'utf8')).toBe(SECRET);
  });

  test('rm -r does not remove an outside directory', async () => {
    swapAfterCheck('dir');
    await refused(ws.rm('dir/sub', { recursive: true }));
    expect(await readFile(join(outside, 'dir/sub/a.txt'), 'utf8')).toBe(SECRET);
  });

  test('mkdir does not create outside', async () => {
    swapAfterCheck('dir');
    await refused(ws.mkdir('dir/made'));
    expect(existsSync(join(outside, 'dir/made'))).toBe(false);
  });

  test('mkdir -p does not create outside', async () => {
    swapAfterCheck('dir');
    await refused(ws.mkdir('dir/sub/p/q', { recursive: true }));
    expect(existsSync(join(outside, 'dir/sub/p'))).toBe(false);
  });

  test('without a swap the same operations work', async () => {
    expect(new TextDecoder().decode(await ws.readFile('dir/sub/a.txt'))).toBe('inside');
    await ws.writeFile('dir/sub/new.txt', 'new');
    await ws.mkdir('dir/sub/p/q', { recursive: true });
    await ws.rm('dir/victim');
    expect((await ws.readdir('dir/sub')).map((entry) => entry.name)).toEqual(['a.txt', 'new.txt', 'p']);
  });
});
