import { readFile, realpath, symlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { createExecApp, type ExecServer, startExecServer } from '../../adapters/node/server.js';
import { createCodingTools } from '../../src/tools/coding-tools.js';
import { MemoryWorkspace } from '../../src/tools/memory-workspace.js';
import { RemoteWorkspace } from '../../src/tools/remote-workspace.js';
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

const TOKEN = 'remote-test-token';
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

let dir: string;
let server: ExecServer;
let remote: RemoteWorkspace;
const leftovers: number[] = [];

beforeAll(async () => {
  dir = await makeTempDir('remote');
  server = await startExecServer({ root: dir, token: TOKEN, maxBodyBytes: 64 * 1024 });
  remote = new RemoteWorkspace(server.url, TOKEN);
});

afterAll(async () => {
  await server.close();
  await removeDir(dir);
});

afterEach(() => {
  killQuietly(leftovers.splice(0));
});

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(WorkspaceError);
    return (error as WorkspaceError).code;
  }
  return undefined;
}

describe('RemoteWorkspace files', () => {
  test('roots: /remote by default, the server root after connect()', async () => {
    expect(remote.root).toBe('/remote');
    expect(new RemoteWorkspace(`${server.url}/`, TOKEN, { root: '/srv' }).root).toBe('/srv');
    const connected = await RemoteWorkspace.connect(server.url, TOKEN);
    expect(connected.root).toBe(resolve(dir));
    expect(typeof connected.exec).toBe('function');
    expect(await connected.health()).toEqual({ ok: true, root: resolve(dir), exec: true });
  });

  test('every method works against the server, by relative or absolute path', async () => {
    await remote.mkdir('proj');
    await remote.writeFile('proj/a.txt', 'héllo');
    await remote.writeFile('/remote/proj/b.bin', new Uint8Array([0, 1, 255]));
    expect(await readFile(join(dir, 'proj/a.txt'), 'utf8')).toBe('héllo');
    expect(text(await remote.readFile('/remote/proj/a.txt'))).toBe('héllo');
    expect([...(await remote.readFile('proj/b.bin'))]).toEqual([0, 1, 255]);
    await remote.mkdir('proj/x/y', { recursive: true });
    await symlink('a.txt', join(dir, 'proj/link'));
    expect(await remote.readdir('proj')).toEqual([
      { name: 'a.txt', type: 'file' },
      { name: 'b.bin', type: 'file' },
      { name: 'link', type: 'symlink' },
      { name: 'x', type: 'dir' },
    ]);
    const stat = await remote.stat('proj/a.txt');
    expect(stat).toMatchObject({ type: 'file', size: 6 });
    expect(stat.mtimeMs).toBeGreaterThan(0);
    expect(await remote.stat('proj/x')).toMatchObject({ type: 'dir', size: 0 });
    await remote.rm('proj/b.bin');
    await remote.rm('proj/x', { recursive: true });
    expect((await remote.readdir('proj')).map((entry) => entry.name)).toEqual(['a.txt', 'link']);
    await remote.rm('proj', { recursive: true });
    expect(await codeOf(remote.stat('proj'))).toBe('ENOENT');
  });

  test('server errors come back as WorkspaceErrors with the same codes', async () => {
    await remote.mkdir('errs');
    await remote.writeFile('errs/f', 'F');
    expect(await codeOf(remote.readFile('errs/missing'))).toBe('ENOENT');
    expect(await codeOf(remote.readFile('errs'))).toBe('EISDIR');
    expect(await codeOf(remote.readdir('errs/f'))).toBe('ENOTDIR');
    expect(await codeOf(remote.mkdir('errs'))).toBe('EEXIST');
    expect(await codeOf(remote.rm('errs'))).toBe('ENOTEMPTY');
    expect(await codeOf(remote.writeFile('errs/no/parent', 'x'))).toBe('ENOENT');
    expect(await codeOf(remote.rm('.'))).toBe('EINVAL');
    await symlink('/etc', join(dir, 'errs/etc'));
    expect(await codeOf(remote.readFile('errs/etc/passwd'))).toBe('EOUTSIDE');
    expect(await codeOf(remote.readdir('errs/etc'))).toBe('EOUTSIDE');
    const tooBig = await codeOf(remote.writeFile('errs/big', new Uint8Array(100 * 1024)));
    expect(tooBig).toBe('EINVAL');
    await expect(remote.writeFile('errs/big', new Uint8Array(100 * 1024))).rejects.toThrow('larger than 65536 bytes');
  });

  test('readFileRange asks the server for just that part', async () => {
    await remote.writeFile('range.txt', 'abcdef');
    expect(text(await remote.readFileRange('range.txt', 1, 3))).toBe('bcd');
    expect(text(await remote.readFileRange('/remote/range.txt', 4, 10))).toBe('ef');
    expect((await remote.readFileRange('range.txt', 6, 1)).byteLength).toBe(0);
    expect(await codeOf(remote.readFileRange('range.txt', -1, 1))).toBe('EINVAL');
    expect(await codeOf(remote.readFileRange('missing.txt', 0, 1))).toBe('ENOENT');
    await remote.rm('range.txt');

    // The server hands the range to a workspace that can read one, and never reads the file whole.
    const wholeReads: string[] = [];
    class Counting extends MemoryWorkspace {
      override readFile(path: string): Promise<Uint8Array> {
        wholeReads.push(path);
        return super.readFile(path);
      }
    }
    const app = createExecApp({ workspace: new Counting({ 'big.txt': 'x'.repeat(1000) }), token: TOKEN });
    const client = new RemoteWorkspace('http://127.0.0.1', TOKEN, {
      fetch: async (url, init) => app.fetch(new Request(url, init)),
    });
    expect((await client.readFileRange('big.txt', 10, 20)).byteLength).toBe(20);
    expect(wholeReads).toEqual([]);
    const raw = (body: object) =>
      app.fetch(
        new Request('http://127.0.0.1/v1/fs/read', {
          method: 'POST',
          headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
          body: JSON.stringify(body),
        }),
      );
    for (const bad of [{ offset: -1, length: 1 }, { offset: 0 }, { offset: 0, length: '5' }, { length: 1.5 }]) {
      const response = await raw({ path: 'big.txt', ...bad });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error: { code: 'EINVAL' } });
    }
    // Without a range the whole file still comes back, as before.
    expect((await (await raw({ path: 'big.txt' })).arrayBuffer()).byteLength).toBe(1000);
  });

  test('escapes are refused locally without a request', async () => {
    const requests: string[] = [];
    const counting = new RemoteWorkspace(server.url, TOKEN, {
      fetch: (url, init) => {
        requests.push(url);
        return fetch(url, init);
      },
    });
    for (const path of ['../x', '/etc/passwd', '/remote/../x']) {
      expect(await codeOf(counting.readFile(path))).toBe('EOUTSIDE');
      expect(await codeOf(counting.writeFile(path, 'x'))).toBe('EOUTSIDE');
    }
    expect(await codeOf(counting.exec!('pwd', { cwd: '../' }))).toBe('EOUTSIDE');
    expect(requests).toEqual([]);
    await counting.stat('.');
    expect(requests).toEqual([`${server.url}/v1/fs/stat`]);
  });

  test('a wrong token is EACCES, naming the cause', async () => {
    const wrong = new RemoteWorkspace(server.url, 'not-the-token');
    expect(await codeOf(wrong.readFile('x'))).toBe('EACCES');
    await expect(wrong.stat('.')).rejects.toThrow('bearer token');
    await expect(RemoteWorkspace.connect(server.url, 'not-the-token')).rejects.toThrow('bearer token');
  });

  test('connect() to a workspace without a shell gives no exec and no bash tool', async () => {
    const app = createExecApp({
      workspace: new MemoryWorkspace({ 'm.txt': 'mem' }, { root: '/mem' }),
      token: TOKEN,
      allowedHosts: ['in-process'],
    });
    const viaApp = await RemoteWorkspace.connect('http://in-process', TOKEN, {
      fetch: async (url, init) => app.request(url, init),
    });
    expect(viaApp.root).toBe('/mem');
    expect(viaApp.exec).toBeUndefined();
    expect(text(await viaApp.readFile('/mem/m.txt'))).toBe('mem');
    expect(createCodingTools(viaApp).map((tool) => tool.name)).not.toContain('bash');
  });
});

