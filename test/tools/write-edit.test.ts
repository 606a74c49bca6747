import { describe, expect, test } from 'vitest';
import { createEditTool } from '../../src/tools/edit-tool.js';
import { MemoryWorkspace } from '../../src/tools/memory-workspace.js';
import { createWriteTool } from '../../src/tools/write-tool.js';
import { ESCAPES, runTool, textOf, validationError } from './run-tool.js';

const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

async function contentOf(ws: MemoryWorkspace, path: string): Promise<string> {
  return decode(await ws.readFile(path));
}

describe('write tool', () => {
  test('creates parent directories and reports UTF-8 bytes written', async () => {
    const ws = new MemoryWorkspace();
    const result = await runTool(createWriteTool(ws), { path: 'a/b/c.txt', content: 'héllo' });
    expect(textOf(result)).toBe('Wrote 6 bytes to a/b/c.txt (new file)');
    expect(result.details).toEqual({
      path: 'a/b/c.txt',
      bytes: 6,
      created: true,
      diff: '--- /dev/null\n+++ b/a/b/c.txt\n@@ -0,0 +1,1 @@\n+héllo',
    });
    expect(await contentOf(ws, 'a/b/c.txt')).toBe('héllo');
    expect((await ws.stat('a/b')).type).toBe('dir');
  });

  test('overwrites an existing file, also by absolute path', async () => {
    const ws = new MemoryWorkspace({ 'x.txt': 'old' });
    const result = await runTool(createWriteTool(ws), { path: '/workspace/x.txt', content: 'new!' });
    expect(textOf(result)).toBe('Wrote 4 bytes to x.txt');
    expect(result.details).toEqual({
      path: 'x.txt',
      bytes: 4,
      created: false,
      diff: '--- a/x.txt\n+++ b/x.txt\n@@ -1,1 +1,1 @@\n-old\n+new!',
    });
    expect(await contentOf(ws, 'x.txt')).toBe('new!');
  });

  test('clear errors for directories and files in the way', async () => {
    const ws = new MemoryWorkspace({ 'file.txt': 'F', 'dir/a': 'A' });
    const tool = createWriteTool(ws);
    await expect(runTool(tool, { path: 'dir', content: 'x' })).rejects.toThrow('dir is a directory, not a file');
    await expect(runTool(tool, { path: 'file.txt/inner.txt', content: 'x' })).rejects.toThrow(
      'Cannot create directory file.txt: a file with that name exists',
    );
    await expect(runTool(tool, { path: 'file.txt/deeper/inner.txt', content: 'x' })).rejects.toThrow(
      'file.txt/deeper is not a directory',
    );
    expect(await contentOf(ws, 'file.txt')).toBe('F');
  });

  test('writes() names the resolved path so the agent serialises writes to one file', () => {
    const tool = createWriteTool(new MemoryWorkspace());
    expect(tool.writes?.({ path: 'src/./a.ts', content: '' })).toBe('src/a.ts');
    expect(tool.writes?.({ path: '/workspace/src/a.ts', content: '' })).toBe('src/a.ts');
    expect(tool.writes?.({ path: '../x', content: '' })).toBe('../x');
  });

  test('refuses paths outside the workspace and writes nothing', async () => {
    const ws = new MemoryWorkspace();
    const tool = createWriteTool(ws);
    for (const path of ESCAPES) {
      await expect(runTool(tool, { path, content: 'pwned' })).rejects.toThrow('outside the workspace root');
    }
    expect(await ws.readdir('.')).toEqual([]);
  });
});

