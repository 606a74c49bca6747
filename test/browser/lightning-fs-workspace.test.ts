import FS from '@isomorphic-git/lightning-fs';
import { describe, expect, test } from 'vitest';
import { LightningFsWorkspace } from '../../adapters/browser/index.js';
import type { AgentTool } from '../../src/agent/types.js';
import { createCodingTools } from '../../src/tools/coding-tools.js';
import type { Workspace } from '../../src/tools/types.js';
import { ESCAPES, runTool, textOf } from '../tools/run-tool.js';

const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** A database of its own per test, so tests never see each other's files. */
function freshName(): string {
  return `qcore-test-${crypto.randomUUID()}`;
}

async function workspace(files: Record<string, string> = {}, root?: string): Promise<LightningFsWorkspace> {
  const ws = new LightningFsWorkspace(freshName(), root === undefined ? {} : { root });
  for (const [path, content] of Object.entries(files)) {
    const parent = path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '.';
    await ws.mkdir(parent, { recursive: true });
    await ws.writeFile(path, content);
  }
  return ws;
}

function tool(tools: AgentTool[], name: string): AgentTool {
  const found = tools.find((candidate) => candidate.name === name);
  if (!found) throw new Error(`no ${name} tool`);
  return found;
}

describe('LightningFsWorkspace', () => {
  test('starts empty, with /workspace as its root unless told otherwise', async () => {
    const ws = new LightningFsWorkspace(freshName());
    expect(ws.root).toBe('/workspace');
    const asWorkspace: Workspace = ws;
    expect(asWorkspace.exec).toBeUndefined();
    expect(await ws.readdir('.')).toEqual([]);
    expect((await ws.stat('.')).type).toBe('dir');
    expect(new LightningFsWorkspace(freshName(), { root: '/sandbox/' }).root).toBe('/sandbox');
  });

  test('writes and reads strings and bytes, by relative or absolute path', async () => {
    const ws = await workspace({ 'src/lib/a.ts': 'export {};\n' });
    expect(decode(await ws.readFile('src/lib/a.ts'))).toBe('export {};\n');
    expect(decode(await ws.readFile('/workspace/src/lib/a.ts'))).toBe('export {};\n');
    await ws.writeFile('bin', new Uint8Array([1, 2, 3]));
    expect([...(await ws.readFile('bin'))]).toEqual([1, 2, 3]);
    await ws.writeFile('/workspace/src/lib/a.ts', 'export const a = 1;\n');
    expect(decode(await ws.readFile('src/lib/a.ts'))).toBe('export const a = 1;\n');
    await ws.writeFile('empty', '');
    expect((await ws.readFile('empty')).byteLength).toBe(0);
    expect(await ws.readdir('.')).toEqual([
      { name: 'bin', type: 'file' },
      { name: 'empty', type: 'file' },
      { name: 'src', type: 'dir' },
    ]);
  });

  test('readFileRange reads the whole file and returns a copy of the part asked for', async () => {
    const ws = await workspace({ 'a.txt': 'abcdef', 'd/x': '' });
    await ws.fs.promises.symlink('a.txt', '/link');
    expect(decode(await ws.readFileRange('a.txt', 0, 3))).toBe('abc');
    expect(decode(await ws.readFileRange('/workspace/a.txt', 4, 10))).toBe('ef');
    expect(decode(await ws.readFileRange('link', 1, 2))).toBe('bc');
    expect((await ws.readFileRange('a.txt', 6, 4)).byteLength).toBe(0);
    const part = await ws.readFileRange('a.txt', 1, 2);
    part[0] = 0x7a;
    expect(decode(await ws.readFile('a.txt'))).toBe('abcdef');
    await expect(ws.readFileRange('d', 0, 1)).rejects.toMatchObject({ code: 'EISDIR' });
    await expect(ws.readFileRange('nope', 0, 1)).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(ws.readFileRange('a.txt', -1, 1)).rejects.toMatchObject({ code: 'EINVAL' });
    await expect(ws.readFileRange('../x', 0, 1)).rejects.toMatchObject({ code: 'EOUTSIDE' });
  });

  test('paging through a large file loads it once, not once per chunk, and a write is seen', async () => {
    const ws = await workspace();
    const lines = Array.from({ length: 40_000 }, (_, i) => `line ${i + 1}`.padEnd(99, '.')).join('\n');
    await ws.writeFile('big.txt', lines);
    const loads: string[] = [];
    const readFile = ws.fs.promises.readFile.bind(ws.fs.promises);
    ws.fs.promises.readFile = ((path: string, options?: FS.ReadFileOptions) => {
      loads.push(path);
      return readFile(path, options);
    }) as typeof ws.fs.promises.readFile;
    const read = tool(createCodingTools(ws), 'read');
    const page = textOf(await runTool(read, { path: 'big.txt', offset: 39_000, limit: 1 }));
    expect(page.startsWith('line 39000.')).toBe(true);
    expect(loads).toEqual(['/big.txt']);
    await ws.writeFile('big.txt', 'changed');
    expect(decode(await ws.readFileRange('big.txt', 0, 100))).toBe('changed');
  });

  test('a custom root is where absolute paths start', async () => {
    const ws = await workspace({ 'a.txt': 'A' }, '/sandbox');
    expect(decode(await ws.readFile('/sandbox/a.txt'))).toBe('A');
    await expect(ws.readFile('/workspace/a.txt')).rejects.toMatchObject({ code: 'EOUTSIDE' });
  });

  test('stat reports UTF-8 byte sizes, types and mtimes', async () => {
    const before = Date.now();
    const ws = await workspace({ 'h.txt': 'héllo €😀', 'd/x': '' });
    const file = await ws.stat('h.txt');
    expect(file).toMatchObject({ type: 'file', size: 1 + 2 + 3 + 1 + 3 + 4 });
    expect(file.mtimeMs).toBeGreaterThanOrEqual(before);
    expect(await ws.stat('d')).toMatchObject({ type: 'dir', size: 0 });
    expect((await ws.stat('d/x')).size).toBe(0);
  });

  test('stored bytes are copies in both directions', async () => {
    const ws = await workspace();
    const input = new Uint8Array([1, 2, 3]);
    const writing = ws.writeFile('x', input);
    input[0] = 9;
    await writing;
    const output = await ws.readFile('x');
    output[1] = 9;
    expect([...(await ws.readFile('x'))]).toEqual([1, 2, 3]);
  });

  test('POSIX error codes', async () => {
    const ws = await workspace({ 'a.txt': 'A', 'dir/b.txt': 'B' });
    await expect(ws.readFile('missing.txt')).rejects.toMatchObject({ code: 'ENOENT', name: 'WorkspaceError' });
    await expect(ws.readFile('dir')).rejects.toMatchObject({ code: 'EISDIR' });
    await expect(ws.readFile('.')).rejects.toMatchObject({ code: 'EISDIR' });
    await expect(ws.readFile('a.txt/x')).rejects.toMatchObject({ code: 'ENOTDIR' });
    await expect(ws.readFile('nope/x')).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(ws.readdir('a.txt')).rejects.toMatchObject({ code: 'ENOTDIR' });
    await expect(ws.readdir('nope')).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(ws.stat('nope')).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(ws.stat('a.txt/x')).rejects.toMatchObject({ code: 'ENOTDIR' });
    await expect(ws.writeFile('new/c.txt', 'C')).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(ws.writeFile('a.txt/c.txt', 'C')).rejects.toMatchObject({ code: 'ENOTDIR' });
    await expect(ws.writeFile('dir', 'C')).rejects.toMatchObject({ code: 'EISDIR' });
    await expect(ws.writeFile('.', 'C')).rejects.toMatchObject({ code: 'EISDIR' });
    const error = await ws.readFile('missing.txt').catch((caught: unknown) => caught);
    expect(String(error)).toContain('ENOENT: no such file or directory: missing.txt');
  });

  test('mkdir', async () => {
    const ws = await workspace({ 'a.txt': 'A' });
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
    await expect(ws.mkdir('a.txt/b')).rejects.toMatchObject({ code: 'ENOTDIR' });
  });

  test('rm', async () => {
    const ws = await workspace({ 'a.txt': 'A', 'full/b/c.txt': 'C', 'full/d.txt': 'D' });
    await ws.mkdir('empty');
    await ws.rm('a.txt');
    await expect(ws.stat('a.txt')).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(ws.rm('a.txt')).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(ws.rm('nope/a.txt')).rejects.toMatchObject({ code: 'ENOENT' });
    await ws.rm('empty');
    await expect(ws.stat('empty')).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(ws.rm('full')).rejects.toMatchObject({ code: 'ENOTEMPTY' });
    await ws.rm('full', { recursive: true });
    expect(await ws.readdir('.')).toEqual([]);
    await expect(ws.rm('.', { recursive: true })).rejects.toMatchObject({ code: 'EINVAL' });
    await expect(ws.rm('/workspace')).rejects.toMatchObject({ code: 'EINVAL' });
  });

  test('every method refuses paths outside the root', async () => {
    const ws = await workspace({ 'a.txt': 'A' });
    for (const path of [...ESCAPES, 'x\0y']) {
      await expect(ws.readFile(path)).rejects.toMatchObject({ code: 'EOUTSIDE' });
      await expect(ws.writeFile(path, 'x')).rejects.toMatchObject({ code: 'EOUTSIDE' });
      await expect(ws.readdir(path)).rejects.toMatchObject({ code: 'EOUTSIDE' });
      await expect(ws.stat(path)).rejects.toMatchObject({ code: 'EOUTSIDE' });
      await expect(ws.mkdir(path)).rejects.toMatchObject({ code: 'EOUTSIDE' });
      await expect(ws.mkdir(path, { recursive: true })).rejects.toMatchObject({ code: 'EOUTSIDE' });
      await expect(ws.rm(path, { recursive: true })).rejects.toMatchObject({ code: 'EOUTSIDE' });
    }
    expect(await ws.readdir('.')).toEqual([{ name: 'a.txt', type: 'file' }]);
    // The filesystem holds nothing but the workspace: no `/etc` was made next to it.
    expect(await ws.fs.promises.readdir('/')).toEqual(['a.txt']);
  });

  test('symlinks are listed as such and followed only inside the root', async () => {
    const ws = await workspace({ 'src/a.txt': 'A', 'src/deep/b.txt': 'B' });
    const links = ws.fs.promises;
    await links.symlink('src', '/rel');
    await links.symlink('/workspace/src/a.txt', '/abs');
    await links.symlink('../a.txt', '/src/deep/up');
    await links.symlink('missing.txt', '/src/dangling');
    await links.symlink('/etc', '/etc-link');
    await links.symlink('../../outside', '/src/escape');
    await links.symlink('loop-b', '/loop-a');
    await links.symlink('loop-a', '/loop-b');

    expect(await ws.readdir('.')).toEqual([
      { name: 'abs', type: 'symlink' },
      { name: 'etc-link', type: 'symlink' },
      { name: 'loop-a', type: 'symlink' },
      { name: 'loop-b', type: 'symlink' },
      { name: 'rel', type: 'symlink' },
      { name: 'src', type: 'dir' },
    ]);
    expect(decode(await ws.readFile('rel/a.txt'))).toBe('A');
    expect(decode(await ws.readFile('rel/deep/b.txt'))).toBe('B');
    expect(decode(await ws.readFile('abs'))).toBe('A');
    expect(decode(await ws.readFile('src/deep/up'))).toBe('A');
    expect(await ws.stat('rel')).toMatchObject({ type: 'dir' });
    expect(await ws.stat('abs')).toMatchObject({ type: 'file', size: 1 });
    expect((await ws.readdir('rel')).map((entry) => entry.name)).toEqual(['a.txt', 'dangling', 'deep', 'escape']);

    // Writes go through a link, as POSIX writes do, even to a target that does not exist yet.
    await ws.writeFile('rel/new.txt', 'N');
    expect(decode(await ws.readFile('src/new.txt'))).toBe('N');
    await ws.writeFile('src/dangling', 'now here');
    expect(decode(await ws.readFile('src/missing.txt'))).toBe('now here');
    await ws.mkdir('rel/made/here', { recursive: true });
    expect((await ws.stat('src/made/here')).type).toBe('dir');
    await expect(ws.mkdir('rel')).rejects.toMatchObject({ code: 'EEXIST' });

    for (const path of ['etc-link', 'etc-link/passwd', 'src/escape', 'src/escape/x']) {
      await expect(ws.readFile(path)).rejects.toMatchObject({ code: 'EOUTSIDE' });
      await expect(ws.writeFile(path, 'x')).rejects.toMatchObject({ code: 'EOUTSIDE' });
      await expect(ws.readdir(path)).rejects.toMatchObject({ code: 'EOUTSIDE' });
      await expect(ws.stat(path)).rejects.toMatchObject({ code: 'EOUTSIDE' });
    }
    await expect(ws.mkdir('etc-link/x', { recursive: true })).rejects.toMatchObject({ code: 'EOUTSIDE' });
    await expect(ws.readFile('loop-a')).rejects.toMatchObject({ code: 'EINVAL' });
    await expect(ws.readFile('etc-link')).rejects.toThrow('through a symlink');

    // Removing a link removes the link, never what it points to, and needs no access to the target.
    await ws.rm('rel');
    await ws.rm('etc-link');
    expect(decode(await ws.readFile('src/a.txt'))).toBe('A');
    await ws.rm('src', { recursive: true });
    expect(await ws.stat('src').catch((error: unknown) => error)).toMatchObject({ code: 'ENOENT' });
    await expect(ws.readFile('abs')).rejects.toMatchObject({ code: 'ENOENT' });
  });

  test('files persist: another instance with the same name sees them, wipe starts afresh', async () => {
    const name = freshName();
    const first = new LightningFsWorkspace(name);
    await first.mkdir('notes');
    await first.writeFile('notes/hello.md', '# Hello\n');

    const second = new LightningFsWorkspace(name);
    expect(await second.readdir('.')).toEqual([{ name: 'notes', type: 'dir' }]);
    expect(decode(await second.readFile('notes/hello.md'))).toBe('# Hello\n');
    await second.rm('notes', { recursive: true });

    const third = new LightningFsWorkspace(name);
    expect(await third.readdir('.')).toEqual([]);
    await third.writeFile('kept.txt', 'K');
    // A wiping instance steals the database lock; wait until the last one goes idle and lets go of it,
    // as another tab would, or its lock request fails.
    await new Promise((resolve) => setTimeout(resolve, 800));

    const wiped = new LightningFsWorkspace(name, { wipe: true });
    expect(await wiped.readdir('.')).toEqual([]);
  });

  test('uses a LightningFS instance it is given', async () => {
    const fs = new FS(freshName());
    await fs.promises.writeFile('/shared.txt', 'from elsewhere');
    const ws = new LightningFsWorkspace('ignored', { fs });
    expect(ws.fs).toBe(fs);
    expect(decode(await ws.readFile('shared.txt'))).toBe('from elsewhere');
  });

  test('the coding tools work on it, and bash is left out', async () => {
    const ws = await workspace({
      'README.md': '# Demo\nUse TODO markers.\n',
      'src/main.ts': 'export const answer = 41;\n// TODO: fix the answer\n',
      'src/lib/util.ts': 'export function util() {\n  return 1;\n}\n',
      '.gitignore': 'dist/\n',
      'dist/bundle.js': 'TODO bundled\n',
    });
    const tools = createCodingTools(ws);
    expect(tools.map((candidate) => candidate.name)).toEqual(['read', 'write', 'edit', 'ls', 'find', 'grep']);
    expect(createCodingTools(ws, { tools: ['bash'] })).toEqual([]);

    expect(textOf(await runTool(tool(tools, 'ls'), {}))).toBe('.gitignore\ndist/\nREADME.md\nsrc/');
    expect(textOf(await runTool(tool(tools, 'read'), { path: 'README.md' }))).toContain('Use TODO markers.');

    const written = await runTool(tool(tools, 'write'), { path: 'notes/plan.md', content: '- fix the answer\n' });
    expect(textOf(written)).toBe('Wrote 17 bytes to notes/plan.md (new file)');
    expect(decode(await ws.readFile('notes/plan.md'))).toBe('- fix the answer\n');

    await runTool(tool(tools, 'edit'), { path: '/workspace/src/main.ts', oldText: '41', newText: '42' });
    expect(decode(await ws.readFile('src/main.ts'))).toContain('answer = 42;');

    const found = textOf(await runTool(tool(tools, 'find'), { pattern: '**/*.ts' }));
    expect(found.split('\n')).toEqual(['src/lib/util.ts', 'src/main.ts']);

    const grep = textOf(await runTool(tool(tools, 'grep'), { pattern: 'TODO' }));
    expect(grep).toContain('README.md:2:');
    expect(grep).toContain('src/main.ts:2:');
    expect(grep).not.toContain('dist/');

    await expect(runTool(tool(tools, 'read'), { path: '../etc/passwd' })).rejects.toThrow('outside the workspace root');
  });
});
