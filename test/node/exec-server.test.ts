import { readFile, realpath, symlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { NodeWorkspace } from '../../adapters/node/index.js';
import { createExecApp, type ExecServer, startExecServer } from '../../adapters/node/server.js';
import { MemoryWorkspace } from '../../src/tools/memory-workspace.js';
import { getWithHost, headersWithoutBody } from './cli-support/http.js';
import {
  eventually,
  isRunning,
  killQuietly,
  liveGroupMembers,
  makeTempDir,
  readPids,
  removeDir,
} from './exec-helpers.js';

const TOKEN = 'test-token-0123456789';
const ORIGIN = 'https://app.example';

let dir: string;
let server: ExecServer;
const leftovers: number[] = [];

beforeAll(async () => {
  dir = await makeTempDir('exec-server');
  server = await startExecServer({ root: dir, token: TOKEN, cors: [ORIGIN], maxBodyBytes: 1024 });
});

afterAll(async () => {
  await server.close();
  await removeDir(dir);
});

afterEach(() => {
  killQuietly(leftovers.splice(0));
});

function call(path: string, init: RequestInit & { token?: string | null } = {}): Promise<Response> {
  const { token = TOKEN, ...rest } = init;
  const headers = new Headers(rest.headers);
  if (token !== null) headers.set('Authorization', `Bearer ${token}`);
  return fetch(`${server.url}${path}`, { ...rest, headers });
}

function post(path: string, body: unknown, init: RequestInit & { token?: string | null } = {}): Promise<Response> {
  return call(path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
    ...init,
  });
}

async function errorOf(response: Response): Promise<{ status: number; code: string }> {
  const body = (await response.json()) as { error: { code: string; message: string } };
  expect(typeof body.error.message).toBe('string');
  return { status: response.status, code: body.error.code };
}

type ExecEvent = { type: string; [key: string]: unknown };

/** Reads NDJSON events, noting when each arrived. */
async function readEvents(response: Response, onEvent?: (event: ExecEvent) => void): Promise<ExecEvent[]> {
  const events: ExecEvent[] = [];
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let pending = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    pending += decoder.decode(value, { stream: true });
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      const event = JSON.parse(line) as ExecEvent;
      events.push(event);
      onEvent?.(event);
    }
  }
  expect(pending).toBe('');
  return events;
}

describe('startExecServer', () => {
  test('listens on loopback and reports health behind auth', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const response = await call('/v1/health');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true, root: resolve(dir), exec: true });
  });

  test('a missing root fails at start', async () => {
    await expect(startExecServer({ root: join(dir, 'missing'), token: TOKEN })).rejects.toMatchObject({
      code: 'ENOENT',
    });
  });
});