describe('edit tool', () => {
  test('replaces a unique match and returns a diff', async () => {
    const ws = new MemoryWorkspace({ 'f.ts': 'one\ntwo\nthree\nfour\nfive\nsix\n' });
    const result = await runTool(createEditTool(ws), {
      path: 'f.ts',
      oldText: 'three\nfour',
      newText: 'THREE\nfour\n3.5',
    });
    expect(await contentOf(ws, 'f.ts')).toBe('one\ntwo\nTHREE\nfour\n3.5\nfive\nsix\n');
    expect(textOf(result)).toBe('Edited f.ts: replaced 1 occurrence at line 3.');
    expect(result.details).toEqual({
      path: 'f.ts',
      replacements: 1,
      firstChangedLine: 3,
      diff: '@@ -1,6 +1,7 @@\n one\n two\n-three\n-four\n+THREE\n+four\n+3.5\n five\n six',
    });
  });

  test('a deletion shows as removed lines only', async () => {
    const ws = new MemoryWorkspace({ 'f.txt': 'x\nfoo\nbar\n' });
    const result = await runTool(createEditTool(ws), { path: 'f.txt', oldText: 'foo\n', newText: '' });
    expect(await contentOf(ws, 'f.txt')).toBe('x\nbar\n');
    expect(result.details?.diff).toBe('@@ -1,3 +1,2 @@\n x\n-foo\n bar');
  });

  test('matches LF oldText in a CRLF file and writes CRLF back', async () => {
    const ws = new MemoryWorkspace({ 'win.txt': 'alpha\r\nbeta\r\ngamma\r\n' });
    const result = await runTool(createEditTool(ws), { path: 'win.txt', oldText: 'alpha\nbeta', newText: 'A\nB\nB2' });
    expect(await contentOf(ws, 'win.txt')).toBe('A\r\nB\r\nB2\r\ngamma\r\n');
    expect(result.details?.diff).toBe('@@ -1,3 +1,4 @@\n-alpha\n-beta\n+A\n+B\n+B2\n gamma');
  });

  test('matches CRLF oldText in an LF file', async () => {
    const ws = new MemoryWorkspace({ 'unix.txt': 'a\nb\nc\n' });
    await runTool(createEditTool(ws), { path: 'unix.txt', oldText: 'a\r\nb', newText: 'x\r\ny' });
    expect(await contentOf(ws, 'unix.txt')).toBe('x\ny\nc\n');
  });

  test('mixed line endings: untouched lines keep theirs', async () => {
    const ws = new MemoryWorkspace({ 'mixed.txt': 'a\r\nb\r\nc\nd\r\n' });
    await runTool(createEditTool(ws), { path: 'mixed.txt', oldText: 'b', newText: 'B' });
    expect(await contentOf(ws, 'mixed.txt')).toBe('a\r\nB\r\nc\nd\r\n');
  });

  test('several matches: an error with the count and line numbers', async () => {
    const ws = new MemoryWorkspace({ 'f.js': 'x();\ny();\nx();\nz();\nx();\n' });
    await expect(runTool(createEditTool(ws), { path: 'f.js', oldText: 'x();', newText: 'w();' })).rejects.toThrow(
      'Found 3 matches of oldText in f.js (at lines 1, 3, 5). oldText must match exactly once',
    );
    expect(await contentOf(ws, 'f.js')).toBe('x();\ny();\nx();\nz();\nx();\n');
  });

  test('overlapping matches are ambiguous: "aa" in "aaa" is two matches', async () => {
    const ws = new MemoryWorkspace({ 'f.txt': 'xaaay\n' });
    await expect(runTool(createEditTool(ws), { path: 'f.txt', oldText: 'aa', newText: 'b' })).rejects.toThrow(
      'Found 2 matches of oldText in f.txt (at line 1). oldText must match exactly once',
    );
    expect(await contentOf(ws, 'f.txt')).toBe('xaaay\n');
  });

  test('replaceAll with overlapping matches replaces left to right, as String.replaceAll does', async () => {
    const ws = new MemoryWorkspace({ 'f.txt': 'aaaaa\n' });
    const result = await runTool(createEditTool(ws), { path: 'f.txt', oldText: 'aa', newText: 'b', replaceAll: true });
    expect(await contentOf(ws, 'f.txt')).toBe('bba\n');
    expect(result.details?.replacements).toBe(2);
  });

  test('mixed line endings: the exact spelling wins over the converted one', async () => {
    // Mostly CRLF, so LF oldText would also match the CRLF lines once converted.
    const ws = new MemoryWorkspace({ 'mixed.txt': 'x\r\ny\r\nz\r\nx\ny\n' });
    await runTool(createEditTool(ws), { path: 'mixed.txt', oldText: 'x\ny', newText: 'X\nY' });
    expect(await contentOf(ws, 'mixed.txt')).toBe('x\r\ny\r\nz\r\nX\nY\n');
  });

  test('CRLF oldText matched exactly in a CRLF file still writes CRLF', async () => {
    const ws = new MemoryWorkspace({ 'win.txt': 'a\r\nb\r\nc\r\n' });
    await runTool(createEditTool(ws), { path: 'win.txt', oldText: 'a\r\nb', newText: 'x\ny' });
    expect(await contentOf(ws, 'win.txt')).toBe('x\r\ny\r\nc\r\n');
  });

  test('mixed line endings: a spelling in the minority ending is still found', async () => {
    const ws = new MemoryWorkspace({ 'mixed.txt': 'a\r\nb\r\nc\r\nd\ne\n' });
    await runTool(createEditTool(ws), { path: 'mixed.txt', oldText: 'd\r\ne', newText: 'D\r\nE' });
    expect(await contentOf(ws, 'mixed.txt')).toBe('a\r\nb\r\nc\r\nD\nE\n');
  });

  test('replaceAll replaces every match', async () => {
    const ws = new MemoryWorkspace({ 'f.js': 'x();\ny();\nx();\n' });
    const result = await runTool(createEditTool(ws), {
      path: 'f.js',
      oldText: 'x()',
      newText: 'w()',
      replaceAll: true,
    });
    expect(await contentOf(ws, 'f.js')).toBe('w();\ny();\nw();\n');
    expect(textOf(result)).toBe('Edited f.js: replaced 2 occurrences.');
    expect(result.details?.replacements).toBe(2);
    expect(result.details?.diff).toBe('@@ -1,3 +1,3 @@\n-x();\n+w();\n y();\n-x();\n+w();');
  });

  test('replaceAll diff: one hunk per region, one line for matches sharing a line', async () => {
    const lines = Array.from({ length: 20 }, (_, i) => `l${i + 1}`);
    lines[1] = 'a a';
    lines[15] = 'a';
    const ws = new MemoryWorkspace({ 'f.txt': `${lines.join('\n')}\n` });
    const result = await runTool(createEditTool(ws), { path: 'f.txt', oldText: 'a', newText: 'b', replaceAll: true });
    expect(result.details?.replacements).toBe(3);
    expect(result.details?.diff).toBe(
      '@@ -1,4 +1,4 @@\n l1\n-a a\n+b b\n l3\n l4\n@@ -14,5 +14,5 @@\n l14\n l15\n-a\n+b\n l17\n l18',
    );
  });

  test('no match, whitespace differs: says so and shows the real lines', async () => {
    const ws = new MemoryWorkspace({ 'f.ts': 'function f() {\n\treturn 1;\n}\n' });
    const error = runTool(createEditTool(ws), {
      path: 'f.ts',
      oldText: 'function f() {\n    return 1;\n}',
      newText: 'function f() {\n\treturn 2;\n}',
    });
    await expect(error).rejects.toThrow(
      'Could not find oldText in f.ts. It matches lines 1-3 if whitespace is ignored, so indentation, tabs or trailing spaces differ. The file has:\n  1: "function f() {"\n  2: "\\treturn 1;"\n  3: "}"',
    );
  });

  test('no match, text differs part way: says where', async () => {
    const ws = new MemoryWorkspace({ 'f.txt': 'a1\nb2\nc3\nd4\n' });
    await expect(runTool(createEditTool(ws), { path: 'f.txt', oldText: 'b2\nc3\nX\nd4', newText: '' })).rejects.toThrow(
      'The first 2 lines of oldText match at line 2, then they differ:\n  file line 4: "d4"\n  oldText line 3: "X"',
    );
  });

  test('no match at all: shows the closest line', async () => {
    const ws = new MemoryWorkspace({ 'f.ts': 'const alpha = 1;\nconst beta = 2;\n' });
    await expect(
      runTool(createEditTool(ws), { path: 'f.ts', oldText: 'const gamma = 2;', newText: 'const gamma = 3;' }),
    ).rejects.toThrow('The closest line is 2: "const beta = 2;"');
  });

  test('missing files, identical texts, empty oldText, binary and non-UTF-8 files', async () => {
    const ws = new MemoryWorkspace({
      'a.txt': 'abc',
      'bin.dat': new Uint8Array([0x61, 0, 0x62]),
      'latin1.txt': new Uint8Array([0x63, 0x61, 0x66, 0xe9]),
    });
    const tool = createEditTool(ws);
    await expect(runTool(tool, { path: 'nope.txt', oldText: 'a', newText: 'b' })).rejects.toThrow(
      'File not found: nope.txt. Use write to create it.',
    );
    await expect(runTool(tool, { path: 'a.txt', oldText: 'b', newText: 'b' })).rejects.toThrow(
      'oldText and newText are identical',
    );
    expect(await validationError(tool, { path: 'a.txt', oldText: '', newText: 'x' })).toContain('oldText');
    await expect(runTool(tool, { path: 'bin.dat', oldText: 'a', newText: 'b' })).rejects.toThrow(
      'bin.dat is not a UTF-8 text file',
    );
    await expect(runTool(tool, { path: 'latin1.txt', oldText: 'ca', newText: 'Ca' })).rejects.toThrow(
      'latin1.txt is not a UTF-8 text file',
    );
    expect([...(await ws.readFile('latin1.txt'))]).toEqual([0x63, 0x61, 0x66, 0xe9]);
  });

  test('keeps a byte-order mark and treats $ in newText literally', async () => {
    const ws = new MemoryWorkspace({ 'bom.txt': new Uint8Array([0xef, 0xbb, 0xbf, 0x61, 0x62, 0x63]) });
    await runTool(createEditTool(ws), { path: 'bom.txt', oldText: 'b', newText: "$& $1 $'" });
    expect([...(await ws.readFile('bom.txt'))]).toEqual([0xef, 0xbb, 0xbf, ...new TextEncoder().encode("a$& $1 $'c")]);
  });

  test('writes() resolves the path; escapes are refused and nothing changes', async () => {
    const ws = new MemoryWorkspace({ 'a.txt': 'abc' });
    const tool = createEditTool(ws);
    expect(tool.writes?.({ path: '/workspace/a.txt', oldText: 'a', newText: 'b' })).toBe('a.txt');
    for (const path of ESCAPES) {
      await expect(runTool(tool, { path, oldText: 'a', newText: 'b' })).rejects.toThrow('outside the workspace root');
    }
    await runTool(tool, { path: '/workspace/a.txt', oldText: 'a', newText: 'A' });
    expect(await contentOf(ws, 'a.txt')).toBe('Abc');
  });
});
