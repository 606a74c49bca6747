import { describe, expect, test } from 'vitest';
import { encodeBase64 } from '../../src/tools/base64.js';
import { MemoryWorkspace } from '../../src/tools/memory-workspace.js';
import { createReadTool } from '../../src/tools/read-tool.js';
import type { Workspace, WorkspaceEntry, WorkspaceStat } from '../../src/tools/types.js';
import { ESCAPES, runTool, textOf } from './run-tool.js';

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0xff]);
const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46, 0]);
const GIF = new Uint8Array([...'GIF89a'].map((c) => c.charCodeAt(0)).concat([1, 0, 1, 0, 0]));
const WEBP = new Uint8Array(
  [...'RIFF']
    .map((c) => c.charCodeAt(0))
    .concat(
      [4, 0, 0, 0],
      [...'WEBPVP8 '].map((c) => c.charCodeAt(0)),
    ),
);

/** Base64 by the platform, to check our encoder against. */
function platformBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function numberedLines(count: number, width = 0): string {
  return Array.from({ length: count }, (_, i) => `line ${i + 1}`.padEnd(width, '.')).join('\n');
}

describe('read tool', () => {
  test('reads a whole small file', async () => {
    const tool = createReadTool(new MemoryWorkspace({ 'src/a.ts': 'const a = 1;\nconst b = 2;\n' }));
    const result = await runTool(tool, { path: 'src/a.ts' });
    expect(textOf(result)).toBe('const a = 1;\nconst b = 2;');
    expect(result.details).toMatchObject({ path: 'src/a.ts', kind: 'text', totalLines: 2, startLine: 1, endLine: 2 });
    expect(result.isError).toBeUndefined();
  });

  test('offset and limit page through a file with a continuation hint', async () => {
    const tool = createReadTool(new MemoryWorkspace({ 'f.txt': numberedLines(10) }));
    const page = await runTool(tool, { path: 'f.txt', offset: 3, limit: 2 });
    expect(textOf(page)).toBe('line 3\nline 4\n\n[Showing lines 3-4 of 10. Use offset=5 to continue.]');
    const tail = await runTool(tool, { path: 'f.txt', offset: 9 });
    expect(textOf(tail)).toBe('line 9\nline 10');
    const exact = await runTool(tool, { path: 'f.txt', offset: 8, limit: 3 });
    expect(textOf(exact)).toBe('line 8\nline 9\nline 10');
  });

  test('caps output at 2000 lines by default', async () => {
    const tool = createReadTool(new MemoryWorkspace({ 'big.txt': numberedLines(2500) }));
    const first = textOf(await runTool(tool, { path: 'big.txt' }));
    const lines = first.split('\n');
    expect(lines[0]).toBe('line 1');
    expect(lines[1999]).toBe('line 2000');
    expect(lines.at(-1)).toBe('[Showing lines 1-2000 of 2500. Use offset=2001 to continue.]');
    const next = textOf(await runTool(tool, { path: 'big.txt', offset: 2001 }));
    expect(next.split('\n')).toHaveLength(500);
    expect(next.endsWith('line 2500')).toBe(true);
  });

  test('caps output at 50 KB by default and says so', async () => {
    // 100-byte lines: the first costs 100 bytes, each further one 101 with its newline.
    const tool = createReadTool(new MemoryWorkspace({ 'wide.txt': numberedLines(1000, 100) }));
    const result = await runTool(tool, { path: 'wide.txt' });
    const text = textOf(result);
    expect(text.endsWith('\n\n[Showing lines 1-506 of 1000 (50 KB limit). Use offset=507 to continue.]')).toBe(true);
    expect(text.split('\n')[505]?.startsWith('line 506.')).toBe(true);
    expect(result.details).toMatchObject({ startLine: 1, endLine: 506, truncated: true });
  });

  test('byte cap counts UTF-8 bytes and honours options', async () => {
    const tool = createReadTool(new MemoryWorkspace({ 'u.txt': 'ééééé\nééééé\nééééé\n' }), { maxBytes: 25 });
    // Each line is 10 bytes; two lines and a newline make 21, a third would make 32.
    expect(textOf(await runTool(tool, { path: 'u.txt' }))).toBe(
      'ééééé\nééééé\n\n[Showing lines 1-2 of 3 (25 bytes limit). Use offset=3 to continue.]',
    );
  });

  test('cuts very long lines with a marker', async () => {
    const tool = createReadTool(new MemoryWorkspace({ 'min.js': `${'x'.repeat(5000)}\nshort` }));
    const text = textOf(await runTool(tool, { path: 'min.js' }));
    expect(text).toBe(`${'x'.repeat(2000)}… [line truncated: 3000 more characters]\nshort`);
  });

  test('shows CRLF files without carriage returns and strips a BOM', async () => {
    const tool = createReadTool(new MemoryWorkspace({ 'win.txt': '\uFEFFa\r\nb\r\n' }));
    expect(textOf(await runTool(tool, { path: 'win.txt' }))).toBe('a\nb');
  });

  test('empty files and offsets past the end', async () => {
    const tool = createReadTool(new MemoryWorkspace({ 'empty.txt': '', 'three.txt': 'a\nb\nc\n' }));
    expect(textOf(await runTool(tool, { path: 'empty.txt' }))).toBe('[empty.txt is empty]');
    await expect(runTool(tool, { path: 'three.txt', offset: 4 })).rejects.toThrow(
      'offset 4 is past the end of three.txt, which has 3 lines',
    );
    await expect(runTool(tool, { path: 'three.txt', offset: 0 })).rejects.toThrow('invalid arguments');
  });

  test('missing files, directories and binary files are clear errors', async () => {
    const tool = createReadTool(
      new MemoryWorkspace({ 'src/a.ts': '', 'blob.bin': new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2]) }),
    );
    await expect(runTool(tool, { path: 'src/nope.ts' })).rejects.toThrow('File not found: src/nope.ts');
    await expect(runTool(tool, { path: 'src' })).rejects.toThrow('src is a directory; use ls to list it');
    await expect(runTool(tool, { path: 'blob.bin' })).rejects.toThrow('blob.bin is a binary file (7 bytes)');
  });

  test('images come back as base64 image parts', async () => {
    const ws = new MemoryWorkspace({ 'a.png': PNG, 'b.jpg': JPEG, 'c.JPEG': JPEG, 'd.gif': GIF, 'e.webp': WEBP });
    const cases: [string, Uint8Array, string][] = [
      ['a.png', PNG, 'image/png'],
      ['b.jpg', JPEG, 'image/jpeg'],
      ['c.JPEG', JPEG, 'image/jpeg'],
      ['d.gif', GIF, 'image/gif'],
      ['e.webp', WEBP, 'image/webp'],
    ];
    for (const [path, bytes, mimeType] of cases) {
      const result = await runTool(createReadTool(ws), { path });
      const image = result.content.find((part) => part.type === 'image');
      expect(image).toEqual({ type: 'image', data: platformBase64(bytes), mimeType });
      expect(result.details).toMatchObject({ kind: 'image', mimeType, size: bytes.length });
    }
  });

  test('image type comes from the bytes, and fakes are refused', async () => {
    const ws = new MemoryWorkspace({
      'really-jpeg.png': JPEG,
      'fake.png': new Uint8Array([1, 2, 0, 3]),
      'text.png': 'not an image',
    });
    const tool = createReadTool(ws);
    const result = await runTool(tool, { path: 'really-jpeg.png' });
    expect(result.content[1]).toMatchObject({ type: 'image', mimeType: 'image/jpeg' });
    await expect(runTool(tool, { path: 'fake.png' })).rejects.toThrow(
      'fake.png has an image extension but is not a valid PNG, JPEG, GIF or WebP image',
    );
    expect(textOf(await runTool(tool, { path: 'text.png' }))).toBe('not an image');
  });

  test('images over the size cap are refused', async () => {
    const big = new Uint8Array(2048);
    big.set(PNG);
    const tool = createReadTool(new MemoryWorkspace({ 'big.png': big }), { maxImageBytes: 1024 });
    await expect(runTool(tool, { path: 'big.png' })).rejects.toThrow('big.png is a 2 KB image; the limit is 1 KB');
  });

  test('encodeBase64 matches the platform for every padding case', () => {
    const random = new Uint8Array(20_000);
    for (let i = 0; i < random.length; i++) random[i] = (i * 7919 + 13) % 256;
    for (const length of [0, 1, 2, 3, 4, 5, 6, 12_287, 12_288, 12_289, 20_000]) {
      const bytes = random.subarray(0, length);
      expect(encodeBase64(bytes)).toBe(platformBase64(bytes));
    }
    expect(encodeBase64(new TextEncoder().encode('Man'))).toBe('TWFu');
    expect(encodeBase64(new TextEncoder().encode('Ma'))).toBe('TWE=');
  });

  test('refuses paths outside the workspace, accepts absolute paths inside', async () => {
    const tool = createReadTool(new MemoryWorkspace({ 'a.txt': 'inside' }));
    for (const path of ESCAPES) {
      await expect(runTool(tool, { path })).rejects.toThrow('outside the workspace root /workspace');
    }
    expect(textOf(await runTool(tool, { path: '/workspace/a.txt' }))).toBe('inside');
  });
});

