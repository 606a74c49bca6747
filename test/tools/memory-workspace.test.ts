import { describe, expect, test } from 'vitest';
import { MemoryWorkspace } from '../../src/tools/memory-workspace.js';
import type { ExecOptions } from '../../src/tools/types.js';
import { ESCAPES } from './run-tool.js';

const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

describe('MemoryWorkspace', () => {
  test('seeds files with their parent directories', async () => {
    const ws = new MemoryWorkspace({
      'src/lib/a.ts': 'export {};\n',
      'README.md': '# hi',
      'bin/x': new Uint8Array([1, 2, 3]),
    });
    expect(ws.root).toBe('/workspace');
    expect(decode(await ws.readFile('src/lib/a.ts'))).toBe('export {};\n');
    expect([...(await ws.readFile('bin/x'))]).toEqual([1, 2, 3]);
    expect(await ws.readdir('.')).toEqual([
      { name: 'README.md', type: 'file' },
      { name: 'bin', type: 'dir' },
      { name: 'src', type: 'dir' },
    ]);
    expect(await ws.readdir('src')).toEqual([{ name: 'lib', type: 'dir' }]);
  });

  test('accepts absolute paths under its root and a custom root', async () => {
    const ws = new MemoryWorkspace({ '/sandbox/a.txt': 'A' }, { root: '/sandbox/' });
    expect(ws.root).toBe('/sandbox');
    expect(decode(await ws.readFile('/sandbox/a.txt'))).toBe('A');
    expect(decode(await ws.readFile('a.txt'))).toBe('A');
    await expect(ws.readFile('/workspace/a.txt')).rejects.toMatchObject({ code: 'EOUTSIDE' });
  });

  test('stat reports UTF-8 byte sizes and types', async () => {
    const ws = new MemoryWorkspace({ 'h.txt': 'héllo €😀', 'd/x': '' });
    const file = await ws.stat('h.txt');
    expect(file.type).toBe('file');
    expect(file.size).toBe(1 + 2 + 3 + 1 + 3 + 4);
    expect((await ws.stat('d')).type).toBe('dir');
    expect((await ws.stat('.')).type).toBe('dir');
    expect((await ws.stat('d/x')).size).toBe(0);
  });

  test('POSIX error codes', async () => {
    const ws = new MemoryWorkspace({ 'a.txt': 'A', 'dir/b.txt': 'B' });
    await expect(ws.readFile('missing.txt')).rejects.toMatchObject({ code: 'ENOENT', name: 'WorkspaceError' });
    await expect(ws.readFile('dir')).rejects.toMatchObject({ code: 'EISDIR' });
    await expect(ws.readFile('a.txt/x')).rejects.toMatchObject({ code: 'ENOTDIR' });
    await expect(ws.readdir('a.txt')).rejects.toMatchObject({ code: 'ENOTDIR' });
    await expect(ws.readdir('nope')).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(ws.stat('nope')).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(ws.writeFile('new/c.txt', 'C')).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(ws.writeFile('a.txt/c.txt', 'C')).rejects.toMatchObject({ code: 'ENOTDIR' });
    await expect(ws.writeFile('dir', 'C')).rejects.toMatchObject({ code: 'EISDIR' });
    await expect(ws.writeFile('.', 'C')).rejects.toMatchObject({ code: 'EISDIR' });
  });

  test('writeFile creates and overwrites, updating size and mtime', async () => {
    const ws = new MemoryWorkspace({ 'dir/.keep': '' });
    await ws.writeFile('dir/a.txt', 'one');
    const first = await ws.stat('dir/a.txt');
    expect(first.size).toBe(3);
    await ws.writeFile('/workspace/dir/a.txt', new Uint8Array([0xe2, 0x82, 0xac, 0x21]));
    const second = await ws.stat('dir/a.txt');
    expect(second.size).toBe(4);
    expect(second.mtimeMs).toBeGreaterThan(first.mtimeMs);
    expect(decode(await ws.readFile('dir/a.txt'))).toBe('€!');
  });

  test('stored bytes are copies in both directions', async () => {
    const ws = new MemoryWorkspace();
    const input = new Uint8Array([1, 2, 3]);
    await ws.writeFile('x', input);
    input[0] = 9;
    const output = await ws.readFile('x');
    output[1] = 9;
    expect([...(await ws.readFile('x'))]).toEqual([1, 2, 3]);
  });

  test('readFileRange returns a copy of part of a file, shorter at its end', async () => {
    const ws = new MemoryWorkspace({ 'a.txt': 'abcdef', 'd/x': '' });
    expect(decode(await ws.readFileRange('a.txt', 0, 3))).toBe('abc');
    expect(decode(await ws.readFileRange('/workspace/a.txt', 4, 10))).toBe('ef');
    expect((await ws.readFileRange('a.txt', 6, 4)).byteLength).toBe(0);
    expect((await ws.readFileRange('a.txt', 100, 4)).byteLength).toBe(0);
    expect((await ws.readFileRange('a.txt', 2, 0)).byteLength).toBe(0);
    const part = await ws.readFileRange('a.txt', 1, 2);
    part[0] = 0x7a;
    expect(decode(await ws.readFile('a.txt'))).toBe('abcdef');
    await expect(ws.readFileRange('d', 0, 1)).rejects.toMatchObject({ code: 'EISDIR' });
    await expect(ws.readFileRange('nope', 0, 1)).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(ws.readFileRange('../x', 0, 1)).rejects.toMatchObject({ code: 'EOUTSIDE' });
    for (const [offset, length] of [
      [-1, 1],
      [0, -1],
      [0.5, 1],
      [0, Number.NaN],
      [0, Number.POSITIVE_INFINITY],
    ] as const) {
      await expect(ws.readFileRange('a.txt', offset, length)).rejects.toMatchObject({ code: 'EINVAL' });
    }
  });

  test('mkdir', async () => {
    const ws = new MemoryWorkspace({ 'a.txt': 'A' });
    await expect(ws.mkdir('x/y')).rejects.toMatchObject({ code: 'ENOENT' });
    await ws.mkdir('x');
    await expect(ws.mkdir('x')).rejects.toMatchObject({ code: 'EEXIST' });
    await expect(ws.mkdir('.')).rejects.toMatchObject({ code: 'EEXIST' });
    await ws.mkdir('p/q/r', { recursive: true });
    await ws.mkdir('p/q', { recursive: true });
    await ws.mkdir('.', { recursive: true });
    expect((await ws.stat('p/q/r')).type).toBe('dir');
    await expect(ws.mkdir('a.txt/b', { recursive: true })).rejects.toMatchObject({ code: 'ENOTDIR' });
    await expect(ws.mkdir('a.txt', { recursive: true })).rejects.toMatchObject({ code: 'EEXIST' });
    await expect(ws.mkdir('a.txt')).rejects.toMatchObject({ code: 'EEXIST' });
  });

  test('rm', async () => {
    const ws = new MemoryWorkspace({ 'a.txt': 'A', 'full/b/c.txt': 'C' });
    await ws.mkdir('empty');
    await ws.rm('a.txt');
    await expect(ws.stat('a.txt')).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(ws.rm('a.txt')).rejects.toMatchObject({ code: 'ENOENT' });
    await ws.rm('empty');
    await expect(ws.stat('empty')).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(ws.rm('full')).rejects.toMatchObject({ code: 'ENOTEMPTY' });
    await ws.rm('full', { recursive: true });
    expect(await ws.readdir('.')).toEqual([]);
    await expect(ws.rm('.', { recursive: true })).rejects.toMatchObject({ code: 'EINVAL' });
  });

  test('every method refuses paths outside the root', async () => {
    const ws = new MemoryWorkspace({ 'a.txt': 'A' });
    for (const path of ESCAPES) {
      await expect(ws.readFile(path)).rejects.toMatchObject({ code: 'EOUTSIDE' });
      await expect(ws.writeFile(path, 'x')).rejects.toMatchObject({ code: 'EOUTSIDE' });
      await expect(ws.readdir(path)).rejects.toMatchObject({ code: 'EOUTSIDE' });
      await expect(ws.stat(path)).rejects.toMatchObject({ code: 'EOUTSIDE' });
      await expect(ws.mkdir(path, { recursive: true })).rejects.toMatchObject({ code: 'EOUTSIDE' });
      await expect(ws.rm(path, { recursive: true })).rejects.toMatchObject({ code: 'EOUTSIDE' });
    }
    expect(() => new MemoryWorkspace({ '../x': 'X' })).toThrow('outside the workspace root');
    expect(await ws.readdir('.')).toEqual([{ name: 'a.txt', type: 'file' }]);
  });

  test('exec exists only when given', async () => {
    expect(new MemoryWorkspace().exec).toBeUndefined();
    const calls: [string, ExecOptions][] = [];
    const ws = new MemoryWorkspace(
      {},
      {
        exec: async (command, options) => {
          calls.push([command, options]);
          return { exitCode: 0, output: 'ok', timedOut: false };
        },
      },
    );
    expect(typeof ws.exec).toBe('function');
    const result = await ws.exec?.('echo ok', { timeoutMs: 5 });
    expect(result).toEqual({ exitCode: 0, output: 'ok', timedOut: false });
    expect(calls).toEqual([['echo ok', { timeoutMs: 5 }]]);
  });
});
