import { mkdir, readdir, readFile, realpath, stat, symlink, truncate, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { NodeWorkspace } from '../../adapters/node/index.js';
import { createCodingTools } from '../../src/index.js';
import { WorkspaceError } from '../../src/tools/types.js';
import { runTool, textOf } from '../tools/run-tool.js';
import {
  eventually,
  isRunning,
  killQuietly,
  liveGroupMembers,
  makeTempDir,
  readPids,
  removeDir,
} from './exec-helpers.js';

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(WorkspaceError);
    return (error as WorkspaceError).code;
  }
  return undefined;
}

let dir: string;
let outside: string;
let ws: NodeWorkspace;
let leftovers: number[];

beforeEach(async () => {
  dir = await makeTempDir('nw');
  outside = await makeTempDir('nw-outside');
  ws = new NodeWorkspace(dir);
  leftovers = [];
});

afterEach(async () => {
  killQuietly(leftovers);
  await removeDir(dir);
  await removeDir(outside);
});

describe('NodeWorkspace files', () => {
  test('root is the absolute resolved path', () => {
    expect(ws.root).toBe(resolve(dir));
    expect(new NodeWorkspace('.').root).toBe(process.cwd());
  });

  test('writes and reads strings and bytes as plain Uint8Arrays', async () => {
    await ws.writeFile('a.txt', 'héllo');
    await ws.writeFile('b.bin', new Uint8Array([0, 1, 255]));
    const a = await ws.readFile('a.txt');
    expect(text(a)).toBe('héllo');
    expect(Buffer.isBuffer(a)).toBe(false);
    expect([...(await ws.readFile('b.bin'))]).toEqual([0, 1, 255]);
    expect(await readFile(join(dir, 'a.txt'), 'utf8')).toBe('héllo');
    expect(text(await ws.readFile(`${dir}/a.txt`))).toBe('héllo');
  });

  test('file errors use the MemoryWorkspace codes', async () => {
    await ws.writeFile('file', 'F');
    await ws.mkdir('dir');
    expect(await codeOf(ws.readFile('missing'))).toBe('ENOENT');
    expect(await codeOf(ws.readFile('dir'))).toBe('EISDIR');
    expect(await codeOf(ws.readFile('file/inner'))).toBe('ENOTDIR');
    expect(await codeOf(ws.writeFile('no/parent.txt', 'x'))).toBe('ENOENT');
    expect(await codeOf(ws.writeFile('dir', 'x'))).toBe('EISDIR');
    expect(await codeOf(ws.writeFile('.', 'x'))).toBe('EISDIR');
    expect(await codeOf(ws.writeFile('file/inner', 'x'))).toBe('ENOTDIR');
  });

  test('readdir lists sorted entries with their types, links as symlink', async () => {
    await ws.writeFile('b.txt', 'B');
    await ws.mkdir('a-dir');
    await symlink('b.txt', join(dir, 'c-link'));
    expect(await ws.readdir('.')).toEqual([
      { name: 'a-dir', type: 'dir' },
      { name: 'b.txt', type: 'file' },
      { name: 'c-link', type: 'symlink' },
    ]);
    expect(await ws.readdir('a-dir')).toEqual([]);
    expect(await codeOf(ws.readdir('b.txt'))).toBe('ENOTDIR');
    expect(await codeOf(ws.readdir('nope'))).toBe('ENOENT');
  });

  test('stat reports type, size and mtime, following links inside', async () => {
    await ws.writeFile('f.txt', '12345');
    await ws.mkdir('d');
    await symlink('f.txt', join(dir, 'link'));
    const file = await ws.stat('f.txt');
    expect(file.type).toBe('file');
    expect(file.size).toBe(5);
    expect(file.mtimeMs).toBe((await stat(join(dir, 'f.txt'))).mtimeMs);
    expect(await ws.stat('d')).toMatchObject({ type: 'dir', size: 0 });
    expect(await ws.stat('link')).toMatchObject({ type: 'file', size: 5 });
    expect(await codeOf(ws.stat('missing'))).toBe('ENOENT');
  });

  test('mkdir: plain, existing, missing parent, recursive, through and onto a file', async () => {
    await ws.mkdir('one');
    expect((await stat(join(dir, 'one'))).isDirectory()).toBe(true);
    expect(await codeOf(ws.mkdir('one'))).toBe('EEXIST');
    expect(await codeOf(ws.mkdir('.'))).toBe('EEXIST');
    expect(await codeOf(ws.mkdir('x/y'))).toBe('ENOENT');
    await ws.mkdir('x/y/z', { recursive: true });
    expect((await stat(join(dir, 'x/y/z'))).isDirectory()).toBe(true);
    await ws.mkdir('x/y', { recursive: true });
    await ws.writeFile('file', 'F');
    expect(await codeOf(ws.mkdir('file', { recursive: true }))).toBe('EEXIST');
    expect(await codeOf(ws.mkdir('file/sub', { recursive: true }))).toBe('ENOTDIR');
  });

  test('rm: file, empty dir, non-empty dir, recursive, missing, root', async () => {
    await ws.writeFile('f', 'F');
    await ws.mkdir('empty');
    await ws.mkdir('full/deep', { recursive: true });
    await ws.writeFile('full/deep/x', 'X');
    await ws.rm('f');
    await ws.rm('empty');
    expect(await codeOf(ws.rm('full'))).toBe('ENOTEMPTY');
    await ws.rm('full', { recursive: true });
    expect(await ws.readdir('.')).toEqual([]);
    expect(await codeOf(ws.rm('missing'))).toBe('ENOENT');
    expect(await codeOf(ws.rm('.'))).toBe('EINVAL');
    expect(await codeOf(ws.rm('.', { recursive: true }))).toBe('EINVAL');
    expect((await stat(dir)).isDirectory()).toBe(true);
  });

  test('rm of a symlink removes the link, not its target', async () => {
    await ws.mkdir('target');
    await ws.writeFile('target/keep', 'K');
    await symlink('target', join(dir, 'link'));
    await ws.rm('link', { recursive: true });
    expect(await ws.readdir('.')).toEqual([{ name: 'target', type: 'dir' }]);
    expect(text(await ws.readFile('target/keep'))).toBe('K');
  });
});