const MiB = 1024 * 1024;

/**
 * A file too big to hold, generated on demand: line n is n padded to 15
 * digits and a newline, 16 bytes a line. `readFile` fails, so any test
 * passes only if read never loads the whole file.
 */
class HugeFileWorkspace implements Workspace {
  readonly root = '/workspace';
  readonly ranges: [number, number][] = [];
  constructor(
    readonly size: number,
    readonly header: Uint8Array = new Uint8Array(0),
  ) {}
  async readFile(): Promise<Uint8Array> {
    throw new Error('readFile loads the whole file');
  }
  async readFileRange(_path: string, offset: number, length: number): Promise<Uint8Array> {
    this.ranges.push([offset, length]);
    const end = Math.min(this.size, offset + length);
    if (end <= offset) return new Uint8Array(0);
    const firstLine = Math.floor(offset / 16);
    const lastLine = Math.ceil(end / 16);
    let text = '';
    for (let line = firstLine; line < lastLine; line++) text += `${String(line + 1).padStart(15, '0')}\n`;
    const bytes = new TextEncoder().encode(text).subarray(offset - firstLine * 16, end - firstLine * 16);
    bytes.set(this.header.subarray(offset, end), 0);
    return bytes;
  }
  async stat(): Promise<WorkspaceStat> {
    return { type: 'file', size: this.size, mtimeMs: 0 };
  }
  async writeFile(): Promise<void> {}
  async readdir(): Promise<WorkspaceEntry[]> {
    return [];
  }
  async mkdir(): Promise<void> {}
  async rm(): Promise<void> {}
}