describe('authentication', () => {
  test('no token, a wrong token and another scheme get 401 with WWW-Authenticate', async () => {
    for (const response of [
      await call('/v1/health', { token: null }),
      await call('/v1/health', { token: 'wrong-token' }),
      await call('/v1/health', { token: `${TOKEN}x` }),
      await call('/v1/health', { token: null, headers: { Authorization: `Basic ${TOKEN}` } }),
      await post('/v1/fs/read', { path: 'x' }, { token: null }),
    ]) {
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(await errorOf(response)).toEqual({ status: 401, code: 'EAUTH' });
    }
  });

  test('the right token works, whatever the scheme case', async () => {
    const response = await call('/v1/health', { token: null, headers: { Authorization: `bearer ${TOKEN}` } });
    expect(response.status).toBe(200);
  });

  test('an unauthenticated write changes nothing', async () => {
    const response = await call('/v1/fs/write?path=intruder.txt', { method: 'POST', body: 'x', token: 'nope' });
    expect(response.status).toBe(401);
    await expect(readFile(join(dir, 'intruder.txt'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  test('an app cannot be made without a usable token', () => {
    const workspace = new MemoryWorkspace();
    expect(() => createExecApp({ workspace, token: '' })).toThrow('non-empty token');
    expect(() => createExecApp({ workspace, token: 'a long token with spaces' })).toThrow('whitespace');
  });

  test('a token shorter than 16 characters is refused', () => {
    const workspace = new MemoryWorkspace();
    expect(() => createExecApp({ workspace, token: 'fifteen-chars15' })).toThrow('at least 16 characters');
    expect(() => createExecApp({ workspace, token: 'sixteen-chars-16' })).not.toThrow();
  });
});

describe('file endpoints', () => {
  test('write, read, stat, readdir, mkdir and rm', async () => {
    expect((await post('/v1/fs/mkdir', { path: 'files' })).status).toBe(200);
    const write = await call(`/v1/fs/write?path=${encodeURIComponent('files/a b.txt')}`, {
      method: 'POST',
      body: new Uint8Array([104, 195, 169, 0, 255]),
    });
    expect(await write.json()).toEqual({ ok: true });
    expect([...(await readFile(join(dir, 'files/a b.txt')))]).toEqual([104, 195, 169, 0, 255]);

    const read = await post('/v1/fs/read', { path: 'files/a b.txt' });
    expect(read.headers.get('content-type')).toBe('application/octet-stream');
    expect([...new Uint8Array(await read.arrayBuffer())]).toEqual([104, 195, 169, 0, 255]);

    const stat = (await (await post('/v1/fs/stat', { path: `${dir}/files/a b.txt` })).json()) as Record<
      string,
      unknown
    >;
    expect(stat).toMatchObject({ type: 'file', size: 5 });
    expect(typeof stat.mtimeMs).toBe('number');

    await post('/v1/fs/mkdir', { path: 'files/deep/er', recursive: true });
    expect(await (await post('/v1/fs/readdir', { path: 'files' })).json()).toEqual({
      entries: [
        { name: 'a b.txt', type: 'file' },
        { name: 'deep', type: 'dir' },
      ],
    });
    expect(await errorOf(await post('/v1/fs/rm', { path: 'files' }))).toEqual({ status: 409, code: 'ENOTEMPTY' });
    expect((await post('/v1/fs/rm', { path: 'files', recursive: true })).status).toBe(200);
    expect(await errorOf(await post('/v1/fs/stat', { path: 'files' }))).toEqual({ status: 404, code: 'ENOENT' });
  });

  test('errors map to their status codes', async () => {
    await writeFile(join(dir, 'exists.txt'), 'E');
    expect(await errorOf(await post('/v1/fs/read', { path: 'missing.txt' }))).toEqual({ status: 404, code: 'ENOENT' });
    expect(await errorOf(await post('/v1/fs/mkdir', { path: 'exists.txt' }))).toEqual({ status: 409, code: 'EEXIST' });
    expect(await errorOf(await post('/v1/fs/readdir', { path: 'exists.txt' }))).toEqual({
      status: 409,
      code: 'ENOTDIR',
    });
    expect(await errorOf(await post('/v1/fs/rm', { path: '.' }))).toEqual({ status: 400, code: 'EINVAL' });
    expect(await errorOf(await post('/v1/fs/read', {}))).toEqual({ status: 400, code: 'EINVAL' });
    expect(await errorOf(await post('/v1/fs/mkdir', { path: 'x', recursive: 'yes' }))).toEqual({
      status: 400,
      code: 'EINVAL',
    });
    expect(await errorOf(await call('/v1/fs/stat', { method: 'POST', body: '{not json' }))).toEqual({
      status: 400,
      code: 'EINVAL',
    });
    expect(await errorOf(await post('/v1/fs/stat', ['exists.txt']))).toEqual({ status: 400, code: 'EINVAL' });
    expect(await errorOf(await call('/v1/fs/write', { method: 'POST', body: 'x' }))).toEqual({
      status: 400,
      code: 'EINVAL',
    });
    expect(await errorOf(await post('/v1/nothing-here', {}))).toEqual({ status: 404, code: 'EINVAL' });
  });

  test('path escapes, also through symlinks, get 403 and touch nothing', async () => {
    const outside = await makeTempDir('exec-server-outside');
    try {
      await writeFile(join(outside, 'secret.txt'), 'secret');
      await symlink(outside, join(dir, 'escape-dir'));
      await symlink('/etc/passwd', join(dir, 'escape-file'));
      for (const path of ['../x', '/etc/passwd', 'escape-dir/secret.txt', 'escape-file']) {
        expect(await errorOf(await post('/v1/fs/read', { path }))).toEqual({ status: 403, code: 'EOUTSIDE' });
        expect(await errorOf(await post('/v1/fs/stat', { path }))).toEqual({ status: 403, code: 'EOUTSIDE' });
      }
      expect(await errorOf(await post('/v1/fs/readdir', { path: 'escape-dir' }))).toEqual({
        status: 403,
        code: 'EOUTSIDE',
      });
      const write = await call('/v1/fs/write?path=escape-dir/secret.txt', { method: 'POST', body: 'pwned' });
      expect(await errorOf(write)).toEqual({ status: 403, code: 'EOUTSIDE' });
      expect(await readFile(join(outside, 'secret.txt'), 'utf8')).toBe('secret');
      const exec = await post('/v1/exec', { command: 'pwd', cwd: 'escape-dir' });
      expect(await errorOf(exec)).toEqual({ status: 403, code: 'EOUTSIDE' });
    } finally {
      await removeDir(outside);
    }
  });

  test('bodies over the limit get 413, declared or streamed', async () => {
    const declared = await call('/v1/fs/write?path=big.bin', { method: 'POST', body: new Uint8Array(4096) });
    expect(await errorOf(declared)).toEqual({ status: 413, code: 'ETOOLARGE' });

    const chunks = [new Uint8Array(600), new Uint8Array(600)];
    const streamed = await call('/v1/fs/write?path=big.bin', {
      method: 'POST',
      body: new ReadableStream<Uint8Array>({
        pull(controller) {
          const next = chunks.shift();
          if (next) controller.enqueue(next);
          else controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(await errorOf(streamed)).toEqual({ status: 413, code: 'ETOOLARGE' });
    await expect(readFile(join(dir, 'big.bin'))).rejects.toMatchObject({ code: 'ENOENT' });

    const json = await post('/v1/exec', { command: `echo ${'x'.repeat(2000)}` });
    expect(await errorOf(json)).toEqual({ status: 413, code: 'ETOOLARGE' });

    const fits = await call('/v1/fs/write?path=fits.bin', { method: 'POST', body: new Uint8Array(1024) });
    expect(fits.status).toBe(200);
    expect((await readFile(join(dir, 'fits.bin'))).byteLength).toBe(1024);
  });
});

describe('exec endpoint', () => {
  test('streams output events as they happen, then the exit event', async () => {
    const started = Date.now();
    const arrivals: number[] = [];
    const response = await post('/v1/exec', { command: 'echo first; sleep 0.6; echo second >&2; exit 4' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('application/x-ndjson');
    const events = await readEvents(response, () => arrivals.push(Date.now() - started));
    expect(events).toEqual([
      { type: 'output', data: 'first\n' },
      { type: 'output', data: 'second\n' },
      { type: 'exit', exitCode: 4, timedOut: false, truncated: false, output: 'first\nsecond\n' },
    ]);
    // The first line reached the client while the command was still sleeping.
    expect(arrivals[2]! - arrivals[0]!).toBeGreaterThan(400);
  });

  test('cwd is confined and checked before streaming', async () => {
    await writeFile(join(dir, 'plain.txt'), 'P');
    const events = await readEvents(await post('/v1/exec', { command: 'pwd', cwd: '.' }));
    expect(events.at(-1)).toMatchObject({ type: 'exit', exitCode: 0, output: `${await realpath(dir)}\n` });
    expect(await errorOf(await post('/v1/exec', { command: 'pwd', cwd: 'plain.txt' }))).toEqual({
      status: 409,
      code: 'ENOTDIR',
    });
    expect(await errorOf(await post('/v1/exec', { command: 'pwd', cwd: 'nowhere' }))).toEqual({
      status: 404,
      code: 'ENOENT',
    });
    expect(await errorOf(await post('/v1/exec', { command: '' }))).toEqual({ status: 400, code: 'EINVAL' });
    expect(await errorOf(await post('/v1/exec', { command: 'true', timeoutMs: -1 }))).toEqual({
      status: 400,
      code: 'EINVAL',
    });
  });

  test('a timeout kills the process group and says so', async () => {
    const response = await post('/v1/exec', {
      command: 'echo $$ > exec-pids; sleep 300 & echo $! >> exec-pids; sleep 300; wait',
      timeoutMs: 400,
    });
    const pidsPromise = readPids(join(dir, 'exec-pids'), 2);
    const events = await readEvents(response);
    const pids = await pidsPromise;
    leftovers.push(...pids, -(pids[0] ?? 0));
    expect(events).toEqual([{ type: 'exit', exitCode: null, timedOut: true, truncated: false, output: '' }]);
    const [shell = 0, background = 0] = pids;
    expect(await eventually(() => liveGroupMembers(shell).length === 0)).toBe(true);
    expect(isRunning(background)).toBe(false);
  });

  test('a client disconnect mid-exec kills the process group', async () => {
    const abort = new AbortController();
    const response = await post(
      '/v1/exec',
      { command: 'echo $$ > dc-pids; sleep 300 & echo $! >> dc-pids; echo started; sleep 300; wait' },
      { signal: abort.signal },
    );
    const reader = response.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toBe('{"type":"output","data":"started\\n"}\n');
    const pids = await readPids(join(dir, 'dc-pids'), 2);
    leftovers.push(...pids, -(pids[0] ?? 0));
    const [shell = 0, background = 0] = pids;
    expect(isRunning(background)).toBe(true);
    abort.abort();
    expect(await eventually(() => liveGroupMembers(shell).length === 0)).toBe(true);
    expect(isRunning(background)).toBe(false);
  });

  test('maxExecMs caps the timeout a client asks for', async () => {
    const workspace = new NodeWorkspace(dir);
    const app = createExecApp({ workspace, token: TOKEN, maxExecMs: 300 });
    const started = Date.now();
    const response = await app.request('/v1/exec', {
      method: 'POST',
      headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ command: 'sleep 30', timeoutMs: 60_000 }),
    });
    const events = await readEvents(response);
    expect(events).toEqual([{ type: 'exit', exitCode: null, timedOut: true, truncated: false, output: '' }]);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  test('a workspace without a shell answers 501 and says so in health', async () => {
    const app = createExecApp({ workspace: new MemoryWorkspace({}, { root: '/mem' }), token: TOKEN });
    const headers = { Authorization: `Bearer ${TOKEN}` };
    expect(await (await app.request('/v1/health', { headers })).json()).toEqual({
      ok: true,
      root: '/mem',
      exec: false,
    });
    const response = await app.request('/v1/exec', {
      method: 'POST',
      headers,
      body: JSON.stringify({ command: 'true' }),
    });
    expect(await errorOf(response)).toEqual({ status: 501, code: 'ENOSYS' });
  });
});

describe('CORS', () => {
  test('a preflight from an allowed origin is answered before auth', async () => {
    const response = await fetch(`${server.url}/v1/exec`, {
      method: 'OPTIONS',
      headers: {
        Origin: ORIGIN,
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'authorization,content-type',
      },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(response.headers.get('access-control-allow-headers')).toBe('Authorization,Content-Type');
    expect(response.headers.get('access-control-allow-methods')).toBe('GET,POST');
  });

  test('other origins get no CORS headers; answers to allowed ones, even 401s, carry them', async () => {
    const other = await fetch(`${server.url}/v1/health`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'GET' },
    });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const ok = await call('/v1/health', { headers: { Origin: ORIGIN } });
    expect(ok.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    const denied = await call('/v1/health', { token: 'bad', headers: { Origin: ORIGIN } });
    expect(denied.status).toBe(401);
    expect(denied.headers.get('access-control-allow-origin')).toBe(ORIGIN);
  });

  test('without a cors option a preflight is just an unauthenticated request', async () => {
    const app = createExecApp({ workspace: new MemoryWorkspace(), token: TOKEN });
    const response = await app.request('/v1/health', {
      method: 'OPTIONS',
      headers: { Origin: ORIGIN, 'Access-Control-Request-Method': 'GET' },
    });
    expect(response.status).toBe(401);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('Host header (DNS rebinding)', () => {
  test('a name other than loopback or the configured host gets 403 EHOST, before auth', async () => {
    const port = new URL(server.url).port;
    for (const host of [`evil.example:${port}`, 'evil.example', `127.0.0.1.evil.example:${port}`, 'localhost.evil']) {
      for (const token of [TOKEN, undefined]) {
        const response = await getWithHost(server.url, '/v1/health', host, token);
        expect(response.status, host).toBe(403);
        expect(JSON.parse(response.body)).toMatchObject({ error: { code: 'EHOST' } });
      }
    }
  });

  test('loopback names pass: localhost, 127.0.0.0/8 and [::1], with or without a port', async () => {
    const port = new URL(server.url).port;
    for (const host of [`localhost:${port}`, 'LocalHost', `127.0.0.1:${port}`, '127.4.5.6', `[::1]:${port}`, '[::1]']) {
      const response = await getWithHost(server.url, '/v1/health', host, TOKEN);
      expect(response.status, host).toBe(200);
    }
  });

  test('allowedHosts adds names; without a Host header the URL host is checked', async () => {
    const app = createExecApp({ workspace: new MemoryWorkspace(), token: TOKEN, allowedHosts: ['Work.example'] });
    const headers = { Authorization: `Bearer ${TOKEN}` };
    expect((await app.request('http://work.example:8443/v1/health', { headers })).status).toBe(200);
    expect((await app.request('http://localhost/v1/health', { headers })).status).toBe(200);
    const other = await app.request('http://other.example/v1/health', { headers });
    expect(await errorOf(other)).toEqual({ status: 403, code: 'EHOST' });
  });
});

describe('listening', () => {
  test('beyond loopback: a warning, and the configured host is an allowed Host', async () => {
    const warnings: string[] = [];
    const wide = await startExecServer({ root: dir, token: TOKEN, host: '0.0.0.0', warn: (m) => warnings.push(m) });
    try {
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain('0.0.0.0');
      expect(warnings[0]).toMatch(/not loopback/);
      const url = wide.url.replace('0.0.0.0', '127.0.0.1');
      const port = new URL(url).port;
      expect((await getWithHost(url, '/v1/health', `0.0.0.0:${port}`, TOKEN)).status).toBe(200);
      expect((await getWithHost(url, '/v1/health', `evil.example:${port}`, TOKEN)).status).toBe(403);
    } finally {
      await wide.close();
    }
    const quiet: string[] = [];
    const local = await startExecServer({ root: dir, token: TOKEN, host: 'localhost', warn: (m) => quiet.push(m) });
    await local.close();
    expect(quiet).toEqual([]);
  });

  test('a client that sends headers and no body is cut off after requestTimeoutMs', { timeout: 10_000 }, async () => {
    const short = await startExecServer({ root: dir, token: TOKEN, requestTimeoutMs: 300 });
    try {
      const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
      const { closedAfterMs, answer } = await headersWithoutBody(short.url, headers, 5000);
      expect(closedAfterMs).toBeDefined();
      expect(closedAfterMs).toBeLessThan(2500);
      expect(answer).toMatch(/^HTTP\/1\.1 408/);
      // The limit is on receiving the request: a command may stream for longer.
      const response = await fetch(`${short.url}/v1/exec`, {
        method: 'POST',
        headers: { ...headers },
        body: JSON.stringify({ command: 'sleep 0.8; echo slow' }),
      });
      expect(await readEvents(response)).toContainEqual(expect.objectContaining({ type: 'exit', output: 'slow\n' }));
    } finally {
      await short.close();
    }
  });
});

describe('concurrent commands', () => {
  test('past maxConcurrentExecs (default 8) a command gets 429 EBUSY until one ends', async () => {
    const app = createExecApp({ workspace: new NodeWorkspace(dir), token: TOKEN });
    const exec = (command: string) =>
      app.request('/v1/exec', {
        method: 'POST',
        headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ command }),
      });
    const running: ReadableStreamDefaultReader<Uint8Array>[] = [];
    try {
      for (let i = 0; i < 8; i++) {
        const response = await exec('echo started; exec sleep 30');
        expect(response.status).toBe(200);
        const reader = response.body!.getReader();
        await reader.read();
        running.push(reader);
      }
      const refused = await exec('echo one too many');
      expect(await errorOf(refused)).toEqual({ status: 429, code: 'EBUSY' });

      await running.shift()?.cancel();
      // The slot frees when the cancelled command has been killed, a moment later.
      let next = await exec('echo room again');
      for (let tries = 0; next.status === 429 && tries < 60; tries++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        next = await exec('echo room again');
      }
      expect(next.status).toBe(200);
      expect(await readEvents(next)).toContainEqual(expect.objectContaining({ type: 'exit', exitCode: 0 }));
    } finally {
      await Promise.all(running.map((reader) => reader.cancel()));
    }
  });
});
