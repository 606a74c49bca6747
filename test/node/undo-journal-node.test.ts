/**
 * The undo journal over a real directory, where two paths can be one file.
 */
import { readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { NodeWorkspace } from '../../adapters/node/node-workspace.js';
import { createUndoJournal } from '../../src/tools/undo-journal.js';
import { createWriteTool } from '../../src/tools/write-tool.js';
import { runTool } from '../tools/run-tool.js';
import { makeTempDir, removeDir } from './exec-helpers.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await removeDir(dir);
});

describe('createUndoJournal on a NodeWorkspace', () => {
  test('a file written through a link and then by its own name is put back as it was', async () => {
    const root = await makeTempDir('undo');
    dirs.push(root);
    await writeFile(join(root, 'real.txt'), 'original');
    await symlink('real.txt', join(root, 'link.txt'));
    const journal = createUndoJournal(new NodeWorkspace(root));
    const write = createWriteTool(journal.workspace);
    journal.begin();
    await runTool(write, { path: 'link.txt', content: 'first' });
    await runTool(write, { path: 'real.txt', content: 'second' });
    const report = await journal.undo();
    expect(report.skipped).toEqual([]);
    expect(await readFile(join(root, 'real.txt'), 'utf8')).toBe('original');
  });
});
