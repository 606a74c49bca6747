/**
 * FIFOs, sockets and devices in a workspace: each is refused or skipped at
 * once. Without that, opening a FIFO blocks one of libuv's four threads until
 * a writer comes, and after four such calls every later file operation of
 * the process hangs. Each call is raced against a timer, and `afterEach`
 * opens every FIFO from this side, so a regression fails instead of hanging.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { NodeWorkspace } from '../../adapters/node/index.js';
import type { AgentTool } from '../../src/agent/types.js';
import { createCodingTools } from '../../src/index.js';
import { runTool, textOf } from '../tools/run-tool.js';
import { makeTempDir, removeDir } from './exec-helpers.js';

const HANG_MS = 2000;

let dir: string;
let ws: NodeWorkspace;
let fifos: string[];
let servers: Server[];

function makeFifo(name: string): string {
  const path = join(dir, name);
  execFileSync('mkfifo', [path]);
  fifos.push(path);
  return path;
}

/** `promise`, or a failure if it has not settled in time: the symptom is a hang. */
function soon<T>(promise: Promise<T>, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} hung for ${HANG_MS} ms`)), HANG_MS);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

function tool(name: string): AgentTool {
  const found = createCodingTools(ws).find((candidate) => candidate.name === name);
  if (!found) throw new Error(`no ${name} tool`);
  return found;
}

beforeEach(async () => {
  dir = await makeTempDir('special');
  ws = new NodeWorkspace(dir);
  fifos = [];
  servers = [];
});

afterEach(async () => {
  // Release anything a regression left blocked in open(): read-write opens of a FIFO never block.
  for (const fifo of fifos) {
    try {
      const fd = openSync(fifo, constants.O_RDWR | constants.O_NONBLOCK);
      setTimeout(() => closeSync(fd), 200);
    } catch {
      // Already gone.
    }
  }
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  await removeDir(dir);
});

describe.runIf(process.platform !== 'win32')('special files in a NodeWorkspace', () => {
  test('a FIFO is refused by readFile and readFileRange at once, with a clear error', async () => {
    makeFifo('pipe');
    await expect(soon(ws.readFile('pipe'), 'readFile')).rejects.toMatchObject({
      code: 'EINVAL',
      message: 'EINVAL: not a regular file (a FIFO): pipe',
    });
    await expect(soon(ws.readFileRange('pipe', 0, 10), 'readFileRange')).rejects.toMatchObject({ code: 'EINVAL' });
  });

  test('five refused FIFO reads leave the thread pool free for the next file', async () => {
    makeFifo('pipe');
    await writeFile(join(dir, 'ok.txt'), 'fine');
    const attempts = Array.from({ length: 5 }, () => ws.readFile('pipe').catch(() => 'refused'));
    expect(await soon(Promise.all(attempts), 'FIFO reads')).toEqual(Array(5).fill('refused'));
    expect(new TextDecoder().decode(await soon(ws.readFile('ok.txt'), 'the next read'))).toBe('fine');
  });

  test('writing onto a FIFO is refused at once, with or without a reader', async () => {
    const fifo = makeFifo('pipe');
    await expect(soon(ws.writeFile('pipe', 'x'), 'writeFile')).rejects.toMatchObject({ code: 'EINVAL' });
    const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      await expect(soon(ws.writeFile('pipe', 'x'), 'writeFile with a reader')).rejects.toMatchObject({
        message: 'EINVAL: not a regular file (a FIFO): pipe',
      });
    } finally {
      closeSync(reader);
    }
  });

  test('stat and readdir call it special, without opening it', async () => {
    makeFifo('pipe');
    expect(await soon(ws.stat('pipe'), 'stat')).toMatchObject({ type: 'special', size: 0 });
    expect(await soon(ws.readdir('.'), 'readdir')).toEqual([{ name: 'pipe', type: 'special' }]);
  });

  test('a Unix socket is refused, not misreported', async () => {
    const path = join(dir, 'sock');
    const server = createServer();
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(path, resolve));
    await expect(soon(ws.readFile('sock'), 'readFile')).rejects.toMatchObject({
      message: 'EINVAL: not a regular file (a socket): sock',
    });
    await expect(soon(ws.writeFile('sock', 'x'), 'writeFile')).rejects.toMatchObject({ code: 'EINVAL' });
    expect(await ws.stat('sock')).toMatchObject({ type: 'special' });
  });

  test('a device reached through a trusted link is refused, never read to the end', async () => {
    const trusting = new NodeWorkspace(dir, { allowOutside: true });
    await symlink('/dev/zero', join(dir, 'zero'));
    await expect(soon(trusting.readFile('zero'), 'readFile')).rejects.toMatchObject({
      message: 'EINVAL: not a regular file (a character device): zero',
    });
    await expect(soon(trusting.readFileRange('zero', 0, 10), 'readFileRange')).rejects.toMatchObject({
      code: 'EINVAL',
    });
    await expect(soon(trusting.writeFile('zero', 'x'), 'writeFile')).rejects.toMatchObject({ code: 'EINVAL' });
  });

  test('read, write and edit refuse a FIFO with a message the model can act on', async () => {
    makeFifo('pipe');
    await expect(soon(runTool(tool('read'), { path: 'pipe' }), 'read')).rejects.toThrow(
      'pipe is not a regular file (a FIFO, socket or device); read opens regular files only',
    );
    await expect(soon(runTool(tool('write'), { path: 'pipe', content: 'x' }), 'write')).rejects.toThrow(
      'not a regular file (a FIFO): pipe',
    );
    await expect(soon(runTool(tool('edit'), { path: 'pipe', oldText: 'a', newText: 'b' }), 'edit')).rejects.toThrow(
      'not a regular file (a FIFO): pipe',
    );
  });

  test('grep and find skip FIFOs and finish', async () => {
    await mkdir(join(dir, 'src'));
    makeFifo('src/pipe');
    makeFifo('pipe.ts');
    await writeFile(join(dir, 'src/a.ts'), 'const needle = 1;\n');
    const grep = await soon(runTool(tool('grep'), { pattern: 'needle' }), 'grep');
    expect(textOf(grep)).toBe('src/a.ts:1: const needle = 1;');
    const find = await soon(runTool(tool('find'), { pattern: '*' }), 'find');
    expect(textOf(find)).toBe('src/\nsrc/a.ts');
  });

  test('grep on a FIFO named directly says so, rather than "no matches"', async () => {
    makeFifo('pipe');
    await expect(soon(runTool(tool('grep'), { pattern: 'x', path: 'pipe' }), 'grep')).rejects.toThrow(
      'pipe is not a regular file (a FIFO, socket or device); grep searches regular files and directories only',
    );
  });
});
