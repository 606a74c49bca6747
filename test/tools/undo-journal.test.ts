import { describe, expect, test } from 'vitest';
import { createEditTool } from '../../src/tools/edit-tool.js';
import { MemoryWorkspace } from '../../src/tools/memory-workspace.js';
import { createUndoJournal } from '../../src/tools/undo-journal.js';
import { createWriteTool } from '../../src/tools/write-tool.js';
import { runTool } from './run-tool.js';

const text = async (ws: { readFile(path: string): Promise<Uint8Array> }, path: string) =>
  new TextDecoder().decode(await ws.readFile(path));

async function exists(ws: MemoryWorkspace, path: string): Promise<boolean> {
  try {
    await ws.stat(path);
    return true;
  } catch {
    return false;
  }
}

describe('createUndoJournal', () => {
  test("undo restores what the last prompt's write and edit changed, and deletes what it created", async () => {
    const memory = new MemoryWorkspace({ 'a.txt': 'one\ntwo\n', 'b.txt': 'keep' });
    const journal = createUndoJournal(memory);
    const write = createWriteTool(journal.workspace);
    const edit = createEditTool(journal.workspace);

    journal.begin();
    await runTool(edit, { path: 'a.txt', oldText: 'two', newText: 'TWO' });
    await runTool(edit, { path: 'a.txt', oldText: 'one', newText: 'ONE' });
    await runTool(write, { path: 'new/dir/c.txt', content: 'created' });
    expect(await text(memory, 'a.txt')).toBe('ONE\nTWO\n');
    expect(journal.changed()).toEqual(['a.txt', 'new/dir/c.txt']);

    const report = await journal.undo();
    expect(report).toEqual({ restored: ['a.txt'], deleted: ['new/dir/c.txt'], skipped: [] });
    expect(await text(memory, 'a.txt')).toBe('one\ntwo\n');
    expect(await exists(memory, 'new/dir/c.txt')).toBe(false);
    expect(await exists(memory, 'new')).toBe(false);
    expect(await text(memory, 'b.txt')).toBe('keep');
    // Once undone, there is nothing left to undo.
    expect(await journal.undo()).toEqual({ restored: [], deleted: [], skipped: [] });
  });

  test('only the last prompt is undone', async () => {
    const memory = new MemoryWorkspace({ 'a.txt': 'v1' });
    const journal = createUndoJournal(memory);
    const write = createWriteTool(journal.workspace);
    journal.begin();
    await runTool(write, { path: 'a.txt', content: 'v2' });
    journal.begin();
    await runTool(write, { path: '/workspace/a.txt', content: 'v3' });
    expect((await journal.undo()).restored).toEqual(['a.txt']);
    expect(await text(memory, 'a.txt')).toBe('v2');
  });

  test('a file changed after the write (by bash, by hand) is left alone, with the reason', async () => {
    const memory = new MemoryWorkspace({ 'a.txt': 'before' });
    const journal = createUndoJournal(memory);
    journal.begin();
    await runTool(createWriteTool(journal.workspace), { path: 'a.txt', content: 'written' });
    await runTool(createWriteTool(journal.workspace), { path: 'gone.txt', content: 'x' });
    await memory.writeFile('a.txt', 'changed by someone else');
    await memory.rm('gone.txt');
    const report = await journal.undo();
    expect(report.restored).toEqual([]);
    expect(report.skipped).toEqual([
      { path: 'a.txt', reason: expect.stringMatching(/changed since/) },
      { path: 'gone.txt', reason: expect.stringMatching(/changed since/) },
    ]);
    expect(await text(memory, 'a.txt')).toBe('changed by someone else');
  });

  test('what is over the byte cap is not kept, and undo says so', async () => {
    const memory = new MemoryWorkspace({ 'small.txt': 'abc', 'big.txt': 'x'.repeat(100) });
    const journal = createUndoJournal(memory, { maxBytes: 50 });
    const write = createWriteTool(journal.workspace);
    journal.begin();
    await runTool(write, { path: 'small.txt', content: 'ABC' });
    await runTool(write, { path: 'big.txt', content: 'y' });
    const report = await journal.undo();
    expect(report.restored).toEqual(['small.txt']);
    expect(report.skipped).toEqual([{ path: 'big.txt', reason: expect.stringMatching(/too large/) }]);
    expect(await text(memory, 'small.txt')).toBe('abc');
    expect(await text(memory, 'big.txt')).toBe('y');
  });

  test('the wrapper passes everything else through, exec included', async () => {
    const memory = new MemoryWorkspace({ 'a.txt': 'A' });
    const journal = createUndoJournal(memory);
    expect(journal.workspace.root).toBe(memory.root);
    expect(journal.workspace.exec).toBeUndefined();
    expect(await text(journal.workspace, 'a.txt')).toBe('A');
    expect(await journal.workspace.readdir('.')).toEqual([{ name: 'a.txt', type: 'file' }]);
    const withExec = new MemoryWorkspace({}, { exec: async () => ({ exitCode: 0, output: 'ran', timedOut: false }) });
    expect((await createUndoJournal(withExec).workspace.exec?.('true', {}))?.output).toBe('ran');
  });
});
