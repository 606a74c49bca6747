/**
 * RemoteWorkspace against a hostile or broken server (issue #9): redirects,
 * the token in error text, and bounds on error bodies and output lines.
 * A scripted fetch stands in for the server, so this runs in every runtime.
 */
import { describe, expect, test } from 'vitest';
import { RemoteWorkspace } from '../../src/tools/remote-workspace.js';
import { endlessBody, leaks } from '../support/hostile.js';

const TOKEN = 'remote-token-Zx9cVb2nMq4wEr6tYu8iOp';
const BASE = 'https://exec.test:7700';

interface Call {
  url: string;
  init: RequestInit;
}

/** A fetch that answers call n with `answers[n]` and records every call. */
function scripted(...answers: (() => Response)[]): {
  fetch: (url: string, init: RequestInit) => Promise<Response>;
  calls: Call[];
} {
  const calls: Call[] = [];
  return {
    calls,
    fetch: async (url, init) => {
      calls.push({ url, init });
      const answer = answers[calls.length - 1];
      if (!answer) throw new Error(`unexpected request ${calls.length} to ${url}`);
      return answer();
    },
  };
}

const encoder = new TextEncoder();

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a failure');
}

const health = () => Response.json({ ok: true, root: '/srv', exec: true });

describe('RemoteWorkspace redirects', () => {
  test('asks fetch not to follow redirects, and refuses one to another origin', async () => {
    const server = scripted(
      () => new Response(null, { status: 307, headers: { location: 'https://evil.test/v1/health?t=query-secret' } }),
    );
    const remote = new RemoteWorkspace(BASE, TOKEN, { fetch: server.fetch });
    const error = await failure(remote.health());
    expect(server.calls).toHaveLength(1);
    expect(server.calls[0]?.init.redirect).toBe('manual');
    expect(error.message).toContain('https://evil.test');
    expect(error.message).not.toContain('query-secret');
  });

  test('follows a same-origin redirect of a GET, with the token', async () => {
    const server = scripted(
      () => new Response(null, { status: 302, headers: { location: '/moved/v1/health' } }),
      health,
    );
    const remote = new RemoteWorkspace(BASE, TOKEN, { fetch: server.fetch });
    expect(await remote.health()).toEqual({ ok: true, root: '/srv', exec: true });
    expect(server.calls.map((call) => call.url)).toEqual([`${BASE}/v1/health`, `${BASE}/moved/v1/health`]);
    expect(new Headers(server.calls[1]?.init.headers).get('authorization')).toBe(`Bearer ${TOKEN}`);
  });
});

describe('RemoteWorkspace error text', () => {
  test.each([TOKEN.length - 1, 20, 8])(
    'redacts the token echoed across the 1,000-character cut of an error message (%i characters before it)',
    async (k) => {
      const message = `${'e'.repeat(1000 - k)}${TOKEN} ${'t'.repeat(5000)}`;
      const server = scripted(() => Response.json({ error: { code: 'EACCES', message } }, { status: 403 }));
      const error = await failure(new RemoteWorkspace(BASE, TOKEN, { fetch: server.fetch }).stat('a.txt'));
      expect(error.message.length).toBeLessThan(1200);
      expect(leaks(error.message, TOKEN)).toBe(false);
    },
  );

  test('reads an endless error body only up to a cap', async () => {
    const { body, pulled } = endlessBody(`{"error": {"message": "${TOKEN}`, 'x'.repeat(64 * 1024));
    const server = scripted(() => new Response(body, { status: 500, headers: { 'content-type': 'application/json' } }));
    const error = await failure(new RemoteWorkspace(BASE, TOKEN, { fetch: server.fetch }).stat('a.txt'));
    expect(error.message).toMatch(/HTTP 500/);
    expect(pulled()).toBeLessThan(1024 * 1024);
  });

  test('a command error event that echoes the token across the cut does not leak it', async () => {
    const message = `${'e'.repeat(1000 - 20)}${TOKEN} ${'t'.repeat(5000)}`;
    const line = `${JSON.stringify({ type: 'error', error: { code: 'EIO', message } })}\n`;
    const server = scripted(() => new Response(line, { headers: { 'content-type': 'application/x-ndjson' } }));
    const remote = new RemoteWorkspace(BASE, TOKEN, { fetch: server.fetch });
    const error = await failure(remote.exec?.('true', {}) ?? Promise.resolve());
    expect(error.message.length).toBeLessThan(1200);
    expect(leaks(error.message, TOKEN)).toBe(false);
  });

  test('an output line that is not JSON is reported without quoting it', async () => {
    const server = scripted(() => new Response(`${TOKEN} is not JSON\n`));
    const remote = new RemoteWorkspace(BASE, TOKEN, { fetch: server.fetch });
    const error = await failure(remote.exec?.('true', {}) ?? Promise.resolve());
    expect(error.message).toMatch(/not JSON/);
    expect(leaks(error.message, TOKEN)).toBe(false);
  });
});

describe('RemoteWorkspace output lines', () => {
  test('an output line longer than 16 MiB ends the command with a clear error, and reading stops', async () => {
    const { body, pulled } = endlessBody('{"type":"output","data":"', 'x'.repeat(256 * 1024));
    const server = scripted(() => new Response(body));
    const remote = new RemoteWorkspace(BASE, TOKEN, { fetch: server.fetch });
    const error = await failure(remote.exec?.('yes', {}) ?? Promise.resolve());
    expect(error.message).toMatch(/longer than 16 MiB/);
    expect(pulled()).toBeLessThan(24 * 1024 * 1024);
  });

  test('lines split across many chunks still arrive whole', async () => {
    const events = [
      { type: 'output', data: 'hello ' },
      { type: 'output', data: 'world' },
      { type: 'exit', exitCode: 0, output: 'hello world', timedOut: false },
    ];
    const text = events.map((event) => `${JSON.stringify(event)}\n`).join('');
    let at = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (at >= text.length) return controller.close();
        controller.enqueue(encoder.encode(text.slice(at, at + 7)));
        at += 7;
      },
    });
    const seen: string[] = [];
    const remote = new RemoteWorkspace(BASE, TOKEN, { fetch: scripted(() => new Response(body)).fetch });
    const result = await remote.exec?.('echo', { onOutput: (chunk) => seen.push(chunk) });
    expect(result).toEqual({ exitCode: 0, output: 'hello world', timedOut: false });
    expect(seen).toEqual(['hello ', 'world']);
  });

  test('a JSON answer is read up to 16 MiB, not until memory runs out', async () => {
    const { body, pulled } = endlessBody('{"entries":[', '{"name":"a","type":"file"},'.repeat(8192));
    const remote = new RemoteWorkspace(BASE, TOKEN, { fetch: scripted(() => new Response(body)).fetch });
    const error = await failure(remote.readdir('.'));
    expect(error.message).toBe('Remote workspace sent an answer larger than 16 MiB');
    expect(pulled()).toBeLessThan(24 * 1024 * 1024);
  });

  test('a range answer longer than the range asked is refused, not misread', async () => {
    const server = scripted(() => new Response(encoder.encode('0123456789abcdef')));
    const remote = new RemoteWorkspace(BASE, TOKEN, { fetch: server.fetch });
    const error = await failure(remote.readFileRange('log.txt', 4, 8));
    expect(error.message).toBe(
      'Remote workspace sent more than the 8 bytes asked for log.txt: a server without ranged reads (update qcore serve)',
    );
  });
});