const padded = (line: number) => String(line).padStart(15, '0');

/** A workspace without `readFileRange`, counting whole-file reads. */
function withoutRanges(inner: MemoryWorkspace): Workspace & { reads: number } {
  const counted = {
    root: inner.root,
    reads: 0,
    readFile: (path: string) => {
      counted.reads++;
      return inner.readFile(path);
    },
    writeFile: inner.writeFile.bind(inner),
    readdir: inner.readdir.bind(inner),
    stat: inner.stat.bind(inner),
    mkdir: inner.mkdir.bind(inner),
    rm: inner.rm.bind(inner),
  };
  return counted;
}

describe('read tool on large files', () => {
  test('a 600 MB file shows its first page from ranges of at most 1 MiB, and says more lines follow', async () => {
    const ws = new HugeFileWorkspace(600 * MiB);
    const result = await runTool(createReadTool(ws), { path: 'big.log' });
    const text = textOf(result);
    const lines = text.split('\n');
    expect(lines[0]).toBe(padded(1));
    expect(lines[1999]).toBe(padded(2000));
    expect(text).not.toContain('is empty');
    expect(lines.at(-1)).toBe(
      '[Showing lines 1-2000 of a 600 MB file; more lines follow. Use offset=2001 to continue.]',
    );
    expect(result.details).toMatchObject({ size: 600 * MiB, startLine: 1, endLine: 2000, truncated: true });
    expect(result.details?.totalLines).toBeUndefined();
    expect(ws.ranges.every(([, length]) => length <= MiB)).toBe(true);
    expect(ws.ranges.reduce((sum, [, length]) => sum + length, 0)).toBeLessThanOrEqual(2 * MiB);
  });

  test('an offset deep in a large file is reached by scanning chunks, never the whole file', async () => {
    const ws = new HugeFileWorkspace(40 * MiB);
    const lastLine = (40 * MiB) / 16;
    const deep = await runTool(createReadTool(ws), { path: 'big.log', offset: 2_000_000, limit: 3 });
    expect(textOf(deep)).toBe(
      `${padded(2_000_000)}\n${padded(2_000_001)}\n${padded(2_000_002)}\n\n[Showing lines 2000000-2000002 of a 40 MB file; more lines follow. Use offset=2000003 to continue.]`,
    );
    // Near the end the rest of the file is already in hand, so the total is known.
    const tail = await runTool(createReadTool(ws), { path: 'big.log', offset: lastLine - 1 });
    expect(textOf(tail)).toBe(`${padded(lastLine - 1)}\n${padded(lastLine)}`);
    expect(tail.details).toMatchObject({ totalLines: lastLine, endLine: lastLine, truncated: false });
    await expect(runTool(createReadTool(ws), { path: 'big.log', offset: lastLine + 1 })).rejects.toThrow(
      `offset ${lastLine + 1} is past the end of big.log, which has ${lastLine} lines`,
    );
    expect(ws.ranges.every(([, length]) => length <= MiB)).toBe(true);
  });

  test('an image over the cap is refused from its size, without reading it whole', async () => {
    const ws = new HugeFileWorkspace(100 * MiB, PNG);
    await expect(runTool(createReadTool(ws), { path: 'huge.png' })).rejects.toThrow(
      'huge.png is a 100 MB image; the limit is 5 MB',
    );
    expect(ws.ranges.every(([, length]) => length <= MiB)).toBe(true);
  });

  test('a multi-byte character split across the 1 MiB chunk boundary decodes whole', async () => {
    // Line 1 fills the first chunk but one byte, so "é" (2 bytes) straddles the boundary.
    const first = 'a'.repeat(MiB - 1);
    const ws = new MemoryWorkspace({ 'u.txt': `${first}é€😀\nnext ü\n` });
    const tool = createReadTool(ws, { maxLineChars: 2 * MiB, maxBytes: 4 * MiB });
    const text = textOf(await runTool(tool, { path: 'u.txt' }));
    expect(text).toBe(`${first}é€😀\nnext ü`);
    expect(text).not.toContain('\uFFFD');
    // Starting past the boundary: the second line begins inside the second chunk.
    expect(textOf(await runTool(tool, { path: 'u.txt', offset: 2 }))).toBe('next ü');
  });

  test('CRLF split across the chunk boundary is one line break', async () => {
    const first = 'b'.repeat(MiB - 1);
    const ws = new MemoryWorkspace({ 'crlf.txt': `${first}\r\nsecond\r\nthird` });
    const tool = createReadTool(ws, { maxLineChars: 2 * MiB, maxBytes: 4 * MiB });
    const result = await runTool(tool, { path: 'crlf.txt' });
    expect(textOf(result)).toBe(`${first}\nsecond\nthird`);
    expect(result.details).toMatchObject({ totalLines: 3 });
    expect(textOf(await runTool(tool, { path: 'crlf.txt', offset: 2, limit: 1 }))).toBe(
      'second\n\n[Showing lines 2-2 of 3. Use offset=3 to continue.]',
    );
  });

  test('a line longer than a chunk is cut, counting every character it has', async () => {
    const ws = new MemoryWorkspace({ 'min.js': `${'x'.repeat(3 * MiB)}\nafter` });
    const text = textOf(await runTool(createReadTool(ws), { path: 'min.js' }));
    expect(text).toBe(`${'x'.repeat(2000)}… [line truncated: ${3 * MiB - 2000} more characters]\nafter`);
  });

  test('invalid UTF-8 shows replacement characters, never an empty file', async () => {
    const ws = new MemoryWorkspace({ 'latin1.txt': new Uint8Array([0x63, 0x61, 0x66, 0xe9, 0x0a, 0x6f, 0x6b]) });
    const result = await runTool(createReadTool(ws), { path: 'latin1.txt' });
    expect(textOf(result)).toBe('caf\uFFFD\nok');
  });

  test('a workspace without readFileRange is read once per call, however many chunks it spans', async () => {
    // 100-byte lines: 2 MB, so line 15000 lies in the second chunk.
    const ws = withoutRanges(new MemoryWorkspace({ 'f.txt': numberedLines(20_000, 99) }));
    const tool = createReadTool(ws);
    const page = textOf(await runTool(tool, { path: 'f.txt', offset: 15_000, limit: 2 }));
    expect(
      page
        .split('\n')
        .slice(0, 2)
        .map((line) => line.slice(0, 11)),
    ).toEqual(['line 15000.', 'line 15001.']);
    expect(page.endsWith('[Showing lines 15000-15001 of 20000. Use offset=15002 to continue.]')).toBe(true);
    expect(ws.reads).toBe(1);
  });
});