describe('NodeWorkspace ranges', () => {
  test('readFileRange reads part of a file from disk, shorter at its end', async () => {
    await writeFile(join(dir, 'a.txt'), 'abcdef');
    await mkdir(join(dir, 'd'));
    await writeFile(join(outside, 'secret'), 'SECRET');
    await symlink(join(outside, 'secret'), join(dir, 'out'));
    expect(text(await ws.readFileRange('a.txt', 1, 3))).toBe('bcd');
    expect(text(await ws.readFileRange(join(dir, 'a.txt'), 4, 100))).toBe('ef');
    expect((await ws.readFileRange('a.txt', 6, 1)).byteLength).toBe(0);
    expect((await ws.readFileRange('a.txt', 1000, 1)).byteLength).toBe(0);
    expect(Buffer.isBuffer(await ws.readFileRange('a.txt', 0, 2))).toBe(false);
    expect(await codeOf(ws.readFileRange('d', 0, 1))).toBe('EISDIR');
    expect(await codeOf(ws.readFileRange('.', 0, 1))).toBe('EISDIR');
    expect(await codeOf(ws.readFileRange('nope', 0, 1))).toBe('ENOENT');
    expect(await codeOf(ws.readFileRange('out', 0, 1))).toBe('EOUTSIDE');
    expect(await codeOf(ws.readFileRange('a.txt', -1, 1))).toBe('EINVAL');
    expect(await codeOf(ws.readFileRange('a.txt', 0, 0.5))).toBe('EINVAL');
  });

  test('read pages a 1.9 GB sparse file through small ranges, never reading it whole', async () => {
    const path = join(dir, 'sparse.log');
    const head = Array.from({ length: 3000 }, (_, i) => `line ${i + 1}`).join('\n');
    await writeFile(path, `${head}\n`);
    await truncate(path, 1900 * 1024 * 1024);
    const ranges: number[] = [];
    const readFileRange = ws.readFileRange?.bind(ws);
    ws.readFile = async () => {
      throw new Error('readFile loads the whole file');
    };
    if (readFileRange) {
      ws.readFileRange = (file, offset, length) => {
        ranges.push(length);
        return readFileRange(file, offset, length);
      };
    }
    const read = createCodingTools(ws).find((tool) => tool.name === 'read');
    if (!read) throw new Error('no read tool');
    const page = textOf(await runTool(read, { path: 'sparse.log', offset: 2500, limit: 2 }));
    expect(page).toBe(
      'line 2500\nline 2501\n\n[Showing lines 2500-2501 of a 1900 MB file; more lines follow. Use offset=2502 to continue.]',
    );
    expect(Math.max(...ranges)).toBeLessThanOrEqual(1024 * 1024);
  });
});