describe('RemoteWorkspace exec', () => {
  test('streams onOutput as the output arrives and returns the result', async () => {
    const started = Date.now();
    const chunks: { data: string; at: number }[] = [];
    const result = await remote.exec!('echo first; sleep 0.6; echo second >&2; exit 2', {
      onOutput: (data) => chunks.push({ data, at: Date.now() - started }),
    });
    expect(result).toEqual({ exitCode: 2, output: 'first\nsecond\n', timedOut: false });
    expect(chunks.map((chunk) => chunk.data)).toEqual(['first\n', 'second\n']);
    expect(chunks[1]!.at - chunks[0]!.at).toBeGreaterThan(400);
  });

  test('cwd goes through the client root; a server-side timeout is reported', async () => {
    await remote.mkdir('run', { recursive: true });
    const pwd = await remote.exec!('pwd', { cwd: '/remote/run' });
    expect(pwd.output).toBe(`${await realpath(dir)}/run\n`);
    expect(await codeOf(remote.exec!('pwd', { cwd: 'run/missing' }))).toBe('ENOENT');
    const slow = await remote.exec!('sleep 30', { timeoutMs: 300 });
    expect(slow).toEqual({ exitCode: null, output: '', timedOut: true });
  });

  test('large output arrives as the server-side tail, marked truncated', async () => {
    const result = await remote.exec!('yes | head -c 3000000', {});
    expect(result.exitCode).toBe(0);
    expect(result.truncated).toBe(true);
    expect(result.output.length).toBe(1024 * 1024);
  });

  test('abort cancels the request and the server kills the process group', async () => {
    const abort = new AbortController();
    const chunks: string[] = [];
    const pending = remote.exec!('echo $$ > remote-pids; sleep 300 & echo $! >> remote-pids; echo started; sleep 300', {
      signal: abort.signal,
      onOutput: (data) => {
        chunks.push(data);
        abort.abort();
      },
    });
    const result = await pending;
    expect(result).toEqual({ exitCode: null, output: 'started\n', timedOut: false });
    expect(chunks).toEqual(['started\n']);
    const pids = await readPids(join(dir, 'remote-pids'), 2);
    leftovers.push(...pids, -(pids[0] ?? 0));
    const [shell = 0, background = 0] = pids;
    expect(await eventually(() => liveGroupMembers(shell).length === 0)).toBe(true);
    expect(isRunning(background)).toBe(false);
  });

  test('a throwing onOutput rejects and still stops the command on the server', async () => {
    const pending = remote.exec!('echo $$ > throw-pids; sleep 300 & echo $! >> throw-pids; echo go; sleep 300', {
      onOutput: () => {
        throw new Error('listener broke');
      },
    });
    await expect(pending).rejects.toThrow('listener broke');
    const pids = await readPids(join(dir, 'throw-pids'), 2);
    leftovers.push(...pids, -(pids[0] ?? 0));
    const [shell = 0, background = 0] = pids;
    expect(await eventually(() => liveGroupMembers(shell).length === 0)).toBe(true);
    expect(isRunning(background)).toBe(false);
  });

  test('an already aborted signal sends nothing', async () => {
    const abort = new AbortController();
    abort.abort();
    const result = await remote.exec!('touch remote-ran', { signal: abort.signal });
    expect(result).toEqual({ exitCode: null, output: '', timedOut: false });
    await expect(readFile(join(dir, 'remote-ran'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('coding tools over RemoteWorkspace', () => {
  test('bash, read, write, edit, ls and grep run on the server', async () => {
    const connected = await RemoteWorkspace.connect(server.url, TOKEN);
    const tools = createCodingTools(connected);
    expect(tools.map((tool) => tool.name)).toEqual(['read', 'write', 'edit', 'ls', 'find', 'grep', 'bash']);
    const tool = (name: string) => {
      const found = tools.find((candidate) => candidate.name === name);
      if (!found) throw new Error(`no ${name} tool`);
      return found;
    };

    await runTool(tool('write'), { path: 'tools/notes.md', content: 'alpha\nbeta\n' });
    expect(await readFile(join(dir, 'tools/notes.md'), 'utf8')).toBe('alpha\nbeta\n');
    await runTool(tool('edit'), { path: `${resolve(dir)}/tools/notes.md`, oldText: 'beta', newText: 'gamma' });
    expect(await readFile(join(dir, 'tools/notes.md'), 'utf8')).toBe('alpha\ngamma\n');
    expect(textOf(await runTool(tool('read'), { path: 'tools/notes.md' }))).toContain('gamma');
    expect(textOf(await runTool(tool('ls'), { path: 'tools' }))).toBe('notes.md');
    expect(textOf(await runTool(tool('grep'), { pattern: 'gam', path: 'tools' }))).toContain('tools/notes.md:2: gamma');
    const bash = await runTool(tool('bash'), { command: 'wc -l < tools/notes.md; echo made > tools/out.txt' });
    expect(textOf(bash)).toBe('2');
    expect(bash.details).toEqual({ exitCode: 0, timedOut: false, aborted: false, truncated: false });
    expect(await readFile(join(dir, 'tools/out.txt'), 'utf8')).toBe('made\n');
    const failing = await runTool(tool('bash'), { command: 'echo oops >&2; exit 7' });
    expect(failing.isError).toBe(true);
    expect(textOf(failing)).toBe('oops\n\nexit code 7');
  });
});

test('the exec server file written by a remote write is exactly the bytes sent', async () => {
  const bytes = new Uint8Array(256).map((_, index) => index);
  await remote.writeFile('all-bytes.bin', bytes);
  expect([...(await readFile(join(dir, 'all-bytes.bin')))]).toEqual([...bytes]);
  await writeFile(join(dir, 'from-disk.bin'), bytes);
  expect([...(await remote.readFile('from-disk.bin'))]).toEqual([...bytes]);
});