describe('NodeWorkspace confinement', () => {
  test('lexical escapes are refused by every method', async () => {
    for (const path of ['../x', '/etc/passwd', 'a/../../x', `${dir}/../x`]) {
      expect(await codeOf(ws.readFile(path))).toBe('EOUTSIDE');
      expect(await codeOf(ws.writeFile(path, 'x'))).toBe('EOUTSIDE');
      expect(await codeOf(ws.readdir(path))).toBe('EOUTSIDE');
      expect(await codeOf(ws.stat(path))).toBe('EOUTSIDE');
      expect(await codeOf(ws.mkdir(path))).toBe('EOUTSIDE');
      expect(await codeOf(ws.rm(path))).toBe('EOUTSIDE');
      expect(await codeOf(ws.exec('true', { cwd: path }))).toBe('EOUTSIDE');
    }
  });

  test('symlinks to /etc and /etc/passwd cannot be read, listed or statted', async () => {
    await symlink('/etc', join(dir, 'etc'));
    await symlink('/etc/passwd', join(dir, 'passwd'));
    await ws.mkdir('sub');
    await symlink('../../../../../../../../etc', join(dir, 'sub/up'));
    expect(await codeOf(ws.readFile('passwd'))).toBe('EOUTSIDE');
    expect(await codeOf(ws.readFile('etc/passwd'))).toBe('EOUTSIDE');
    expect(await codeOf(ws.readFile('sub/up/passwd'))).toBe('EOUTSIDE');
    expect(await codeOf(ws.readdir('etc'))).toBe('EOUTSIDE');
    expect(await codeOf(ws.stat('etc'))).toBe('EOUTSIDE');
    expect(await codeOf(ws.stat('passwd'))).toBe('EOUTSIDE');
    expect(await codeOf(ws.stat('etc/passwd'))).toBe('EOUTSIDE');
    expect(await codeOf(ws.exec('pwd', { cwd: 'etc' }))).toBe('EOUTSIDE');
    // The links themselves are listed, never followed, so ls and find stay inside.
    expect(await ws.readdir('.')).toEqual([
      { name: 'etc', type: 'symlink' },
      { name: 'passwd', type: 'symlink' },
      { name: 'sub', type: 'dir' },
    ]);
  });

  test('writes through links that leave the root are refused and change nothing outside', async () => {
    await writeFile(join(outside, 'victim.txt'), 'original');
    await symlink(outside, join(dir, 'out-dir'));
    await symlink(join(outside, 'victim.txt'), join(dir, 'out-file'));
    await symlink(join(outside, 'created-by-dangling-link.txt'), join(dir, 'dangling'));
    expect(await codeOf(ws.writeFile('out-dir/new.txt', 'pwned'))).toBe('EOUTSIDE');
    expect(await codeOf(ws.writeFile('out-dir/victim.txt', 'pwned'))).toBe('EOUTSIDE');
    expect(await codeOf(ws.writeFile('out-file', 'pwned'))).toBe('EOUTSIDE');
    expect(await codeOf(ws.writeFile('dangling', 'pwned'))).toBe('EOUTSIDE');
    expect(await codeOf(ws.mkdir('out-dir/new-dir'))).toBe('EOUTSIDE');
    expect(await codeOf(ws.mkdir('out-dir/a/b', { recursive: true }))).toBe('EOUTSIDE');
    expect(await codeOf(ws.rm('out-dir/victim.txt'))).toBe('EOUTSIDE');
    expect(await readFile(join(outside, 'victim.txt'), 'utf8')).toBe('original');
    expect((await readdir(outside)).sort()).toEqual(['victim.txt']);
    // Removing the link itself is fine and leaves the target alone.
    await ws.rm('out-dir');
    expect(await readFile(join(outside, 'victim.txt'), 'utf8')).toBe('original');
  });

  test('symlinks that stay inside work for every method', async () => {
    await ws.mkdir('real/nested', { recursive: true });
    await ws.writeFile('real/f.txt', 'inside');
    await symlink('real', join(dir, 'alias'));
    await symlink(join(dir, 'real/f.txt'), join(dir, 'abs-link'));
    await symlink('real/new.txt', join(dir, 'dangling-inside'));
    expect(text(await ws.readFile('alias/f.txt'))).toBe('inside');
    expect(text(await ws.readFile('abs-link'))).toBe('inside');
    await ws.writeFile('alias/g.txt', 'via link');
    expect(await readFile(join(dir, 'real/g.txt'), 'utf8')).toBe('via link');
    await ws.writeFile('dangling-inside', 'made');
    expect(await readFile(join(dir, 'real/new.txt'), 'utf8')).toBe('made');
    expect((await ws.readdir('alias')).map((entry) => entry.name)).toEqual(['f.txt', 'g.txt', 'nested', 'new.txt']);
    expect((await ws.stat('alias')).type).toBe('dir');
    await ws.mkdir('alias/more');
    await ws.rm('alias/more');
    expect((await ws.exec('pwd', { cwd: 'alias/nested' })).output).toBe(`${await realpath(dir)}/real/nested\n`);
  });

  test('a root given through a symlink is resolved, and links to its real path count as inside', async () => {
    await mkdir(join(outside, 'project'));
    await writeFile(join(outside, 'project/x.txt'), 'X');
    await symlink(join(outside, 'project'), join(dir, 'project-link'));
    const linked = new NodeWorkspace(join(dir, 'project-link'));
    expect(linked.root).toBe(join(dir, 'project-link'));
    expect(text(await linked.readFile('x.txt'))).toBe('X');
    await symlink(join(outside, 'project/x.txt'), join(outside, 'project/x-link'));
    expect(text(await linked.readFile('x-link'))).toBe('X');
  });

  test('allowOutside trusts links but still refuses lexical escapes', async () => {
    await writeFile(join(outside, 'shared.txt'), 'shared');
    await symlink(outside, join(dir, 'shared'));
    const trusting = new NodeWorkspace(dir, { allowOutside: true });
    expect(text(await trusting.readFile('shared/shared.txt'))).toBe('shared');
    expect(await codeOf(trusting.readFile('../x'))).toBe('EOUTSIDE');
  });

  test('a missing root fails with ENOENT', async () => {
    const missing = new NodeWorkspace(join(dir, 'does-not-exist'));
    expect(await codeOf(missing.readdir('.'))).toBe('ENOENT');
  });
});

describe('NodeWorkspace exec', () => {
  test('streams interleaved output and reports the exit code', async () => {
    const chunks: string[] = [];
    const result = await ws.exec('echo one; sleep 0.2; echo two >&2; exit 3', {
      onOutput: (chunk) => chunks.push(chunk),
    });
    expect(result).toEqual({ exitCode: 3, output: 'one\ntwo\n', timedOut: false });
    expect(chunks).toEqual(['one\n', 'two\n']);
  });

  test('runs in the root or a confined cwd, with the extra environment', async () => {
    await ws.mkdir('sub');
    await ws.writeFile('file', 'F');
    const real = await realpath(dir);
    expect((await ws.exec('pwd', {})).output).toBe(`${real}\n`);
    expect((await ws.exec('pwd', { cwd: 'sub' })).output).toBe(`${real}/sub\n`);
    expect(await codeOf(ws.exec('pwd', { cwd: 'file' }))).toBe('ENOTDIR');
    expect(await codeOf(ws.exec('pwd', { cwd: 'missing' }))).toBe('ENOENT');
    const withEnv = new NodeWorkspace(dir, { env: { QCORE_TEST_VALUE: 'v42' } });
    expect((await withEnv.exec('echo "$QCORE_TEST_VALUE"', {})).output).toBe('v42\n');
  });

  test('decodes UTF-8 split across chunks', async () => {
    const chunks: string[] = [];
    const result = await ws.exec("printf '\\xc3'; sleep 0.2; printf '\\xa9\\n'", {
      onOutput: (chunk) => chunks.push(chunk),
    });
    expect(result.output).toBe('é\n');
    expect(chunks.join('')).toBe('é\n');
    expect(chunks.some((chunk) => chunk.includes('\uFFFD'))).toBe(false);
  });

  test('a timeout kills the whole process group', async () => {
    const started = Date.now();
    const pending = ws.exec('echo $$ > pids; sleep 300 & echo $! >> pids; sleep 300; wait', { timeoutMs: 500 });
    const pids = await readPids(join(dir, 'pids'), 2);
    leftovers.push(...pids, -(pids[0] ?? 0));
    expect(pids).toHaveLength(2);
    const result = await pending;
    expect(result).toEqual({ exitCode: null, output: '', timedOut: true });
    expect(Date.now() - started).toBeLessThan(4000);
    const [shell = 0, background = 0] = pids;
    expect(await eventually(() => liveGroupMembers(shell).length === 0)).toBe(true);
    expect(isRunning(background)).toBe(false);
  });

  test('an abort kills the whole process group', async () => {
    const abort = new AbortController();
    const pending = ws.exec('echo $$ > pids; sleep 300 & echo $! >> pids; echo started; sleep 300; wait', {
      signal: abort.signal,
    });
    const pids = await readPids(join(dir, 'pids'), 2);
    leftovers.push(...pids, -(pids[0] ?? 0));
    abort.abort();
    const result = await pending;
    expect(result.exitCode).toBeNull();
    expect(result.timedOut).toBe(false);
    expect(result.output).toBe('started\n');
    const [shell = 0, background = 0] = pids;
    expect(await eventually(() => liveGroupMembers(shell).length === 0)).toBe(true);
    expect(isRunning(background)).toBe(false);
  });

  test('an already aborted signal runs nothing', async () => {
    const abort = new AbortController();
    abort.abort();
    const result = await ws.exec('touch ran', { signal: abort.signal });
    expect(result).toEqual({ exitCode: null, output: '', timedOut: false });
    expect(await codeOf(ws.stat('ran'))).toBe('ENOENT');
  });

  test('a SIGTERM-proof child is killed with SIGKILL after the grace period', async () => {
    const pending = ws.exec("trap '' TERM; echo $$ > pids; sleep 300 & echo $! >> pids; wait", { timeoutMs: 300 });
    const pids = await readPids(join(dir, 'pids'), 2);
    leftovers.push(...pids, -(pids[0] ?? 0));
    const result = await pending;
    expect(result.timedOut).toBe(true);
    expect(result.exitCode).toBeNull();
    const [shell = 0] = pids;
    expect(await eventually(() => liveGroupMembers(shell).length === 0, 5000)).toBe(true);
  });

  test('large output keeps the tail, is marked truncated and does not hang', async () => {
    let streamed = 0;
    const result = await ws.exec('yes | head -c 5000000', {
      onOutput: (chunk) => {
        streamed += chunk.length;
      },
    });
    expect(result.exitCode).toBe(0);
    expect(result.truncated).toBe(true);
    expect(Buffer.byteLength(result.output)).toBe(1024 * 1024);
    expect(result.output.endsWith('y\ny\n')).toBe(true);
    expect(streamed).toBe(5_000_000);
    const small = new NodeWorkspace(dir, { maxOutputBytes: 10 });
    const tail = await small.exec("printf 'abcdefghijklmnopqrstuvwxyz'", {});
    expect(tail).toEqual({ exitCode: 0, output: 'qrstuvwxyz', timedOut: false, truncated: true });
  });

  test('a background job holding the pipe does not hold up the result', async () => {
    const started = Date.now();
    const result = await ws.exec('sleep 30 & echo $! > bg.pid; echo done', {});
    const [background = 0] = await readPids(join(dir, 'bg.pid'), 1);
    leftovers.push(background);
    expect(result).toEqual({ exitCode: 0, output: 'done\n', timedOut: false });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  test('a missing shell rejects', async () => {
    const broken = new NodeWorkspace(dir, { shell: join(dir, 'no-such-shell') });
    await expect(broken.exec('true', {})).rejects.toThrow(/ENOENT/);
  });
});

describe('createCodingTools(new NodeWorkspace(dir))', () => {
  test('read, write, edit, grep and bash work on real files', async () => {
    const tools = createCodingTools(new NodeWorkspace(dir));
    expect(tools.map((tool) => tool.name)).toEqual(['read', 'write', 'edit', 'ls', 'find', 'grep', 'bash']);
    const tool = (name: string) => {
      const found = tools.find((candidate) => candidate.name === name);
      if (!found) throw new Error(`no ${name} tool`);
      return found;
    };

    await runTool(tool('write'), { path: 'src/app.ts', content: 'const answer = 41;\n' });
    expect(await readFile(join(dir, 'src/app.ts'), 'utf8')).toBe('const answer = 41;\n');
    await runTool(tool('edit'), { path: 'src/app.ts', oldText: '41', newText: '42' });
    expect(await readFile(join(dir, 'src/app.ts'), 'utf8')).toBe('const answer = 42;\n');
    expect(textOf(await runTool(tool('read'), { path: `${dir}/src/app.ts` }))).toContain('const answer = 42;');
    expect(textOf(await runTool(tool('grep'), { pattern: 'answer' }))).toContain('src/app.ts:1: const answer = 42;');
    const bash = await runTool(tool('bash'), { command: 'cat src/app.ts && echo made > out.txt' });
    expect(textOf(bash)).toBe('const answer = 42;');
    expect(bash.isError).toBe(false);
    expect(await readFile(join(dir, 'out.txt'), 'utf8')).toBe('made\n');
    await expect(runTool(tool('read'), { path: '../escape' })).rejects.toThrow('outside the workspace root');
  });

  test('a Workspace is passed through as it is', () => {
    const tools = createCodingTools(ws, { tools: ['read', 'bash'] });
    expect(tools.map((tool) => tool.name)).toEqual(['read', 'bash']);
  });
});
